// Large elementwise activations (elementwise.h): the loops of elementwise_kernels.inc, one
// copy per instruction set, picked at run time.
#include "elementwise.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "common/cpu_features.h"

namespace nvz {
namespace elementwise {

#define NVZ_ISA_BODY "cpu/elementwise_kernels.inc"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY

}  // namespace elementwise

template <typename T>
void tanh_forward(const T* x, T* y, int64_t n) {
  using namespace elementwise;
  NVZ_ISA_RETURN(cpu_isa(), tanh_loop<T>, x, y, n);
}

template <typename T>
void sigmoid_forward(const T* x, T* y, int64_t n) {
  using namespace elementwise;
  NVZ_ISA_RETURN(cpu_isa(), sigmoid_loop<T>, x, y, n);
}

template void tanh_forward<float>(const float*, float*, int64_t);
template void tanh_forward<double>(const double*, double*, int64_t);
template void sigmoid_forward<float>(const float*, float*, int64_t);
template void sigmoid_forward<double>(const double*, double*, int64_t);

}  // namespace nvz
