// The only C++ file that includes pybind11: it turns numpy arrays into raw pointers and
// shapes for the kernels in csrc/cpu/, allocates outputs, and releases the GIL while the
// kernels run (so the app's GUI thread keeps drawing while a worker thread trains).
//
// Arrays are taken strictly: exact dtype, C-contiguous, no implicit conversion (noconvert),
// so float64 is never silently downcast. neuralviz/ops.py does the friendly validation and
// makes contiguous copies; the checks here guarantee memory safety for direct callers.
//
// Size rule (issue 14): every size, stride, padding, dilation and product of them that a
// kernel uses is computed here in overflow-checked 64-bit arithmetic (common/checked.h)
// before any allocation or loop; sizes that the kernels loop over must be backed by the
// buffers passed (no loop of 2^40 empty steps); and a call whose outputs plus workspace
// exceed the machine's physical memory is refused. Each refusal is a ValueError naming the
// argument and its value. The checks are O(1) per call, except where a kernel reads indices
// (pool indices, labels, minibatch order), which are checked once, O(n), before it runs.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "common/check.h"
#include "common/checked.h"
#include "common/conv_shape.h"
#include "common/cpu_features.h"
#include "common/matmul_shape.h"
#include "common/parallel.h"
#include "common/pool_shape.h"
#include "cpu/conv.h"
#include "cpu/conv_transpose.h"
#include "cpu/elementwise.h"
#include "cpu/fma_peak.h"
#include "cpu/gemm.h"
#include "cpu/linear.h"
#include "cpu/mlp.h"
#include "cpu/pool.h"
#include "cpu/recurrent.h"

namespace py = pybind11;
using nvz::fail;
using nvz::pool_shape;
using nvz::Size;

namespace {

template <typename T>
using Arr = py::array_t<T, py::array::c_style>;

template <typename T>
Arr<T> empty(std::vector<py::ssize_t> shape) {
  return Arr<T>(shape);
}

// "(2, 3, 8, 8)", for messages.
std::string shape_text(const py::ssize_t* dims, size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + (n == 1 ? ",)" : ")");
}

std::string shape_of(const py::array& a) {
  return shape_text(a.shape(), static_cast<size_t>(a.ndim()));
}

template <typename T>
void expect_shape(const char* fn, const char* name, const Arr<T>& a,
                  std::vector<py::ssize_t> shape) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  for (size_t i = 0; ok && i < shape.size(); ++i) ok = a.shape(i) == shape[i];
  if (!ok)
    fail(fn, ": ", name, " must have shape ", shape_text(shape.data(), shape.size()),
         " but has shape ", shape_of(a));
}

template <typename T>
const T* opt_ptr(const std::optional<Arr<T>>& a) {
  return a ? a->data() : nullptr;
}

// ---------------------------------------------------------------- matmul
template <typename T>
Arr<T> matmul(const Arr<T>& a, const Arr<T>& b, bool ta, bool tb) {
  NVZ_CHECK(a.ndim() == 2 && b.ndim() == 2, "matmul: a and b must be 2-D");
  const auto shape =
      nvz::matmul_shape("matmul", a.shape(0), a.shape(1), b.shape(0), b.shape(1), ta, tb);
  nvz::check_matmul_result("matmul", shape, sizeof(T));
  const auto [M, N, K] = shape;
  auto c = empty<T>({M, N});
  {
    py::gil_scoped_release nogil;
    nvz::gemm<T>(ta, tb, M, N, K, T(1), a.data(), a.shape(1), b.data(), b.shape(1), T(0),
                 c.mutable_data(), N);
  }
  return c;
}

// Dense layer forward y = x w^T + b (csrc/cpu/linear.cpp).
template <typename T>
Arr<T> linear_forward(const Arr<T>& x, const Arr<T>& w, const std::optional<Arr<T>>& b) {
  NVZ_CHECK(x.ndim() == 2 && w.ndim() == 2, "linear_forward: x and w must be 2-D");
  const int64_t M = x.shape(0), K = x.shape(1), N = w.shape(0);
  NVZ_CHECK(w.shape(1) == K, "linear_forward: x has ", K, " features but w expects ", w.shape(1));
  if (b) expect_shape("linear_forward", "b", *b, {N});
  NVZ_CHECKED(Size(M) * N * K, "linear_forward: the work of x.shape=", shape_of(x),
              " and w.shape=", shape_of(w));
  NVZ_CHECK_MEMORY("linear_forward", Size(M) * N, sizeof(T), "the result of shape (", M, ", ", N,
                   ")");
  auto y = empty<T>({M, N});
  if (M == 0 || N == 0) return y;  // the kernel would loop over M rows of nothing
  T* yp = y.mutable_data();
  const T* bp = opt_ptr(b);
  {
    py::gil_scoped_release nogil;
    nvz::linear_forward<T>(x.data(), w.data(), bp, yp, M, N, K);
  }
  return y;
}

// In-place C = alpha op(A) op(B) + beta C; exposes the full kernel contract to tests.
template <typename T>
void gemm_inplace(bool ta, bool tb, T alpha, const Arr<T>& a, const Arr<T>& b, T beta, Arr<T> c) {
  NVZ_CHECK(a.ndim() == 2 && b.ndim() == 2 && c.ndim() == 2, "gemm_: a, b, c must be 2-D");
  const auto [M, N, K] =
      nvz::matmul_shape("gemm_", a.shape(0), a.shape(1), b.shape(0), b.shape(1), ta, tb);
  NVZ_CHECK(c.shape(0) == M && c.shape(1) == N, "gemm_: c must be (", M, ", ", N, ")");
  T* cp = c.mutable_data();
  py::gil_scoped_release nogil;
  nvz::gemm<T>(ta, tb, M, N, K, alpha, a.data(), a.shape(1), b.data(), b.shape(1), beta, cp, N);
}

// ---------------------------------------------------------------- convolution
std::string conv_text(const nvz::Conv2dShape& s) {
  std::ostringstream os;
  os << "x.shape=(" << s.N << ", " << s.C << ", " << s.H << ", " << s.W << "), w.shape=(" << s.OC
     << ", " << s.C << ", " << s.KH << ", " << s.KW << "), stride=(" << s.SH << ", " << s.SW
     << "), padding=(" << s.PH << ", " << s.PW << "), dilation=(" << s.DH << ", " << s.DW << ")";
  return os.str();
}

