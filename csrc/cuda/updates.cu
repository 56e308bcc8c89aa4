// Optimizer updates on the device (elementwise.h), in place on the parameter and its state:
// SGD, momentum (heavy ball or Nesterov), Adam, RMSprop; grid-stride loops.
//
// Each is neuralviz/_native/updates.pyx's loop in its order of operations, on scalars the host
// rounded once from float64 to the dtype, so trajectories agree with the CPU's to rounding (nvcc
// may contract a multiply-add into one FMA, which the CPU build does not: the last bit may
// differ). The effective gradient d = g + wd p + l1 sign(p) is g itself when wd and l1 are both
// zero, as torch skips a zero weight decay (0 * an infinite p would turn into NaN).
#include "cuda/device.h"
#include "cuda/elementwise.h"

namespace nvz::cuda {
namespace {

// The regulariser's settings: regularise = (wd != 0 || l1 != 0), decided once on the host.
template <typename T>
struct Decay {
  T wd, l1;
  bool regularise;
};

template <typename T>
Decay<T> decay_of(T wd, T l1) {
  return Decay<T>{wd, l1, wd != T(0) || l1 != T(0)};
}

// nn_math.h's effective_grad: g + wd p + l1 sign(p), sign(0) = 0.
template <typename T>
__device__ __forceinline__ T effective_grad(T g, T p, const Decay<T>& r) {
  if (!r.regularise) return g;
  const T sign = p > T(0) ? T(1) : (p < T(0) ? T(-1) : T(0));
  return g + r.wd * p + r.l1 * sign;
}

template <typename T>
__global__ void sgd_kernel(int64_t n, T* p, const T* g, T lr, Decay<T> r) {
  NVZ_EACH(i, n) p[i] = p[i] - lr * effective_grad(g[i], p[i], r);
}

template <typename T>
__global__ void momentum_kernel(int64_t n, T* p, const T* g, T* buf, T lr, T mu, bool nesterov,
                                Decay<T> r) {
  NVZ_EACH(i, n) {
    const T d = effective_grad(g[i], p[i], r);
    const T b = buf[i] * mu + d;
    buf[i] = b;
    p[i] = p[i] - lr * (nesterov ? d + mu * b : b);
  }
}

// The two moving averages weigh the new gradient by w1 = 1 - b1 and w2 = 1 - b2; m moves as
// torch's lerp computes it (from m when the weight is below 1/2, from d otherwise); the step is
// torch's with both bias corrections folded into step_scale and eps_scaled (see updates.pyx).
template <typename T>
struct AdamRule {
  T b1, w1, b2, w2, step_scale, eps_scaled;
  bool from_m;
};

template <typename T>
__global__ void adam_kernel(int64_t n, T* p, const T* g, T* m, T* v, AdamRule<T> a, Decay<T> r) {
  NVZ_EACH(i, n) {
    const T d = effective_grad(g[i], p[i], r);
    const T mi = a.from_m ? m[i] + a.w1 * (d - m[i]) : d - (d - m[i]) * a.b1;
    const T vi = v[i] * a.b2 + a.w2 * d * d;
    m[i] = mi;
    v[i] = vi;
    p[i] = p[i] + (-a.step_scale * mi) / (sqrt_of(vi) + a.eps_scaled);
  }
}

template <typename T>
__global__ void rmsprop_kernel(int64_t n, T* p, const T* g, T* sq, T lr, T alpha, T one_minus_alpha,
                               T eps, Decay<T> r) {
  NVZ_EACH(i, n) {
    const T d = effective_grad(g[i], p[i], r);
    const T s = sq[i] * alpha + one_minus_alpha * d * d;
    sq[i] = s;
    p[i] = p[i] + (-lr * d) / (sqrt_of(s) + eps);
  }
}

}  // namespace

template <typename T>
void sgd_update(int64_t n, T* p, const T* g, T lr, T wd, T l1) {
  if (n > 0)
    NVZ_LAUNCH(sgd_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, p, g, lr,
               decay_of(wd, l1));
}

template <typename T>
void momentum_update(int64_t n, T* p, const T* g, T* buf, T lr, T mu, bool nesterov, T wd, T l1) {
  if (n > 0)
    NVZ_LAUNCH(momentum_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, p, g, buf, lr, mu,
               nesterov, decay_of(wd, l1));
}

template <typename T>
void adam_update(int64_t n, T* p, const T* g, T* m, T* v, const AdamScalars& s) {
  if (n <= 0) return;
  AdamRule<T> a;
  a.b1 = static_cast<T>(s.beta1);
  a.w1 = static_cast<T>(1 - s.beta1);  // 1 - beta1 in float64, rounded once (as updates.pyx)
  a.b2 = static_cast<T>(s.beta2);
  a.w2 = static_cast<T>(1 - s.beta2);
  a.step_scale = static_cast<T>(s.step_scale);
  a.eps_scaled = static_cast<T>(s.eps_scaled);
  a.from_m = a.w1 < T(0.5);
  const Decay<T> r = decay_of(static_cast<T>(s.weight_decay), static_cast<T>(s.l1));
  NVZ_LAUNCH(adam_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, p, g, m, v, a, r);
}

template <typename T>
void rmsprop_update(int64_t n, T* p, const T* g, T* sq, T lr, T alpha, T one_minus_alpha, T eps,
                    T wd, T l1) {
  if (n > 0)
    NVZ_LAUNCH(rmsprop_kernel<T>, dim3(each_grid(n)), dim3(EACH_THREADS), n, p, g, sq, lr, alpha,
               one_minus_alpha, eps, decay_of(wd, l1));
}

#define NVZ_INSTANTIATE(T)                                                         \
  template void sgd_update<T>(int64_t, T*, const T*, T, T, T);                     \
  template void momentum_update<T>(int64_t, T*, const T*, T*, T, T, bool, T, T);   \
  template void adam_update<T>(int64_t, T*, const T*, T*, T*, const AdamScalars&); \
  template void rmsprop_update<T>(int64_t, T*, const T*, T*, T, T, T, T, T, T);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)

}  // namespace nvz::cuda
