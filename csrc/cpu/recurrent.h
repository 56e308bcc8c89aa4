// Recurrent layers over whole sequences: Elman RNN (tanh), LSTM (gates i,f,g,o) and GRU
// (gates r,z,n with n = tanh(W_in x + b_in + r * (W_hn h + b_hn))), in PyTorch's layouts:
// x (T, N, I) time-major, h0/c0 (N, H), y (T, N, H), w_ih (G*H, I), w_hh (G*H, H),
// b_ih/b_hh (G*H) with G = 1, 4, 3.
//
// The forward fills `cache` (when non-null) with what the backward needs (gate values),
// so a layer that keeps the cache pays for the forward once. cache size in elements is
// given by *_cache_size. The backward reads x, h0 (c0), the weights, y and the cache.
#pragma once
#include <cstdint>

namespace nvz {

struct RnnShape {
  int64_t T, N, I, H;  // T may be 0 (then y is empty and h_T = h0)
};

int64_t rnn_tanh_cache_size(const RnnShape& s);
int64_t lstm_cache_size(const RnnShape& s);
int64_t gru_cache_size(const RnnShape& s);

// Outputs y, hT (and cT) are overwritten.
template <typename T>
void rnn_tanh_forward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                      const T* b_ih, const T* b_hh, T* y, T* hT, T* cache);
template <typename T>
void lstm_forward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                  const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* hT, T* cT, T* cache);
template <typename T>
void gru_forward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* hT, T* cache);

// Backpropagation through time. grad_y (T,N,H) required; grad_hT / grad_cT may be null
// (treated as zero). All gradient outputs are overwritten (not accumulated).
template <typename T>
void rnn_tanh_backward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                       const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                       T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh);
template <typename T>
void lstm_backward(const RnnShape& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                   const T* w_hh, const T* y, const T* cache, const T* grad_y, const T* grad_hT,
                   const T* grad_cT, T* gx, T* gh0, T* gc0, T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh);
template <typename T>
void gru_backward(const RnnShape& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                  const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                  T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh);

}  // namespace nvz
