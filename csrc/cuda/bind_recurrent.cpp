// Bindings of the recurrent kernels (recurrent.h) on device Tensors: rnn_tanh, lstm and gru,
// forward and backward over whole time-major sequences. Names, argument order, return tuples
// and the None entries mirror the CPU backend's (csrc/bindings.cpp), so the Python layer
// calls either with the same arguments. The cache the forward returns is a 1-D Tensor (or None
// without with_cache) that only the matching backward reads; its layout is in recurrent.h.
// Workspaces are Tensors allocated here, freed when the call returns.
#include <initializer_list>
#include <utility>

#include "cuda/bind.h"
#include "cuda/recurrent.h"

namespace nvz::cuda {
namespace {

using Named = std::pair<const char*, const Tensor*>;

// Every tensor has x's dtype, which is float32 or float64.
void expect_dtypes(const char* fn, const Tensor& x, std::initializer_list<Named> others) {
  NVZ_CHECK(x.dtype == Dtype::f32 || x.dtype == Dtype::f64, fn,
            ": expected float32 or float64, got x of ", dtype_name(x.dtype));
  for (const auto& [name, t] : others)
    if (t) expect_same_dtype(fn, name, *t, x.dtype);
}

// The sizes of x (T, N, I) and h0 (N, H), with the weights checked against them. N, I and H
// must be positive (T may be 0), as on the CPU.
RnnDims rnn_dims(const char* fn, int64_t G, const Tensor& x, const Tensor& h0, const Tensor& w_ih,
                 const Tensor& w_hh) {
  NVZ_CHECK(x.ndim() == 3, fn, ": x must be (T, N, I), got x.shape=", x.shape_str());
  NVZ_CHECK(h0.ndim() == 2, fn, ": h0 must be (N, H), got h0.shape=", h0.shape_str());
  const RnnDims s{x.dim(0), x.dim(1), x.dim(2), h0.dim(1)};
  NVZ_CHECK(s.N >= 1 && s.I >= 1 && s.H >= 1, fn,
            ": batch, input and hidden sizes must be positive (x.shape=", x.shape_str(),
            ", h0.shape=", h0.shape_str(), ")");
  expect_shape(fn, "h0", h0, {s.N, s.H});
  expect_shape(fn, "w_ih", w_ih, {G * s.H, s.I});
  expect_shape(fn, "w_hh", w_hh, {G * s.H, s.H});
  return s;
}

void expect_biases(const char* fn, int64_t G, const RnnDims& s, const Tensor& b_ih,
                   const Tensor& b_hh) {
  expect_shape(fn, "b_ih", b_ih, {G * s.H});
  expect_shape(fn, "b_hh", b_hh, {G * s.H});
}

void expect_backward_inputs(const char* fn, const RnnDims& s, const Tensor& cache,
                            int64_t cache_size, const Tensor& y, const Tensor& gy,
                            const OptTensor& ghT) {
  expect_shape(fn, "cache", cache, {cache_size});
  expect_shape(fn, "y", y, {s.T, s.N, s.H});
  expect_shape(fn, "grad_y", gy, {s.T, s.N, s.H});
  if (ghT) expect_shape(fn, "grad_hT", *ghT, {s.N, s.H});
}

template <typename T>
const T* opt_ptr(const OptTensor& t) {
  return t ? t->data<T>() : nullptr;
}

// The forward's cache: returned when asked for, else scratch of the same size.
py::object cache_or_none(const Tensor& cache, bool with_cache) {
  return with_cache ? py::cast(cache) : py::none();
}

// Gradient outputs of one backward call: gx, gh0, (gc0,) gw_ih, gw_hh, gb_ih, gb_hh.
struct RnnGrads {
  Tensor gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh;
  RnnGrads(const RnnDims& s, int64_t G, bool with_c, Dtype d)
      : gx({s.T, s.N, s.I}, d),
        gh0({s.N, s.H}, d),
        gc0({with_c ? s.N : 0, s.H}, d),
        gw_ih({G * s.H, s.I}, d),
        gw_hh({G * s.H, s.H}, d),
        gb_ih({G * s.H}, d),
        gb_hh({G * s.H}, d) {}
  py::tuple tuple(bool with_c) const {
    if (with_c) return py::make_tuple(gx, gh0, gc0, gw_ih, gw_hh, gb_ih, gb_hh);
    return py::make_tuple(gx, gh0, gw_ih, gw_hh, gb_ih, gb_hh);
  }
};

// ---- forwards ---------------------------------------------------------------------------

// RNN-tanh and GRU carry one state and take the same arguments in the same order, so their bindings
// are one template over the cell: its kernels, gate count and buffer sizes. (LSTM, with its cell
// state, has its own.)
struct RnnTanhCell {
  static constexpr const char* forward_name = "rnn_tanh_forward";
  static constexpr const char* backward_name = "rnn_tanh_backward";
  static constexpr int64_t G = 1;
  static int64_t cache_size(const RnnDims& s) { return rnn_tanh_cache_size(s); }
  static int64_t forward_work(const RnnDims& s) { return rnn_tanh_forward_work(s); }
  static int64_t backward_work(const RnnDims& s) { return rnn_tanh_backward_work(s); }
  template <typename T, typename... Args>
  static void forward(const Args&... a) {
    rnn_tanh_forward<T>(a...);
  }
  template <typename T, typename... Args>
  static void backward(const Args&... a) {
    rnn_tanh_backward<T>(a...);
  }
};

struct GruCell {
  static constexpr const char* forward_name = "gru_forward";
  static constexpr const char* backward_name = "gru_backward";
  static constexpr int64_t G = 3;
  static int64_t cache_size(const RnnDims& s) { return gru_cache_size(s); }
  static int64_t forward_work(const RnnDims& s) { return gru_forward_work(s); }
  static int64_t backward_work(const RnnDims& s) { return gru_backward_work(s); }
  template <typename T, typename... Args>
  static void forward(const Args&... a) {
    gru_forward<T>(a...);
  }
  template <typename T, typename... Args>
  static void backward(const Args&... a) {
    gru_backward<T>(a...);
  }
};

template <typename Cell>
py::tuple one_state_fwd(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh,
                        const Tensor& b_ih, const Tensor& b_hh, bool with_cache) {
  const char* fn = Cell::forward_name;
  expect_dtypes(fn, x,
                {{"h0", &h0}, {"w_ih", &w_ih}, {"w_hh", &w_hh}, {"b_ih", &b_ih}, {"b_hh", &b_hh}});
  const RnnDims s = rnn_dims(fn, Cell::G, x, h0, w_ih, w_hh);
  expect_biases(fn, Cell::G, s, b_ih, b_hh);
  Tensor y({s.T, s.N, s.H}, x.dtype), hT({s.N, s.H}, x.dtype);
  Tensor cache({Cell::cache_size(s)}, x.dtype), work({Cell::forward_work(s)}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    py::gil_scoped_release nogil;
    Cell::template forward<T>(s, x.data<T>(), h0.data<T>(), w_ih.data<T>(), w_hh.data<T>(),
                              b_ih.data<T>(), b_hh.data<T>(), y.data<T>(), hT.data<T>(),
                              cache.data<T>(), work.data<T>());
    return 0;
  });
  return py::make_tuple(y, hT, cache_or_none(cache, with_cache));
}

py::tuple lstm_fwd(const Tensor& x, const Tensor& h0, const Tensor& c0, const Tensor& w_ih,
                   const Tensor& w_hh, const Tensor& b_ih, const Tensor& b_hh, bool with_cache) {
  const char* fn = "lstm_forward";
  expect_dtypes(fn, x,
                {{"h0", &h0},
                 {"c0", &c0},
                 {"w_ih", &w_ih},
                 {"w_hh", &w_hh},
                 {"b_ih", &b_ih},
                 {"b_hh", &b_hh}});
  const RnnDims s = rnn_dims(fn, 4, x, h0, w_ih, w_hh);
  expect_shape(fn, "c0", c0, {s.N, s.H});
  expect_biases(fn, 4, s, b_ih, b_hh);
  Tensor y({s.T, s.N, s.H}, x.dtype), hT({s.N, s.H}, x.dtype), cT({s.N, s.H}, x.dtype);
  Tensor cache({lstm_cache_size(s)}, x.dtype), work({lstm_forward_work(s)}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    py::gil_scoped_release nogil;
    lstm_forward<T>(s, x.data<T>(), h0.data<T>(), c0.data<T>(), w_ih.data<T>(), w_hh.data<T>(),
                    b_ih.data<T>(), b_hh.data<T>(), y.data<T>(), hT.data<T>(), cT.data<T>(),
                    cache.data<T>(), work.data<T>());
    return 0;
  });
  return py::make_tuple(y, hT, cT, cache_or_none(cache, with_cache));
}

