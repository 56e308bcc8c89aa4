// nvz::gemm: argument checks, ISA dispatch and threading around the blocked engine in
// gemm_engine.h. The engine source is compiled three times below, once per instruction
// set, so the generic, AVX2 and AVX-512 kernels are the same code.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <utility>

#include "common/check.h"
#include "common/cpu_features.h"
#include "common/parallel.h"
#include "gemm_types.h"

// ---- the engine, once per ISA (each in its own namespace with internal linkage) ----

#define NVZ_GEMM_NAMESPACE generic
#include "gemm_engine.h"
#undef NVZ_GEMM_NAMESPACE

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_HAVE_X86_KERNELS 1

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,fma")
#endif
#define NVZ_GEMM_NAMESPACE avx2
#include "gemm_engine.h"
#undef NVZ_GEMM_NAMESPACE
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
#endif
#define NVZ_GEMM_NAMESPACE avx512
#include "gemm_engine.h"
#undef NVZ_GEMM_NAMESPACE
#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif
#endif  // x86-64

namespace nvz {
namespace {

using gemm_detail::IsaAvx2;
using gemm_detail::IsaAvx512;
using gemm_detail::IsaGeneric;
using gemm_detail::Problem;
using gemm_detail::tile_width;

template <typename T>
struct Engine {
  void (*run)(const Problem<T>&);
  int mr, nr;  // register tile: thread blocks are cut along it; a C narrower than nr
               // is computed transposed
};

template <typename T, typename Isa>
Engine<T> engine(void (*run)(const Problem<T>&)) {
  return {run, gemm_detail::Blocking<T, Isa>::MR, tile_width<T, Isa>()};
}

template <typename T>
Engine<T> engine_for(Isa isa) {
#ifdef NVZ_HAVE_X86_KERNELS
  if (isa == Isa::avx512)
    return engine<T, IsaAvx512>(&gemm_detail::avx512::gemm_serial<T, IsaAvx512>);
  if (isa == Isa::avx2) return engine<T, IsaAvx2>(&gemm_detail::avx2::gemm_serial<T, IsaAvx2>);
#else
  (void)isa;
#endif
  return engine<T, IsaGeneric>(&gemm_detail::generic::gemm_serial<T, IsaGeneric>);
}

// C = beta * C (the K == 0 or alpha == 0 case, where A and B are not read).
template <typename T>
void scale_c(int64_t M, int64_t N, T beta, T* C, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < M; ++i) {
    T* c = C + i * ldc;
    if (beta == T(0))
      std::fill(c, c + N, T(0));
    else
      for (int64_t j = 0; j < N; ++j) c[j] *= beta;
  }
}

// Split C into nt blocks (a grid of gm x gn, gm * gn == nt) along tile boundaries, choosing
// the grid whose blocks are closest to square, and run one serial engine call per block.
// Blocks share nothing but read-only A and B; each thread packs into its own buffers.
template <typename T>
void run_parallel(const Engine<T>& eng, const Problem<T>& p, int nt) {
  int gm = 1, gn = nt;
  double best = -1;
  const int max_gm = p.dot_products ? 1 : nt;  // a few rows: split the columns only
  for (int d = 1; d <= max_gm; ++d) {
    if (nt % d) continue;
    const double bm = double(p.M) / d, bn = double(p.N) / (nt / d);
    const double score = std::min(bm, bn) / std::max(bm, bn);
    if (score > best) best = score, gm = d, gn = nt / d;
  }
  auto round_up = [](int64_t x, int64_t unit) { return (x + unit - 1) / unit * unit; };
  const int64_t step_m = round_up((p.M + gm - 1) / gm, eng.mr);
  const int64_t step_n = round_up((p.N + gn - 1) / gn, eng.nr);
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
  for (int t = 0; t < nt; ++t) {
    const int64_t i0 = (t / gn) * step_m, j0 = (t % gn) * step_n;
    const int64_t m = std::min(step_m, p.M - i0), n = std::min(step_n, p.N - j0);
    if (m <= 0 || n <= 0) continue;
    Problem<T> sub = p;
    sub.M = m;
    sub.N = n;
    sub.A.p = p.A.at(i0, 0);
    sub.B.p = p.B.at(0, j0);
    sub.C.p = p.C.p + i0 * p.C.rs + j0 * p.C.cs;
    eng.run(sub);
  }
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  NVZ_CHECK(M >= 0 && N >= 0 && K >= 0, "gemm: negative size M=", M, " N=", N, " K=", K);
  // Leading dimensions only matter for non-empty operands (numpy gives empty arrays
  // zero strides).
  NVZ_CHECK(M == 0 || K == 0 || lda >= (trans_a ? M : K), "gemm: lda=", lda, " too small for ",
            trans_a ? "A^T" : "A", " with M=", M, " K=", K);
  NVZ_CHECK(K == 0 || N == 0 || ldb >= (trans_b ? K : N), "gemm: ldb=", ldb, " too small for ",
            trans_b ? "B^T" : "B", " with K=", K, " N=", N);
  NVZ_CHECK(M == 0 || N == 0 || ldc >= N, "gemm: ldc=", ldc, " < N=", N);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }

  const Engine<T> eng = engine_for<T>(cpu_isa());
  Problem<T> p;
  p.M = M, p.N = N, p.K = K, p.alpha = alpha, p.beta = beta;
  // op(X)(r, k) = X[r * rs + k * cs]
  p.A = {A, trans_a ? 1 : lda, trans_a ? lda : 1};
  p.B = {B, trans_b ? 1 : ldb, trans_b ? ldb : 1};
  p.C = {C, ldc, 1};
  // A C narrower than one register tile would waste most of every FMA; compute
  // C^T = op(B)^T op(A)^T instead (tiles then run along M) and store it transposed.
  if (N < eng.nr && M > N) {
    std::swap(p.M, p.N);
    std::swap(p.A, p.B);
    std::swap(p.A.rs, p.A.cs);
    std::swap(p.B.rs, p.B.cs);
    std::swap(p.C.rs, p.C.cs);
  }
  // Few rows against op(B) = B^T (B rows contiguous in k): dot products, see gemm_engine.h.
  p.dot_products = p.B.rs == 1 && p.M <= gemm_detail::kDotMaxRows;

  const int nt = threads_for(M * N * K);
  if (nt > 1)
    run_parallel(eng, p, nt);
  else
    eng.run(p);
}

template void gemm<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                          const float*, int64_t, float, float*, int64_t);
template void gemm<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                           const double*, int64_t, double, double*, int64_t);

}  // namespace nvz
