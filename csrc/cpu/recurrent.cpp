// Shared machinery of the recurrent kernels: the per-ISA kernel tables, packing, the
// threaded small-GEMM driver and the after-the-loop gradient GEMMs. The cells themselves
// (time loops and cache layouts) are in rnn_tanh.cpp, lstm.cpp and gru.cpp.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

#include "../common/check.h"
#include "../common/cpu_features.h"
#include "../common/parallel.h"
#include "recurrent_common.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_RECURRENT_X86 1
#endif

namespace nvz {
namespace recurrent {

// ---- one copy of recurrent_kernels.inc per instruction set ---------------------------

namespace isa_generic {
#define NVZ_TARGET
#define VEC_BYTES 16
#define TILE_ROWS 4
#include "recurrent_kernels.inc"
#undef TILE_ROWS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_generic

#ifdef NVZ_RECURRENT_X86
namespace isa_avx2 {
#define NVZ_TARGET __attribute__((target("avx2,fma")))
#define VEC_BYTES 32
#define TILE_ROWS 6
#include "recurrent_kernels.inc"
#undef TILE_ROWS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_avx2

namespace isa_avx512 {
#define NVZ_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define VEC_BYTES 64
#define TILE_ROWS 8
#include "recurrent_kernels.inc"
#undef TILE_ROWS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_avx512
#endif

template <typename T>
const RecurrentKernels<T>& kernels_for_cpu() {
#ifdef NVZ_RECURRENT_X86
  static const RecurrentKernels<T> table[3] = {
      isa_generic::make_kernels<T>(), isa_avx2::make_kernels<T>(), isa_avx512::make_kernels<T>()};
  return table[static_cast<int>(cpu_isa())];
#else
  static const RecurrentKernels<T> generic = isa_generic::make_kernels<T>();
  return generic;
#endif
}

// ---- workspace -------------------------------------------------------------------------

template <typename T>
T* Buffer<T>::allocate(int64_t n) {
  // 64-byte aligned (one cache line, one AVX-512 vector); never null, even for n = 0.
  const size_t bytes = static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T);
  return static_cast<T*>(::operator new(bytes, std::align_val_t(64)));
}

template <typename T>
PackedB<T>::PackedB(const RecurrentKernels<T>& k, int64_t K_, int64_t N_, const T* src, int64_t ld,
                    bool transposed)
    : K(K_), N(N_), buf_(((N_ + k.nr - 1) / k.nr) * K_ * k.nr) {
  const int64_t nr = k.nr;
  T* dst = buf_.data();
  for (int64_t col = 0; col < N; col += nr) {
    const int64_t width = std::min(nr, N - col);
    for (int64_t kk = 0; kk < K; ++kk, dst += nr) {
      for (int64_t j = 0; j < width; ++j)
        dst[j] = transposed ? src[(col + j) * ld + kk] : src[kk * ld + col + j];
      for (int64_t j = width; j < nr; ++j) dst[j] = T(0);
    }
  }
}

// ---- helpers -------------------------------------------------------------------------

template <typename T>
void gemm_packed(const RecurrentKernels<T>& k, int64_t M, const T* A, int64_t lda,
                 const PackedB<T>& B, T* C, int64_t ldc, bool accumulate) {
  const GemmArgs<T> g{M, B.N, B.K, A, lda, B.data(), C, ldc, accumulate};
  const int64_t panels = (B.N + k.nr - 1) / k.nr;
  const int nt = threads_for(M * B.N * B.K);
  if (nt <= 1 || M == 0 || panels == 0) {
    k.gemm(g, 0, M, 0, panels);
    return;
  }
#ifdef _OPENMP
  // Baseline code: the ISA kernel is called inside the region (see recurrent_common.h).
  if (panels >= nt) {
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t p = 0; p < panels; ++p) k.gemm(g, 0, M, p, p + 1);
  } else {
    const int64_t blocks = (M + k.mr - 1) / k.mr;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t b = 0; b < blocks; ++b)
      k.gemm(g, b * k.mr, std::min<int64_t>(M, (b + 1) * k.mr), 0, panels);
  }
#else
  k.gemm(g, 0, M, 0, panels);
#endif
}

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

template <typename T>
void add_biases(T* b, const T* b_ih, const T* b_hh, int64_t n) {
  for (int64_t j = 0; j < n; ++j) b[j] = b_ih[j] + b_hh[j];
}

// C (M x N) = A^T B with A stored K x M (row stride lda) and B (K x N, contiguous rows)
// made of `head_rows` rows from `head` followed by rows from `tail`: H_prev = [h0; y_0..]
// without copying it together. K is the long T*N dimension, so it is cut into blocks of
// kBlockK rows whose packed B (kBlockK x N) stays in L2 while every row tile of C passes.
template <typename T>
void gemm_tn_two_part(const RecurrentKernels<T>& k, int64_t M, int64_t N, int64_t K, const T* A,
                      int64_t lda, const T* head, int64_t head_rows, const T* tail, T* C) {
  constexpr int64_t kBlockK = 256;
  if (K == 0) {
    std::fill(C, C + M * N, T(0));
    return;
  }
  const int64_t nr = k.nr, panels = (N + nr - 1) / nr;
  Buffer<T> packed(panels * std::min(K, kBlockK) * nr);
  for (int64_t k0 = 0; k0 < K; k0 += kBlockK) {
    const int64_t kc = std::min(kBlockK, K - k0);
    for (int64_t kk = 0; kk < kc; ++kk) {
      const int64_t row = k0 + kk;
      const T* src = row < head_rows ? head + row * N : tail + (row - head_rows) * N;
      for (int64_t p = 0; p < panels; ++p) {
        T* dst = packed.data() + (p * kc + kk) * nr;
        const int64_t width = std::min(nr, N - p * nr);
        for (int64_t j = 0; j < width; ++j) dst[j] = src[p * nr + j];
        for (int64_t j = width; j < nr; ++j) dst[j] = T(0);
      }
    }
    const GemmArgs<T> g{M, N, kc, A + k0 * lda, lda, packed.data(), C, N, k0 > 0};
    const int nt = threads_for(M * N * kc);
    if (nt <= 1) {
      k.gemm_tn(g, 0, M);
      continue;
    }
#ifdef _OPENMP
    const int64_t blocks = (M + k.mr - 1) / k.mr;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (int64_t b = 0; b < blocks; ++b)
      k.gemm_tn(g, b * k.mr, std::min<int64_t>(M, (b + 1) * k.mr));
#else
    k.gemm_tn(g, 0, M);
#endif
  }
}

template <typename T>
void input_and_weight_grads(const RecurrentKernels<T>& k, const RnnShape& s, int64_t GH,
                            const T* dA_ih, const T* dA_hh, const T* x, const T* h0, const T* y,
                            const T* w_ih, T* gx, T* gw_ih, T* gw_hh) {
  const int64_t TN = s.T * s.N, H = s.H, I = s.I;
  // gx (T*N, I) = dA_ih (T*N, GH) W_ih (GH, I)
  const PackedB<T> w_ih_packed(k, GH, I, w_ih, I, /*transposed=*/false);
  gemm_packed(k, TN, dA_ih, GH, w_ih_packed, gx, I, /*accumulate=*/false);
  // gw_ih (GH, I) = dA_ih^T X over all T*N rows.
  gemm_tn_two_part(k, GH, I, TN, dA_ih, GH, x, TN, x, gw_ih);
  // gw_hh (GH, H) = dA_hh^T H_prev, H_prev = h0 for t = 0, then y_0 .. y_{T-2}.
  gemm_tn_two_part(k, GH, H, TN, dA_hh, GH, h0, s.N, y, gw_hh);
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

#define NVZ_INSTANTIATE(T)                                                                      \
  template const RecurrentKernels<T>& kernels_for_cpu<T>();                                     \
  template class Buffer<T>;                                                                     \
  template class PackedB<T>;                                                                    \
  template void gemm_packed<T>(const RecurrentKernels<T>&, int64_t, const T*, int64_t,          \
                               const PackedB<T>&, T*, int64_t, bool);                           \
  template void copy<T>(T*, const T*, int64_t);                                                 \
  template void copy_or_zero<T>(T*, const T*, int64_t);                                         \
  template void add_biases<T>(T*, const T*, const T*, int64_t);                                 \
  template void input_and_weight_grads<T>(const RecurrentKernels<T>&, const RnnShape&, int64_t, \
                                          const T*, const T*, const T*, const T*, const T*,     \
                                          const T*, T*, T*, T*);                                \
  template void empty_sequence_grads<T>(const RnnShape&, int64_t, const T*, T*, T*, T*, T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

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
