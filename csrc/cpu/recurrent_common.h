// Internals shared by rnn_tanh.cpp, lstm.cpp and gru.cpp (not a public header).
//
// The RNN and GRU forwards are: one GEMM for the input projection of all T steps, then a
// time loop of { GEMM h_{t-1} W_hh^T into a small, cache-hot buffer, fused gate kernel that
// adds it to step t's input projection }. (Accumulating the GEMM straight into the big
// projection buffer made every register tile's epilogue wait on cold cache lines: the LSTM
// forward took 2.5x longer.) The LSTM's step GEMM takes x_t too (where I <= H), [x_t | h_{t-1}]
// times [W_ih | W_hh]^T packed once, so its gate kernel reads only cache-hot pre-activations
// (its T-long projection buffer outgrows L2 at T50 N32 H128; 4-8% off the forward; the GRU
// cannot, its n gate keeps the two projections apart). Each backward is the time loop in
// reverse { fused gate-gradient kernel, GEMM dG_t W_hh } followed by one GEMM each for dX,
// dW_ih and dW_hh over all T*N rows (the LSTM's dX mostly comes out of its step GEMM
// instead: BackStepGemm).
//
// Every product is nvz::gemm's (gemm.h); W_hh, used at every step, is packed once per call
// (nvz::PackedB) and each step runs nvz::gemm_packed on it. The gate kernels are compiled
// once per instruction set (recurrent_kernels.inc, through common/isa_each.inc in
// recurrent.cpp) and reached through a RecurrentKernels table chosen by nvz::cpu_isa() at
// the start of each call. The time loops themselves are plain C++ here.
#pragma once
#include <cstdint>

#include "common/aligned_buffer.h"
#include "gemm.h"
#include "recurrent.h"

