// Elementwise activations and their gradients on the device (elementwise.h): relu, leaky_relu,
// tanh, sigmoid, forward and backward, as grid-stride loops over the flat buffer.
//
// The rules are the CPU's (csrc/common/nn_math.h, used by neuralviz/_native/activations.pyx)
// with the same selects and order of operations, so NaN and inf behave alike: relu passes NaN
// through, a derivative of 0 masks an inf upstream gradient. Only tanh and the exponential come
// from the device's libm (tanhf/expf, within 2 ulp) instead of nn_math's polynomials, so the
// transcendental ones agree to rounding, not bit for bit. Outputs may alias their inputs (in
// place), hence no __restrict__.
#include "cuda/device.h"
#include "cuda/elementwise.h"

namespace nvz::cuda {
namespace {

// The float or double function of the dtype: a bare exp() on a float would not say which.

// Each rule: forward(x, slope) and backward(saved, slope, grad_y), as nn_math.h writes them.
struct Relu {
  template <typename T>
  __device__ static T forward(T x, T) {
    return x <= T(0) ? T(0) : x;  // NaN fails the test and passes through, as torch.relu
  }
  template <typename T>
  __device__ static T backward(T y_or_x, T, T g) {
    return y_or_x > T(0) ? g : T(0);  // a select, so an inf g stays masked where x <= 0
  }
};

struct LeakyRelu {
  template <typename T>
  __device__ static T forward(T x, T slope) {
    return x > T(0) ? x : x * slope;
  }
  template <typename T>
  __device__ static T backward(T x, T slope, T g) {
    return x > T(0) ? g : g * slope;  // the slope applies at 0, as torch
  }
};

struct Tanh {
  template <typename T>
  __device__ static T forward(T x, T) {
    return tanh_of(x);
  }
  template <typename T>
  __device__ static T backward(T y, T, T g) {
    return g * (T(1) - y * y);  // from the saved output, in torch's order
  }
};

struct Sigmoid {
  // e = e^-|x|, then (x < 0 ? e : 1) / (1 + e): neither tail cancels or overflows, tiny
  // outputs keep their relative accuracy, NaN propagates.
  template <typename T>
  __device__ static T forward(T x, T) {
    const T e = exp_of(x < T(0) ? x : -x);
    return (x < T(0) ? e : T(1)) / (T(1) + e);
  }
  template <typename T>
  __device__ static T backward(T y, T, T g) {
    return g * (T(1) - y) * y;
  }
};

template <typename T, typename Rule>
__global__ void forward_kernel(int64_t n, const T* x, T slope, T* y) {
  NVZ_EACH(i, n) y[i] = Rule::forward(x[i], slope);
}

template <typename T, typename Rule>
__global__ void backward_kernel(int64_t n, const T* saved, T slope, const T* gy, T* gx) {
  NVZ_EACH(i, n) gx[i] = Rule::backward(saved[i], slope, gy[i]);
}

template <typename Rule, typename T>
void launch_forward(int64_t n, const T* x, T slope, T* y) {
  auto kernel = forward_kernel<T, Rule>;  // named through an alias: the comma (device.h)
  NVZ_LAUNCH(kernel, dim3(each_grid(n)), dim3(EACH_THREADS), n, x, slope, y);
}

template <typename Rule, typename T>
void launch_backward(int64_t n, const T* saved, T slope, const T* gy, T* gx) {
  auto kernel = backward_kernel<T, Rule>;
  NVZ_LAUNCH(kernel, dim3(each_grid(n)), dim3(EACH_THREADS), n, saved, slope, gy, gx);
}

}  // namespace

template <typename T>
void activation_forward(Activation op, int64_t n, const T* x, T slope, T* y) {
  if (n <= 0) return;
  switch (op) {
    case Activation::relu:
      return launch_forward<Relu>(n, x, slope, y);
    case Activation::leaky_relu:
      return launch_forward<LeakyRelu>(n, x, slope, y);
    case Activation::tanh:
      return launch_forward<Tanh>(n, x, slope, y);
    case Activation::sigmoid:
      return launch_forward<Sigmoid>(n, x, slope, y);
  }
}

template <typename T>
void activation_backward(Activation op, int64_t n, const T* saved, T slope, const T* grad_y,
                         T* grad_x) {
  if (n <= 0) return;
  switch (op) {
    case Activation::relu:
      return launch_backward<Relu>(n, saved, slope, grad_y, grad_x);
    case Activation::leaky_relu:
      return launch_backward<LeakyRelu>(n, saved, slope, grad_y, grad_x);
    case Activation::tanh:
      return launch_backward<Tanh>(n, saved, slope, grad_y, grad_x);
    case Activation::sigmoid:
      return launch_backward<Sigmoid>(n, saved, slope, grad_y, grad_x);
  }
}

#define NVZ_INSTANTIATE(T)                                                   \
  template void activation_forward<T>(Activation, int64_t, const T*, T, T*); \
  template void activation_backward<T>(Activation, int64_t, const T*, T, const T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)

}  // namespace nvz::cuda
