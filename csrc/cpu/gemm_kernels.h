// The GEMM engine: one templated code body that gemm.cpp instantiates once per instruction
// set (generic SSE2/NEON-width vectors, AVX2+FMA, AVX-512) inside target-attributed entry
// points. Everything here is force-inlined so that it is compiled with the ISA of the entry
// point that uses it (a template that is not inlined would be compiled for baseline x86-64).
//
// Algorithm: Goto/BLIS on row-major storage (research/kernels.md §1).
//   C (M x N) += op(A) (M x K) * op(B) (K x N), computed in register tiles of MR rows x NR
//   columns: vectors run along N (a row of a C tile is NV vectors), the rows of op(A) are
//   broadcast. Loops, outermost first:
//     jc over N in NC columns
//       pc over K in KC steps: pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide k-major panels
//         ic over M in MC rows: pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall k-major panels
//           jr over the NR panels of B (one stays in L1 while ...)
//             ir over the MR panels of A (... these stream from L2): the micro-kernel.
//   Transposes exist only in the pack routines; edge panels are zero-padded, so the
//   micro-kernel always computes a full MR x NR tile and only the write-back is clipped.
//
// Small-M fast path ("direct"): when op(A) has few rows, packing A is not worth it (each A
// element is used N/NR times only once per call); the micro-kernel then reads op(A) in
// place through (row, k) strides. Likewise op(B) is read in place when it is not
// transposed and M is small, so a 1 x K times K x N product touches no pack buffer except
// for a ragged last column strip.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__GNUC__) || defined(__clang__)
#define NVZ_GEMM_INLINE inline __attribute__((always_inline))
#define NVZ_GEMM_PRAGMA(x) _Pragma(#x)
#define NVZ_GEMM_UNROLL(n) NVZ_GEMM_PRAGMA(GCC unroll n)
#else
#define NVZ_GEMM_INLINE inline
#define NVZ_GEMM_UNROLL(n)
#endif

// Every function taking or returning a vector below is force-inlined into an entry point
// compiled for that vector's ISA, so the calling convention GCC warns about (-Wpsabi: "AVX
// vector return without AVX enabled changes the ABI") is never used.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

namespace nvz::gemm_detail {

// ---------------------------------------------------------------------------------------
// Instruction-set tags and per-(type, ISA) blocking parameters.
// ---------------------------------------------------------------------------------------

struct IsaGeneric { static constexpr int kVecBytes = 16; };  // SSE2 on x86-64, NEON on arm64
struct IsaAvx2 { static constexpr int kVecBytes = 32; };     // 16 ymm registers, 2 FMA ports
struct IsaAvx512 { static constexpr int kVecBytes = 64; };   // 32 zmm registers

// MR x (NV vectors) register tile and the cache blocks around it.
//   Accumulators MR*NV + NV B vectors + 1 broadcast must fit the register file
//   (16 for generic/AVX2, 32 for AVX-512), and MR*NV >= 8-10 keeps enough FMAs in flight
//   to hide the 4-cycle FMA latency on 2 ports.
//   KC: a KC x NR panel of B plus an MR x KC panel of A stay in L1 (32-48 KiB).
//   MC x KC block of A lives in L2; KC x NC block of B in L2/L3.
template <typename T, typename Isa>
struct Blocking;

template <typename T>
struct Blocking<T, IsaGeneric> {
  static constexpr int MR = 4, NV = 2, KC = 256;
  static constexpr int MC = 96, NC = 2048;
};
template <>
struct Blocking<float, IsaAvx2> {
  static constexpr int MR = 6, NV = 2, KC = 256;  // 6 x 16: 12 accumulators
  static constexpr int MC = 96, NC = 2048;
};
template <>
struct Blocking<double, IsaAvx2> {
  static constexpr int MR = 6, NV = 2, KC = 256;  // 6 x 8
  static constexpr int MC = 96, NC = 1024;
};
template <>
struct Blocking<float, IsaAvx512> {
  static constexpr int MR = 12, NV = 2, KC = 256;  // 12 x 32: 24 accumulators
  static constexpr int MC = 96, NC = 2048;
};
template <>
struct Blocking<double, IsaAvx512> {
  static constexpr int MR = 12, NV = 2, KC = 256;  // 12 x 16
  static constexpr int MC = 96, NC = 1024;
};

// ---------------------------------------------------------------------------------------
// SIMD vectors via GCC/Clang vector extensions: the same source compiles to xmm, ymm or
// zmm code depending on the ISA of the enclosing entry point. a * b + c contracts to an
// FMA where the ISA has one (GCC's default -ffp-contract=fast in C++ modes).
// ---------------------------------------------------------------------------------------

#if defined(__GNUC__) || defined(__clang__)
template <typename T, int Bytes>
struct VecType {
  typedef T type __attribute__((vector_size(Bytes)));
};
#else
// Portable fallback (e.g. MSVC): a plain array with element-wise operators.
template <typename T, int Bytes>
struct VecType {
  struct type {
    T v[Bytes / sizeof(T)];
    T& operator[](int i) { return v[i]; }
    T operator[](int i) const { return v[i]; }
    friend type operator*(type a, const type& b) {
      for (int i = 0; i < int(Bytes / sizeof(T)); ++i) a.v[i] *= b.v[i];
      return a;
    }
    friend type operator+(type a, const type& b) {
      for (int i = 0; i < int(Bytes / sizeof(T)); ++i) a.v[i] += b.v[i];
      return a;
    }
    type& operator+=(const type& b) { return *this = *this + b; }
  };
};
#endif

template <typename T, typename Isa>
struct Simd {
  using V = typename VecType<T, Isa::kVecBytes>::type;
  static constexpr int kLanes = Isa::kVecBytes / int(sizeof(T));