namespace nvz {
namespace recurrent {

// ---- per-step kernel arguments ---------------------------------------------------------
// Row-major matrices; "(N, 4H)" means N rows of 4H contiguous values.

// h = tanh(h + hh + bias), in place. h: (N, H) input projection x W_ih^T in, hidden
// state out.
template <typename T>
struct RnnStep {
  int64_t N, H;
  T* h;
  const T* hh;    // (N, H) h_prev W_hh^T
  const T* bias;  // (H) b_ih + b_hh
};

// da = (dh + grad_y) * (1 - h^2); db += sum over rows of da.
template <typename T>
struct RnnStepBack {
  int64_t N, H;
  const T* h;       // (N, H) forward output h_t
  const T* grad_y;  // (N, H) upstream gradient on y_t
  const T* dh;      // (N, H) dL/dh_t through h_{t+1}
  T* da;            // (N, H) out: gradient of the pre-activation
  T* db;            // (H) accumulated
};

// gates: (N, 4H) out, the activations i, f, g, o of pre (+ xp) + bias. c = f*c_prev + i*g,
// h = o*tanh(c).
template <typename T>
struct LstmStep {
  int64_t N, H;
  T* gates;
  const T* pre;   // (N, 4H) h_prev W_hh^T, plus x_t W_ih^T where xp is null
  const T* xp;    // (N, 4H) x_t W_ih^T, or null; may be gates itself
  const T* bias;  // (4H) b_ih + b_hh
  const T* c_prev;
  T* c;
  T* h;
};

// From dh (+ grad_y) and dc at step t: dgates (N, 4H) = gradient of the pre-activations,
// dc becomes dL/dc_{t-1} (in place), db += column sums of dgates.
template <typename T>
struct LstmStepBack {
  int64_t N, H;
  const T* gates;   // (N, 4H) i, f, g, o at step t
  const T* c;       // (N, H) c_t
  const T* c_prev;  // (N, H) c_{t-1}
  const T* grad_y;  // (N, H)
  const T* dh;      // (N, H) dL/dh_t through step t+1
  T* dc;            // (N, H) in: dL/dc_t, out: dL/dc_{t-1}
  T* dgates;        // (N, 4H) out
  T* db;            // (4H) accumulated
};

// r = s(xr + hr + b_ir + b_hr), z likewise, hn = hh_n + b_hn, n = tanh(xn + b_in + r*hn),
// h = (1 - z)*n + z*h_prev. gates: (N, 3H) input projection x W_ih^T (no bias) in,
// r, z, n out (in place). hh: (N, 3H) h_prev W_hh^T (no bias).
template <typename T>
struct GruStep {
  int64_t N, H;
  T* gates;
  const T* hh;
  const T* b_ih;
  const T* b_hh;
  const T* h_prev;
  T* hn;  // (N, H) out: W_hn h_prev + b_hn, needed by the backward
  T* h;   // (N, H) out
};

// dgi = gradient of x W_ih^T + b_ih = [dar | daz | dan], dgh = gradient of h W_hh^T + b_hh =
// [dar | daz | dan*r]; dh is replaced by (dh + grad_y) * z, the part of dL/dh_{t-1} that does
// not go through W_hh (the caller then adds dgh W_hh).
template <typename T>
struct GruStepBack {
  int64_t N, H;
  const T* gates;   // (N, 3H) r, z, n
  const T* hn;      // (N, H)
  const T* h_prev;  // (N, H)
  const T* grad_y;  // (N, H)
  T* dh;            // (N, H) in: dL/dh_t through step t+1; out: see above
  T* dgi;           // (N, 3H) out
  T* dgh;           // (N, 3H) out
  T* db_ih;         // (3H) accumulated
  T* db_hh;         // (3H) accumulated
};

// One instruction set's kernels.
template <typename T>
struct RecurrentKernels {
  void (*rnn_step)(const RnnStep<T>&);
  void (*rnn_step_back)(const RnnStepBack<T>&);
  void (*lstm_step)(const LstmStep<T>&);
  void (*lstm_step_back)(const LstmStepBack<T>&);
  void (*gru_step)(const GruStep<T>&);
  void (*gru_step_back)(const GruStepBack<T>&);
};

// The kernels for nvz::cpu_isa() (looked up on every call, so force_isa takes effect).
template <typename T>
const RecurrentKernels<T>& kernels_for_cpu();

// ---- workspace -----------------------------------------------------------------------

// Uninitialised, 64-byte aligned scratch memory; one allocation per buffer per call.
template <typename T>
using Buffer = AlignedBuffer<T>;

// ---- helpers used by all three cells -------------------------------------------------

// Every size must be non-negative (the Python layer checks the rest before the call).
void check_shape(const RnnShape& s, const char* who);

template <typename T>
void copy(T* dst, const T* src, int64_t n);
template <typename T>
void copy_or_zero(T* dst, const T* src, int64_t n);  // src may be null

// dst (rows, na + nb), row stride na + nb = [a | b]: row r is a's row r (na values) then b's
// row r (nb values); a and b are dense. Stacks x_t beside h_{t-1} (and W_ih beside W_hh) so
// that one GEMM per step computes both projections.
template <typename T>
void stack_columns(T* dst, const T* a, int64_t na, const T* b, int64_t nb, int64_t rows);

// b[j] = b_ih[j] + b_hh[j], j < n.
template <typename T>
void add_biases(T* b, const T* b_ih, const T* b_hh, int64_t n);

// After the time loop: gx = dA_ih W_ih, gw_ih = dA_ih^T X, gw_hh = dA_hh^T H_prev with
// H_prev = [h0; y_0 .. y_{T-2}], where dA_* are the (T*N, G*H) gradients of the input and
// hidden projections (the same array for RNN and LSTM). gx null: the caller computed it (see
// BackStepGemm). Requires s.T >= 1.
template <typename T>
void input_and_weight_grads(const RnnShape& s, int64_t GH, const T* dA_ih, const T* dA_hh,
                            const T* x, const T* h0, const T* y, const T* w_ih, T* gx, T* gw_ih,
                            T* gw_hh);

// Whether the LSTM's step GEMMs take the input along: the forward's [x_t | h_{t-1}] (while
// I <= H; a wide input made the forward 6-15% slower at I784 H128) and the backward's
// [W_hh | W_ih] (BackStepGemm: while I <= H and the I extra columns cost the step GEMM less
// padding than 3 I columns, i.e. less than the separate dX GEMM at a third of the speed).
bool stack_input_forward(const RnnShape& s);
bool stack_input_backward(const RnnShape& s);

// The LSTM's backward step GEMM (usable wherever the input and hidden projections share one
// gradient dA_t, as in the RNN): dA_t [W_hh | W_ih] gives dL/dh_{t-1} and dL/dx_t at once
// (N = H + I). That costs the per-step GEMM a panel of columns but saves the dX GEMM after
// the loop, which for a narrow I swaps its operands and transposes all of dA while packing:
// 5-7% off the LSTM backward at T50 N32 I16 H128; for the RNN (G = 1) it measured even.
template <typename T>
class BackStepGemm {
 public:
  BackStepGemm(const RnnShape& s, int64_t GH, const T* w_ih, const T* w_hh);
  // dh (N, H) = dA_t W_hh and gx_t (N, I) = dA_t W_ih; dA_t is (N, GH).
  void run(const T* dA_t, T* dh, T* gx_t);

 private:
  int64_t N_, H_, I_, GH_;
  PackedB<T> w_;
  Buffer<T> out_;  // (N, H + I)
};

// T == 0 backward: gh0 = grad_hT (or 0), weight and bias gradients 0, gx empty.
template <typename T>
void empty_sequence_grads(const RnnShape& s, int64_t GH, const T* grad_hT, T* gh0, T* gw_ih,
                          T* gw_hh, T* gb_ih, T* gb_hh);

}  // namespace recurrent
}  // namespace nvz
