// The instruction sets the CPU kernels are built for, described once, and the one way a
// kernel file uses them:
//
//   1. Its vector code lives in a kernel body (cpu/*_kernels.inc), written once. The body
//      reads its ISA from the constant kIsa (and vec_bytes(kIsa), vec_registers(kIsa)).
//   2. The kernel file compiles the body once per ISA with common/isa_each.inc:
//          #define NVZ_ISA_BODY "cpu/foo_kernels.inc"
//          #include "common/isa_each.inc"
//      which puts one copy in each of the namespaces isa_generic, isa_avx2 and isa_avx512
//      (the last two only where x86 targets exist), each compiled for its ISA.
//   3. Baseline code picks a copy at run time, never at compile time (no -march=native: one
//      binary runs on AVX-512 Intel, AVX2 AMD and any other x86-64 or non-x86 CPU):
//          NVZ_ISA_RETURN(cpu_isa(), fn<T>, args...);  // return isa_<cpu_isa()>::fn<T>(args...)
//      cpu_isa() (common/cpu_features.h) only names an ISA the running CPU has.
#pragma once

namespace nvz {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

// generic: SSE2 on x86-64 (NEON on arm64), 16 xmm registers; avx2: 16 ymm, FMA;
// avx512: 32 zmm (the VL subset also gives 32 ymm).
constexpr int vec_bytes(Isa isa) {
  return isa == Isa::avx512 ? 64 : isa == Isa::avx2 ? 32 : 16;
}
constexpr int vec_registers(Isa isa) {
  return isa == Isa::avx512 ? 32 : 16;
}

}  // namespace nvz

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_ISA_X86 1
#endif

// The CPU features each x86 ISA needs, for both the compiler's target and the run-time check
// (common/cpu_features.cpp): FEATURE(name) per feature, SEP between two.
#define NVZ_ISA_FEATURES_avx2(FEATURE, SEP) FEATURE(avx2) SEP FEATURE(fma)
#define NVZ_ISA_FEATURES_avx512(FEATURE, SEP) \
  FEATURE(avx512f) SEP FEATURE(avx512bw)      \
  SEP FEATURE(avx512dq)                       \
  SEP FEATURE(avx512vl)                       \
  SEP FEATURE(fma)

// "avx2" "," "fma": the target string of an ISA.
#define NVZ_ISA_STRING(feature) #feature
#define NVZ_ISA_TARGET(isa) NVZ_ISA_FEATURES_##isa(NVZ_ISA_STRING, ",")

// return isa_<isa>::fn(args...) from the caller's namespace (see the top of this file).
#ifdef NVZ_ISA_X86
#define NVZ_ISA_RETURN(isa, fn, ...)       \
  switch (isa) {                           \
    case ::nvz::Isa::avx512:               \
      return isa_avx512::fn(__VA_ARGS__);  \
    case ::nvz::Isa::avx2:                 \
      return isa_avx2::fn(__VA_ARGS__);    \
    default:                               \
      return isa_generic::fn(__VA_ARGS__); \
  }
#else
#define NVZ_ISA_RETURN(isa, fn, ...) return (static_cast<void>(isa), isa_generic::fn(__VA_ARGS__))
#endif
