// Fused minibatch SGD for small fully connected networks (mlp.h).
//
// Layout: inside a step every activation is stored feature-major, (features, batch), so that
// the innermost loop of the forward pass, of the input-gradient pass and of every elementwise
// loop runs over the batch with unit stride: the compiler vectorises it, and a Playground-size
// layer (2 or 8 inputs) never has a vector loop over its tiny input width. Layers with enough
// work go through nvz::gemm instead (same layout, same formulas).
//
// The formulas and their order of operations are the layer-by-layer path's (layers/dense.py,
// layers/activations.py, losses.py, optim's sgd): the activations, losses and SGD rule come from
// common/nn_math.h, the header the layer path's Cython loops (neuralviz/_native) compile too.
// Only summation orders differ (inside the matrix products, and the loss sum, which is not fed
// back), so float64 trajectories agree to rounding.
//
// One workspace per call (no allocation inside the step loop) and no threads of our own: the
// app calls this from its training thread while the GUI thread draws.
#include "mlp.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "common/check.h"
#include "gemm.h"

namespace nvz {
namespace {

// nn_math.h (through activations.h, for the vector loads): only the baseline ISA's copy is
// used: the activations are a small part of a step, and libm's scalar tanh would otherwise be
// most of it (~25-80 ns an element). The baseline copy has no FMA, so it gives the Cython loops'
// bits.
#define NVZ_ISA_BODY "cpu/activations.h"
#include "common/isa_each.inc"
#undef NVZ_ISA_BODY
namespace vec = isa_generic;

// y[k] = f(y[k]) for a vector function f, whole vectors then one partial vector.
template <typename T, typename F>
void map_inplace(T* y, int64_t n, F f) {
  constexpr int L = vec::Simd<T>::lanes;
  int64_t k = 0;
  for (; k + L <= n; k += L) vec::vstore(y + k, f(vec::vload(y + k)));
  if (k < n) {
    const int m = static_cast<int>(n - k);
    vec::vstore_part(y + k, f(vec::vload_part(y + k, m)), m);
  }
}

// Multiply-adds of one layer product from which nvz::gemm (register-tiled, AVX2/AVX-512
// micro-kernels) beats the direct baseline-ISA loops. Measured on Zen 3 for widths 4-128 and
// batches 1-256: about even at 1-2K multiply-adds, gemm 2-5x faster from 8K on. Playground
// layers (2x8, 8x8, 8x1 at batch 10) stay on the direct loops.
constexpr int64_t kGemmMinWork = 1 << 11;

// ------------------------------------------------------------------ validation

void check_arguments(const MlpShape& s, const void* const* weights, const void* x,
                     const void* targets, const int64_t* labels, int64_t n_samples,
                     const int64_t* order, int64_t steps, int64_t batch, const void* losses_out) {
  NVZ_CHECK(s.layers >= 1 && s.sizes && s.acts, "mlp_sgd_steps: need at least one dense layer");
  for (int64_t l = 0; l <= s.layers; ++l)
    NVZ_CHECK(s.sizes[l] >= 1, "mlp_sgd_steps: layer size ", l, " is ", s.sizes[l],
              ", must be >= 1");
  for (int64_t l = 0; l < s.layers; ++l) {
    NVZ_CHECK(s.acts[l] >= 0 && s.acts[l] <= static_cast<int>(Act::leaky_relu),
              "mlp_sgd_steps: unknown activation code ", s.acts[l], " after layer ", l);
    NVZ_CHECK(weights && weights[l], "mlp_sgd_steps: weight ", l, " is null");
  }
  NVZ_CHECK(s.loss >= 0 && s.loss <= static_cast<int>(MlpLoss::cross_entropy),
            "mlp_sgd_steps: unknown loss code ", s.loss);
  NVZ_CHECK(steps >= 0 && batch >= 1, "mlp_sgd_steps: need steps >= 0 and batch >= 1, got ", steps,
            " and ", batch);
  if (steps == 0) return;
  NVZ_CHECK(n_samples >= 1 && x && order && losses_out,
            "mlp_sgd_steps: x, order and losses_out are required and n_samples >= 1");
  if (s.loss == static_cast<int>(MlpLoss::cross_entropy)) {
    NVZ_CHECK(labels, "mlp_sgd_steps: cross_entropy needs labels");
    const int64_t classes = s.sizes[s.layers];
    for (int64_t i = 0; i < n_samples; ++i)
      NVZ_CHECK(labels[i] >= 0 && labels[i] < classes, "mlp_sgd_steps: label ", labels[i],
                " at index ", i, " is outside [0, ", classes, ")");
  } else {
    NVZ_CHECK(targets, "mlp_sgd_steps: mse and bce need targets");
  }
  for (int64_t i = 0; i < steps * batch; ++i)
    NVZ_CHECK(order[i] >= 0 && order[i] < n_samples, "mlp_sgd_steps: order[", i, "] = ", order[i],
              " is not a sample index in [0, ", n_samples, ")");
}

// ------------------------------------------------------------------ dense layer, (F, B) layout

// Y (out, B) = W (out, in) X (in, B) + b, the bias added after the sum as Dense.forward does.
template <typename T>
void dense_forward(const T* __restrict__ W, const T* __restrict__ bias, const T* __restrict__ X,
                   T* __restrict__ Y, int64_t out, int64_t in, int64_t B) {
  if (out * in * B >= kGemmMinWork) {
    gemm<T>(false, false, out, B, in, T(1), W, in, X, B, T(0), Y, B);
  } else {
    for (int64_t j = 0; j < out; ++j) {
      T* __restrict__ y = Y + j * B;
      std::fill(y, y + B, T(0));
      for (int64_t i = 0; i < in; ++i) {
        const T w = W[j * in + i];
        const T* __restrict__ x = X + i * B;
        for (int64_t b = 0; b < B; ++b) y[b] += w * x[b];
      }
    }
  }
  if (bias)
    for (int64_t j = 0; j < out; ++j) {
      T* __restrict__ y = Y + j * B;
      const T bj = bias[j];
      for (int64_t b = 0; b < B; ++b) y[b] += bj;
    }
}

// dW (out, in) = dZ (out, B) X^T and db = dZ summed over the batch (written, not accumulated).
template <typename T>
void dense_param_grads(const T* __restrict__ dZ, const T* __restrict__ X, T* __restrict__ dW,
                       T* __restrict__ db, int64_t out, int64_t in, int64_t B) {
  if (out * in * B >= kGemmMinWork) {
    gemm<T>(false, true, out, in, B, T(1), dZ, B, X, B, T(0), dW, in);
  } else {
    for (int64_t j = 0; j < out; ++j) {
      const T* __restrict__ dz = dZ + j * B;
      for (int64_t i = 0; i < in; ++i) {
        const T* __restrict__ x = X + i * B;
        T s = 0;
        for (int64_t b = 0; b < B; ++b) s += dz[b] * x[b];
        dW[j * in + i] = s;
      }
    }
  }
  if (db)
    for (int64_t j = 0; j < out; ++j) {
      const T* __restrict__ dz = dZ + j * B;
      T s = 0;
      for (int64_t b = 0; b < B; ++b) s += dz[b];
      db[j] = s;
    }
}

// dX (in, B) = W^T dZ, with the weights of this step (before their update).
template <typename T>
void dense_input_grad(const T* __restrict__ W, const T* __restrict__ dZ, T* __restrict__ dX,
                      int64_t out, int64_t in, int64_t B) {
  if (out * in * B >= kGemmMinWork) {
    gemm<T>(true, false, in, B, out, T(1), W, in, dZ, B, T(0), dX, B);
    return;
  }
  std::fill(dX, dX + in * B, T(0));
  for (int64_t j = 0; j < out; ++j) {
    const T* __restrict__ dz = dZ + j * B;
    for (int64_t i = 0; i < in; ++i) {
      const T w = W[j * in + i];
      T* __restrict__ dx = dX + i * B;
      for (int64_t b = 0; b < B; ++b) dx[b] += w * dz[b];
    }
  }
}

// ------------------------------------------------------------------ activations

template <typename T>
void activation_forward(Act act, T slope, T* __restrict__ y, int64_t n) {
  switch (act) {
    case Act::identity:
      break;
    case Act::tanh:
      map_inplace(y, n, [](auto v) { return vec::vtanh(v); });
      break;
    case Act::relu:
      for (int64_t k = 0; k < n; ++k) y[k] = vec::relu(y[k]);
      break;
    case Act::sigmoid:
      map_inplace(y, n, [](auto v) { return vec::vsigmoid(v); });
      break;
    case Act::leaky_relu:
      for (int64_t k = 0; k < n; ++k) y[k] = vec::leaky_relu(y[k], slope);
      break;
  }
}

// g <- g * act'(.), from the saved output y. For leaky_relu (slope >= 0), y > 0 exactly when
// the pre-activation x > 0, so the output is enough there too.
template <typename T>
void activation_backward(Act act, T slope, const T* __restrict__ y, T* __restrict__ g, int64_t n) {
  switch (act) {
    case Act::identity:
      break;
    case Act::tanh:
      for (int64_t k = 0; k < n; ++k) g[k] = vec::tanh_grad(y[k], g[k]);
      break;
    case Act::relu:
      for (int64_t k = 0; k < n; ++k) g[k] = vec::relu_grad(y[k], g[k]);
      break;
    case Act::sigmoid:
      for (int64_t k = 0; k < n; ++k) g[k] = vec::sigmoid_grad(y[k], g[k]);
      break;
    case Act::leaky_relu:
      for (int64_t k = 0; k < n; ++k) g[k] = vec::leaky_relu_grad(y[k], slope, g[k]);
      break;
  }
}

// ------------------------------------------------------------------ losses
// Each returns the mean loss over the minibatch and writes its gradient with respect to the
// output P (C, B) into G (C, B). Row b of the minibatch is sample rows[b].

template <typename T>
double mse_loss(const T* __restrict__ P, const T* __restrict__ targets, const int64_t* rows,
                T* __restrict__ G, int64_t C, int64_t B) {
  const int64_t n = C * B;
  const T scale = vec::mean_scale<T>(n, 2.0);
  double total = 0;
  for (int64_t b = 0; b < B; ++b) {
    const T* t = targets + rows[b] * C;
    for (int64_t c = 0; c < C; ++c) {
      total += vec::mse_term(P[c * B + b], t[c]);
      G[c * B + b] = vec::mse_grad(P[c * B + b], t[c], scale);
    }
  }
  return total / static_cast<double>(n);
}

template <typename T>
double bce_loss(const T* __restrict__ P, const T* __restrict__ targets, const int64_t* rows,
                T* __restrict__ G, int64_t C, int64_t B) {
  const int64_t n = C * B;
  const double inv_n = 1.0 / static_cast<double>(n);
  double total = 0, e;
  for (int64_t b = 0; b < B; ++b) {
    const T* t = targets + rows[b] * C;
    for (int64_t c = 0; c < C; ++c) {
      const double x = P[c * B + b];
      total += vec::bce_logits_term(x, t[c], e);
      G[c * B + b] = static_cast<T>(vec::bce_logits_grad(x, t[c], e) * inv_n);
    }
  }
  return total / static_cast<double>(n);
}

// Softmax cross-entropy with integer labels, mean over the batch. Column b of P is sample b's
// logits (stride B); its exponentials and then its gradient go to the same column of G.
template <typename T>
double cross_entropy_loss(const T* __restrict__ P, const int64_t* labels, const int64_t* rows,
                          T* __restrict__ G, int64_t C, int64_t B) {
  const T inv_n = vec::mean_scale<T>(B);
  double total = 0, sum;
  for (int64_t b = 0; b < B; ++b) {
    const int64_t label = labels[rows[b]];
    total += vec::softmax_xent_row(P + b, B, C, label, G + b, sum);
    vec::softmax_xent_row_grad(G + b, B, C, label, sum, inv_n);
  }
  return total / static_cast<double>(B);
}

// ------------------------------------------------------------------ SGD update

template <typename T>
void sgd_update(T* __restrict__ p, const T* __restrict__ g, int64_t n, T lr, T wd, T l1) {
  const bool regularise = wd != 0 || l1 != 0;
  for (int64_t k = 0; k < n; ++k) p[k] = vec::sgd_step(p[k], g[k], lr, wd, l1, regularise);
}

// ------------------------------------------------------------------ the training loop

// Buffers for one call, sized once. act[l] is layer l's input (act[0]: the gathered
// minibatch, act[L]: the network output), each (sizes[l], B).
template <typename T>
struct Workspace {
  std::vector<T> storage;
  std::vector<T*> act;
  T* delta[2];  // ping-pong gradients w.r.t. layer outputs, (max width, B) each
  std::vector<T*> grad_w, grad_b;

