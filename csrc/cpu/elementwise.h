// Large elementwise activations with runtime ISA dispatch (the tanh/sigmoid of
// common/nn_math.h, as explicit vectors). The Cython loops (neuralviz/_native/activations.pyx,
// the same maths) handle small arrays with less call overhead; these serve big ones, such as
// evaluating a network on the decision-boundary grid.
#pragma once
#include <cstdint>

namespace nvz {

template <typename T>
void tanh_forward(const T* x, T* y, int64_t n);

template <typename T>
void sigmoid_forward(const T* x, T* y, int64_t n);

}  // namespace nvz
