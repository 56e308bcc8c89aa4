// The warp matrix (WMMA) API a tensor-core kernel uses, in both builds of the CUDA backend.
//
// Under nvcc this is <mma.h>'s nvcuda::wmma (TF32 shapes need sm_80 or later). Under NVZ_CUDA_SIM
// it is a shim with the same names and call syntax, for the subset gemm.cu uses: the m16n16k8 TF32
// shape (fragment<matrix_a, 16, 16, 8, precision::tf32, row_major|col_major>, matrix_b likewise,
// fragment<accumulator, 16, 16, 8, float>), load_matrix_sync, store_matrix_sync, fill_fragment,
// mma_sync and __float_to_tf32.
//
// The shim's fragment holds the whole tile in every thread (num_elements = rows * cols, stored
// row-major whatever the memory layout). That is 32x redundant per warp, but it needs no model of
// which lane holds which element: the hardware's mapping is unspecified, so a kernel may only load,
// store, fill, mma and apply one function to every element (frag.x[i] = f(frag.x[i])), and each of
// those gives the same answer with either mapping.
//
// What the shim checks, as the hardware requires (it throws std::logic_error naming the call):
// - load/store pointers are 32-byte (256-bit) aligned;
// - ldm is a multiple of 4 floats (16 bytes) and at least the tile's row or column length.
// What it models:
// - __float_to_tf32 rounds as cvt.rna.tf32.f32: to nearest, ties away from zero, to 10 mantissa
//   bits (the low 13 bits of the float become zero); inf and NaN pass unchanged;
// - mma_sync reads only a TF32 input's upper 19 bits (the low 13 are dropped, as the tensor cores
//   do), so a kernel that forgets __float_to_tf32 truncates instead of rounding and a reference
//   that rounds catches it; the products of two TF32 values are exact in float, and they are
//   accumulated in float, k ascending (the hardware's order inside one mma is unspecified).
#pragma once

#ifndef NVZ_CUDA_SIM

#include <mma.h>

