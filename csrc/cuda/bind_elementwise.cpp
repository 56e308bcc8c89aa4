// Bindings of the elementwise kernel family (elementwise.h) on device Tensors: activations,
// losses and optimizer updates, mirroring the CPU's Cython kernels (neuralviz/_native/
// activations.pyx, losses.pyx, updates.pyx and their .pyi stubs) name for name, argument for
// argument: the same optional outputs (None allocates; a given one is written and returned
// itself), the same return values, the same checks with the same messages and exception classes
// (TypeError for a dtype, ValueError for a shape or value). tanh_forward_large and
// sigmoid_forward_large take the CPU's _C signature (x, out) and run the same device kernels:
// a GPU has no small/large split.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>

#include "cuda/bind.h"
#include "cuda/elementwise.h"

namespace nvz::cuda {
namespace {

// ---- checks, as neuralviz/_native/_checks.pxd words them -------------------------------------

template <typename... Args>
[[noreturn]] void type_fail(const Args&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw py::type_error(os.str());
}

bool is_float(const Tensor& t) {
  return t.dtype == Dtype::f32 || t.dtype == Dtype::f64;
}

void float_type(const char* fn, const char* name, const Tensor& t) {
  if (!is_float(t))
    type_fail(fn, ": ", name, " must be float32 or float64, got ", dtype_name(t.dtype));
}

// `a` has exactly the dtype and shape of `ref`.
void check_like(const char* fn, const char* name, const Tensor& a, const char* ref_name,
                const Tensor& ref) {
  if (a.dtype != ref.dtype)
    type_fail(fn, ": ", name, " has dtype ", dtype_name(a.dtype), " but ", ref_name, " has dtype ",
              dtype_name(ref.dtype), "; the dtypes must match (nothing is cast)");
  NVZ_CHECK(a.shape == ref.shape, fn, ": ", name, " has shape ", a.shape_str(), " but ", ref_name,
            " has shape ", ref.shape_str(), "; they must be equal");
}

// An output: a new Tensor like `ref` when `out` is None, else `out` itself once checked. Returns
// the Python object (what the binding returns, so a given output comes back as itself) and sets
// `t` to its Tensor.
py::object output_like(const char* fn, const char* name, const py::object& out,
                       const char* ref_name, const Tensor& ref, Tensor*& t) {
  py::object result = out.is_none() ? py::cast(Tensor(ref.shape, ref.dtype)) : out;
  if (!py::isinstance<Tensor>(result))
    type_fail(fn, ": ", name, " must be a device Tensor or None, got ",
              std::string(py::str(py::type::handle_of(result).attr("__name__"))));
  t = &result.cast<Tensor&>();
  if (!out.is_none()) check_like(fn, name, *t, ref_name, ref);
  return result;
}

// ---- activations -----------------------------------------------------------------------------

py::object act_forward(const char* fn, Activation op, const Tensor& x, const py::object& out,
                       double slope) {
  float_type(fn, "x", x);
  Tensor* y = nullptr;
  py::object result = output_like(fn, "out", out, "x", x, y);
  by_float_dtype(fn, x, [&](auto z) {
    using T = decltype(z);
    activation_forward<T>(op, x.numel(), x.data<T>(fn), static_cast<T>(slope), y->data<T>(fn));
    return 0;
  });
  return result;
}

// `saved` is what the rule reads: the forward output or input, named saved_name in messages.
py::object act_backward(const char* fn, Activation op, const char* saved_name, const Tensor& saved,
                        const Tensor& grad_y, const py::object& grad_x, double slope) {
  float_type(fn, saved_name, saved);
  check_like(fn, "grad_y", grad_y, saved_name, saved);
  Tensor* gx = nullptr;
  py::object result = output_like(fn, "grad_x", grad_x, saved_name, saved, gx);
  by_float_dtype(fn, saved, [&](auto z) {
    using T = decltype(z);
    activation_backward<T>(op, saved.numel(), saved.data<T>(fn), static_cast<T>(slope),
                           grad_y.data<T>(fn), gx->data<T>(fn));
    return 0;
  });
  return result;
}

// The CPU's _C.tanh_forward / _C.sigmoid_forward: out is required and must hold x's elements.
py::object act_forward_large(const char* fn, Activation op, const Tensor& x,
                             const py::object& out) {
  float_type(fn, "x", x);
  if (!py::isinstance<Tensor>(out)) type_fail(fn, ": out must be a device Tensor");
  const Tensor& y = out.cast<Tensor&>();
  if (y.dtype != x.dtype)
    type_fail(fn, ": out has dtype ", dtype_name(y.dtype), " but x has dtype ", dtype_name(x.dtype),
              "; the dtypes must match (nothing is cast)");
  NVZ_CHECK(y.numel() == x.numel(), fn, ": out has ", y.numel(), " elements, x has ", x.numel());
  by_float_dtype(fn, x, [&](auto z) {
    using T = decltype(z);
    activation_forward<T>(op, x.numel(), x.data<T>(fn), T(0), y.data<T>(fn));
    return 0;
  });
  return out;
}

void bind_activations(py::module_& m) {
  using A = Activation;
  const auto none = py::none();
  m.def(
      "relu_forward",
      [](const Tensor& x, const py::object& out) {
        return act_forward("relu_forward", A::relu, x, out, 0.0);
      },
      py::arg("x"), py::arg("out") = none);
  m.def(
      "relu_backward",
      [](const Tensor& y_or_x, const Tensor& grad_y, const py::object& grad_x) {
        return act_backward("relu_backward", A::relu, "y_or_x", y_or_x, grad_y, grad_x, 0.0);
      },
      py::arg("y_or_x"), py::arg("grad_y"), py::arg("grad_x") = none);
  m.def(
      "leaky_relu_forward",
      [](const Tensor& x, double slope, const py::object& out) {
        return act_forward("leaky_relu_forward", A::leaky_relu, x, out, slope);
      },
      py::arg("x"), py::arg("slope"), py::arg("out") = none);
  m.def(
      "leaky_relu_backward",
      [](const Tensor& x, double slope, const Tensor& grad_y, const py::object& grad_x) {
        return act_backward("leaky_relu_backward", A::leaky_relu, "x", x, grad_y, grad_x, slope);
      },
      py::arg("x"), py::arg("slope"), py::arg("grad_y"), py::arg("grad_x") = none);
  m.def(
      "tanh_forward",
      [](const Tensor& x, const py::object& out) {
        return act_forward("tanh_forward", A::tanh, x, out, 0.0);
      },
      py::arg("x"), py::arg("out") = none);
  m.def(
      "tanh_forward_large",
      [](const Tensor& x, const py::object& out) {
        return act_forward_large("tanh_forward_large", A::tanh, x, out);
      },
      py::arg("x"), py::arg("out"));
  m.def(
      "tanh_backward",
      [](const Tensor& y, const Tensor& grad_y, const py::object& grad_x) {
        return act_backward("tanh_backward", A::tanh, "y", y, grad_y, grad_x, 0.0);
      },
      py::arg("y"), py::arg("grad_y"), py::arg("grad_x") = none);
  m.def(
      "sigmoid_forward",
      [](const Tensor& x, const py::object& out) {
        return act_forward("sigmoid_forward", A::sigmoid, x, out, 0.0);
      },
      py::arg("x"), py::arg("out") = none);
  m.def(
      "sigmoid_forward_large",
      [](const Tensor& x, const py::object& out) {
        return act_forward_large("sigmoid_forward_large", A::sigmoid, x, out);
      },
      py::arg("x"), py::arg("out"));
  m.def(
      "sigmoid_backward",
      [](const Tensor& y, const Tensor& grad_y, const py::object& grad_x) {
        return act_backward("sigmoid_backward", A::sigmoid, "y", y, grad_y, grad_x, 0.0);
      },
      py::arg("y"), py::arg("grad_y"), py::arg("grad_x") = none);
}

// ---- losses ----------------------------------------------------------------------------------

// The optional gradient output of a loss: checked like x, nothing allocated when None.
Tensor* grad_or_null(const char* fn, const py::object& grad_out, const char* x_name,
                     const Tensor& x) {
  if (grad_out.is_none()) return nullptr;
  Tensor* g = nullptr;
  output_like(fn, "grad_out", grad_out, x_name, x, g);
  return g;
}

// mse and bce_with_logits: x any shape, the target x's shape and dtype; the mean (NaN when
// empty, as 0.0 / 0 in the CPU's C division).
template <typename Sum>
double mean_elementwise(const char* fn, const char* x_name, const Tensor& x,
                        const char* target_name, const Tensor& target, const py::object& grad_out,
                        Sum sum) {
  float_type(fn, x_name, x);
  check_like(fn, target_name, target, x_name, x);
  Tensor* grad = grad_or_null(fn, grad_out, x_name, x);
  const double total = by_float_dtype(fn, x, [&](auto z) {
    using T = decltype(z);
    const T* xp = x.data<T>(fn);
    const T* tp = target.data<T>(fn);
    T* gp = grad ? grad->data<T>(fn) : nullptr;
    py::gil_scoped_release nogil;  // the copy of the loss back waits for the device
    return sum(x.numel(), xp, tp, gp);
  });
  return total / static_cast<double>(x.numel());
}

double softmax_cross_entropy(const Tensor& logits, const Tensor& labels,
                             const py::object& grad_out) {
  const char* fn = "softmax_cross_entropy";
  float_type(fn, "logits", logits);
  NVZ_CHECK(logits.ndim() == 2, fn, ": logits must be 2-D (N, C), got shape ", logits.shape_str());
  const int64_t n = logits.dim(0), c = logits.dim(1);
  if (labels.dtype != Dtype::i64)
    type_fail(fn, ": labels must be int64, got ", dtype_name(labels.dtype));
  NVZ_CHECK(labels.ndim() == 1 && labels.dim(0) == n, fn, ": labels must have shape (", n,
            ",) to match logits ", logits.shape_str(), ", got ", labels.shape_str());
  Tensor* grad = grad_or_null(fn, grad_out, "logits", logits);
  const XentResult r = by_float_dtype(fn, logits, [&](auto z) {
    using T = decltype(z);
    const T* xp = logits.data<T>(fn);
    const int64_t* lp = labels.data<int64_t>(fn);
    T* gp = grad ? grad->data<T>(fn) : nullptr;
    py::gil_scoped_release nogil;
    return softmax_cross_entropy_sum<T>(n, c, xp, lp, gp);
  });
  // Found by the kernels; the gradient was left untouched (the CPU checks before writing).
  NVZ_CHECK(r.bad_index < 0, fn, ": label ", r.bad_label, " at index ", r.bad_index,
            " is out of range for ", c, " classes (expected 0 <= label < ", c, ")");
  return r.total / static_cast<double>(n);
}

void bind_losses(py::module_& m) {
  const auto none = py::none();
  m.def(
      "mse",
      [](const Tensor& pred, const Tensor& target, const py::object& grad_out) {
        return mean_elementwise(
            "mse", "pred", pred, "target", target, grad_out,
            [](int64_t n, auto* p, auto* t, auto* g) { return mse_sum(n, p, t, g); });
      },
      py::arg("pred"), py::arg("target"), py::arg("grad_out") = none);
  m.def(
      "bce_with_logits",
      [](const Tensor& logits, const Tensor& targets, const py::object& grad_out) {
        return mean_elementwise(
            "bce_with_logits", "logits", logits, "targets", targets, grad_out,
            [](int64_t n, auto* x, auto* t, auto* g) { return bce_with_logits_sum(n, x, t, g); });
      },
      py::arg("logits"), py::arg("targets"), py::arg("grad_out") = none);
  m.def("softmax_cross_entropy", &softmax_cross_entropy, py::arg("logits"), py::arg("labels"),
        py::arg("grad_out") = none);
}

// ---- optimizer updates -----------------------------------------------------------------------

// param (written) and grad: float, same dtype and shape. (A device Tensor is always writable.)
void check_param(const char* fn, const Tensor& param, const Tensor& grad) {
  float_type(fn, "param", param);
  check_like(fn, "grad", grad, "param", param);
}

void sgd(Tensor& param, const Tensor& grad, double lr, double weight_decay, double l1) {
  const char* fn = "sgd_update";
  check_param(fn, param, grad);
  by_float_dtype(fn, param, [&](auto z) {
    using T = decltype(z);
    sgd_update<T>(param.numel(), param.data<T>(fn), grad.data<T>(fn), T(lr), T(weight_decay),
                  T(l1));
    return 0;
  });
}

void momentum(Tensor& param, const Tensor& grad, Tensor& velocity, double lr, double mu,
              bool nesterov, double weight_decay, double l1) {
  const char* fn = "momentum_update";
  check_param(fn, param, grad);
  check_like(fn, "velocity", velocity, "param", param);
  by_float_dtype(fn, param, [&](auto z) {
    using T = decltype(z);
    momentum_update<T>(param.numel(), param.data<T>(fn), grad.data<T>(fn), velocity.data<T>(fn),
                       T(lr), T(mu), nesterov, T(weight_decay), T(l1));
    return 0;
  });
}

// step: any integer (PyIndex), from 1; checked first, as updates.pyx does.
int64_t adam_step(const char* fn, const py::handle& step) {
  if (!PyIndex_Check(step.ptr()))
    type_fail(fn, ": step must be an integer, got ",
              std::string(py::str(py::type::handle_of(step).attr("__name__"))));
  const auto k = py::int_(py::reinterpret_borrow<py::object>(step)).cast<int64_t>();
  NVZ_CHECK(k >= 1, fn, ": step must be >= 1 (the first update is step 1), got ", k);
  return k;
}

void adam(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, double lr, double beta1,
          double beta2, double eps, const py::object& step, double weight_decay, double l1) {
  const char* fn = "adam_update";
  const double k = static_cast<double>(adam_step(fn, step));
  check_param(fn, param, grad);
  check_like(fn, "m", m, "param", param);
  check_like(fn, "v", v, "param", param);
  // torch's -lr / (1 - b1^k) m / (sqrt(v) / sqrt(1 - b2^k) + eps), multiplied through by
  // sqrt(1 - b2^k) as updates.pyx does: one division per element.
  const double step_size = lr / (1 - std::pow(beta1, k));
  const double bc2_sqrt = std::sqrt(1 - std::pow(beta2, k));
  const AdamScalars s{beta1, beta2, step_size * bc2_sqrt, eps * bc2_sqrt, weight_decay, l1};
  by_float_dtype(fn, param, [&](auto z) {
    using T = decltype(z);
    adam_update<T>(param.numel(), param.data<T>(fn), grad.data<T>(fn), m.data<T>(fn), v.data<T>(fn),
                   s);
    return 0;
  });
}

void rmsprop(Tensor& param, const Tensor& grad, Tensor& sq, double lr, double alpha, double eps,
             double weight_decay, double l1) {
  const char* fn = "rmsprop_update";
  check_param(fn, param, grad);
  check_like(fn, "sq", sq, "param", param);
  by_float_dtype(fn, param, [&](auto z) {
    using T = decltype(z);
    rmsprop_update<T>(param.numel(), param.data<T>(fn), grad.data<T>(fn), sq.data<T>(fn), T(lr),
                      T(alpha), T(1 - alpha), T(eps), T(weight_decay), T(l1));
    return 0;
  });
}

void bind_updates(py::module_& m) {
  m.def("sgd_update", &sgd, py::arg("param"), py::arg("grad"), py::arg("lr"),
        py::arg("weight_decay") = 0.0, py::arg("l1") = 0.0);
  m.def("momentum_update", &momentum, py::arg("param"), py::arg("grad"), py::arg("velocity"),
        py::arg("lr"), py::arg("momentum"), py::arg("nesterov"), py::arg("weight_decay") = 0.0,
        py::arg("l1") = 0.0);
  m.def("adam_update", &adam, py::arg("param"), py::arg("grad"), py::arg("m"), py::arg("v"),
        py::arg("lr"), py::arg("beta1"), py::arg("beta2"), py::arg("eps"), py::arg("step"),
        py::arg("weight_decay") = 0.0, py::arg("l1") = 0.0);
  m.def("rmsprop_update", &rmsprop, py::arg("param"), py::arg("grad"), py::arg("sq"), py::arg("lr"),
        py::arg("alpha"), py::arg("eps"), py::arg("weight_decay") = 0.0, py::arg("l1") = 0.0);
}

}  // namespace

void bind_elementwise(py::module_& m) {
  bind_activations(m);
  bind_losses(m);
  bind_updates(m);
}

}  // namespace nvz::cuda
