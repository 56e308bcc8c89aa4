// Plain data shared by the GEMM driver (gemm.cpp) and every ISA copy of the engine
// (gemm_kernels.inc): blocking parameters per instruction set, operand views, per-thread pack
// buffers. Nothing here touches SIMD types, so it is compiled once, for baseline x86-64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <type_traits>

#include "common/isa.h"

namespace nvz::gemm_detail {

// Register tile MR x NR (NR = NV vectors) and the cache blocks around it.
//   Registers: MR*NV accumulators + NV vectors of B + 1 broadcast of A must fit the file
//   (16 for generic and AVX2, 32 for AVX-512), and MR*NV >= 8..10 independent FMAs hide
//   the 4-cycle FMA latency on 2 FMA ports.
//   KC: the KC x NR panel of B that the ir loop reuses stays in L1 next to A's MR x KC.
//   MC: the MC x KC block of packed A stays in L2 while the jr loop sweeps over it.
//   NC: the KC x NC block of packed B (L2/L3); large so B is packed once per K block.
//   Measured on Zen 3 (32 KiB L1d, 512 KiB L2): KC 192..512, MC 48..144 and NC >= 512
//   all land within 2% at the benchmark shapes; the values follow BLIS's haswell config.
template <typename T, Isa I>
struct Blocking;

template <typename T>
struct Blocking<T, Isa::generic> {  // without FMA a product needs a temporary register
  static constexpr int MR = 4, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<float, Isa::avx2> {  // 6 x 16, 12 accumulators (as BLIS haswell)
  static constexpr int MR = 6, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<double, Isa::avx2> {  // 6 x 8
  static constexpr int MR = 6, NV = 2, KC = 256, MC = 96, NC = 1024;
};
template <>
struct Blocking<float, Isa::avx512> {  // 12 x 32, 24 accumulators
  static constexpr int MR = 12, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<double, Isa::avx512> {  // 12 x 16
  static constexpr int MR = 12, NV = 2, KC = 256, MC = 96, NC = 1024;
};

// A second register tile, 8 x 48 (24 accumulators and 3 vectors of B), for AVX-512 float only
// (elsewhere it is Blocking itself and never chosen). The driver (gemm.cpp, row_tile_pays) takes
// it for a packed product whose rows fill 8-row tiles with less padding than 12-row ones: a
// layer's weight gradient dY^T X with 256 outputs has M = 256, 21 1/3 tiles of 12 rows, so 3% of
// the 12 x 32 kernel's FMAs multiply padding; with 8 x 48 tiles it ran at 0.98-0.99x MKL instead
// of 1.02-1.04x (Intel Xeon AVX-512). Where padding does not differ, 12 x 32 is the faster
// kernel (512^3: 1.01x MKL against 1.04x). KC is Blocking's, so each element sums the same K
// blocks in the same order whichever tile computes it: the two give identical bits.
template <typename T, Isa I>
struct RowTileBlocking : Blocking<T, I> {};
template <>
struct RowTileBlocking<float, Isa::avx512> {
  static constexpr int MR = 8, NV = 3, KC = Blocking<float, Isa::avx512>::KC, MC = 96, NC = 2016;
};

// Up to this many rows op(A) is read in place rather than packed (gemm_kernels.inc's small-M
// path). 6 MR was measured on Zen 3 (AVX2). On Intel AVX-512 (Xeon, 2 MB L2) in-place A still
// wins at the MLP layer's batch of 128 (11 MR = 132 rows): 3-6% on 128x784 @ 784x256 and
// 128x256 @ 256x784, against 0.97-0.99x MKL instead of 1.02-1.06x; at 256 rows it loses 10%.
template <typename T, Isa I>
constexpr int small_m_rows() {
  return (std::is_same_v<T, float> && I == Isa::avx512 ? 11 : 6) * Blocking<T, I>::MR;
}

// Up to this many rows, a product with op(B) = B^T runs as dot products (gemm_engine.h).
constexpr int64_t kDotMaxRows = 3;

// Spare elements after a packed A block: its vectorised packing may write (and later
// overwrite) up to one vector past the last value.
constexpr size_t kPackSlack = 64;

// Rows of op(B) per K block: K split into equal blocks of at most KC, rounded up to a multiple
// of 4 (K = 784 becomes 4 x 196 rather than 3 x 256 + 16: a thin last block pays a full C
// update). The engine and a pre-packed B (gemm.h) cut K alike.
constexpr int64_t balanced_block(int64_t n, int64_t max_block, int64_t unit) {
  const int64_t blocks = (n + max_block - 1) / max_block;
  const int64_t b = (n + blocks - 1) / blocks;
  return (b + unit - 1) / unit * unit;
}
template <typename T, Isa I>
constexpr int64_t k_block(int64_t K) {
  return balanced_block(K, Blocking<T, I>::KC, 4);
}

// op(X)(r, k) = p[r * rs + k * cs]: a transposed operand only swaps the two strides.
template <typename T>
struct MatView {
  const T* p;
  int64_t rs, cs;
  const T* at(int64_t r, int64_t c) const { return p + r * rs + c * cs; }
};

template <typename T>
struct OutView {
  T* p;
  int64_t rs, cs;  // cs == 1 except when the driver computes C^T = op(B)^T op(A)^T
};

// One (sub-)problem: C = alpha * A * B + beta * C with A: M x K, B: K x N; M, N, K > 0.
// dot_products: take the dot-product path (gemm_kernels.inc). Decided once for the whole
// product, so that thread blocks of it sum in the same order as a single thread would.
// b_packed: B comes pre-packed (gemm.h's PackedB) rather than through the view B: K blocks of
// k_block(K) rows, each b_npad columns (N rounded up to whole panels), panel-major, k-major
// inside a panel; this (sub-)problem's column 0 is the packed column b_col0.
template <typename T>
struct Problem {
  int64_t M, N, K;
  T alpha, beta;
  MatView<T> A, B;
  OutView<T> C;
  bool dot_products;
  const T* b_packed = nullptr;
  int64_t b_npad = 0, b_col0 = 0;
};

// One ISA's engine, as the driver sees it.
template <typename T>
struct Engine {
  void (*run)(const Problem<T>&);  // one thread's (sub-)problem
  // op(B) (K x N) into the pre-packed layout, npad(N) * K elements
  void (*pack)(const MatView<T>& B, int64_t K, int64_t N, T* dst);
  int mr, nr;   // register tile: thread blocks are cut along it; a C narrower than nr
                // is computed transposed (unless B is pre-packed)
  int small_m;  // up to this many rows op(A) is read in place (small_m_rows)
};

// Per-thread pack buffer, 64-byte aligned, grown on demand and never shrunk, so steady
// state (training loops, recurrent time steps) allocates nothing.
template <typename T>
class PackBuffer {
 public:
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { release(); }

  T* get(size_t n) {
    if (n > capacity_) {
      release();
      data_ = static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64)));
      capacity_ = n;
    }
    return data_;
  }

 private:
  void release() {
    if (data_) ::operator delete[](data_, std::align_val_t(64));
    data_ = nullptr;
    capacity_ = 0;
  }
  T* data_ = nullptr;
  size_t capacity_ = 0;
};

template <typename T>
struct Workspace {
  PackBuffer<T> a, b;
  static Workspace& for_this_thread() {
    static thread_local Workspace ws;
    return ws;
  }
};

}  // namespace nvz::gemm_detail
