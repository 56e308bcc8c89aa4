// Elman RNN with tanh over a whole sequence (PyTorch's layout):
//   h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)
// No cache (rnn_tanh_cache_size = 0): y holds every h_t, and tanh' = 1 - h_t^2.
#include <algorithm>

#include "gemm.h"
#include "recurrent_common.h"

namespace nvz {

using recurrent::Buffer;

template <typename T>
void rnn_tanh_forward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                      const T* b_ih, const T* b_hh, T* y, T* hT, T* /*cache*/) {
  recurrent::check_shape(s, "rnn_tanh");
  const int64_t N = s.N, H = s.H, NH = N * H;
  if (s.T == 0) {
    recurrent::copy(hT, h0, NH);
    return;
  }
  const auto& k = recurrent::kernels_for_cpu<T>();
  Buffer<T> hh(NH);  // h_{t-1} W_hh^T of the current step
  Buffer<T> bias(H);
  recurrent::add_biases(bias.data(), b_ih, b_hh, H);
  const PackedB<T> w_hh_t(/*trans_b=*/true, H, H, w_hh, H);  // W_hh^T, every step

  // y first holds the input projections; each step adds h_{t-1} W_hh^T and applies tanh.
  gemm<T>(false, true, s.T * N, H, s.I, T(1), x, s.I, w_ih, s.I, T(0), y, H);
  for (int64_t t = 0; t < s.T; ++t) {
    const T* h_prev = t ? y + (t - 1) * NH : h0;
    gemm_packed<T>(false, N, T(1), h_prev, H, w_hh_t, T(0), hh.data(), H);
    k.rnn_step({N, H, y + t * NH, hh.data(), bias.data()});
  }
  recurrent::copy(hT, y + (s.T - 1) * NH, NH);
}

template <typename T>
void rnn_tanh_backward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                       const T* y, const T* /*cache*/, const T* grad_y, const T* grad_hT, T* gx,
                       T* gh0, T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh) {
  recurrent::check_shape(s, "rnn_tanh_backward");
  const int64_t N = s.N, H = s.H, NH = N * H;
  if (s.T == 0) {
    recurrent::empty_sequence_grads(s, H, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
    return;
  }
  const auto& k = recurrent::kernels_for_cpu<T>();
  Buffer<T> da(s.T * NH);  // gradient of the pre-activations, all steps
  const PackedB<T> w_hh_p(/*trans_b=*/false, H, H, w_hh, H);  // W_hh, every step

  T* dh = gh0;  // dL/dh_t, carried backwards; ends as dL/dh0
  recurrent::copy_or_zero(dh, grad_hT, NH);
  std::fill(gb_ih, gb_ih + H, T(0));
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* da_t = da.data() + t * NH;
    k.rnn_step_back({N, H, y + t * NH, grad_y + t * NH, dh, da_t, gb_ih});
    gemm_packed<T>(false, N, T(1), da_t, H, w_hh_p, T(0), dh, H);
  }
  recurrent::copy(gb_hh, gb_ih, H);
  recurrent::input_and_weight_grads(s, H, da.data(), da.data(), x, h0, y, w_ih, gx, gw_ih, gw_hh);
}

#define NVZ_INSTANTIATE(T)                                                                       \
  template void rnn_tanh_forward<T>(const RnnShape&, const T*, const T*, const T*, const T*,     \
                                    const T*, const T*, T*, T*, T*);                             \
  template void rnn_tanh_backward<T>(const RnnShape&, const T*, const T*, const T*, const T*,    \
                                     const T*, const T*, const T*, const T*, T*, T*, T*, T*, T*, \
                                     T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

}  // namespace nvz
