// nvz::fma_peak_gflops: times the register-only FMA loop of fma_peak_kernels.inc for one ISA.
#include "fma_peak.h"

#include <time.h>

#include <algorithm>
#include <cstdint>

#include "common/check.h"
#include "common/cpu_features.h"

namespace nvz {
namespace fma_peak_detail {

#define NVZ_ISA_BODY "cpu/fma_peak_kernels.inc"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY

}  // namespace fma_peak_detail

namespace {

// This thread's CPU time in seconds: time another thread runs on the core is not counted.
double thread_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

float run_chains(Isa isa, int64_t iterations) {
  using namespace fma_peak_detail;
  NVZ_ISA_RETURN(isa, run_fma_chains, iterations);
}

double flops_per_iteration(Isa isa) {
  using namespace fma_peak_detail;
  NVZ_ISA_RETURN(isa, flops_per_iteration);
}

// A sink the optimiser cannot see through, so the loops' results are used.
volatile float g_sink;

}  // namespace

double fma_peak_gflops(Isa isa, double seconds, int repeats) {
  NVZ_CHECK(static_cast<int>(isa) <= static_cast<int>(hardware_isa()),
            "fma_peak_gflops: this CPU has no ", isa_name(isa), " (it has up to ",
            isa_name(hardware_isa()), ")");
  NVZ_CHECK(seconds > 0 && seconds <= 60, "fma_peak_gflops: seconds must be in (0, 60], got ",
            seconds);
  NVZ_CHECK(repeats >= 1 && repeats <= 1000, "fma_peak_gflops: repeats must be in [1, 1000], got ",
            repeats);
  const double chunk = seconds / repeats;
  // Calibrate the chunk's iteration count on a short warm-up (which also lets the core
  // settle into its wide-vector clock before anything is timed).
  int64_t iterations = 1 << 12;
  for (;;) {
    const double t0 = thread_seconds();
    g_sink = run_chains(isa, iterations);
    const double dt = thread_seconds() - t0;
    if (dt >= chunk / 4 || iterations >= (int64_t(1) << 40)) {
      iterations = std::max<int64_t>(1, int64_t(double(iterations) * chunk / std::max(dt, 1e-9)));
      break;
    }
    iterations *= 4;
  }
  double best = 0;
  for (int r = 0; r < repeats; ++r) {
    const double t0 = thread_seconds();
    g_sink = run_chains(isa, iterations);
    const double dt = thread_seconds() - t0;
    if (dt > 0) best = std::max(best, flops_per_iteration(isa) * double(iterations) / dt);
  }
  return best * 1e-9;
}

}  // namespace nvz
