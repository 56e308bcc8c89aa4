// Bindings of the dense kernels and array helpers (gemm.h, array_ops.h) on device Tensors.
// matmul and linear_forward take the CPU backend's arguments; the rest are what
// neuralviz.device.DeviceArray needs for numpy's in-place arithmetic and reductions.
#include "common/matmul_shape.h"
#include "cuda/array_ops.h"
#include "cuda/bind.h"
#include "cuda/gemm.h"

namespace nvz::cuda {
namespace {

Tensor matmul(const Tensor& a, const Tensor& b, bool ta, bool tb) {
  expect_ndim("matmul", "a", a, 2);
  expect_ndim("matmul", "b", b, 2);
  expect_same_dtype("matmul", "b", b, a.dtype);
  const auto [M, N, K] =
      nvz::matmul_shape("matmul", a.dim(0), a.dim(1), b.dim(0), b.dim(1), ta, tb);
  Tensor c({M, N}, a.dtype);
  by_float_dtype("matmul", a, [&](auto t) {
    using T = decltype(t);
    gemm<T>(ta, tb, M, N, K, T(1), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1), T(0), c.data<T>(),
            N);
    return 0;
  });
  return c;
}

// y = x wᵀ + b: x (N, in), w (units, in), b (units,) or None
Tensor linear_forward(const Tensor& x, const Tensor& w, const OptTensor& b) {
  expect_ndim("linear_forward", "x", x, 2);
  expect_ndim("linear_forward", "w", w, 2);
  expect_same_dtype("linear_forward", "w", w, x.dtype);
  NVZ_CHECK(x.dim(1) == w.dim(1), "linear_forward: x has ", x.dim(1), " features but w expects ",
            w.dim(1), " (x ", x.shape_str(), ", w ", w.shape_str(), ")");
  const int64_t n = x.dim(0), units = w.dim(0), in = w.dim(1);
  if (b) {
    expect_same_dtype("linear_forward", "b", *b, x.dtype);
    expect_shape("linear_forward", "b", *b, {units});
  }
  Tensor y({n, units}, x.dtype);
  by_float_dtype("linear_forward", x, [&](auto t) {
    using T = decltype(t);
    gemm<T>(false, true, n, units, in, T(1), x.data<T>(), in, w.data<T>(), in, T(0), y.data<T>(),
            units);
    if (b) add_row_vector<T>(n, units, b->data<T>(), y.data<T>());
    return 0;
  });
  return y;
}

// c = alpha op(a) op(b) + beta c, in place: the CPU's gemm_ (tests reach every gemm argument)
void gemm_inplace(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b, double beta,
                  Tensor& c) {
  expect_ndim("gemm_", "a", a, 2);
  expect_ndim("gemm_", "b", b, 2);
  expect_ndim("gemm_", "c", c, 2);
  expect_same_dtype("gemm_", "b", b, a.dtype);
  expect_same_dtype("gemm_", "c", c, a.dtype);
  const auto [M, N, K] = nvz::matmul_shape("gemm_", a.dim(0), a.dim(1), b.dim(0), b.dim(1), ta, tb);
  NVZ_CHECK(c.dim(0) == M && c.dim(1) == N, "gemm_: c must be (", M, ", ", N, "), got ",
            c.shape_str());
  by_float_dtype("gemm_", a, [&](auto t) {
    using T = decltype(t);
    gemm<T>(ta, tb, M, N, K, T(alpha), a.data<T>(), a.dim(1), b.data<T>(), b.dim(1), T(beta),
            c.data<T>(), N);
    return 0;
  });
}

void same_size(const char* fn, const Tensor& a, const Tensor& b) {
  expect_same_dtype(fn, "the second operand", b, a.dtype);
  NVZ_CHECK(a.numel() == b.numel(), fn, ": operands of shapes ", a.shape_str(), " and ",
            b.shape_str(), " differ in size");
}

}  // namespace

