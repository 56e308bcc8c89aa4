// Host launchers of the elementwise kernel family on device pointers: activations
// (activations.cu), losses (losses.cu) and optimizer updates (updates.cu). They mirror the CPU's
// Cython kernels (neuralviz/_native/activations.pyx, losses.pyx, updates.pyx) formula for
// formula; the bindings (bind_elementwise.cpp) check shapes and dtypes before calling them.
// Plain C++ (no CUDA types), so the pybind11 code compiled by g++ can include it.
#pragma once
#include <cstdint>

namespace nvz::cuda {

// ---- activations: n elements, an output may be its input (in place) -------------------------

enum class Activation { relu, leaky_relu, tanh, sigmoid };

// y = f(x); slope is leaky_relu's (ignored by the others).
template <typename T>
void activation_forward(Activation op, int64_t n, const T* x, T slope, T* y);
// grad_x = f'(saved) grad_y; saved is the forward output (tanh, sigmoid), the input
// (leaky_relu) or either (relu).
template <typename T>
void activation_backward(Activation op, int64_t n, const T* saved, T slope, const T* grad_y,
                         T* grad_x);

// ---- losses: each returns the loss summed in float64 (the caller divides by the count) -------
// grad may be null (loss only) or the predictions themselves (in place).

// sum of (p - t)^2; grad = T(2 / n) (p - t)
template <typename T>
double mse_sum(int64_t n, const T* pred, const T* target, T* grad);
// sum of max(x, 0) - x t + log1p(e^-|x|); grad = (sigmoid(x) - t) / n, in float64
template <typename T>
double bce_with_logits_sum(int64_t n, const T* logits, const T* targets, T* grad);

// Softmax cross-entropy over `rows` rows of `classes` logits. A label outside [0, classes) is
// reported in bad_index/bad_label (the first one by row; bad_index = -1 when all are valid), and
// then nothing is written to grad: the kernels check the device-side flag themselves, so the
// host learns of it with the one copy that brings the loss back.
struct XentResult {
  double total = 0;
  int64_t bad_index = -1;
  int64_t bad_label = 0;
};
template <typename T>
XentResult softmax_cross_entropy_sum(int64_t rows, int64_t classes, const T* logits,
                                     const int64_t* labels, T* grad);

// ---- optimizer updates, in place; scalars already rounded to T by the caller ----------------

// p -= lr (g + wd p + l1 sign(p))
template <typename T>
void sgd_update(int64_t n, T* p, const T* g, T lr, T wd, T l1);
// buf = mu buf + d; p -= lr (nesterov ? d + mu buf : buf)
template <typename T>
void momentum_update(int64_t n, T* p, const T* g, T* buf, T lr, T mu, bool nesterov, T wd, T l1);
// torch's Adam with the bias corrections folded into step_scale and eps_scaled (updates.pyx)
struct AdamScalars {
  double beta1, beta2, step_scale, eps_scaled, weight_decay, l1;
};
template <typename T>
void adam_update(int64_t n, T* p, const T* g, T* m, T* v, const AdamScalars& s);
// sq = alpha sq + (1 - alpha) d^2; p += -lr d / (sqrt(sq) + eps)
template <typename T>
void rmsprop_update(int64_t n, T* p, const T* g, T* sq, T lr, T alpha, T one_minus_alpha, T eps,
                    T wd, T l1);

}  // namespace nvz::cuda
