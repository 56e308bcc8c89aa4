// Bindings of the convolution and pooling kernels (conv.cu, pool.cu) on device Tensors. Names,
// arguments, defaults, return structures and validation messages follow the CPU's bindings
// (csrc/bindings.cpp: conv2d ... avg_pool2d_backward), with Tensors in place of numpy arrays.
// The geometry is checked here in overflow-checked 64-bit arithmetic before anything is
// allocated; the workspaces are Tensors, freed when the call returns.
#include <algorithm>
#include <string>
#include <vector>

#include "common/checked.h"
#include "common/conv_shape.h"
#include "cuda/bind.h"
#include "cuda/conv.h"
#include "cuda/pool.h"

namespace nvz::cuda {
namespace {

using nvz::Size;

// The CPU binding's shape message: "fn: name must have shape (..) but has shape (..)".
void expect_dims(const char* fn, const char* name, const Tensor& t,
                 const std::vector<int64_t>& shape) {
  Tensor probe;
  probe.shape = shape;
  NVZ_CHECK(t.shape == shape, fn, ": ", name, " must have shape ", probe.shape_str(),
            " but has shape ", t.shape_str());
}

std::string geometry_text(const ConvGeom& s, bool transposed, int64_t oph, int64_t opw) {
  // s is conv2d's geometry, or for a transposed convolution its own input/weight sizes
  std::string t = "x.shape=(" + std::to_string(s.N) + ", " + std::to_string(s.C) + ", " +
                  std::to_string(s.H) + ", " + std::to_string(s.W) + "), w.shape=(";
  t += transposed ? std::to_string(s.C) + ", " + std::to_string(s.OC)
                  : std::to_string(s.OC) + ", " + std::to_string(s.C);
  t += ", " + std::to_string(s.KH) + ", " + std::to_string(s.KW) + "), stride=(" +
       std::to_string(s.SH) + ", " + std::to_string(s.SW) + "), padding=(" + std::to_string(s.PH) +
       ", " + std::to_string(s.PW) + ")";
  if (transposed)
    t += ", output_padding=(" + std::to_string(oph) + ", " + std::to_string(opw) + ")";
  return t + ", dilation=(" + std::to_string(s.DH) + ", " + std::to_string(s.DW) + ")";
}

// Checks shared by conv2d and conv_transpose2d: 4-D float tensors of one dtype, channel
// agreement (w's dim `wc`), positive sizes, stride, padding and dilation.
void check_conv_args(const char* fn, const Tensor& x, const Tensor& w, int wc) {
  NVZ_CHECK(x.ndim() == 4 && w.ndim() == 4, fn,
            ": x and w must be 4-D, got x.shape=", x.shape_str(), " and w.shape=", w.shape_str());
  by_float_dtype(fn, x, [](auto) { return 0; });
  expect_same_dtype(fn, "w", w, x.dtype);
  NVZ_CHECK(w.dim(wc) == x.dim(1), fn, ": x has ", x.dim(1), " channels but w expects ", w.dim(wc),
            " (x.shape=", x.shape_str(), ", w.shape=", w.shape_str(), ")");
  NVZ_CHECK(x.dim(1) >= 1 && x.dim(2) >= 1 && x.dim(3) >= 1, fn,
            ": x must have positive C, H, W, got x.shape=", x.shape_str());
  NVZ_CHECK(w.dim(1 - wc) >= 1 && w.dim(2) >= 1 && w.dim(3) >= 1, fn,
            ": w must have positive sizes, got w.shape=", w.shape_str());
}

void check_sps(const char* fn, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
               int64_t dw) {
  NVZ_CHECK(sh >= 1 && sw >= 1, fn, ": stride must be >= 1, got (", sh, ", ", sw, ")");
  NVZ_CHECK(ph >= 0 && pw >= 0, fn, ": padding must be >= 0, got (", ph, ", ", pw, ")");
  NVZ_CHECK(dh >= 1 && dw >= 1, fn, ": dilation must be >= 1, got (", dh, ", ", dw, ")");
}

// conv2d's geometry (bindings.cpp's conv_shape), the stride capped at the padded input as
// there (one output row or column either way).
ConvGeom conv_geom(const char* fn, const Tensor& x, const Tensor& w, int64_t sh, int64_t sw,
                   int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  check_conv_args(fn, x, w, 1);
  check_sps(fn, sh, sw, ph, pw, dh, dw);
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t OC = w.dim(0), KH = w.dim(2), KW = w.dim(3);
  const auto out =
      nvz::conv_output(fn, {N, C, H, W}, {OC, w.dim(1), KH, KW}, sh, sw, ph, pw, dh, dw);
  ConvGeom g{N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, out.OH, out.OW};
  NVZ_CHECKED(Size(N) * OC * g.OH * g.OW * C * KH * KW, fn,
              ": the work N*C_out*H_out*W_out*C*kH*kW of ", geometry_text(g, false, 0, 0));
  NVZ_CHECKED(Size(C) * KH * KW * g.OH * g.OW + Size(OC) * g.OH * g.OW, fn,
              ": the per-image workspace of ", geometry_text(g, false, 0, 0));
  g.SH = std::min(sh, out.Hp);
  g.SW = std::min(sw, out.Wp);
  return g;
}

// conv_transpose2d's geometry (bindings.cpp's conv_transpose_shape) as its adjoint
// convolution: input the transposed output (OC, OH, OW), output the transposed input.
ConvGeom conv_transpose_geom(const char* fn, const Tensor& x, const Tensor& w, int64_t sh,
                             int64_t sw, int64_t ph, int64_t pw, int64_t oph, int64_t opw,
                             int64_t dh, int64_t dw) {
  check_conv_args(fn, x, w, 0);
  check_sps(fn, sh, sw, ph, pw, dh, dw);
  NVZ_CHECK(oph >= 0 && opw >= 0 && (oph < sh || oph < dh) && (opw < sw || opw < dw), fn,
            ": output_padding (", oph, ", ", opw, ") must be >= 0 and smaller than either stride (",
            sh, ", ", sw, ") or dilation (", dh, ", ", dw, ")");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t OC = w.dim(1), KH = w.dim(2), KW = w.dim(3);
  const ConvGeom t{N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, 0, 0};
  const int64_t OH =
      NVZ_CHECKED((H - 1) * Size(sh) + Size(dh) * (KH - 1) + (oph + 1) - 2 * Size(ph), fn,
                  ": the output height of ", geometry_text(t, true, oph, opw));
  const int64_t OW =
      NVZ_CHECKED((W - 1) * Size(sw) + Size(dw) * (KW - 1) + (opw + 1) - 2 * Size(pw), fn,
                  ": the output width of ", geometry_text(t, true, oph, opw));
  NVZ_CHECK(OH >= 1 && OW >= 1, fn, ": the output size (", OH, ", ", OW, ") is not positive for ",
            geometry_text(t, true, oph, opw));
  NVZ_CHECKED((OH + 2 * Size(ph)) * (OW + 2 * Size(pw)), fn, ": the padded output plane of ",
              geometry_text(t, true, oph, opw));
  NVZ_CHECKED(Size(N) * C * OH * OW * OC * KH * KW, fn,
              ": the work N*C_in*H_out*W_out*C_out*kH*kW of ", geometry_text(t, true, oph, opw));
  NVZ_CHECKED(Size(OC) * KH * KW * H * W + Size(C) * H * W, fn, ": the per-image workspace of ",
              geometry_text(t, true, oph, opw));
  return ConvGeom{N, OC, OH, OW, C, KH, KW, sh, sw, ph, pw, dh, dw, H, W};
}

// gb (C) = the channel sums of y (N, C, P), with its workspace of partial sums.
template <typename T>
void bias_grad(int64_t N, int64_t C, int64_t P, const T* y, Tensor& gb) {
  Tensor part({C * channel_sum_splits(N, P)}, gb.dtype);
  channel_sum<T>(N, C, P, y, gb.data<T>(), part.data<T>());
}

template <typename T>
T* ptr_or_null(const OptTensor& t) {
  return t ? t->data<T>() : nullptr;
}

// Allocates the workspace for g's passes and runs them.
template <typename T>
void run_passes(const ConvGeom& g, const ConvPasses<T>& p, Dtype d) {
  const int64_t chunk = conv_chunk(g, sizeof(T));
  Tensor work({conv_workspace(g, chunk)}, d);
  conv_run<T>(g, p, work.data<T>(), chunk);
}

Tensor conv2d(const Tensor& x, const Tensor& w, const OptTensor& b, int64_t sh, int64_t sw,
              int64_t ph, int64_t pw, int64_t dh, int64_t dw) {
  const ConvGeom g = conv_geom("conv2d", x, w, sh, sw, ph, pw, dh, dw);
  if (b) {
    expect_same_dtype("conv2d", "b", *b, x.dtype);
    expect_dims("conv2d", "b", *b, {g.OC});
  }
  Tensor y({g.N, g.OC, g.OH, g.OW}, x.dtype);
  by_float_dtype("conv2d", x, [&](auto t) {
    using T = decltype(t);
    ConvPasses<T> p;
    p.x = x.data<T>();
    p.w = w.data<T>();
    p.b_y = ptr_or_null<T>(b);
    p.y = y.data<T>();
    run_passes(g, p, x.dtype);
    return 0;
  });
  return y;
}

// The (gx, gw, gb) tuple, None where not asked for.
py::tuple grad_tuple(const OptTensor& gx, const OptTensor& gw, const OptTensor& gb) {
  auto obj = [](const OptTensor& t) { return t ? py::cast(*t) : py::none(); };
  return py::make_tuple(obj(gx), obj(gw), obj(gb));
}

py::tuple conv2d_backward(const Tensor& x, const Tensor& w, const Tensor& gy, int64_t sh,
                          int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, bool need_gx,
                          bool need_gw, bool need_gb) {
  const char* fn = "conv2d_backward";
  const ConvGeom g = conv_geom(fn, x, w, sh, sw, ph, pw, dh, dw);
  expect_same_dtype(fn, "grad_y", gy, x.dtype);
  expect_dims(fn, "grad_y", gy, {g.N, g.OC, g.OH, g.OW});
  OptTensor gx, gw, gb;
  if (need_gx) gx = Tensor({g.N, g.C, g.H, g.W}, x.dtype);
  if (need_gw) gw = Tensor({g.OC, g.C, g.KH, g.KW}, x.dtype);
  if (need_gb) gb = Tensor({g.OC}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    ConvPasses<T> p;
    p.x = x.data<T>();
    p.w = w.data<T>();
    p.gy = gy.data<T>();
    p.gx = ptr_or_null<T>(gx);
    p.gw = ptr_or_null<T>(gw);
    if (need_gx || need_gw) run_passes(g, p, x.dtype);
    if (need_gb) bias_grad<T>(g.N, g.OC, g.OH * g.OW, p.gy, *gb);
    return 0;
  });
  return grad_tuple(gx, gw, gb);
}

// y = the adjoint convolution's data gradient of x, plus the bias.
Tensor conv_transpose2d(const Tensor& x, const Tensor& w, const OptTensor& b, int64_t sh,
                        int64_t sw, int64_t ph, int64_t pw, int64_t oph, int64_t opw, int64_t dh,
                        int64_t dw) {
  const char* fn = "conv_transpose2d";
  const ConvGeom a = conv_transpose_geom(fn, x, w, sh, sw, ph, pw, oph, opw, dh, dw);
  if (b) {
    expect_same_dtype(fn, "b", *b, x.dtype);
    expect_dims(fn, "b", *b, {a.C});
  }
  Tensor y({a.N, a.C, a.H, a.W}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    ConvPasses<T> p;
    p.gy = x.data<T>();
    p.w = w.data<T>();
    p.b_gx = ptr_or_null<T>(b);
    p.gx = y.data<T>();
    run_passes(a, p, x.dtype);
    return 0;
  });
  return y;
}