void bind_dense(py::module_& m) {
  m.def("matmul", &matmul, py::arg("a"), py::arg("b"), py::arg("trans_a"), py::arg("trans_b"));
  m.def("gemm_", &gemm_inplace, py::arg("trans_a"), py::arg("trans_b"), py::arg("alpha"),
        py::arg("a"), py::arg("b"), py::arg("beta"), py::arg("c"));
  m.def("linear_forward", &linear_forward, py::arg("x"), py::arg("w"), py::arg("b"));
  m.def("set_tf32", &set_tf32, py::arg("enabled"),
        "Process-wide: float32 GEMMs (matmul, gemm_, linear_forward, and the convolutions' and "
        "recurrences' products) use TF32 tensor cores while enabled. Off by default: TF32 rounds "
        "inputs to a 10-bit mantissa, so results differ from the CPU's by ~1e-3 relative. "
        "float64 is never affected. NVZ_TF32=1 in the environment also turns it on.");
  m.def("tf32", &tf32_enabled,
        "Whether float32 GEMMs use TF32 tensor cores now: set_tf32(True) or NVZ_TF32=1.");
  m.def(
      "add_",
      [](Tensor& y, const Tensor& x, double alpha) {
        same_size("add_", y, x);
        by_float_dtype("add_", y, [&](auto t) {
          using T = decltype(t);
          axpy<T>(y.numel(), T(alpha), x.data<T>(), y.data<T>());
          return 0;
        });
      },
      py::arg("y"), py::arg("x"), py::arg("alpha") = 1.0, "y += alpha x, in place");
  m.def(
      "add",
      [](const Tensor& a, const Tensor& b) {
        same_size("add", a, b);
        Tensor out(a.shape, a.dtype);
        by_float_dtype("add", a, [&](auto t) {
          using T = decltype(t);
          add<T>(a.numel(), a.data<T>(), b.data<T>(), out.data<T>());
          return 0;
        });
        return out;
      },
      py::arg("a"), py::arg("b"));
  m.def(
      "mul",
      [](const Tensor& a, const Tensor& b) {
        same_size("mul", a, b);
        Tensor out(a.shape, a.dtype);
        by_float_dtype("mul", a, [&](auto t) {
          using T = decltype(t);
          mul<T>(a.numel(), a.data<T>(), b.data<T>(), out.data<T>());
          return 0;
        });
        return out;
      },
      py::arg("a"), py::arg("b"));
  m.def(
      "fill_",
      [](Tensor& y, double value) {
        by_float_dtype("fill_", y, [&](auto t) {
          using T = decltype(t);
          fill<T>(y.numel(), T(value), y.data<T>());
          return 0;
        });
      },
      py::arg("y"), py::arg("value"));
  m.def(
      "scale_",
      [](Tensor& y, double alpha) {
        by_float_dtype("scale_", y, [&](auto t) {
          using T = decltype(t);
          scale<T>(y.numel(), T(alpha), y.data<T>());
          return 0;
        });
      },
      py::arg("y"), py::arg("alpha"));
  m.def(
      "sum_rows",
      [](const Tensor& x) {
        NVZ_CHECK(x.ndim() >= 1, "sum_rows: x must have at least one dimension");
        const int64_t cols = x.dim(-1), rows = cols ? x.numel() / cols : 0;
        Tensor out({cols}, x.dtype);
        by_float_dtype("sum_rows", x, [&](auto t) {
          using T = decltype(t);
          sum_rows<T>(rows, cols, x.data<T>(), out.data<T>(), false);
          return 0;
        });
        return out;
      },
      py::arg("x"), "the sum over every axis but the last: a bias gradient from (..., units)");
  m.def(
      "swap01",
      [](const Tensor& x) {
        expect_ndim("swap01", "x", x, 3);
        Tensor out({x.dim(1), x.dim(0), x.dim(2)}, x.dtype);
        by_float_dtype("swap01", x, [&](auto t) {
          using T = decltype(t);
          swap01<T>(x.dim(0), x.dim(1), x.dim(2), x.data<T>(), out.data<T>());
          return 0;
        });
        return out;
      },
      py::arg("x"), "x.transpose(1, 0, 2) as a new contiguous tensor (batch-major <-> time-major)");
}

}  // namespace nvz::cuda
