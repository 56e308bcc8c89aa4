// GRU over a whole sequence, gates r, z, n (PyTorch's "reset after" form):
//   r = sigmoid(x W_ir^T + b_ir + h W_hr^T + b_hr),  z likewise
//   n = tanh(x W_in^T + b_in + r * (h W_hn^T + b_hn))      b_hn stays inside r * (...)
//   h_t = (1 - z) n + z h_{t-1}
//
// Cache (gru_cache_size = T*N*4H elements):
//   gates (T, N, 3H): r, z, n after the non-linearities
//   hn    (T, N, H):  h_{t-1} W_hn^T + b_hn
#include <algorithm>

#include "../common/check.h"
#include "gemm.h"
#include "recurrent_common.h"

namespace nvz {

using recurrent::Buffer;

template <typename T>
void gru_forward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* hT, T* cache) {
  recurrent::check_shape(s, "gru");
  const int64_t N = s.N, H = s.H, G = 3 * H, NH = N * H;
  if (s.T == 0) {
    recurrent::copy(hT, h0, NH);
    return;
  }
  const auto& k = recurrent::kernels_for_cpu<T>();
  Buffer<T> scratch(cache ? 0 : gru_cache_size(s));  // same layout as the cache
  T* gates = cache ? cache : scratch.data();
  T* hn = gates + s.T * N * G;
  Buffer<T> hh(N * G);                                       // h_{t-1} W_hh^T of the current step
  const PackedB<T> w_hh_t(/*trans_b=*/true, H, G, w_hh, H);  // W_hh^T, every step

  // The hidden projection cannot be added into the input projection as in the LSTM: its
  // n part is multiplied by r first. So it goes to its own buffer every step.
  gemm<T>(false, true, s.T * N, G, s.I, T(1), x, s.I, w_ih, s.I, T(0), gates, G);
  for (int64_t t = 0; t < s.T; ++t) {
    const T* h_prev = t ? y + (t - 1) * NH : h0;
    gemm_packed<T>(false, N, T(1), h_prev, H, w_hh_t, T(0), hh.data(), G);
    k.gru_step({N, H, gates + t * N * G, hh.data(), b_ih, b_hh, h_prev, hn + t * NH, y + t * NH});
  }
  recurrent::copy(hT, y + (s.T - 1) * NH, NH);
}

template <typename T>
void gru_backward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                  const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                  T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh) {
  recurrent::check_shape(s, "gru_backward");
  const int64_t N = s.N, H = s.H, G = 3 * H, NH = N * H;
  if (s.T == 0) {
    recurrent::empty_sequence_grads(s, G, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
    return;
  }
  NVZ_CHECK(cache != nullptr, "gru_backward: the forward cache is required");
  const auto& k = recurrent::kernels_for_cpu<T>();
  const T* gates = cache;
  const T* hn = cache + s.T * N * G;
  // Gradients of the input projection (x W_ih^T + b_ih) and of the hidden projection
  // (h W_hh^T + b_hh): they differ in the n part, which r scales on the hidden side only.
  Buffer<T> dgi(s.T * N * G), dgh(s.T * N * G);
  const PackedB<T> w_hh_p(/*trans_b=*/false, G, H, w_hh, H);  // W_hh, every step

  T* dh = gh0;  // dL/dh_t, carried backwards; ends as dL/dh0
  recurrent::copy_or_zero(dh, grad_hT, NH);
  std::fill(gb_ih, gb_ih + G, T(0));
  std::fill(gb_hh, gb_hh + G, T(0));
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* dgi_t = dgi.data() + t * N * G;
    T* dgh_t = dgh.data() + t * N * G;
    const T* h_prev = t ? y + (t - 1) * NH : h0;
    k.gru_step_back({N, H, gates + t * N * G, hn + t * NH, h_prev, grad_y + t * NH, dh, dgi_t,
                     dgh_t, gb_ih, gb_hh});
    // dL/dh_{t-1} = dh_t * z (left in dh by the step kernel) + dgh_t W_hh
    gemm_packed<T>(false, N, T(1), dgh_t, G, w_hh_p, T(1), dh, H);
  }
  recurrent::input_and_weight_grads(s, G, dgi.data(), dgh.data(), x, h0, y, w_ih, gx, gw_ih, gw_hh);
}

#define NVZ_INSTANTIATE(T)                                                                         \
  template void gru_forward<T>(const RnnShape&, const T*, const T*, const T*, const T*, const T*,  \
                               const T*, T*, T*, T*);                                              \
  template void gru_backward<T>(const RnnShape&, const T*, const T*, const T*, const T*, const T*, \
                                const T*, const T*, const T*, T*, T*, T*, T*, T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

}  // namespace nvz