// gx = the adjoint's forward of grad_y; gw = the adjoint's weight gradient with the roles of
// x and grad_y swapped (one shared im2col of grad_y); gb = grad_y's channel sums.
py::tuple conv_transpose2d_backward(const Tensor& x, const Tensor& w, const Tensor& gy, int64_t sh,
                                    int64_t sw, int64_t ph, int64_t pw, int64_t oph, int64_t opw,
                                    int64_t dh, int64_t dw, bool need_gx, bool need_gw,
                                    bool need_gb) {
  const char* fn = "conv_transpose2d_backward";
  const ConvGeom a = conv_transpose_geom(fn, x, w, sh, sw, ph, pw, oph, opw, dh, dw);
  expect_same_dtype(fn, "grad_y", gy, x.dtype);
  expect_dims(fn, "grad_y", gy, {a.N, a.C, a.H, a.W});
  OptTensor gx, gw, gb;
  if (need_gx) gx = Tensor({a.N, a.OC, a.OH, a.OW}, x.dtype);
  if (need_gw) gw = Tensor({a.OC, a.C, a.KH, a.KW}, x.dtype);
  if (need_gb) gb = Tensor({a.C}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    ConvPasses<T> p;
    p.x = gy.data<T>();
    p.w = w.data<T>();
    p.gy = x.data<T>();
    p.y = ptr_or_null<T>(gx);
    p.gw = ptr_or_null<T>(gw);
    if (need_gx || need_gw) run_passes(a, p, x.dtype);
    if (need_gb) bias_grad<T>(a.N, a.C, a.H * a.W, p.x, *gb);
    return 0;
  });
  return grad_tuple(gx, gw, gb);
}