// The geometry of a conv2d call: the padded input H + 2p, the dilated kernel extent
// d(k - 1) + 1, the output size and the work, all in checked 64-bit arithmetic.
template <typename T>
nvz::Conv2dShape conv_shape(const char* fn, const Arr<T>& x, const Arr<T>& w, int64_t sh,
                            int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  NVZ_CHECK(x.ndim() == 4 && w.ndim() == 4, fn, ": x and w must be 4-D, got x.shape=", shape_of(x),
            " and w.shape=", shape_of(w));
  const int64_t N = x.shape(0), C = x.shape(1), H = x.shape(2), W = x.shape(3);
  const int64_t OC = w.shape(0), KH = w.shape(2), KW = w.shape(3);
  NVZ_CHECK(w.shape(1) == C, fn, ": x has ", C, " channels but w expects ", w.shape(1),
            " (x.shape=", shape_of(x), ", w.shape=", shape_of(w), ")");
  NVZ_CHECK(C >= 1 && H >= 1 && W >= 1, fn,
            ": x must have positive C, H, W, got x.shape=", shape_of(x));
  NVZ_CHECK(OC >= 1 && KH >= 1 && KW >= 1, fn,
            ": w must have positive sizes, got w.shape=", shape_of(w));
  NVZ_CHECK(sh >= 1 && sw >= 1, fn, ": stride must be >= 1, got (", sh, ", ", sw, ")");
  NVZ_CHECK(ph >= 0 && pw >= 0, fn, ": padding must be >= 0, got (", ph, ", ", pw, ")");
  NVZ_CHECK(dh >= 1 && dw >= 1, fn, ": dilation must be >= 1, got (", dh, ", ", dw, ")");
  const auto out =
      nvz::conv_output(fn, {N, C, H, W}, {OC, w.shape(1), KH, KW}, sh, sw, ph, pw, dh, dw);
  const nvz::Conv2dShape s{N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, out.OH, out.OW};
  NVZ_CHECKED(Size(N) * OC * s.OH * s.OW * C * KH * KW, fn,
              ": the work N*C_out*H_out*W_out*C*kH*kW of ", conv_text(s));
  return s;
}

// The geometry the kernels get. A stride beyond the padded input leaves one output row (or
// column) whatever its value, so the kernels get at most H + 2p: the same result, and their
// stride * row-length products stay within the buffer sizes checked here.
nvz::Conv2dShape kernel_geometry(nvz::Conv2dShape s) {
  s.SH = std::min(s.SH, s.H + 2 * s.PH);
  s.SW = std::min(s.SW, s.W + 2 * s.PW);
  return s;
}

// An upper bound on the scratch elements csrc/cpu/conv.cpp allocates in one call: per thread
// the largest of its passes (direct forward: a zero-padded image and a flattened output;
// im2col: the patch matrix; direct grad x: the padded grad_y and a flattened output; direct
// grad w: padded chunks of images and grad_y rows, and lane-wide partial sums), times its
// threads (at most one per image), plus per-call tables. Keep in step with conv.cpp.
Size conv_workspace(const nvz::Conv2dShape& s, int64_t elem_bytes) {
  if (s.N == 0) return 0;  // nothing runs
  constexpr int64_t kSlack = 64, kLanes = 16, kChunkBytes = 128 << 10;
  const Size Wp = s.W + 2 * Size(s.PW), image = Size(s.C) * (s.H + 2 * Size(s.PH)) * Wp;
  const Size weights = Size(s.OC) * s.C * s.KH * s.KW;
  const Size Wb = s.OW + 2 * (Size(s.DW) * (s.KW - 1));
  const Size Hb = s.OH + 2 * (Size(s.DH) * (s.KH - 1));
  const Size forward_direct = image + kSlack + Size(s.OC) * s.OH * Wp;
  const Size im2col = Size(s.C) * s.KH * s.KW * s.OH * s.OW;
  const Size grad_x_direct = Size(s.OC) * Hb * Wb + kSlack + Size(s.C) * s.H * Wb;
  const Size grad_w_direct =
      max(image + Size(s.OC) * s.OH * (s.OW + kLanes), kChunkBytes / elem_bytes) + kSlack +
      kLanes * weights;
  // the flat grad-x path: the W^T gY product (OC + C·KH·KW rows of OH·Wp) before its taps are added
  const Size grad_x_flat = (Size(s.OC) + Size(s.C) * s.KH * s.KW) * s.OH * Wp + image;
  const Size per_thread =
      max(max(forward_direct, im2col), max(max(grad_x_direct, grad_x_flat), grad_w_direct));
  const int64_t threads = std::min<int64_t>(nvz::num_threads(), s.N);
  return per_thread * threads + 4 * (weights + s.OH + s.H + s.KW);
}

template <typename T>
Arr<T> conv2d(const Arr<T>& x, const Arr<T>& w, const std::optional<Arr<T>>& b, int64_t sh,
              int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const auto s = conv_shape("conv2d", x, w, sh, sw, ph, pw, dh, dw);
  if (b) expect_shape("conv2d", "b", *b, {w.shape(0)});
  NVZ_CHECK_MEMORY("conv2d", Size(s.N) * s.OC * s.OH * s.OW + conv_workspace(s, sizeof(T)),
                   sizeof(T), "the output and workspace for ", conv_text(s));
  auto y = empty<T>({s.N, s.OC, s.OH, s.OW});
  T* yp = y.mutable_data();
  const T* bp = opt_ptr(b);
  {
    py::gil_scoped_release nogil;
    nvz::conv2d_forward<T>(kernel_geometry(s), x.data(), w.data(), bp, yp);
  }
  return y;
}

