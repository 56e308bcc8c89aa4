// A probe of the machine's floating-point peak, one core: the yardstick the GEMM benchmark
// divides by, so "% of peak" is measured on the running CPU (its clock under AVX-512 load,
// its FMA ports), not read from a data sheet.
#pragma once

#include "common/isa.h"

namespace nvz {

// Best float32 GFLOP/s (2 flops per lane of a multiply-add) over `repeats` timed chunks of
// about `seconds` / repeats each, of a loop of independent register multiply-adds in `isa`'s
// widest vectors, counted in this thread's CPU time (a loaded machine's preemptions do not
// count). Raises (nvz::Error) for an ISA the CPU lacks or a non-positive duration.
double fma_peak_gflops(Isa isa, double seconds = 0.2, int repeats = 10);

}  // namespace nvz
