// General matrix multiply on row-major storage.
#pragma once
#include <cstdint>

#include "common/aligned_buffer.h"
#include "common/isa.h"

namespace nvz {

// C[M,N] = alpha * op(A) * op(B) + beta * C, all row-major.
//   op(A) is M x K: A itself (stored M x K, row stride lda >= K) or A^T (A stored K x M, lda >= M).
//   op(B) is K x N: B itself (stored K x N, ldb >= N) or B^T (B stored N x K, ldb >= K).
// beta == 0 means C is overwritten (its old contents, even NaN, are ignored); beta == 1
// accumulates, which the backward passes use to sum gradients.
// K == 0 is allowed (C = beta * C). Threads: nvz::threads_for(M*N*K). Thread-safe.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A,
          int64_t lda, const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// op(B) packed once into the engine's panels, for many products with it (gemm_packed): a
// recurrent layer's weights, reused by every time step, pay for their packing once per
// sequence instead of once per step. Packed for the ISA of the moment (cpu_isa()); it keeps
// that ISA, so a later force_isa() does not invalidate it. Immutable after construction.
template <typename T>
class PackedB {
 public:
  // op(B) (K x N) as in gemm: B itself (stored K x N, ldb >= N) or B^T (B stored N x K).
  PackedB(bool trans_b, int64_t K, int64_t N, const T* B, int64_t ldb);
  int64_t K() const { return K_; }
  int64_t N() const { return N_; }

 private:
  template <typename U>
  friend void gemm_packed(bool, int64_t, U, const U*, int64_t, const PackedB<U>&, U, U*, int64_t);
  int64_t K_, N_, npad_;
  Isa isa_;
  AlignedBuffer<T> data_;
};

// C[M, B.N()] = alpha * op(A) * B + beta * C with B pre-packed; op(A) is M x B.K() as in gemm.
// Same results as gemm with the unpacked B up to the order of the sums in the few-row cases.
template <typename T>
void gemm_packed(bool trans_a, int64_t M, T alpha, const T* A, int64_t lda, const PackedB<T>& B,
                 T beta, T* C, int64_t ldc);

}  // namespace nvz