template <typename T>
py::tuple conv2d_backward(const Arr<T>& x, const Arr<T>& w, const Arr<T>& gy, int64_t sh,
                          int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool need_gx,
                          bool need_gw, bool need_gb) {
  const auto s = conv_shape("conv2d_backward", x, w, sh, sw, ph, pw, dh, dw);
  expect_shape("conv2d_backward", "grad_y", gy, {s.N, s.OC, s.OH, s.OW});
  NVZ_CHECK_MEMORY("conv2d_backward", x.size() + w.size() + s.OC + conv_workspace(s, sizeof(T)),
                   sizeof(T), "the gradients and workspace for ", conv_text(s));
  py::object gx = py::none(), gw = py::none(), gb = py::none();
  T *gxp = nullptr, *gwp = nullptr, *gbp = nullptr;
  if (need_gx) {
    auto a = empty<T>({s.N, s.C, s.H, s.W});
    gxp = a.mutable_data();
    gx = a;
  }
  if (need_gw) {
    auto a = empty<T>({s.OC, s.C, s.KH, s.KW});
    gwp = a.mutable_data();
    gw = a;
  }
  if (need_gb) {
    auto a = empty<T>({s.OC});
    gbp = a.mutable_data();
    gb = a;
  }
  {
    py::gil_scoped_release nogil;
    nvz::conv2d_backward<T>(kernel_geometry(s), x.data(), w.data(), gy.data(), gxp, gwp, gbp);
  }
  return py::make_tuple(gx, gw, gb);
}

// ---------------------------------------------------------------- transposed convolution
std::string conv_transpose_text(const nvz::ConvTranspose2dShape& s) {
  std::ostringstream os;
  os << "x.shape=(" << s.N << ", " << s.C << ", " << s.H << ", " << s.W << "), w.shape=(" << s.C
     << ", " << s.OC << ", " << s.KH << ", " << s.KW << "), stride=(" << s.SH << ", " << s.SW
     << "), padding=(" << s.PH << ", " << s.PW << "), output_padding=(" << s.OPH << ", " << s.OPW
     << "), dilation=(" << s.DH << ", " << s.DW << ")";
  return os.str();
}

// The geometry of a conv_transpose2d call, in checked 64-bit arithmetic: the output size
// (H - 1)*s - 2p + d(k - 1) + op + 1, the adjoint convolution's padded input and the work.
template <typename T>
nvz::ConvTranspose2dShape conv_transpose_shape(const char* fn, const Arr<T>& x, const Arr<T>& w,
                                               int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                               int64_t oph, int64_t opw, int64_t dh, int64_t dw) {
  NVZ_CHECK(x.ndim() == 4 && w.ndim() == 4, fn, ": x and w must be 4-D, got x.shape=", shape_of(x),
            " and w.shape=", shape_of(w));
  const int64_t N = x.shape(0), C = x.shape(1), H = x.shape(2), W = x.shape(3);
  const int64_t OC = w.shape(1), KH = w.shape(2), KW = w.shape(3);
  NVZ_CHECK(w.shape(0) == C, fn, ": x has ", C, " channels but w expects ", w.shape(0),
            " (x.shape=", shape_of(x), ", w.shape=", shape_of(w), ")");
  NVZ_CHECK(C >= 1 && H >= 1 && W >= 1, fn,
            ": x must have positive C, H, W, got x.shape=", shape_of(x));
  NVZ_CHECK(OC >= 1 && KH >= 1 && KW >= 1, fn,
            ": w must have positive sizes, got w.shape=", shape_of(w));
  NVZ_CHECK(sh >= 1 && sw >= 1, fn, ": stride must be >= 1, got (", sh, ", ", sw, ")");
  NVZ_CHECK(ph >= 0 && pw >= 0, fn, ": padding must be >= 0, got (", ph, ", ", pw, ")");
  NVZ_CHECK(dh >= 1 && dw >= 1, fn, ": dilation must be >= 1, got (", dh, ", ", dw, ")");
  NVZ_CHECK(oph >= 0 && opw >= 0 && (oph < sh || oph < dh) && (opw < sw || opw < dw), fn,
            ": output_padding (", oph, ", ", opw, ") must be >= 0 and smaller than either stride (",
            sh, ", ", sw, ") or dilation (", dh, ", ", dw, ")");
  nvz::ConvTranspose2dShape s{N, C, H, W, OC, KH, KW, sh, sw, ph, pw, oph, opw, dh, dw, 0, 0};
  s.OH = NVZ_CHECKED((H - 1) * Size(sh) + Size(dh) * (KH - 1) + (oph + 1) - 2 * Size(ph), fn,
                     ": the output height of ", conv_transpose_text(s));
  s.OW = NVZ_CHECKED((W - 1) * Size(sw) + Size(dw) * (KW - 1) + (opw + 1) - 2 * Size(pw), fn,
                     ": the output width of ", conv_transpose_text(s));
  NVZ_CHECK(s.OH >= 1 && s.OW >= 1, fn, ": the output size (", s.OH, ", ", s.OW,
            ") is not positive for ", conv_transpose_text(s));
  NVZ_CHECKED((s.OH + 2 * Size(ph)) * (s.OW + 2 * Size(pw)), fn, ": the padded output plane of ",
              conv_transpose_text(s));
  NVZ_CHECKED(Size(N) * C * s.OH * s.OW * OC * KH * KW, fn,
              ": the work N*C_in*H_out*W_out*C_out*kH*kW of ", conv_transpose_text(s));
  return s;
}

// conv2d's workspace for the adjoint convolution (stride 1), or the batched path's col matrix
// and two channel-major copies over a chunk of at most max(512, OH*OW) columns (strided),
// plus x extended or grad x uncropped when output_padding >= stride
// (csrc/cpu/conv_transpose.cpp). Keep in step with it.
Size conv_transpose_workspace(const nvz::ConvTranspose2dShape& s, int64_t elem_bytes) {
  const nvz::Conv2dShape c = nvz::conv_transpose_adjoint(s);
  const Size columns = std::max<int64_t>(512, c.OH * c.OW);
  const Size batched = (Size(s.OC) * s.KH * s.KW + 2 * Size(s.C)) * columns;
  return max(conv_workspace(c, elem_bytes), batched) + Size(s.N) * s.C * c.OH * c.OW;
}