  static NVZ_GEMM_INLINE V zero() {
    V v;
    NVZ_GEMM_UNROLL(16)
    for (int l = 0; l < kLanes; ++l) v[l] = T(0);
    return v;
  }
  static NVZ_GEMM_INLINE V splat(T s) {
    V v;
    NVZ_GEMM_UNROLL(16)
    for (int l = 0; l < kLanes; ++l) v[l] = s;
    return v;
  }
  // Unaligned load/store (memcpy compiles to a single vmovups).
  static NVZ_GEMM_INLINE V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
  static NVZ_GEMM_INLINE void store(T* p, const V& v) { std::memcpy(p, &v, sizeof(V)); }
};

// ---------------------------------------------------------------------------------------
// Operand views. op(X)(r, k) = x[r * rs + k * cs]; a transpose only swaps the strides.
// ---------------------------------------------------------------------------------------

template <typename T>
struct MatView {
  const T* p;
  int64_t rs, cs;  // stride between rows / between columns of op(X)
  NVZ_GEMM_INLINE const T* at(int64_t r, int64_t c) const { return p + r * rs + c * cs; }
};

template <typename T>
struct OutView {
  T* p;
  int64_t rs, cs;  // cs == 1 except when gemm.cpp computes C^T = op(B)^T op(A)^T
};

// One (sub-)problem: C = alpha * A * B + beta * C with A: M x K, B: K x N.
template <typename T>
struct Problem {
  int64_t M, N, K;
  T alpha, beta;
  MatView<T> A, B;
  OutView<T> C;
};

// ---------------------------------------------------------------------------------------
// Pack buffers: per thread, 64-byte aligned, grown on demand and never shrunk, so the
// steady state (training loops, recurrent steps) allocates nothing.
// ---------------------------------------------------------------------------------------

template <typename T>
struct PackBuffer {
  T* data = nullptr;
  size_t capacity = 0;  // elements
  PackBuffer() = default;
  PackBuffer(const PackBuffer&) = delete;
  PackBuffer& operator=(const PackBuffer&) = delete;
  ~PackBuffer() { ::operator delete[](data, std::align_val_t(64)); }
  T* get(size_t n) {
    if (n > capacity) {
      ::operator delete[](data, std::align_val_t(64));
      data = nullptr;
      capacity = 0;
      data = static_cast<T*>(::operator new[](n * sizeof(T), std::align_val_t(64)));
      capacity = n;
    }
    return data;
  }
};

template <typename T>
struct Workspace {
  PackBuffer<T> a, b, edge;
  static Workspace& for_this_thread() {
    static thread_local Workspace ws;
    return ws;
  }
};

// ---------------------------------------------------------------------------------------
// Packing. Panels are k-major: element (r, k) of a panel of width W sits at [k * W + r].
// Rows/columns past the matrix edge are zero, so the micro-kernel never branches on them.
// ---------------------------------------------------------------------------------------

// op(A)[i0 : i0+mc, p0 : p0+kc] -> ceil(mc/MR) panels of MR x kc.
template <typename T, int MR>
NVZ_GEMM_INLINE void pack_a(const MatView<T>& A, int64_t i0, int64_t p0, int64_t mc, int64_t kc,
                            T* __restrict__ dst) {
  for (int64_t ip = 0; ip < mc; ip += MR, dst += MR * kc) {
    const int64_t m = std::min<int64_t>(MR, mc - ip);
    const T* src = A.at(i0 + ip, p0);
    if (A.rs == 1) {  // op(A) = stored A^T: the MR values of one k are contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const T* s = src + k * A.cs;
        for (int64_t r = 0; r < m; ++r) dst[k * MR + r] = s[r];
        for (int64_t r = m; r < MR; ++r) dst[k * MR + r] = T(0);
      }
    } else {  // rows of op(A) are contiguous in k: read MR streams, interleave
      for (int64_t r = 0; r < m; ++r) {
        const T* s = src + r * A.rs;
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = s[k * A.cs];
      }
      for (int64_t r = m; r < MR; ++r)
        for (int64_t k = 0; k < kc; ++k) dst[k * MR + r] = T(0);
    }
  }
}