PoolGeom pool_input(const char* fn, const Tensor& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw,
                    int64_t ph, int64_t pw) {
  NVZ_CHECK(x.ndim() == 4, fn, ": x must be 4-D, got x.shape=", x.shape_str());
  by_float_dtype(fn, x, [](auto) { return 0; });
  return nvz::pool_shape(fn, x.dim(0), x.dim(1), x.dim(2), x.dim(3), kh, kw, sh, sw, ph, pw);
}

py::tuple max_pool2d(const Tensor& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                     int64_t pw) {
  const PoolGeom s = pool_input("max_pool2d", x, kh, kw, sh, sw, ph, pw);
  Tensor y({s.N, s.C, s.OH, s.OW}, x.dtype), idx({s.N, s.C, s.OH, s.OW}, Dtype::i64);
  by_float_dtype("max_pool2d", x, [&](auto t) {
    using T = decltype(t);
    max_pool_forward<T>(s, x.data<T>(), y.data<T>(), idx.data<int64_t>());
    return 0;
  });
  return py::make_tuple(y, idx);
}

// The CPU's message for the first index that max_pool2d could not have produced
// (csrc/cpu/pool.cpp, check_index_row); idx is a host copy.
[[noreturn]] void index_error(const PoolGeom& s, const std::vector<int64_t>& idx) {
  const int64_t plane = s.H * s.W;
  for (int64_t e = 0; e < static_cast<int64_t>(idx.size()); ++e) {
    const int64_t i = idx[e], ow = e % s.OW, oh = e / s.OW % s.OH;
    NVZ_CHECK(i >= 0 && i < plane, "max_pool2d_backward: indices must lie in [0, H*W) = [0, ",
              plane, ") for x_shape H=", s.H, ", W=", s.W, ", got ", i, " at flat position ", e);
    const bool left_ok = ow == 0 || i % s.W >= idx[e - 1] % s.W;
    const bool above_ok = oh == 0 || i / s.W >= idx[e - s.OW] / s.W;
    NVZ_CHECK(left_ok && above_ok,
              "max_pool2d_backward: indices do not come from max_pool2d on planes of x_shape H=",
              s.H, ", W=", s.W, ": index ", i, " at flat position ", e,
              " is left of or above its neighbour's (is x_shape the forward's input shape?)");
  }
  fail("max_pool2d_backward: indices do not come from max_pool2d");
}

