// LSTM over a whole sequence, gates i, f, g, o (PyTorch's layout and formulas):
//   a = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,  i, f, o = sigmoid(.), g = tanh(.)
//   c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
//
// Cache (lstm_cache_size = T*N*5H elements):
//   gates (T, N, 4H): i, f, g, o after the non-linearities
//   cells (T, N, H):  c_t
// The backward recomputes tanh(c_t) rather than storing it (one vector tanh per element is
// cheaper than the extra memory traffic), with the same function as the forward.
#include <algorithm>
#include <optional>

#include "../common/check.h"
#include "gemm.h"
#include "recurrent_common.h"

namespace nvz {

using recurrent::Buffer;

template <typename T>
void lstm_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                  const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* hT, T* cT, T* cache) {
  recurrent::check_shape(s, "lstm");
  const int64_t N = s.N, H = s.H, G = 4 * H, NH = N * H;
  if (s.T == 0) {
    recurrent::copy(hT, h0, NH);
    recurrent::copy(cT, c0, NH);
    return;
  }
  const auto& k = recurrent::kernels_for_cpu<T>();
  Buffer<T> scratch(cache ? 0 : lstm_cache_size(s));  // same layout as the cache
  T* gates = cache ? cache : scratch.data();
  T* cells = gates + s.T * N * G;
  Buffer<T> bias(G);
  recurrent::add_biases(bias.data(), b_ih, b_hh, G);

  // With a narrow input each step is one GEMM [x_t | h_{t-1}] [W_ih | W_hh]^T (K = I + H) into
  // a small, cache-hot buffer: the input projection of all steps up front leaves every step's
  // slice of it cold by the time the gate kernel reads it, and costs a GEMM pass of its own.
  // A wide input (I > H) is projected up front; then the kernel adds step t's slice (xp).
  const bool stacked = recurrent::stack_input_forward(s);
  const int64_t K = stacked ? s.I + H : H;
  Buffer<T> xh(stacked ? N * K : 0);  // [x_t | h_{t-1}], one row per batch row
  Buffer<T> pre(N * G);               // the step's GEMM: pre-activations less bias (and xp)
  const PackedB<T> w_t = [&] {
    if (!stacked) return PackedB<T>(/*trans_b=*/true, H, G, w_hh, H);
    Buffer<T> w(G * K);
    recurrent::stack_columns(w.data(), w_ih, s.I, w_hh, H, G);
    return PackedB<T>(/*trans_b=*/true, K, G, w.data(), K);
  }();
  if (!stacked) gemm<T>(false, true, s.T * N, G, s.I, T(1), x, s.I, w_ih, s.I, T(0), gates, G);
  for (int64_t t = 0; t < s.T; ++t) {
    const T* h_prev = t ? y + (t - 1) * NH : h0;
    const T* c_prev = t ? cells + (t - 1) * NH : c0;
    T* gates_t = gates + t * N * G;
    if (stacked) recurrent::stack_columns(xh.data(), x + t * N * s.I, s.I, h_prev, H, N);
    gemm_packed<T>(false, N, T(1), stacked ? xh.data() : h_prev, K, w_t, T(0), pre.data(), G);
    k.lstm_step({N, H, gates_t, pre.data(), stacked ? nullptr : gates_t, bias.data(), c_prev,
                 cells + t * NH, y + t * NH});
  }
  recurrent::copy(hT, y + (s.T - 1) * NH, NH);
  recurrent::copy(cT, cells + (s.T - 1) * NH, NH);
}

template <typename T>
void lstm_backward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                   const T* w_hh, const T* y, const T* cache, const T* grad_y, const T* grad_hT,
                   const T* grad_cT, T* gx, T* gh0, T* gc0, T* gw_ih, T* gw_hh, T* gb_ih,
                   T* gb_hh) {
  recurrent::check_shape(s, "lstm_backward");
  const int64_t N = s.N, H = s.H, G = 4 * H, NH = N * H;
  if (s.T == 0) {
    recurrent::empty_sequence_grads(s, G, grad_hT, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
    recurrent::copy_or_zero(gc0, grad_cT, NH);
    return;
  }
  NVZ_CHECK(cache != nullptr, "lstm_backward: the forward cache is required");
  const auto& k = recurrent::kernels_for_cpu<T>();
  const T* gates = cache;
  const T* cells = cache + s.T * N * G;
  Buffer<T> dgates(s.T * N * G);
  // dL/dh_{t-1} = dG_t W_hh each step; with a narrow input dL/dx_t = dG_t W_ih comes with it.
  const bool stacked = recurrent::stack_input_backward(s);
  std::optional<recurrent::BackStepGemm<T>> step_gemm;  // [W_hh | W_ih]
  std::optional<PackedB<T>> w_hh_p;                     // W_hh
  if (stacked)
    step_gemm.emplace(s, G, w_ih, w_hh);
  else
    w_hh_p.emplace(/*trans_b=*/false, G, H, w_hh, H);

  // gh0 / gc0 carry dL/dh_t and dL/dc_t backwards through the loop and end as dL/dh0, dL/dc0.
  T* dh = gh0;
  T* dc = gc0;
  recurrent::copy_or_zero(dh, grad_hT, NH);
  recurrent::copy_or_zero(dc, grad_cT, NH);
  std::fill(gb_ih, gb_ih + G, T(0));
  for (int64_t t = s.T - 1; t >= 0; --t) {
    T* dgates_t = dgates.data() + t * N * G;
    k.lstm_step_back({N, H, gates + t * N * G, cells + t * NH, t ? cells + (t - 1) * NH : c0,
                      grad_y + t * NH, dh, dc, dgates_t, gb_ih});
    if (stacked)
      step_gemm->run(dgates_t, dh, gx + t * N * s.I);
    else
      gemm_packed<T>(false, N, T(1), dgates_t, G, *w_hh_p, T(0), dh, H);
  }
  recurrent::copy(gb_hh, gb_ih, G);  // both biases enter a identically
  recurrent::input_and_weight_grads<T>(s, G, dgates.data(), dgates.data(), x, h0, y, w_ih,
                                       stacked ? nullptr : gx, gw_ih, gw_hh);
}

#define NVZ_INSTANTIATE(T)                                                                         \
  template void lstm_forward<T>(const RnnShape&, const T*, const T*, const T*, const T*, const T*, \
                                const T*, const T*, T*, T*, T*, T*);                               \
  template void lstm_backward<T>(const RnnShape&, const T*, const T*, const T*, const T*,          \
                                 const T*, const T*, const T*, const T*, const T*, const T*, T*,   \
                                 T*, T*, T*, T*, T*, T*);
NVZ_INSTANTIATE(float)
NVZ_INSTANTIATE(double)
#undef NVZ_INSTANTIATE

}  // namespace nvz