// op(B)[p0 : p0+kc, j0 : j0+nc] -> ceil(nc/NR) panels of kc x NR.
template <typename T, int NR>
NVZ_GEMM_INLINE void pack_b(const MatView<T>& B, int64_t p0, int64_t j0, int64_t kc, int64_t nc,
                            T* __restrict__ dst) {
  for (int64_t jp = 0; jp < nc; jp += NR, dst += NR * kc) {
    const int64_t n = std::min<int64_t>(NR, nc - jp);
    const T* src = B.at(p0, j0 + jp);
    if (B.cs == 1) {  // op(B) = B: one k row of the panel is contiguous
      for (int64_t k = 0; k < kc; ++k) {
        const T* s = src + k * B.rs;
        if (n == NR) {
          std::memcpy(dst + k * NR, s, NR * sizeof(T));
        } else {
          for (int64_t c = 0; c < n; ++c) dst[k * NR + c] = s[c];
          for (int64_t c = n; c < NR; ++c) dst[k * NR + c] = T(0);
        }
      }
    } else {  // op(B) = stored B^T: each panel column is a contiguous row of B (a transpose)
      for (int64_t c = 0; c < n; ++c) {
        const T* s = src + c * B.cs;
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = s[k * B.rs];
      }
      for (int64_t c = n; c < NR; ++c)
        for (int64_t k = 0; k < kc; ++k) dst[k * NR + c] = T(0);
    }
  }
}

// ---------------------------------------------------------------------------------------
// Micro-kernel: acc (MR x NR) = sum_k a(:, k) b(k, :), then C = alpha * acc + beta * C on
// the m x n valid part. beta == 0 never reads C (old NaNs must not leak through).
//   A: packed (stride MR between k, 1 between rows) or in place (runtime strides).
//   B: rows of NR contiguous values, row stride rs_b (NR when packed, ldb in place).
// ---------------------------------------------------------------------------------------

