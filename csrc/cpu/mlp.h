// Fused training of small fully connected networks: many minibatch SGD steps (forward,
// loss, backward, update) in one call, so Playground-size demos (2-8-8-1, batch 10) are
// not dominated by per-layer Python overhead, and the GIL is released for the whole run.
// Results match the layer-by-layer path (same formulas, same minibatch order).
#pragma once
#include <cstdint>

namespace nvz {

enum class Act : int { identity = 0, tanh = 1, relu = 2, sigmoid = 3, leaky_relu = 4 };
enum class MlpLoss : int { mse = 0, bce = 1, cross_entropy = 2 };

struct MlpShape {
  int64_t layers;        // number of dense layers L >= 1
  const int64_t* sizes;  // L + 1 sizes: input, hidden..., output
  const int* acts;       // L activations (Act) applied after each dense layer
  double leaky_slope;    // slope for Act::leaky_relu
  int loss;              // MlpLoss, applied to the last layer's activation output (logits)
};

// weights[l]: (sizes[l+1], sizes[l]) row-major as PyTorch Linear; biases[l] may be null.
// x: (n_samples, sizes[0]); targets: (n_samples, sizes[L]) for mse/bce, labels: (n_samples)
// int64 in [0, sizes[L]) for cross_entropy (the other pointer is null).
// order: steps * batch sample indices (each in [0, n_samples)); step s uses
// order[s*batch .. s*batch+batch). Plain SGD with L2 (weight_decay) and L1 added to the
// gradient, as neuralviz.optim's sgd: p -= lr * (g + wd * p + l1 * sign(p)).
// losses_out[s] receives the loss of step s before its update. Stops early and returns the
// number of steps done if a loss is not finite (the weights then hold the state before
// that step's update). Throws std::invalid_argument on inconsistent arguments.
template <typename T>
int64_t mlp_sgd_steps(const MlpShape& shape, T* const* weights, T* const* biases, const T* x,
                      const T* targets, const int64_t* labels, int64_t n_samples,
                      const int64_t* order, int64_t steps, int64_t batch, T lr, T weight_decay,
                      T l1, T* losses_out);

}  // namespace nvz