#else

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace nvcuda::wmma {

struct row_major;
struct col_major;
struct matrix_a;
struct matrix_b;
struct accumulator;
namespace precision {
struct tf32;
}
enum layout_t { mem_row_major, mem_col_major };

namespace detail {

// The tile a fragment holds: matrix_a is m x k, matrix_b k x n, the accumulator m x n.
template <typename Use, int M, int N, int K>
struct tile_shape;
template <int M, int N, int K>
struct tile_shape<matrix_a, M, N, K> {
  static constexpr int rows = M, cols = K;
};
template <int M, int N, int K>
struct tile_shape<matrix_b, M, N, K> {
  static constexpr int rows = K, cols = N;
};
template <int M, int N, int K>
struct tile_shape<accumulator, M, N, K> {
  static constexpr int rows = M, cols = N;
};

template <typename T>
struct storage {
  using type = T;
};
template <>
struct storage<precision::tf32> {
  using type = float;
};

inline void check_pointer(const char* fn, const void* p) {
  const uintptr_t a = reinterpret_cast<uintptr_t>(p);
  if (a % 32 != 0)
    throw std::logic_error(std::string("wmma::") + fn + ": pointer " + std::to_string(a) +
                           " is not 32-byte (256-bit) aligned (it is " + std::to_string(a % 32) +
                           " bytes past a multiple of 32)");
}

inline void check_ldm(const char* fn, unsigned ldm, int extent) {
  if (ldm % 4 != 0)
    throw std::logic_error(std::string("wmma::") + fn + ": ldm " + std::to_string(ldm) +
                           " is not a multiple of 4 floats (16 bytes)");
  if (ldm < static_cast<unsigned>(extent))
    throw std::logic_error(std::string("wmma::") + fn + ": ldm " + std::to_string(ldm) +
                           " is shorter than the tile's " + std::to_string(extent) +
                           " elements per row or column");
}

inline uint32_t bits_of(float x) {
  uint32_t u;
  std::memcpy(&u, &x, sizeof u);
  return u;
}
inline float float_of(uint32_t u) {
  float x;
  std::memcpy(&x, &u, sizeof x);
  return x;
}

// What the tensor cores read of a float given as TF32: its upper 19 bits.
inline float tf32_truncated(float x) {
  return float_of(bits_of(x) & 0xffffe000u);
}

template <typename Layout>
constexpr bool is_row_major() {
  return std::is_same_v<Layout, row_major>;
}

}  // namespace detail

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
class fragment {
 public:
  using element_type = typename detail::storage<T>::type;
  static constexpr int rows = detail::tile_shape<Use, M, N, K>::rows;
  static constexpr int cols = detail::tile_shape<Use, M, N, K>::cols;
  static constexpr int num_elements = rows * cols;
  element_type x[num_elements];  // row-major: element (r, c) is x[r * cols + c]
};

// cvt.rna.tf32.f32: adding half of the dropped part's unit to the magnitude bits and clearing
// them rounds to nearest with ties away from zero (a carry into the exponent is exact; the largest
// finite floats round to inf, as the instruction does).
inline float __float_to_tf32(float in) {
  const uint32_t u = detail::bits_of(in);
  if ((u & 0x7f800000u) == 0x7f800000u) return in;  // inf or NaN
  return detail::float_of((u + 0x1000u) & 0xffffe000u);
}

template <typename Use, int M, int N, int K, typename T, typename Layout>
inline void fill_fragment(fragment<Use, M, N, K, T, Layout>& f,
                          const typename fragment<Use, M, N, K, T, Layout>::element_type& v) {
  for (auto& e : f.x) e = v;
}

// matrix_a / matrix_b: the memory layout is the fragment's
template <typename Use, int M, int N, int K, typename T, typename Layout>
inline void load_matrix_sync(fragment<Use, M, N, K, T, Layout>& f, const float* p, unsigned ldm) {
  using F = fragment<Use, M, N, K, T, Layout>;
  constexpr bool rm = detail::is_row_major<Layout>();
  detail::check_pointer("load_matrix_sync", p);
  detail::check_ldm("load_matrix_sync", ldm, rm ? F::cols : F::rows);
  for (int r = 0; r < F::rows; ++r)
    for (int c = 0; c < F::cols; ++c) f.x[r * F::cols + c] = rm ? p[r * ldm + c] : p[c * ldm + r];
}

// the accumulator: the memory layout is an argument
template <int M, int N, int K>
inline void load_matrix_sync(fragment<accumulator, M, N, K, float>& f, const float* p, unsigned ldm,
                             layout_t layout) {
  detail::check_pointer("load_matrix_sync", p);
  detail::check_ldm("load_matrix_sync", ldm, layout == mem_row_major ? N : M);
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      f.x[r * N + c] = layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r];
}

template <int M, int N, int K>
inline void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float>& f,
                              unsigned ldm, layout_t layout) {
  detail::check_pointer("store_matrix_sync", p);
  detail::check_ldm("store_matrix_sync", ldm, layout == mem_row_major ? N : M);
  for (int r = 0; r < M; ++r)
    for (int c = 0; c < N; ++c)
      (layout == mem_row_major ? p[r * ldm + c] : p[c * ldm + r]) = f.x[r * N + c];
}

// d = a b + c (d may be c): TF32 inputs, float accumulation
template <int M, int N, int K, typename LA, typename LB>
inline void mma_sync(fragment<accumulator, M, N, K, float>& d,
                     const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
                     const fragment<matrix_b, M, N, K, precision::tf32, LB>& b,
                     const fragment<accumulator, M, N, K, float>& c) {
  float out[M * N];
  for (int i = 0; i < M; ++i)
    for (int j = 0; j < N; ++j) {
      float s = c.x[i * N + j];
      for (int k = 0; k < K; ++k)
        s += detail::tf32_truncated(a.x[i * K + k]) * detail::tf32_truncated(b.x[k * N + j]);
      out[i * N + j] = s;
    }
  for (int i = 0; i < M * N; ++i) d.x[i] = out[i];
}

}  // namespace nvcuda::wmma

#endif  // NVZ_CUDA_SIM