Tensor max_pool2d_backward(const Tensor& gy, const Tensor& idx, int64_t H, int64_t W) {
  const char* fn = "max_pool2d_backward";
  NVZ_CHECK(gy.ndim() == 4, fn, ": grad_y must be 4-D, got grad_y.shape=", gy.shape_str());
  by_float_dtype(fn, gy, [](auto) { return 0; });
  expect_dims(fn, "indices", idx, gy.shape);
  NVZ_CHECK(idx.dtype == Dtype::i64, fn, ": indices must be int64, got ", dtype_name(idx.dtype));
  const int64_t N = gy.dim(0), C = gy.dim(1), OH = gy.dim(2), OW = gy.dim(3);
  NVZ_CHECK(H >= 1 && W >= 1, fn, ": x_shape must be positive, got H=", H, ", W=", W);
  NVZ_CHECK(C >= 1 && OH >= 1 && OW >= 1, fn, ": grad_y must have positive C, H, W, got ",
            gy.shape_str());
  // A pooling window with padding <= half its size makes at most H + 1 outputs from H inputs.
  NVZ_CHECK(OH <= H + 1 && OW <= W + 1, fn, ": grad_y of shape ", gy.shape_str(),
            " cannot come from max_pool2d on an input of H=", H, ", W=", W, " (x_shape)");
  NVZ_CHECKED(Size(N) * C * H * W, fn, ": x_shape H=", H, ", W=", W, " (N*C*H*W)");
  const PoolGeom s{N, C, H, W, 0, 0, 0, 0, 0, 0, OH, OW};
  Tensor gx({N, C, H, W}, gy.dtype);
  Tensor bad = Tensor::zeros({1}, Dtype::i64);
  by_float_dtype(fn, gy, [&](auto t) {
    using T = decltype(t);
    max_pool_backward<T>(s, gy.data<T>(), idx.data<int64_t>(), gx.data<T>(), bad.data<int64_t>());
    return 0;
  });
  // One 8-byte read back (a sync): a wrong index must be a ValueError, not a wrong gradient.
  int64_t flag = 0;
  copy_to_host(&flag, bad.storage->ptr, sizeof flag);
  if (flag) {
    std::vector<int64_t> host(static_cast<size_t>(idx.numel()));
    copy_to_host(host.data(), idx.storage->ptr, host.size() * sizeof(int64_t));
    index_error(s, host);
  }
  return gx;
}