template <typename T>
Arr<T> conv_transpose2d(const Arr<T>& x, const Arr<T>& w, const std::optional<Arr<T>>& b,
                        int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t oph, int64_t opw,
                        int64_t dh, int64_t dw) {
  const char* fn = "conv_transpose2d";
  const auto s = conv_transpose_shape(fn, x, w, sh, sw, ph, pw, oph, opw, dh, dw);
  if (b) expect_shape(fn, "b", *b, {s.OC});
  NVZ_CHECK_MEMORY(fn, Size(s.N) * s.OC * s.OH * s.OW + conv_transpose_workspace(s, sizeof(T)),
                   sizeof(T), "the output and workspace for ", conv_transpose_text(s));
  auto y = empty<T>({s.N, s.OC, s.OH, s.OW});
  T* yp = y.mutable_data();
  const T* bp = opt_ptr(b);
  {
    py::gil_scoped_release nogil;
    nvz::conv_transpose2d_forward<T>(s, x.data(), w.data(), bp, yp);
  }
  return y;
}

template <typename T>
py::tuple conv_transpose2d_backward(const Arr<T>& x, const Arr<T>& w, const Arr<T>& gy, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw, int64_t oph, int64_t opw,
                                    int64_t dh, int64_t dw, bool need_gx, bool need_gw,
                                    bool need_gb) {
  const char* fn = "conv_transpose2d_backward";
  const auto s = conv_transpose_shape(fn, x, w, sh, sw, ph, pw, oph, opw, dh, dw);
  expect_shape(fn, "grad_y", gy, {s.N, s.OC, s.OH, s.OW});
  NVZ_CHECK_MEMORY(fn, x.size() + w.size() + s.OC + conv_transpose_workspace(s, sizeof(T)),
                   sizeof(T), "the gradients and workspace for ", conv_transpose_text(s));
  py::object gx = py::none(), gw = py::none(), gb = py::none();
  T *gxp = nullptr, *gwp = nullptr, *gbp = nullptr;
  if (need_gx) {
    auto a = empty<T>({s.N, s.C, s.H, s.W});
    gxp = a.mutable_data();
    gx = a;
  }
  if (need_gw) {
    auto a = empty<T>({s.C, s.OC, s.KH, s.KW});
    gwp = a.mutable_data();
    gw = a;
  }
  if (need_gb) {
    auto a = empty<T>({s.OC});
    gbp = a.mutable_data();
    gb = a;
  }
  {
    py::gil_scoped_release nogil;
    nvz::conv_transpose2d_backward<T>(s, x.data(), w.data(), gy.data(), gxp, gwp, gbp);
  }
  return py::make_tuple(gx, gw, gb);
}

// ---------------------------------------------------------------- pooling

template <typename T>
py::tuple max_pool2d(const Arr<T>& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw) {
  NVZ_CHECK(x.ndim() == 4, "max_pool2d: x must be 4-D, got x.shape=", shape_of(x));
  auto s = pool_shape("max_pool2d", x.shape(0), x.shape(1), x.shape(2), x.shape(3), kh, kw, sh, sw,
                      ph, pw);
  NVZ_CHECK_MEMORY("max_pool2d", Size(s.N) * s.C * s.OH * s.OW, sizeof(T) + sizeof(int64_t),
                   "the output and indices of shape (", s.N, ", ", s.C, ", ", s.OH, ", ", s.OW,
                   ")");
  auto y = empty<T>({s.N, s.C, s.OH, s.OW});
  auto idx = empty<int64_t>({s.N, s.C, s.OH, s.OW});
  T* yp = y.mutable_data();
  int64_t* ip = idx.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::max_pool2d_forward<T>(s, x.data(), yp, ip);
  }
  return py::make_tuple(y, idx);
}

template <typename T>
Arr<T> max_pool2d_backward(const Arr<T>& gy, const Arr<int64_t>& idx, int64_t H, int64_t W) {
  const char* fn = "max_pool2d_backward";
  NVZ_CHECK(gy.ndim() == 4, fn, ": grad_y must be 4-D, got grad_y.shape=", shape_of(gy));
  expect_shape(fn, "indices", idx, {gy.shape(0), gy.shape(1), gy.shape(2), gy.shape(3)});
  const int64_t N = gy.shape(0), C = gy.shape(1), OH = gy.shape(2), OW = gy.shape(3);
  NVZ_CHECK(H >= 1 && W >= 1, fn, ": x_shape must be positive, got H=", H, ", W=", W);
  NVZ_CHECK(C >= 1 && OH >= 1 && OW >= 1, fn, ": grad_y must have positive C, H, W, got ",
            shape_of(gy));
  // A pooling window with padding <= half its size makes at most H + 1 outputs from H inputs.
  NVZ_CHECK(OH <= H + 1 && OW <= W + 1, fn, ": grad_y of shape ", shape_of(gy),
            " cannot come from max_pool2d on an input of H=", H, ", W=", W, " (x_shape)");
  const int64_t plane = NVZ_CHECKED(Size(H) * W, fn, ": x_shape H=", H, ", W=", W, " (H*W)");
  NVZ_CHECK_MEMORY(fn, Size(N) * C * plane, sizeof(T), "grad_x of shape (", N, ", ", C, ", ", H,
                   ", ", W, ")");
  const nvz::Pool2dShape s{N, C, H, W, 0, 0, 0, 0, 0, 0, OH, OW};
  auto gx = empty<T>({N, C, H, W});
  T* gxp = gx.mutable_data();
  {
    py::gil_scoped_release nogil;
    // Checks the indices first (range and order, nvz::check_max_pool_indices).
    nvz::max_pool2d_backward<T>(s, gy.data(), idx.data(), gxp);
  }
  return gx;
}