// ---- backwards --------------------------------------------------------------------------

template <typename Cell>
py::tuple one_state_bwd(const Tensor& cache, const Tensor& x, const Tensor& h0, const Tensor& w_ih,
                        const Tensor& w_hh, const Tensor& y, const Tensor& gy,
                        const OptTensor& ghT) {
  const char* fn = Cell::backward_name;
  expect_dtypes(fn, x,
                {{"cache", &cache},
                 {"h0", &h0},
                 {"w_ih", &w_ih},
                 {"w_hh", &w_hh},
                 {"y", &y},
                 {"grad_y", &gy},
                 {"grad_hT", ghT ? &*ghT : nullptr}});
  const RnnDims s = rnn_dims(fn, Cell::G, x, h0, w_ih, w_hh);
  expect_backward_inputs(fn, s, cache, Cell::cache_size(s), y, gy, ghT);
  RnnGrads g(s, Cell::G, false, x.dtype);
  Tensor work({Cell::backward_work(s)}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    py::gil_scoped_release nogil;
    Cell::template backward<T>(
        s, x.data<T>(), h0.data<T>(), w_ih.data<T>(), w_hh.data<T>(), y.data<T>(), cache.data<T>(),
        gy.data<T>(), opt_ptr<T>(ghT), g.gx.data<T>(), g.gh0.data<T>(), g.gw_ih.data<T>(),
        g.gw_hh.data<T>(), g.gb_ih.data<T>(), g.gb_hh.data<T>(), work.data<T>());
    return 0;
  });
  return g.tuple(false);
}

