// pybind11 bindings of the optional CUDA backend (neuralviz._C_cuda). Built only where
// nvcc exists; importable without a GPU (cudart is linked statically), in which case
// device_count() reports 0 with the reason.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>

#include "common/check.h"
#include "common/matmul_shape.h"
#include "cuda/cuda_ops.h"

namespace py = pybind11;

namespace {

template <typename T>
using Arr = py::array_t<T, py::array::c_style>;

template <typename T>
Arr<T> matmul(const Arr<T>& a, const Arr<T>& b, bool ta, bool tb) {
  NVZ_CHECK(a.ndim() == 2 && b.ndim() == 2, "matmul: a and b must be 2-D");
  // Sizes checked in 64-bit arithmetic, and the result must fit in (host) memory: with K = 0
  // no input bounds M * N (issue 14).
  const auto shape =
      nvz::matmul_shape("matmul", a.shape(0), a.shape(1), b.shape(0), b.shape(1), ta, tb);
  nvz::check_matmul_result("matmul", shape, sizeof(T));
  const auto [M, N, K] = shape;
  Arr<T> c({M, N});
  T* cp = c.mutable_data();
  {
    py::gil_scoped_release nogil;
    nvz::cuda::gemm<T>(ta, tb, M, N, K, a.data(), b.data(), cp);
  }
  return c;
}

}  // namespace

PYBIND11_MODULE(_C_cuda, m) {
  m.doc() = "neuralviz CUDA backend (optional). Use neuralviz.ops with nv.set_backend('cuda').";
  m.def("device_count", [] {
    std::string reason;
    int n = nvz::cuda::device_count(&reason);
    return py::make_tuple(n, reason);
  });
  m.def("device_name", &nvz::cuda::device_name, py::arg("device") = 0);
  m.def("matmul", &matmul<float>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("trans_a"), py::arg("trans_b"));
  m.def("matmul", &matmul<double>, py::arg("a").noconvert(), py::arg("b").noconvert(),
        py::arg("trans_a"), py::arg("trans_b"));
}