template <typename T>
Arr<T> avg_pool2d(const Arr<T>& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                  int64_t pw) {
  NVZ_CHECK(x.ndim() == 4, "avg_pool2d: x must be 4-D, got x.shape=", shape_of(x));
  auto s = pool_shape("avg_pool2d", x.shape(0), x.shape(1), x.shape(2), x.shape(3), kh, kw, sh, sw,
                      ph, pw);
  NVZ_CHECK_MEMORY("avg_pool2d", Size(s.N) * s.C * s.OH * s.OW, sizeof(T), "the output of shape (",
                   s.N, ", ", s.C, ", ", s.OH, ", ", s.OW, ")");
  auto y = empty<T>({s.N, s.C, s.OH, s.OW});
  T* yp = y.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::avg_pool2d_forward<T>(s, x.data(), yp);
  }
  return y;
}

template <typename T>
Arr<T> avg_pool2d_backward(const Arr<T>& gy, int64_t H, int64_t W, int64_t kh, int64_t kw,
                           int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  NVZ_CHECK(gy.ndim() == 4,
            "avg_pool2d_backward: grad_y must be 4-D, got grad_y.shape=", shape_of(gy));
  auto s =
      pool_shape("avg_pool2d_backward", gy.shape(0), gy.shape(1), H, W, kh, kw, sh, sw, ph, pw);
  expect_shape("avg_pool2d_backward", "grad_y", gy, {s.N, s.C, s.OH, s.OW});
  NVZ_CHECK_MEMORY("avg_pool2d_backward", Size(s.N) * s.C * H * W, sizeof(T), "grad_x of shape (",
                   s.N, ", ", s.C, ", ", H, ", ", W, ")");
  auto gx = empty<T>({s.N, s.C, H, W});
  T* gxp = gx.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::avg_pool2d_backward<T>(s, gy.data(), gxp);
  }
  return gx;
}

// ---------------------------------------------------------------- recurrence
// G = gates per step: 1 (tanh RNN), 4 (LSTM), 3 (GRU). The time loop runs T steps over the
// batch, so N, I and H must be positive: with an empty batch, x of shape (2^40, 0, I) holds
// nothing and the loop would spin through 2^40 empty steps with the GIL released. The memory
// bound covers y, the gate cache (at most 5H per sample and step, LSTM; the forward without
// a cache uses scratch of that size), the backward's gate gradients (2GH, GRU), gx and the
// packed weights.
template <typename T>
nvz::RnnShape rnn_shape(const char* fn, int64_t G, const Arr<T>& x, const Arr<T>& h0,
                        const Arr<T>& w_ih, const Arr<T>& w_hh) {
  NVZ_CHECK(x.ndim() == 3, fn, ": x must be (T, N, I), got x.shape=", shape_of(x));
  NVZ_CHECK(h0.ndim() == 2, fn, ": h0 must be (N, H), got h0.shape=", shape_of(h0));
  nvz::RnnShape s{x.shape(0), x.shape(1), x.shape(2), h0.shape(1)};
  NVZ_CHECK(s.N >= 1 && s.I >= 1 && s.H >= 1, fn,
            ": batch, input and hidden sizes must be positive (x.shape=", shape_of(x),
            ", h0.shape=", shape_of(h0), ")");
  expect_shape(fn, "h0", h0, {s.N, s.H});
  expect_shape(fn, "w_ih", w_ih, {G * s.H, s.I});  // G * H <= 4 * h0.size(): no overflow
  expect_shape(fn, "w_hh", w_hh, {G * s.H, s.H});
  const Size per_step = Size(s.N) * s.H * (6 + 2 * G);
  const Size fixed = x.size() + 4 * (Size(w_ih.size()) + w_hh.size()) + Size(s.N) * s.H * 16 + 4096;
  NVZ_CHECK_MEMORY(fn, s.T * per_step + fixed, sizeof(T),
                   "the outputs and workspace for x.shape=", shape_of(x),
                   " and h0.shape=", shape_of(h0));
  return s;
}

template <typename T>
void expect_biases(const char* fn, int64_t G, const nvz::RnnShape& s, const Arr<T>& b_ih,
                   const Arr<T>& b_hh) {
  expect_shape(fn, "b_ih", b_ih, {G * s.H});
  expect_shape(fn, "b_hh", b_hh, {G * s.H});
}

template <typename T>
py::tuple rnn_tanh_forward(const Arr<T>& x, const Arr<T>& h0, const Arr<T>& w_ih,
                           const Arr<T>& w_hh, const Arr<T>& b_ih, const Arr<T>& b_hh,
                           bool with_cache) {
  auto s = rnn_shape("rnn_tanh", 1, x, h0, w_ih, w_hh);
  expect_biases("rnn_tanh", 1, s, b_ih, b_hh);
  auto y = empty<T>({s.T, s.N, s.H});
  auto hT = empty<T>({s.N, s.H});
  py::object cache = py::none();
  T* cp = nullptr;
  if (with_cache) {
    auto c = empty<T>({nvz::rnn_tanh_cache_size(s)});
    cp = c.mutable_data();
    cache = c;
  }
  T *yp = y.mutable_data(), *hp = hT.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::rnn_tanh_forward<T>(s, x.data(), h0.data(), w_ih.data(), w_hh.data(), b_ih.data(),
                             b_hh.data(), yp, hp, cp);
  }
  return py::make_tuple(y, hT, cache);
}

template <typename T>
py::tuple lstm_forward(const Arr<T>& x, const Arr<T>& h0, const Arr<T>& c0, const Arr<T>& w_ih,
                       const Arr<T>& w_hh, const Arr<T>& b_ih, const Arr<T>& b_hh,
                       bool with_cache) {
  auto s = rnn_shape("lstm", 4, x, h0, w_ih, w_hh);
  expect_shape("lstm", "c0", c0, {s.N, s.H});
  expect_biases("lstm", 4, s, b_ih, b_hh);
  auto y = empty<T>({s.T, s.N, s.H});
  auto hT = empty<T>({s.N, s.H});
  auto cT = empty<T>({s.N, s.H});
  py::object cache = py::none();
  T* cp = nullptr;
  if (with_cache) {
    auto c = empty<T>({nvz::lstm_cache_size(s)});
    cp = c.mutable_data();
    cache = c;
  }
  T *yp = y.mutable_data(), *hp = hT.mutable_data(), *ctp = cT.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::lstm_forward<T>(s, x.data(), h0.data(), c0.data(), w_ih.data(), w_hh.data(), b_ih.data(),
                         b_hh.data(), yp, hp, ctp, cp);
  }
  return py::make_tuple(y, hT, cT, cache);
}

