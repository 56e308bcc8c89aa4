#include "cpu_features.h"

#include <atomic>

namespace nvz {
namespace {

Isa detect() {
#ifdef NVZ_ISA_X86
#define NVZ_CPU_HAS(feature) __builtin_cpu_supports(#feature)
  __builtin_cpu_init();
  if (NVZ_ISA_FEATURES_avx512(NVZ_CPU_HAS, &&)) return Isa::avx512;
  if (NVZ_ISA_FEATURES_avx2(NVZ_CPU_HAS, &&)) return Isa::avx2;
#undef NVZ_CPU_HAS
#endif
  return Isa::generic;
}

std::atomic<int> g_cap{static_cast<int>(Isa::avx512)};

}  // namespace

Isa hardware_isa() {
  static const Isa isa = detect();
  return isa;
}

Isa cpu_isa() {
  int hw = static_cast<int>(hardware_isa());
  int cap = g_cap.load(std::memory_order_relaxed);
  return static_cast<Isa>(hw < cap ? hw : cap);
}

void force_isa(Isa isa) {
  g_cap.store(static_cast<int>(isa), std::memory_order_relaxed);
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::avx512:
      return "avx512";
    case Isa::avx2:
      return "avx2";
    default:
      return "generic";
  }
}

}  // namespace nvz
