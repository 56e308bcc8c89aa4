// Run-time choice of the instruction set (common/isa.h): the best one the running CPU
// supports is detected once; tests may cap it to exercise every kernel copy on one machine.
#pragma once

#include "common/isa.h"

namespace nvz {

// Best ISA this CPU supports (detected once), capped by force_isa().
Isa cpu_isa();
// Highest ISA the hardware supports, ignoring any cap.
Isa hardware_isa();
// Cap the ISA used by kernels (tests use this to exercise every code path on one machine).
// Requests above what the hardware supports are clamped to hardware_isa().
void force_isa(Isa isa);
const char* isa_name(Isa isa);

}  // namespace nvz
