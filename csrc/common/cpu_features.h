// Runtime CPU dispatch. Kernels are compiled for several instruction sets in one binary
// (via __attribute__((target(...)))) and the best one the running CPU supports is picked
// once. No -march=native: the wheel must run on any x86-64 (and non-x86) machine.
#pragma once

namespace nvz {

enum class Isa { generic = 0, avx2 = 1, avx512 = 2 };

// Best ISA this CPU supports (detected once), capped by force_isa().
Isa cpu_isa();
// Highest ISA the hardware supports, ignoring any cap.
Isa hardware_isa();
// Cap the ISA used by kernels (tests use this to exercise every code path on one machine).
// Requests above what the hardware supports are clamped to hardware_isa().
void force_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace nvz