  Workspace(const MlpShape& s, int64_t B) : act(s.layers + 1), grad_w(s.layers), grad_b(s.layers) {
    const int64_t L = s.layers;
    int64_t width = 0, total = 0;
    for (int64_t l = 0; l <= L; ++l) {
      width = std::max(width, s.sizes[l]);
      total += s.sizes[l] * B;
    }
    total += 2 * width * B;
    for (int64_t l = 0; l < L; ++l) total += s.sizes[l + 1] * (s.sizes[l] + 1);
    storage.assign(static_cast<size_t>(total), T(0));
    T* p = storage.data();
    for (int64_t l = 0; l <= L; ++l) act[l] = p, p += s.sizes[l] * B;
    delta[0] = p, p += width * B;
    delta[1] = p, p += width * B;
    for (int64_t l = 0; l < L; ++l) {
      grad_w[l] = p, p += s.sizes[l + 1] * s.sizes[l];
      grad_b[l] = p, p += s.sizes[l + 1];
    }
  }
};

// X0 (in, B) = the minibatch rows of x, transposed.
template <typename T>
void gather_inputs(const T* __restrict__ x, const int64_t* rows, T* __restrict__ X0, int64_t in,
                   int64_t B) {
  for (int64_t b = 0; b < B; ++b) {
    const T* xr = x + rows[b] * in;
    for (int64_t i = 0; i < in; ++i) X0[i * B + b] = xr[i];
  }
}

template <typename T>
double forward_and_loss(const MlpShape& s, T* const* weights, T* const* biases, const T* x,
                        const T* targets, const int64_t* labels, const int64_t* rows, int64_t B,
                        Workspace<T>& ws) {
  const int64_t L = s.layers;
  const T slope = static_cast<T>(s.leaky_slope);
  gather_inputs(x, rows, ws.act[0], s.sizes[0], B);
  for (int64_t l = 0; l < L; ++l) {
    const int64_t in = s.sizes[l], out = s.sizes[l + 1];
    dense_forward(weights[l], biases[l], ws.act[l], ws.act[l + 1], out, in, B);
    activation_forward(static_cast<Act>(s.acts[l]), slope, ws.act[l + 1], out * B);
  }
  const int64_t C = s.sizes[L];
  switch (static_cast<MlpLoss>(s.loss)) {
    case MlpLoss::mse:
      return mse_loss(ws.act[L], targets, rows, ws.delta[0], C, B);
    case MlpLoss::bce:
      return bce_loss(ws.act[L], targets, rows, ws.delta[0], C, B);
    case MlpLoss::cross_entropy:
      return cross_entropy_loss(ws.act[L], labels, rows, ws.delta[0], C, B);
  }
  return 0;  // unreachable: the loss code was validated
}

// Backward from the loss gradient in ws.delta[0], updating each layer's parameters as soon as
// the gradient of its input has been computed with its old weights.
template <typename T>
void backward_and_update(const MlpShape& s, T* const* weights, T* const* biases, int64_t B, T lr,
                         T wd, T l1, Workspace<T>& ws) {
  const T slope = static_cast<T>(s.leaky_slope);
  int cur = 0;
  for (int64_t l = s.layers - 1; l >= 0; --l) {
    const int64_t in = s.sizes[l], out = s.sizes[l + 1];
    T* dZ = ws.delta[cur];
    activation_backward(static_cast<Act>(s.acts[l]), slope, ws.act[l + 1], dZ, out * B);
    dense_param_grads(dZ, ws.act[l], ws.grad_w[l], biases[l] ? ws.grad_b[l] : nullptr, out, in, B);
    if (l > 0) dense_input_grad(weights[l], dZ, ws.delta[1 - cur], out, in, B);
    sgd_update(weights[l], ws.grad_w[l], out * in, lr, wd, l1);
    if (biases[l]) sgd_update(biases[l], ws.grad_b[l], out, lr, wd, l1);
    cur = 1 - cur;
  }
}

}  // namespace

template <typename T>
int64_t mlp_sgd_steps(const MlpShape& shape, T* const* weights, T* const* biases, const T* x,
                      const T* targets, const int64_t* labels, int64_t n_samples,
                      const int64_t* order, int64_t steps, int64_t batch, T lr, T weight_decay,
                      T l1, T* losses_out) {
  check_arguments(shape, reinterpret_cast<const void* const*>(weights), x, targets, labels,
                  n_samples, order, steps, batch, losses_out);
  if (steps == 0) return 0;
  NVZ_CHECK(biases, "mlp_sgd_steps: biases must be an array of L pointers (entries may be null)");
  Workspace<T> ws(shape, batch);
  for (int64_t step = 0; step < steps; ++step) {
    const int64_t* rows = order + step * batch;
    const double loss =
        forward_and_loss(shape, weights, biases, x, targets, labels, rows, batch, ws);
    losses_out[step] = static_cast<T>(loss);
    if (!std::isfinite(loss)) return step;  // weights untouched by this step
    backward_and_update(shape, weights, biases, batch, lr, weight_decay, l1, ws);
  }
  return steps;
}

template int64_t mlp_sgd_steps<float>(const MlpShape&, float* const*, float* const*, const float*,
                                      const float*, const int64_t*, int64_t, const int64_t*,
                                      int64_t, int64_t, float, float, float, float*);
template int64_t mlp_sgd_steps<double>(const MlpShape&, double* const*, double* const*,
                                       const double*, const double*, const int64_t*, int64_t,
                                       const int64_t*, int64_t, int64_t, double, double, double,
                                       double*);

}  // namespace nvz