Tensor avg_pool2d(const Tensor& x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph,
                  int64_t pw) {
  const PoolGeom s = pool_input("avg_pool2d", x, kh, kw, sh, sw, ph, pw);
  Tensor y({s.N, s.C, s.OH, s.OW}, x.dtype);
  by_float_dtype("avg_pool2d", x, [&](auto t) {
    using T = decltype(t);
    avg_pool_forward<T>(s, x.data<T>(), y.data<T>());
    return 0;
  });
  return y;
}

Tensor avg_pool2d_backward(const Tensor& gy, int64_t H, int64_t W, int64_t kh, int64_t kw,
                           int64_t sh, int64_t sw, int64_t ph, int64_t pw) {
  const char* fn = "avg_pool2d_backward";
  NVZ_CHECK(gy.ndim() == 4, fn, ": grad_y must be 4-D, got grad_y.shape=", gy.shape_str());
  by_float_dtype(fn, gy, [](auto) { return 0; });
  const PoolGeom s = nvz::pool_shape(fn, gy.dim(0), gy.dim(1), H, W, kh, kw, sh, sw, ph, pw);
  expect_dims(fn, "grad_y", gy, {s.N, s.C, s.OH, s.OW});
  Tensor gx({s.N, s.C, H, W}, gy.dtype);
  by_float_dtype(fn, gy, [&](auto t) {
    using T = decltype(t);
    avg_pool_backward<T>(s, gy.data<T>(), gx.data<T>());
    return 0;
  });
  return gx;
}

}  // namespace

void bind_conv(py::module_& m) {
  auto Opt = [](const char* n) { return py::arg(n).none(true); };
  m.def("conv2d", &conv2d, py::arg("x"), py::arg("w"), Opt("b"), py::arg("sh"), py::arg("sw"),
        py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"));
  m.def("conv2d_backward", &conv2d_backward, py::arg("x"), py::arg("w"), py::arg("grad_y"),
        py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("dh"), py::arg("dw"),
        py::arg("need_grad_x") = true, py::arg("need_grad_w") = true,
        py::arg("need_grad_b") = true);
  m.def("conv_transpose2d", &conv_transpose2d, py::arg("x"), py::arg("w"), Opt("b"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"), py::arg("oph"), py::arg("opw"), py::arg("dh"),
        py::arg("dw"));
  m.def("conv_transpose2d_backward", &conv_transpose2d_backward, py::arg("x"), py::arg("w"),
        py::arg("grad_y"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"),
        py::arg("oph"), py::arg("opw"), py::arg("dh"), py::arg("dw"), py::arg("need_grad_x") = true,
        py::arg("need_grad_w") = true, py::arg("need_grad_b") = true);
  m.def("max_pool2d", &max_pool2d, py::arg("x"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"));
  m.def("max_pool2d_backward", &max_pool2d_backward, py::arg("grad_y"), py::arg("indices"),
        py::arg("H"), py::arg("W"));
  m.def("avg_pool2d", &avg_pool2d, py::arg("x"), py::arg("kh"), py::arg("kw"), py::arg("sh"),
        py::arg("sw"), py::arg("ph"), py::arg("pw"));
  m.def("avg_pool2d_backward", &avg_pool2d_backward, py::arg("grad_y"), py::arg("H"), py::arg("W"),
        py::arg("kh"), py::arg("kw"), py::arg("sh"), py::arg("sw"), py::arg("ph"), py::arg("pw"));
}

}  // namespace nvz::cuda
