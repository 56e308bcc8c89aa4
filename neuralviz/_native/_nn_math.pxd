# cython: language_level=3
"""The activation, loss and SGD maths of csrc/common/nn_math.h, the header the C++ kernels
(the fused MLP trainer, the large elementwise kernels, the recurrent cells) compile too: one
baseline-ISA copy in namespace nvz::nn, so the layer path and the fused path share formulas.

The functions are inline templates over float/double; Cython deduces T from the arguments. Keep
float32 arithmetic in float32 at the call sites: a bare Cython literal such as 1 is a C double.
"""

from libc.stdint cimport int64_t
from libcpp cimport bool as cbool

cdef extern from * namespace "nvz::nn" nogil:
    """
    #ifndef NVZ_NN_MATH_FOR_CYTHON
    #define NVZ_NN_MATH_FOR_CYTHON
    #include <cstdint>
    #include <type_traits>
    #include <utility>
    namespace nvz {
    namespace nn {
    #include "common/nn_math.h"
    }  // namespace nn
    }  // namespace nvz
    #endif
    """
    T vtanh[T](T x)
    T vsigmoid[T](T x)
    T relu[T](T x)
    T relu_grad[T](T y_or_x, T g)
    T leaky_relu[T](T x, T slope)
    T leaky_relu_grad[T](T x, T slope, T g)
    T tanh_grad[T](T y, T g)
    T sigmoid_grad[T](T y, T g)

    T mean_scale[T](int64_t n, double numerator)
    double softmax_xent_row[T](const T* x, int64_t s, int64_t C, int64_t label, T* e, double& sum)
    void softmax_xent_row_grad[T](T* e, int64_t s, int64_t C, int64_t label, double sum, T inv_n)
    double bce_logits_term(double x, double t, double& e)
    double bce_logits_grad(double x, double t, double e)
    double mse_term[T](T p, T t)
    T mse_grad[T](T p, T t, T scale)

    T effective_grad[T](T g, T p, T wd, T l1, cbool regularise)
    T sgd_step[T](T p, T g, T lr, T wd, T l1, cbool regularise)