py::tuple lstm_bwd(const Tensor& cache, const Tensor& x, const Tensor& h0, const Tensor& c0,
                   const Tensor& w_ih, const Tensor& w_hh, const Tensor& y, const Tensor& gy,
                   const OptTensor& ghT, const OptTensor& gcT) {
  const char* fn = "lstm_backward";
  expect_dtypes(fn, x,
                {{"cache", &cache},
                 {"h0", &h0},
                 {"c0", &c0},
                 {"w_ih", &w_ih},
                 {"w_hh", &w_hh},
                 {"y", &y},
                 {"grad_y", &gy},
                 {"grad_hT", ghT ? &*ghT : nullptr},
                 {"grad_cT", gcT ? &*gcT : nullptr}});
  const RnnDims s = rnn_dims(fn, 4, x, h0, w_ih, w_hh);
  expect_shape(fn, "c0", c0, {s.N, s.H});
  expect_backward_inputs(fn, s, cache, lstm_cache_size(s), y, gy, ghT);
  if (gcT) expect_shape(fn, "grad_cT", *gcT, {s.N, s.H});
  RnnGrads g(s, 4, true, x.dtype);
  Tensor work({lstm_backward_work(s)}, x.dtype);
  by_float_dtype(fn, x, [&](auto t) {
    using T = decltype(t);
    py::gil_scoped_release nogil;
    lstm_backward<T>(s, x.data<T>(), h0.data<T>(), c0.data<T>(), w_ih.data<T>(), w_hh.data<T>(),
                     y.data<T>(), cache.data<T>(), gy.data<T>(), opt_ptr<T>(ghT), opt_ptr<T>(gcT),
                     g.gx.data<T>(), g.gh0.data<T>(), g.gc0.data<T>(), g.gw_ih.data<T>(),
                     g.gw_hh.data<T>(), g.gb_ih.data<T>(), g.gb_hh.data<T>(), work.data<T>());
    return 0;
  });
  return g.tuple(true);
}

}  // namespace

void bind_recurrent(py::module_& m) {
  auto A = [](const char* n) { return py::arg(n); };
  auto Opt = [](const char* n) { return py::arg(n).none(true); };
  m.def("rnn_tanh_forward", &one_state_fwd<RnnTanhCell>, A("x"), A("h0"), A("w_ih"), A("w_hh"),
        A("b_ih"), A("b_hh"), A("with_cache"));
  m.def("lstm_forward", &lstm_fwd, A("x"), A("h0"), A("c0"), A("w_ih"), A("w_hh"), A("b_ih"),
        A("b_hh"), A("with_cache"));
  m.def("gru_forward", &one_state_fwd<GruCell>, A("x"), A("h0"), A("w_ih"), A("w_hh"), A("b_ih"),
        A("b_hh"), A("with_cache"));
  m.def("rnn_tanh_backward", &one_state_bwd<RnnTanhCell>, A("cache"), A("x"), A("h0"), A("w_ih"),
        A("w_hh"), A("y"), A("grad_y"), Opt("grad_hT"));
  m.def("lstm_backward", &lstm_bwd, A("cache"), A("x"), A("h0"), A("c0"), A("w_ih"), A("w_hh"),
        A("y"), A("grad_y"), Opt("grad_hT"), Opt("grad_cT"));
  m.def("gru_backward", &one_state_bwd<GruCell>, A("cache"), A("x"), A("h0"), A("w_ih"), A("w_hh"),
        A("y"), A("grad_y"), Opt("grad_hT"));
}

}  // namespace nvz::cuda