template <typename T, typename Isa, int MR, int NV>
NVZ_GEMM_INLINE void write_back(typename Simd<T, Isa>::V (&acc)[MR][NV], const OutView<T>& C,
                                int64_t i0, int64_t j0, int m, int n, T alpha, T beta) {
  using S = Simd<T, Isa>;
  using V = typename S::V;
  constexpr int L = S::kLanes, NR = NV * L;
  const V va = S::splat(alpha);
  if (m == MR && n == NR && C.cs == 1) {
    T* c = C.p + i0 * C.rs + j0;
    const V vb = S::splat(beta);
    NVZ_GEMM_UNROLL(16)
    for (int i = 0; i < MR; ++i) {
      NVZ_GEMM_UNROLL(4)
      for (int j = 0; j < NV; ++j) {
        V r = acc[i][j] * va;
        if (beta != T(0)) r = S::load(c + i * C.rs + j * L) * vb + r;
        S::store(c + i * C.rs + j * L, r);
      }
    }
    return;
  }
  // Ragged or transposed tile: spill to a small buffer, then write the valid part.
  alignas(64) T tile[MR][NR];
  NVZ_GEMM_UNROLL(16)
  for (int i = 0; i < MR; ++i) {
    NVZ_GEMM_UNROLL(4)
    for (int j = 0; j < NV; ++j) S::store(&tile[i][j * L], acc[i][j] * va);
  }
  for (int i = 0; i < m; ++i) {
    T* c = C.p + (i0 + i) * C.rs + j0 * C.cs;
    if (beta == T(0)) {
      for (int j = 0; j < n; ++j) c[j * C.cs] = tile[i][j];
    } else {
      for (int j = 0; j < n; ++j) c[j * C.cs] = beta * c[j * C.cs] + tile[i][j];
    }
  }
}

// kPackedA: a points at an MR x kc packed panel; otherwise at op(A)(i0, p0) with strides
// (rs_a, cs_a) and only the first MR (template) rows are read.
template <typename T, typename Isa, int MR, int NV, bool kPackedA>
NVZ_GEMM_INLINE void micro_kernel(int64_t kc, const T* __restrict__ a, int64_t rs_a,
                                  int64_t cs_a, const T* __restrict__ b, int64_t rs_b,
                                  const OutView<T>& C, int64_t i0, int64_t j0, int m, int n,
                                  T alpha, T beta) {
  using S = Simd<T, Isa>;
  using V = typename S::V;
  constexpr int L = S::kLanes;
  if (kPackedA) {
    rs_a = 1;
    cs_a = MR;
  }
  V acc[MR][NV];
  NVZ_GEMM_UNROLL(16)
  for (int i = 0; i < MR; ++i) {
    NVZ_GEMM_UNROLL(4)
    for (int j = 0; j < NV; ++j) acc[i][j] = S::zero();
  }
  NVZ_GEMM_UNROLL(4)
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
    NVZ_GEMM_UNROLL(4)
    for (int j = 0; j < NV; ++j) bv[j] = S::load(b + j * L);
    NVZ_GEMM_UNROLL(16)
    for (int i = 0; i < MR; ++i) {
      const V ai = S::splat(a[i * rs_a]);
      NVZ_GEMM_UNROLL(4)
      for (int j = 0; j < NV; ++j) acc[i][j] += ai * bv[j];
    }
    a += cs_a;
    b += rs_b;
  }
  write_back<T, Isa, MR, NV>(acc, C, i0, j0, m, n, alpha, beta);
}

// In-place A with m < MR rows left: pick the kernel instantiated for exactly m rows.
template <typename T, typename Isa, int NV, int R>
NVZ_GEMM_INLINE void micro_kernel_rows(int m, int64_t kc, const T* a, int64_t rs_a, int64_t cs_a,
                                       const T* b, int64_t rs_b, const OutView<T>& C, int64_t i0,
                                       int64_t j0, int n, T alpha, T beta) {
  if constexpr (R >= 1) {
    if (m == R) {
      micro_kernel<T, Isa, R, NV, false>(kc, a, rs_a, cs_a, b, rs_b, C, i0, j0, R, n, alpha,
                                         beta);
      return;
    }
    micro_kernel_rows<T, Isa, NV, R - 1>(m, kc, a, rs_a, cs_a, b, rs_b, C, i0, j0, n, alpha,
                                         beta);
  }
}

// ---------------------------------------------------------------------------------------
// The blocked driver for one thread's (sub-)problem. K > 0, M > 0, N > 0 here.
// ---------------------------------------------------------------------------------------

