#include "elementwise.h"

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "../common/cpu_features.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define NVZ_ELEMENTWISE_X86 1
#endif

namespace nvz {
namespace elementwise {

// One copy of activations.h (common/nn_math.h's maths on that ISA's vectors) and of the loops
// below per instruction set. The tail uses a partial load/store, so no element is processed
// twice and no scalar libm call remains.
#define NVZ_ELEMENTWISE_LOOP(NAME, VFN)                          \
  template <typename T>                                          \
  NVZ_TARGET void NAME(const T* x, T* y, int64_t n) {            \
    constexpr int L = Simd<T>::lanes;                            \
    int64_t i = 0;                                               \
    for (; i + L <= n; i += L) vstore(y + i, VFN(vload(x + i))); \
    if (i < n) {                                                 \
      const int m = static_cast<int>(n - i);                     \
      vstore_part(y + i, VFN(vload_part(x + i, m)), m);          \
    }                                                            \
  }
#define NVZ_ELEMENTWISE_LOOPS            \
  NVZ_ELEMENTWISE_LOOP(tanh_loop, vtanh) \
  NVZ_ELEMENTWISE_LOOP(sigmoid_loop, vsigmoid)

namespace isa_generic {
#define NVZ_TARGET
#define VEC_BYTES 16
#include "activations.h"
NVZ_ELEMENTWISE_LOOPS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_generic

#ifdef NVZ_ELEMENTWISE_X86
namespace isa_avx2 {
#define NVZ_TARGET __attribute__((target("avx2,fma")))
#define VEC_BYTES 32
#include "activations.h"
NVZ_ELEMENTWISE_LOOPS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_avx2

namespace isa_avx512 {
#define NVZ_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))
#define VEC_BYTES 64
#include "activations.h"
NVZ_ELEMENTWISE_LOOPS
#undef VEC_BYTES
#undef NVZ_TARGET
}  // namespace isa_avx512
#endif

}  // namespace elementwise

template <typename T>
void tanh_forward(const T* x, T* y, int64_t n) {
#ifdef NVZ_ELEMENTWISE_X86
  switch (cpu_isa()) {
    case Isa::avx512:
      return elementwise::isa_avx512::tanh_loop(x, y, n);
    case Isa::avx2:
      return elementwise::isa_avx2::tanh_loop(x, y, n);
    default:
      break;
  }
#endif
  elementwise::isa_generic::tanh_loop(x, y, n);
}

template <typename T>
void sigmoid_forward(const T* x, T* y, int64_t n) {
#ifdef NVZ_ELEMENTWISE_X86
  switch (cpu_isa()) {
    case Isa::avx512:
      return elementwise::isa_avx512::sigmoid_loop(x, y, n);
    case Isa::avx2:
      return elementwise::isa_avx2::sigmoid_loop(x, y, n);
    default:
      break;
  }
#endif
  elementwise::isa_generic::sigmoid_loop(x, y, n);
}

template void tanh_forward<float>(const float*, float*, int64_t);
template void tanh_forward<double>(const double*, double*, int64_t);
template void sigmoid_forward<float>(const float*, float*, int64_t);
template void sigmoid_forward<double>(const double*, double*, int64_t);

}  // namespace nvz
