// nvz::gemm and nvz::gemm_packed: argument checks, ISA dispatch and threading around the
// blocked engine of gemm_kernels.inc, which common/isa_each.inc compiles once per instruction
// set, so the generic, AVX2 and AVX-512 kernels are the same code.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "common/check.h"
#include "common/cpu_features.h"
#include "common/parallel.h"
#include "gemm_types.h"

namespace nvz {
namespace gemm_detail {

#define NVZ_ISA_BODY "cpu/gemm_kernels.inc"
#include "common/isa_each.inc"

// The same engine with RowTileBlocking's register tile (8 x 48 for AVX-512 float).
namespace row_tile {
#undef NVZ_GEMM_TILES
#define NVZ_GEMM_TILES RowTileBlocking
#include "common/isa_each.inc"
#undef NVZ_GEMM_TILES
}  // namespace row_tile
#undef NVZ_ISA_BODY

}  // namespace gemm_detail

namespace {

using gemm_detail::Engine;
using gemm_detail::Problem;

template <typename T>
Engine<T> engine_for(Isa isa) {
  using namespace gemm_detail;
  NVZ_ISA_RETURN(isa, engine<T>);
}

template <typename T>
Engine<T> row_tile_engine_for(Isa isa) {
  using namespace gemm_detail::row_tile;
  NVZ_ISA_RETURN(isa, engine<T>);
}

// Multiply-adds a tile grid spends on an M x N product, padding included: rows in whole tiles
// of mr, columns in panels of nr except that a last panel with at most one vector of columns
// gets a one-vector tile (gemm_kernels.inc).
inline int64_t padded_work(int64_t M, int64_t N, int64_t mr, int64_t nr, int64_t lanes) {
  const int64_t rows = (M + mr - 1) / mr * mr, rem = N % nr;
  const int64_t cols = N - rem + (rem == 0 ? 0 : rem <= lanes ? lanes : nr);
  return rows * cols;
}

// Whether the RowTileBlocking engine should run a packed product (gemm_types.h): when the
// default tile would spend over 2% more multiply-adds on padding. Decided once per product,
// before threads split it; both engines give the same bits, so this only moves time.
template <typename T>
bool row_tile_pays(const Engine<T>& eng, const Engine<T>& alt, const gemm_detail::Problem<T>& p,
                   Isa isa) {
  if (alt.mr == eng.mr && alt.nr == eng.nr) return false;  // no second tile on this ISA/type
  if (p.dot_products || p.M <= eng.small_m) return false;
  const int64_t lanes = vec_bytes(isa) / int64_t(sizeof(T));
  return double(padded_work(p.M, p.N, alt.mr, alt.nr, lanes)) <
         0.98 * double(padded_work(p.M, p.N, eng.mr, eng.nr, lanes));
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
    sub.b_col0 = p.b_col0 + j0;
    sub.C.p = p.C.p + i0 * p.C.rs + j0 * p.C.cs;
    eng.run(sub);
  }
}

// One thread's engine call, or a grid of them (checked, non-empty problem).
template <typename T>
void run(const Engine<T>& eng, const Problem<T>& p) {
  const int nt = threads_for(p.M * p.N * p.K);
  if (nt > 1)
    run_parallel(eng, p, nt);
  else
    eng.run(p);
}

// The checks on op(A) and C that gemm and gemm_packed share. Leading dimensions only matter
// for non-empty operands (numpy gives empty arrays zero strides).
void check_a_and_c(const char* who, bool trans_a, int64_t M, int64_t N, int64_t K, int64_t lda,
                   int64_t ldc) {
  NVZ_CHECK(M >= 0 && N >= 0 && K >= 0, who, ": negative size M=", M, " N=", N, " K=", K);
  NVZ_CHECK(M == 0 || K == 0 || lda >= (trans_a ? M : K), who, ": lda=", lda, " too small for ",
            trans_a ? "A^T" : "A", " with M=", M, " K=", K);
  NVZ_CHECK(M == 0 || N == 0 || ldc >= N, who, ": ldc=", ldc, " < N=", N);
}

// op(X)(r, k) = X[r * rs + k * cs]
template <typename T>
gemm_detail::MatView<T> view(bool trans, const T* X, int64_t ld) {
  return {X, trans ? 1 : ld, trans ? ld : 1};
}

}  // namespace

template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc) {
  check_a_and_c("gemm", trans_a, M, N, K, lda, ldc);
  NVZ_CHECK(K == 0 || N == 0 || ldb >= (trans_b ? K : N), "gemm: ldb=", ldb, " too small for ",
            trans_b ? "B^T" : "B", " with K=", K, " N=", N);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }

  const Isa isa = cpu_isa();
  Engine<T> eng = engine_for<T>(isa);
  Problem<T> p;
  p.M = M, p.N = N, p.K = K, p.alpha = alpha, p.beta = beta;
  p.A = view(trans_a, A, lda);
  p.B = view(trans_b, B, ldb);
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
  // Few rows against op(B) = B^T (B rows contiguous in k): dot products, see gemm_kernels.inc.
  p.dot_products = p.B.rs == 1 && p.M <= gemm_detail::kDotMaxRows;
  const Engine<T> alt = row_tile_engine_for<T>(isa);
  if (row_tile_pays(eng, alt, p, isa)) eng = alt;
  run(eng, p);
}

template <typename T>
PackedB<T>::PackedB(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb)
    : K_(K), N_(N), npad_(0), isa_(cpu_isa()) {
  NVZ_CHECK(K >= 0 && N >= 0, "gemm_packed: negative size K=", K, " N=", N);
  NVZ_CHECK(K == 0 || N == 0 || ldb >= (trans_b ? K : N), "gemm_packed: ldb=", ldb,
            " too small for ", trans_b ? "B^T" : "B", " with K=", K, " N=", N);
  const Engine<T> eng = engine_for<T>(isa_);
  npad_ = (N + eng.nr - 1) / eng.nr * eng.nr;
  data_ = AlignedBuffer<T>(npad_ * K);
  if (K > 0 && N > 0) eng.pack(view(trans_b, B, ldb), K, N, data_.data());
}

template <typename T>
void gemm_packed(bool trans_a, int64_t M, T alpha, const T* A, int64_t lda, const PackedB<T>& B,
                 T beta, T* C, int64_t ldc) {
  const int64_t N = B.N_, K = B.K_;
  check_a_and_c("gemm_packed", trans_a, M, N, K, lda, ldc);
  if (M == 0 || N == 0) return;
  if (K == 0 || alpha == T(0)) {
    scale_c(M, N, beta, C, ldc);
    return;
  }
  Problem<T> p;
  p.M = M, p.N = N, p.K = K, p.alpha = alpha, p.beta = beta;
  p.A = view(trans_a, A, lda);
  p.B = {nullptr, 0, 0};
  p.C = {C, ldc, 1};
  p.dot_products = false;
  p.b_packed = B.data_.data();
  p.b_npad = B.npad_;
  run(engine_for<T>(B.isa_), p);
}

#define NVZ_INSTANTIATE(T)                                                                     \
  template void gemm<T>(bool, bool, int64_t, int64_t, int64_t, T, const T*, int64_t, const T*, \
                        int64_t, T, T*, int64_t);                                              \
  template class PackedB<T>;                                                                   \
  template void gemm_packed<T>(bool, int64_t, T, const T*, int64_t, const PackedB<T>&, T, T*,  \
                               int64_t);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

}  // namespace nvz