template <typename T>
py::tuple gru_forward(const Arr<T>& x, const Arr<T>& h0, const Arr<T>& w_ih, const Arr<T>& w_hh,
                      const Arr<T>& b_ih, const Arr<T>& b_hh, bool with_cache) {
  auto s = rnn_shape("gru", 3, x, h0, w_ih, w_hh);
  expect_biases("gru", 3, s, b_ih, b_hh);
  auto y = empty<T>({s.T, s.N, s.H});
  auto hT = empty<T>({s.N, s.H});
  py::object cache = py::none();
  T* cp = nullptr;
  if (with_cache) {
    auto c = empty<T>({nvz::gru_cache_size(s)});
    cp = c.mutable_data();
    cache = c;
  }
  T *yp = y.mutable_data(), *hp = hT.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::gru_forward<T>(s, x.data(), h0.data(), w_ih.data(), w_hh.data(), b_ih.data(), b_hh.data(),
                        yp, hp, cp);
  }
  return py::make_tuple(y, hT, cache);
}

// Gradient buffers for one backward call: gx, gh0, (gc0,) gw_ih, gw_hh, gb_ih, gb_hh.
template <typename T>
struct RnnGrads {
  Arr<T> gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh;
  RnnGrads(const nvz::RnnShape& s, int64_t G, bool with_c)
      : gx(empty<T>({s.T, s.N, s.I})),
        gh0(empty<T>({s.N, s.H})),
        gc0(empty<T>({with_c ? s.N : 0, s.H})),
        gw_ih(empty<T>({G * s.H, s.I})),
        gw_hh(empty<T>({G * s.H, s.H})),
        gb_ih(empty<T>({G * s.H})),
        gb_hh(empty<T>({G * s.H})) {}
  py::tuple tuple(bool with_c) {
    if (with_c) return py::make_tuple(gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh);
    return py::make_tuple(gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
  }
};

template <typename T>
void expect_backward_inputs(const char* fn, const nvz::RnnShape& s, const Arr<T>& cache,
                            int64_t cache_size, const Arr<T>& y, const Arr<T>& gy,
                            const std::optional<Arr<T>>& ghT) {
  expect_shape(fn, "cache", cache, {cache_size});
  expect_shape(fn, "y", y, {s.T, s.N, s.H});
  expect_shape(fn, "grad_y", gy, {s.T, s.N, s.H});
  if (ghT) expect_shape(fn, "grad_hT", *ghT, {s.N, s.H});
}

template <typename T>
py::tuple rnn_tanh_backward(const Arr<T>& cache, const Arr<T>& x, const Arr<T>& h0,
                            const Arr<T>& w_ih, const Arr<T>& w_hh, const Arr<T>& y,
                            const Arr<T>& gy, const std::optional<Arr<T>>& ghT) {
  auto s = rnn_shape("rnn_tanh_backward", 1, x, h0, w_ih, w_hh);
  expect_backward_inputs("rnn_tanh_backward", s, cache, nvz::rnn_tanh_cache_size(s), y, gy, ghT);
  RnnGrads<T> g(s, 1, false);
  const T* ghp = opt_ptr(ghT);
  {
    py::gil_scoped_release nogil;
    nvz::rnn_tanh_backward<T>(s, x.data(), h0.data(), w_ih.data(), w_hh.data(), y.data(),
                              cache.data(), gy.data(), ghp, g.gx.mutable_data(),
                              g.gh0.mutable_data(), g.gw_ih.mutable_data(), g.gw_hh.mutable_data(),
                              g.gb_ih.mutable_data(), g.gb_hh.mutable_data());
  }
  return g.tuple(false);
}

template <typename T>
py::tuple lstm_backward(const Arr<T>& cache, const Arr<T>& x, const Arr<T>& h0, const Arr<T>& c0,
                        const Arr<T>& w_ih, const Arr<T>& w_hh, const Arr<T>& y, const Arr<T>& gy,
                        const std::optional<Arr<T>>& ghT, const std::optional<Arr<T>>& gcT) {
  auto s = rnn_shape("lstm_backward", 4, x, h0, w_ih, w_hh);
  expect_shape("lstm_backward", "c0", c0, {s.N, s.H});
  expect_backward_inputs("lstm_backward", s, cache, nvz::lstm_cache_size(s), y, gy, ghT);
  if (gcT) expect_shape("lstm_backward", "grad_cT", *gcT, {s.N, s.H});
  RnnGrads<T> g(s, 4, true);
  const T *ghp = opt_ptr(ghT), *gcp = opt_ptr(gcT);
  {
    py::gil_scoped_release nogil;
    nvz::lstm_backward<T>(s, x.data(), h0.data(), c0.data(), w_ih.data(), w_hh.data(), y.data(),
                          cache.data(), gy.data(), ghp, gcp, g.gx.mutable_data(),
                          g.gh0.mutable_data(), g.gc0.mutable_data(), g.gw_ih.mutable_data(),
                          g.gw_hh.mutable_data(), g.gb_ih.mutable_data(), g.gb_hh.mutable_data());
  }
  return g.tuple(true);
}

template <typename T>
py::tuple gru_backward(const Arr<T>& cache, const Arr<T>& x, const Arr<T>& h0, const Arr<T>& w_ih,
                       const Arr<T>& w_hh, const Arr<T>& y, const Arr<T>& gy,
                       const std::optional<Arr<T>>& ghT) {
  auto s = rnn_shape("gru_backward", 3, x, h0, w_ih, w_hh);
  expect_backward_inputs("gru_backward", s, cache, nvz::gru_cache_size(s), y, gy, ghT);
  RnnGrads<T> g(s, 3, false);
  const T* ghp = opt_ptr(ghT);
  {
    py::gil_scoped_release nogil;
    nvz::gru_backward<T>(s, x.data(), h0.data(), w_ih.data(), w_hh.data(), y.data(), cache.data(),
                         gy.data(), ghp, g.gx.mutable_data(), g.gh0.mutable_data(),
                         g.gw_ih.mutable_data(), g.gw_hh.mutable_data(), g.gb_ih.mutable_data(),
                         g.gb_hh.mutable_data());
  }
  return g.tuple(false);
}

// ---------------------------------------------------------------- elementwise
// out = f(x) elementwise for arrays of any shape (out may be x itself).
template <typename T, void (*F)(const T*, T*, int64_t)>
Arr<T> elementwise(const Arr<T>& x, Arr<T> out) {
  NVZ_CHECK(out.size() == x.size(), "elementwise: out has ", out.size(), " elements, x has ",
            x.size());
  const T* xp = x.data();
  T* op = out.mutable_data();
  const int64_t n = x.size();
  {
    py::gil_scoped_release nogil;
    F(xp, op, n);
  }
  return out;
}

// ---------------------------------------------------------------- fused small MLPs
// Weights are updated in place: they are the network's own parameter arrays.
template <typename T>
py::tuple mlp_sgd_steps(const std::vector<int64_t>& sizes, const std::vector<int>& acts,
                        double leaky_slope, int loss, std::vector<Arr<T>> weights,
                        std::vector<std::optional<Arr<T>>> biases, const Arr<T>& x,
                        const std::optional<Arr<T>>& targets,
                        const std::optional<Arr<int64_t>>& labels, const Arr<int64_t>& order,
                        int64_t steps, int64_t batch, T lr, T weight_decay, T l1) {
  const int64_t L = static_cast<int64_t>(acts.size());
  NVZ_CHECK(L >= 1 && static_cast<int64_t>(sizes.size()) == L + 1 &&
                static_cast<int64_t>(weights.size()) == L &&
                static_cast<int64_t>(biases.size()) == L,
            "mlp_sgd_steps: need L activations, L weights, L biases and L+1 sizes");
  for (auto a : acts) NVZ_CHECK(a >= 0 && a <= 4, "mlp_sgd_steps: unknown activation code ", a);
  NVZ_CHECK(loss >= 0 && loss <= 2, "mlp_sgd_steps: unknown loss code ", loss);
  for (int64_t l = 0; l <= L; ++l)
    NVZ_CHECK(sizes[l] >= 1, "mlp_sgd_steps: sizes[", l, "] = ", sizes[l], " must be >= 1");
  std::vector<T*> wp(L), bp(L);
  for (int64_t l = 0; l < L; ++l) {
    expect_shape("mlp_sgd_steps", "weight", weights[l], {sizes[l + 1], sizes[l]});
    wp[l] = weights[l].mutable_data();
    bp[l] = nullptr;
    if (biases[l]) {
      expect_shape("mlp_sgd_steps", "bias", *biases[l], {sizes[l + 1]});
      bp[l] = biases[l]->mutable_data();
    }
  }
  NVZ_CHECK(x.ndim() == 2 && x.shape(1) == sizes[0], "mlp_sgd_steps: x must be (n, ", sizes[0],
            ")");
  const int64_t n = x.shape(0);
  const T* tp = nullptr;
  const int64_t* lp = nullptr;
  if (loss == 2) {
    NVZ_CHECK(labels.has_value(), "mlp_sgd_steps: cross_entropy needs labels");
    expect_shape("mlp_sgd_steps", "labels", *labels, {n});
    lp = labels->data();
    for (int64_t i = 0; i < n; ++i)
      NVZ_CHECK(lp[i] >= 0 && lp[i] < sizes[L], "mlp_sgd_steps: label ", lp[i], " at index ", i,
                " is outside [0, ", sizes[L], ")");
  } else {
    NVZ_CHECK(targets.has_value(), "mlp_sgd_steps: mse/bce need targets");
    expect_shape("mlp_sgd_steps", "targets", *targets, {n, sizes[L]});
    tp = targets->data();
  }
  NVZ_CHECK(steps >= 0 && batch >= 1,
            "mlp_sgd_steps: steps >= 0 and batch >= 1 required, got steps=", steps,
            ", batch=", batch);
  const int64_t picks =
      NVZ_CHECKED(Size(steps) * batch, "mlp_sgd_steps: steps*batch = ", steps, "*", batch);
  expect_shape("mlp_sgd_steps", "order", order, {picks});
  // The kernel's workspace: every layer's activations and two gradient planes for a batch,
  // and one gradient per parameter (mlp.cpp, Workspace).
  Size width = 0, workspace = 0;
  for (int64_t l = 0; l <= L; ++l) {
    width = max(width, sizes[l]);
    workspace = workspace + Size(sizes[l]) * batch;
    if (l < L) workspace = workspace + Size(sizes[l + 1]) * (sizes[l] + Size(1));
  }
  if (steps > 0)
    NVZ_CHECK_MEMORY("mlp_sgd_steps", workspace + 2 * width * batch + steps, sizeof(T),
                     "the workspace for batch=", batch);
  for (int64_t i = 0; i < picks; ++i) {
    const int64_t k = order.data()[i];
    NVZ_CHECK(k >= 0 && k < n, "mlp_sgd_steps: order[", i, "] = ", k,
              " is not a sample index in [0, ", n, ")");
  }
  auto losses = empty<T>({steps});
  T* lossp = losses.mutable_data();
  nvz::MlpShape shape{L, sizes.data(), acts.data(), leaky_slope, loss};
  int64_t done;
  {
    py::gil_scoped_release nogil;
    done = nvz::mlp_sgd_steps<T>(shape, wp.data(), bp.data(), x.data(), tp, lp, n, order.data(),
                                 steps, batch, lr, weight_decay, l1, lossp);
  }
  return py::make_tuple(done, losses);
}

// ---------------------------------------------------------------- registration
constexpr int kMaxThreads = 1024;

nvz::Isa parse_isa(const std::string& name) {
  if (name == "generic") return nvz::Isa::generic;
  if (name == "avx2") return nvz::Isa::avx2;
  if (name == "avx512") return nvz::Isa::avx512;
  fail("set_isa: unknown instruction set '", name, "' (use generic, avx2 or avx512)");
}

template <typename T>
void bind_kernels(py::module_& m) {
  auto A = [](const char* n) { return py::arg(n).noconvert(); };
  auto Opt = [](const char* n) { return py::arg(n).noconvert().none(true); };
  m.def("matmul", &matmul<T>, A("a"), A("b"), py::arg("trans_a"), py::arg("trans_b"));
  m.def("linear_forward", &linear_forward<T>, A("x"), A("w"), Opt("b"));
  m.def("gemm_", &gemm_inplace<T>, py::arg("trans_a"), py::arg("trans_b"), py::arg("alpha"), A("a"),
        A("b"), py::arg("beta"), A("c"));
  m.def("conv2d", &conv2d<T>, A("x"), A("w"), Opt("b"), py::arg("sh"), py::arg("sw"), py::arg("ph"),
        py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("conv2d_backward", &conv2d_backward<T>, A("x"), A("w"), A("grad_y"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("need_grad_x") = true, py::arg("need_grad_w") = true,
        py::arg("need_grad_b") = true);
  m.def("conv_transpose2d", &conv_transpose2d<T>, A("x"), A("w"), Opt("b"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("oph"), py::arg("opw"), py::arg("dh"),
        py::arg("dw"));
  m.def("conv_transpose2d_backward", &conv_transpose2d_backward<T>, A("x"), A("w"), A("grad_y"),
        py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("oph"), py::arg("opw"),
        py::arg("dh"), py::arg("dw"), py::arg("need_grad_x") = true, py::arg("need_grad_w") = true,
        py::arg("need_grad_b") = true);
  m.def("max_pool2d", &max_pool2d<T>, A("x"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"));
  m.def("max_pool2d_backward", &max_pool2d_backward<T>, A("grad_y"), A("indices"), py::arg("H"),
        py::arg("W"));
  m.def("avg_pool2d", &avg_pool2d<T>, A("x"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"));
  m.def("avg_pool2d_backward", &avg_pool2d_backward<T>, A("grad_y"), py::arg("H"), py::arg("W"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"));
  m.def("rnn_tanh_forward", &rnn_tanh_forward<T>, A("x"), A("h0"), A("w_ih"), A("w_hh"), A("b_ih"),
        A("b_hh"), py::arg("with_cache"));
  m.def("lstm_forward", &lstm_forward<T>, A("x"), A("h0"), A("c0"), A("w_ih"), A("w_hh"), A("b_ih"),
        A("b_hh"), py::arg("with_cache"));
  m.def("gru_forward", &gru_forward<T>, A("x"), A("h0"), A("w_ih"), A("w_hh"), A("b_ih"), A("b_hh"),
        py::arg("with_cache"));
  m.def("rnn_tanh_backward", &rnn_tanh_backward<T>, A("cache"), A("x"), A("h0"), A("w_ih"),
        A("w_hh"), A("y"), A("grad_y"), Opt("grad_hT"));
  m.def("lstm_backward", &lstm_backward<T>, A("cache"), A("x"), A("h0"), A("c0"), A("w_ih"),
        A("w_hh"), A("y"), A("grad_y"), Opt("grad_hT"), Opt("grad_cT"));
  m.def("gru_backward", &gru_backward<T>, A("cache"), A("x"), A("h0"), A("w_ih"), A("w_hh"), A("y"),
        A("grad_y"), Opt("grad_hT"));
  m.def("tanh_forward", &elementwise<T, nvz::tanh_forward<T>>, A("x"), A("out"));
  m.def("sigmoid_forward", &elementwise<T, nvz::sigmoid_forward<T>>, A("x"), A("out"));
  m.def("mlp_sgd_steps", &mlp_sgd_steps<T>, py::arg("sizes"), py::arg("acts"),
        py::arg("leaky_slope"), py::arg("loss"), A("weights"), A("biases"), A("x"), Opt("targets"),
        Opt("labels"), A("order"), py::arg("steps"), py::arg("batch"), py::arg("lr"),
        py::arg("weight_decay"), py::arg("l1"));
}

}  // namespace

PYBIND11_MODULE(_C, m) {
  m.doc() = "neuralviz CPU kernels (see csrc/cpu/). Use neuralviz.ops, which validates inputs.";
  bind_kernels<float>(m);
  bind_kernels<double>(m);

  m.def(
      "set_num_threads",
      [](int n) {
        // OpenMP aborts the process when it cannot create the threads asked for (100000
        // threads crash it); no machine this runs on has more than a few hundred cores.
        NVZ_CHECK(n >= 1 && n <= kMaxThreads, "set_num_threads: n must be in [1, ", kMaxThreads,
                  "], got ", n);
        nvz::set_num_threads(n);
      },
      py::arg("n"));
  m.def("get_num_threads", &nvz::num_threads);
  m.def("has_openmp", &nvz::has_openmp);
  m.def("get_isa", [] { return std::string(nvz::isa_name(nvz::cpu_isa())); });
  m.def("hardware_isa", [] { return std::string(nvz::isa_name(nvz::hardware_isa())); });
  m.def(
      "set_isa", [](const std::string& name) { nvz::force_isa(parse_isa(name)); }, py::arg("name"),
      "Cap the instruction set the kernels use (for tests and benchmarks).");
  m.def(
      "fma_peak_gflops",
      [](const std::string& isa, double seconds, int repeats) {
        NVZ_CHECK(isa == "generic" || isa == "avx2" || isa == "avx512",
                  "fma_peak_gflops: unknown instruction set '", isa,
                  "' (use generic, avx2 or avx512)");
        const nvz::Isa i = parse_isa(isa);
        py::gil_scoped_release nogil;
        return nvz::fma_peak_gflops(i, seconds, repeats);
      },
      py::arg("isa"), py::arg("seconds") = 0.2, py::arg("repeats") = 10,
      "One core's float32 multiply-add peak in GFLOP/s for an ISA (the GEMM bench's yardstick).");
  m.def("available_isas", [] {
    std::vector<std::string> out;
    for (int i = 0; i <= static_cast<int>(nvz::hardware_isa()); ++i)
      out.emplace_back(nvz::isa_name(static_cast<nvz::Isa>(i)));
    return out;
  });
}
