// Recurrences over whole sequences on device pointers (Elman RNN with tanh, LSTM, GRU), the
// CUDA counterparts of csrc/cpu/recurrent.h with the same layouts and formulas (PyTorch's):
// x (T, N, I) time-major, h0/c0 (N, H), y (T, N, H), w_ih (G*H, I), w_hh (G*H, H),
// b_ih/b_hh (G*H), G = 1 (RNN), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n, with b_hn inside
// the reset product).
//
// Each forward is one GEMM for the input projection of all T steps, then per step a tile kernel
// that computes h_{t-1} W_hh^T and applies the gate math in its epilogue: all T steps in one
// cooperative launch where the grid fits the GPU (NVZ_RNN_PERSISTENT=0: one launch per step),
// or, with NVZ_RNN_FUSED=0 in the environment, read per call, one GEMM and one gate kernel per
// step. Each backward runs per step (in reverse) the tile work for step t+1's dL/dh_t =
// dGates W_hh and step t's gate gradients (again one launch for all steps, one per step, or a
// gate-gradient kernel and a GEMM), then one GEMM each for gx, gw_ih and gw_hh over all T*N rows
// and column sums for the bias gradients (deterministic: no atomics). See recurrent.cu for the
// kernels and launch counts.
//
// Caches (written by the forward, read only by the backward; same layout as the CPU's):
//   RNN  : nothing (size 0): y holds every h_t and tanh' = 1 - h_t^2
//   LSTM : gates (T, N, 4H) i, f, g, o after the non-linearities, then cells (T, N, H) c_t
//   GRU  : gates (T, N, 3H) r, z, n after the non-linearities, then hn (T, N, H) =
//          h_{t-1} W_hn^T + b_hn
// The forward always needs the cache's memory (the bindings pass scratch of that size when
// the caller wants no cache) plus `work` of *_forward_work elements; the backward needs
// `work` of *_backward_work elements. All outputs are overwritten, never accumulated.
#pragma once
#include <cstdint>

namespace nvz::cuda {

struct RnnDims {
  int64_t T, N, I, H;  // T may be 0: y is empty and h_T = h0; N, I, H >= 1
};

int64_t rnn_tanh_cache_size(const RnnDims& s);
int64_t lstm_cache_size(const RnnDims& s);
int64_t gru_cache_size(const RnnDims& s);
int64_t rnn_tanh_forward_work(const RnnDims& s);
int64_t lstm_forward_work(const RnnDims& s);
int64_t gru_forward_work(const RnnDims& s);
int64_t rnn_tanh_backward_work(const RnnDims& s);
int64_t lstm_backward_work(const RnnDims& s);
int64_t gru_backward_work(const RnnDims& s);

template <typename T>
void rnn_tanh_forward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                      const T* b_ih, const T* b_hh, T* y, T* hT, T* cache, T* work);
template <typename T>
void lstm_forward(const RnnDims& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                  const T* w_hh, const T* b_ih, const T* b_hh, T* y, T* hT, T* cT, T* cache,
                  T* work);
template <typename T>
void gru_forward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                 const T* b_ih, const T* b_hh, T* y, T* hT, T* cache, T* work);

// grad_hT / grad_cT may be null (zero).
template <typename T>
void rnn_tanh_backward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                       const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                       T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh, T* work);
template <typename T>
void lstm_backward(const RnnDims& s, const T* x, const T* h0, const T* c0, const T* w_ih,
                   const T* w_hh, const T* y, const T* cache, const T* grad_y, const T* grad_hT,
                   const T* grad_cT, T* gx, T* gh0, T* gc0, T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh,
                   T* work);
template <typename T>
void gru_backward(const RnnDims& s, const T* x, const T* h0, const T* w_ih, const T* w_hh,
                  const T* y, const T* cache, const T* grad_y, const T* grad_hT, T* gx, T* gh0,
                  T* gw_ih, T* gw_hh, T* gb_ih, T* gb_hh, T* work);

}  // namespace nvz::cuda
