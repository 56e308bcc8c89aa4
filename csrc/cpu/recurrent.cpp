// Shared machinery of the recurrent kernels: the per-ISA gate kernels, the workspace and the
// after-the-loop gradient GEMMs. The cells themselves (time loops and cache layouts) are in
// rnn_tanh.cpp, lstm.cpp and gru.cpp.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "common/check.h"
#include "common/cpu_features.h"
#include "gemm.h"
#include "recurrent_common.h"

namespace nvz {
namespace recurrent {

#define NVZ_ISA_BODY "cpu/recurrent_kernels.inc"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY

template <typename T>
const RecurrentKernels<T>& kernels_for_cpu() {
  NVZ_ISA_RETURN(cpu_isa(), kernels<T>);
}

// ---- helpers -------------------------------------------------------------------------

void check_shape(const RnnShape& s, const char* who) {
  NVZ_CHECK(s.T >= 0 && s.N >= 0 && s.I >= 0 && s.H >= 0, who,
            ": sizes must be non-negative, got T=", s.T, " N=", s.N, " I=", s.I, " H=", s.H);
}

template <typename T>
void copy(T* dst, const T* src, int64_t n) {
  // memmove: a caller may pass the same array as grad_hT and grad_h0.
  if (n > 0 && dst != src) std::memmove(dst, src, static_cast<size_t>(n) * sizeof(T));
}

template <typename T>
void copy_or_zero(T* dst, const T* src, int64_t n) {
  if (src)
    copy(dst, src, n);
  else
    std::fill(dst, dst + n, T(0));
}

bool stack_input_forward(const RnnShape& s) {
  return s.I <= s.H;
}

bool stack_input_backward(const RnnShape& s) {
  constexpr int64_t kPanel = 32;  // widest GEMM panel (float, AVX-512)
  auto padded = [](int64_t n) { return (n + kPanel - 1) / kPanel * kPanel; };
  return s.I <= s.H && padded(s.H + s.I) - padded(s.H) < 3 * s.I;
}

template <typename T>
void stack_columns(T* dst, const T* a, int64_t na, const T* b, int64_t nb, int64_t rows) {
  for (int64_t r = 0; r < rows; ++r, dst += na + nb) {
    std::copy(a + r * na, a + (r + 1) * na, dst);
    std::copy(b + r * nb, b + (r + 1) * nb, dst + na);
  }
}

template <typename T>
void add_biases(T* b, const T* b_ih, const T* b_hh, int64_t n) {
  for (int64_t j = 0; j < n; ++j) b[j] = b_ih[j] + b_hh[j];
}

namespace {

// dst (cols, rows) = src (rows, cols)^T, both dense.
template <typename T>
void transpose(const T* src, int64_t rows, int64_t cols, T* dst) {
  constexpr int64_t B = 16;  // a B x B block of dst fits in a few cache lines per row
  for (int64_t i0 = 0; i0 < rows; i0 += B)
    for (int64_t j0 = 0; j0 < cols; j0 += B)
      for (int64_t i = i0; i < std::min(rows, i0 + B); ++i)
        for (int64_t j = j0; j < std::min(cols, j0 + B); ++j) dst[j * rows + i] = src[i * cols + j];
}

}  // namespace

template <typename T>
void input_and_weight_grads(const RnnShape& s, int64_t GH, const T* dA_ih, const T* dA_hh,
                            const T* x, const T* h0, const T* y, const T* w_ih, T* gx, T* gw_ih,
                            T* gw_hh) {
  const int64_t TN = s.T * s.N, N = s.N, H = s.H, I = s.I;
  // gx (T*N, I) = dA_ih (T*N, GH) W_ih (GH, I)
  if (gx) gemm<T>(false, false, TN, I, GH, T(1), dA_ih, GH, w_ih, I, T(0), gx, I);
  // gw_ih (GH, I) = dA_ih^T X over all T*N rows.
  gemm<T>(true, false, GH, I, TN, T(1), dA_ih, GH, x, I, T(0), gw_ih, I);
  // gw_hh (GH, H) = dA_hh^T H_prev, H_prev = h0 for t = 0, then y_0 .. y_{T-2}.
  if (GH <= H || TN < 256) {  // (few rows: the transposed form's extra pass costs more)
    gemm<T>(true, false, GH, H, N, T(1), dA_hh, GH, h0, H, T(0), gw_hh, H);
    gemm<T>(true, false, GH, H, TN - N, T(1), dA_hh + N * GH, GH, y, H, T(1), gw_hh, H);
    return;
  }
  // With several gates, as its transpose H_prev^T dA_hh (H, GH): the GEMM packs a transposed
  // operand element by element, so the transposed one should be the narrower H_prev rather
  // than dA_hh (7-8% faster for the LSTM's and GRU's dW_hh at H = 128, AVX-512 and AVX2).
  Buffer<T> gw_t(H * GH);
  gemm<T>(true, false, H, GH, N, T(1), h0, H, dA_hh, GH, T(0), gw_t.data(), GH);
  gemm<T>(true, false, H, GH, TN - N, T(1), y, H, dA_hh + N * GH, GH, T(1), gw_t.data(), GH);
  transpose(gw_t.data(), H, GH, gw_hh);
}

namespace {

template <typename T>
PackedB<T> pack_stacked(int64_t GH, int64_t H, int64_t I, const T* w_hh, const T* w_ih) {
  Buffer<T> w(GH * (H + I));
  stack_columns(w.data(), w_hh, H, w_ih, I, GH);
  return PackedB<T>(/*trans_b=*/false, GH, H + I, w.data(), H + I);
}

}  // namespace

template <typename T>
BackStepGemm<T>::BackStepGemm(const RnnShape& s, int64_t GH, const T* w_ih, const T* w_hh)
    : N_(s.N),
      H_(s.H),
      I_(s.I),
      GH_(GH),
      w_(pack_stacked(GH, s.H, s.I, w_hh, w_ih)),
      out_(s.N * (s.H + s.I)) {}

template <typename T>
void BackStepGemm<T>::run(const T* dA_t, T* dh, T* gx_t) {
  const int64_t HI = H_ + I_;
  gemm_packed<T>(false, N_, T(1), dA_t, GH_, w_, T(0), out_.data(), HI);
  for (int64_t n = 0; n < N_; ++n) {
    const T* row = out_.data() + n * HI;
    std::copy(row, row + H_, dh + n * H_);
    std::copy(row + H_, row + HI, gx_t + n * I_);
  }
}

template <typename T>
void empty_sequence_grads(const RnnShape& s, int64_t GH, const T* grad_hT, T* gh0, T* gw_ih,
                          T* gw_hh, T* gb_ih, T* gb_hh) {
  copy_or_zero(gh0, grad_hT, s.N * s.H);
  std::fill(gw_ih, gw_ih + GH * s.I, T(0));
  std::fill(gw_hh, gw_hh + GH * s.H, T(0));
  std::fill(gb_ih, gb_ih + GH, T(0));
  std::fill(gb_hh, gb_hh + GH, T(0));
}

#define NVZ_INSTANTIATE(T)                                                                        \
  template const RecurrentKernels<T>& kernels_for_cpu<T>();                                       \
  template void copy<T>(T*, const T*, int64_t);                                                   \
  template void copy_or_zero<T>(T*, const T*, int64_t);                                           \
  template void stack_columns<T>(T*, const T*, int64_t, const T*, int64_t, int64_t);              \
  template void add_biases<T>(T*, const T*, const T*, int64_t);                                   \
  template void input_and_weight_grads<T>(const RnnShape&, int64_t, const T*, const T*, const T*, \
                                          const T*, const T*, const T*, T*, T*, T*);              \
  template void empty_sequence_grads<T>(const RnnShape&, int64_t, const T*, T*, T*, T*, T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE
template class BackStepGemm<float>;
template class BackStepGemm<double>;

}  // namespace recurrent

// Cache layouts (elements of T); see the cell files for what each part holds.
int64_t rnn_tanh_cache_size(const RnnShape&) {
  return 0;
}  // y (= every h_t) is enough
int64_t lstm_cache_size(const RnnShape& s) {
  return s.T * s.N * 5 * s.H;
}
int64_t gru_cache_size(const RnnShape& s) {
  return s.T * s.N * 4 * s.H;
}

}  // namespace nvz
