// Plain data shared by the GEMM driver (gemm.cpp) and every ISA build of the engine
// (gemm_engine.h): instruction-set tags, blocking parameters, operand views, per-thread
// pack buffers. Nothing here touches SIMD types, so it is compiled once, for baseline x86-64.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace nvz::gemm_detail {

struct IsaGeneric {
  static constexpr int kVecBytes = 16;
};  // SSE2 on x86-64, NEON on arm64
struct IsaAvx2 {
  static constexpr int kVecBytes = 32;
};  // 16 ymm registers, 2 FMA ports
struct IsaAvx512 {
  static constexpr int kVecBytes = 64;
};  // 32 zmm registers

// Register tile MR x NR (NR = NV vectors) and the cache blocks around it.
//   Registers: MR*NV accumulators + NV vectors of B + 1 broadcast of A must fit the file
//   (16 for generic and AVX2, 32 for AVX-512), and MR*NV >= 8..10 independent FMAs hide
//   the 4-cycle FMA latency on 2 FMA ports.
//   KC: the KC x NR panel of B that the ir loop reuses stays in L1 next to A's MR x KC.
//   MC: the MC x KC block of packed A stays in L2 while the jr loop sweeps over it.
//   NC: the KC x NC block of packed B (L2/L3); large so B is packed once per K block.
//   Measured on Zen 3 (32 KiB L1d, 512 KiB L2): KC 192..512, MC 48..144 and NC >= 512
//   all land within 2% at the benchmark shapes; the values follow BLIS's haswell config.
template <typename T, typename Isa>
struct Blocking;

template <typename T>
struct Blocking<T, IsaGeneric> {  // without FMA a product needs a temporary register
  static constexpr int MR = 4, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<float, IsaAvx2> {  // 6 x 16, 12 accumulators (as BLIS haswell)
  static constexpr int MR = 6, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<double, IsaAvx2> {  // 6 x 8
  static constexpr int MR = 6, NV = 2, KC = 256, MC = 96, NC = 1024;
};
template <>
struct Blocking<float, IsaAvx512> {  // 12 x 32, 24 accumulators
  static constexpr int MR = 12, NV = 2, KC = 256, MC = 96, NC = 2048;
};
template <>
struct Blocking<double, IsaAvx512> {  // 12 x 16
  static constexpr int MR = 12, NV = 2, KC = 256, MC = 96, NC = 1024;
};

// Up to this many rows, a product with op(B) = B^T runs as dot products (gemm_engine.h).
constexpr int64_t kDotMaxRows = 3;

// Spare elements after a packed A block: its vectorised packing may write (and later
// overwrite) up to one vector past the last value.
constexpr size_t kPackSlack = 64;

template <typename T, typename Isa>
constexpr int tile_width() {
  return Blocking<T, Isa>::NV * Isa::kVecBytes / int(sizeof(T));
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
// dot_products: take the dot-product path (gemm_engine.h). Decided once for the whole
// product, so that thread blocks of it sum in the same order as a single thread would.
template <typename T>
struct Problem {
  int64_t M, N, K;
  T alpha, beta;
  MatView<T> A, B;
  OutView<T> C;
  bool dot_products;
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
