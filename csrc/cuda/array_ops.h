// Small whole-array kernels on device pointers: what numpy does for the layers between the big
// kernels (a += b, column sums for bias gradients, fill, the bias broadcast of a dense layer).
#pragma once
#include <cstdint>

namespace nvz::cuda {

template <typename T>
void axpy(int64_t n, T alpha, const T* x, T* y);  // y += alpha x
template <typename T>
void add(int64_t n, const T* a, const T* b, T* out);  // out = a + b
template <typename T>
void fill(int64_t n, T value, T* y);
template <typename T>
void scale(int64_t n, T alpha, T* y);  // y *= alpha
template <typename T>
void mul(int64_t n, const T* a, const T* b, T* out);  // out = a * b
// out[c] (+)= sum over rows r of x[r, c], x (rows, cols); accumulate adds to out
template <typename T>
void sum_rows(int64_t rows, int64_t cols, const T* x, T* out, bool accumulate);
// y[r, c] += b[c], y (rows, cols)
template <typename T>
void add_row_vector(int64_t rows, int64_t cols, const T* b, T* y);

// out[j, i, k] = x[i, j, k] for x (a, b, c): batch-major <-> time-major sequences
template <typename T>
void swap01(int64_t a, int64_t b, int64_t c, const T* x, T* out);

}  // namespace nvz::cuda
