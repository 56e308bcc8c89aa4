// Shared by the CUDA backend's binding files (bind_*.cpp, one per kernel family, all
// registered by bindings_cuda.cpp): dtype dispatch and the module each one adds to.
// The bindings mirror the CPU backend's kernels name for name and argument for argument
// (neuralviz.backend.CpuBackend), with device Tensors in place of numpy arrays, so the
// Python CudaBackend can call either with the same arguments.
#pragma once
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <optional>

#include "cuda/tensor.h"

namespace nvz::cuda {

namespace py = pybind11;
using OptTensor = std::optional<Tensor>;

// f(float{}) or f(double{}) by the tensor's dtype; anything else is refused by name.
template <typename F>
auto by_float_dtype(const char* fn, const Tensor& t, F&& f) {
  if (t.dtype == Dtype::f32) return f(float{});
  NVZ_CHECK(t.dtype == Dtype::f64, fn, ": expected float32 or float64, got ", dtype_name(t.dtype));
  return f(double{});
}

void bind_dense(py::module_& m);        // matmul, linear_forward, array helpers (dense.cu)
void bind_elementwise(py::module_& m);  // activations, losses, optimizer updates
void bind_conv(py::module_& m);         // conv2d, conv_transpose2d, pooling
void bind_recurrent(py::module_& m);    // RNN-tanh, LSTM, GRU over whole sequences

}  // namespace nvz::cuda