// Heuristics (measured, see bench/matmul.py): with this few rows, packing A costs more
// than the strided reads it saves; with this few rows, B panels are reused too little to
// pay for packing them unless B must be transposed anyway.
template <typename T, typename Isa>
struct Strategy {
  using Cfg = Blocking<T, Isa>;
  static NVZ_GEMM_INLINE bool pack_a(const Problem<T>& p) { return p.M > 2 * Cfg::MR; }
  static NVZ_GEMM_INLINE bool pack_b(const Problem<T>& p) {
    return p.B.cs != 1 || p.M > 4 * Cfg::MR;
  }
};

template <typename T, typename Isa>
NVZ_GEMM_INLINE void gemm_blocked(const Problem<T>& p) {
  using Cfg = Blocking<T, Isa>;
  constexpr int MR = Cfg::MR, NV = Cfg::NV, NR = NV * Simd<T, Isa>::kLanes;
  constexpr int64_t KC = Cfg::KC, MC = Cfg::MC, NC = Cfg::NC;

  const bool packed_a = Strategy<T, Isa>::pack_a(p);
  const bool packed_b = Strategy<T, Isa>::pack_b(p);
  Workspace<T>& ws = Workspace<T>::for_this_thread();
  const int64_t kc_max = std::min<int64_t>(KC, p.K);
  T* bbuf = packed_b ? ws.b.get(size_t(kc_max) * ((std::min<int64_t>(NC, p.N) + NR - 1) / NR * NR))
                     : ws.edge.get(size_t(kc_max) * NR);
  T* abuf = packed_a ? ws.a.get(size_t(kc_max) * ((std::min<int64_t>(MC, p.M) + MR - 1) / MR * MR))
                     : nullptr;

  for (int64_t jc = 0; jc < p.N; jc += NC) {
    const int64_t nc = std::min<int64_t>(NC, p.N - jc);
    for (int64_t pc = 0; pc < p.K; pc += KC) {
      const int64_t kc = std::min<int64_t>(KC, p.K - pc);
      const T beta = pc == 0 ? p.beta : T(1);  // later K blocks accumulate onto the first
      const int64_t n_full = packed_b ? nc : nc / NR * NR;
      if (packed_b)
        pack_b<T, NR>(p.B, pc, jc, kc, nc, bbuf);
      else if (n_full < nc)  // in-place B: only the ragged last strip needs zero padding
        pack_b<T, NR>(p.B, pc, jc + n_full, kc, nc - n_full, bbuf);

      for (int64_t ic = 0; ic < p.M; ic += MC) {
        const int64_t mc = std::min<int64_t>(MC, p.M - ic);
        if (packed_a) pack_a<T, MR>(p.A, ic, pc, mc, kc, abuf);

        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int n = int(std::min<int64_t>(NR, nc - jr));
          const T* b;
          int64_t rs_b;
          if (packed_b) {
            b = bbuf + jr * kc;
            rs_b = NR;
          } else if (jr < n_full) {
            b = p.B.at(pc, jc + jr);
            rs_b = p.B.rs;
          } else {
            b = bbuf;
            rs_b = NR;
          }
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int m = int(std::min<int64_t>(MR, mc - ir));
            if (packed_a) {
              micro_kernel<T, Isa, MR, NV, true>(kc, abuf + ir * kc, 1, MR, b, rs_b, p.C,
                                                 ic + ir, jc + jr, m, n, p.alpha, beta);
            } else {
              const T* a = p.A.at(ic + ir, pc);
              if (m == MR)
                micro_kernel<T, Isa, MR, NV, false>(kc, a, p.A.rs, p.A.cs, b, rs_b, p.C,
                                                    ic + ir, jc + jr, m, n, p.alpha, beta);
              else
                micro_kernel_rows<T, Isa, NV, MR - 1>(m, kc, a, p.A.rs, p.A.cs, b, rs_b, p.C,
                                                      ic + ir, jc + jr, n, p.alpha, beta);
            }
          }
        }
      }
    }
  }
}

}  // namespace nvz::gemm_detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
