// pybind11 module of the optional CUDA backend: neuralviz._native._C_cuda (nvcc build, needs a
// GPU to run) or neuralviz._native._C_cudasim (the same sources on the CPU simulator, see
// device.h). Importable without a GPU: the runtime is linked statically and device_count()
// reports 0 with the reason. This file holds the Tensor type and the runtime; each kernel
// family registers its own functions (bind_*.cpp).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>

#include "cuda/bind.h"

#ifndef NVZ_CUDA_MODULE
#define NVZ_CUDA_MODULE _C_cuda
#endif

namespace py = pybind11;
using nvz::cuda::Dtype;
using nvz::cuda::Tensor;

namespace {

// By kind and size, not identity: an unpickled or a big-endian-swapped dtype is equal but another
// object.
Dtype dtype_from_numpy(const py::dtype& dt) {
  const char kind = dt.kind();
  const bool native = dt.attr("isnative").cast<bool>();
  if (native && kind == 'f' && dt.itemsize() == 4) return Dtype::f32;
  if (native && kind == 'f' && dt.itemsize() == 8) return Dtype::f64;
  if (native && kind == 'i' && dt.itemsize() == 8) return Dtype::i64;
  nvz::fail("to_device: dtype must be float32, float64 or int64 in native byte order, got ",
            std::string(py::str(dt)));
}

py::dtype numpy_dtype(Dtype d) {
  return d == Dtype::f32   ? py::dtype::of<float>()
         : d == Dtype::f64 ? py::dtype::of<double>()
                           : py::dtype::of<int64_t>();
}

Dtype dtype_from_name(const std::string& name) {
  if (name == "float32") return Dtype::f32;
  if (name == "float64") return Dtype::f64;
  if (name == "int64") return Dtype::i64;
  nvz::fail("device tensor: dtype must be 'float32', 'float64' or 'int64', got '", name, "'");
}

// numpy (any layout) -> device; the array is made C-contiguous on the host first.
Tensor to_device(const py::array& a) {
  const Dtype d = dtype_from_numpy(a.dtype());
  auto c = py::array::ensure(a, py::array::c_style);
  std::vector<int64_t> shape(c.shape(), c.shape() + c.ndim());
  Tensor t(shape, d);
  const size_t n = t.nbytes();
  const void* src = c.data();
  {
    py::gil_scoped_release nogil;
    if (n) nvz::cuda::copy_to_device(t.storage->ptr, src, n);
  }
  return t;
}

py::array to_host(const Tensor& t) {
  py::array out(numpy_dtype(t.dtype), t.shape);
  void* dst = out.mutable_data();
  const size_t n = t.nbytes();
  {
    py::gil_scoped_release nogil;
    if (n) nvz::cuda::copy_to_host(dst, t.storage->ptr, n);
  }
  return out;
}

Tensor copy_of(const Tensor& t) {
  Tensor out(t.shape, t.dtype);
  if (t.nbytes()) nvz::cuda::copy_on_device(out.storage->ptr, t.storage->ptr, t.nbytes());
  return out;
}

void copy_into(Tensor& dst, const Tensor& src) {
  NVZ_CHECK(dst.dtype == src.dtype && dst.numel() == src.numel(), "copy_: cannot copy ",
            nvz::cuda::dtype_name(src.dtype), src.shape_str(), " into ",
            nvz::cuda::dtype_name(dst.dtype), dst.shape_str());
  if (src.nbytes() && dst.storage->ptr != src.storage->ptr)
    nvz::cuda::copy_on_device(dst.storage->ptr, src.storage->ptr, src.nbytes());
}

void upload_into(Tensor& dst, const py::array& a) {
  NVZ_CHECK(
      dtype_from_numpy(a.dtype()) == dst.dtype && static_cast<int64_t>(a.size()) == dst.numel(),
      "upload_: cannot copy a host array of ", a.size(), " ", std::string(py::str(a.dtype())),
      " into ", nvz::cuda::dtype_name(dst.dtype), dst.shape_str());
  auto c = py::array::ensure(a, py::array::c_style);
  if (dst.nbytes()) nvz::cuda::copy_to_device(dst.storage->ptr, c.data(), dst.nbytes());
}

}  // namespace

PYBIND11_MODULE(NVZ_CUDA_MODULE, m) {
  m.doc() = "neuralviz CUDA backend (optional). Use nv.set_backend('cuda') or net.to('cuda').";
  m.attr("simulated") = py::bool_(
#ifdef NVZ_CUDA_SIM
      true
#else
      false
#endif
  );
  m.def("device_count", [] {
    std::string reason;
    int n = nvz::cuda::device_count(&reason);
    return py::make_tuple(n, reason);
  });
  m.def("device_name", &nvz::cuda::device_name, py::arg("device") = 0);
  m.def("synchronize", [] {
    py::gil_scoped_release nogil;
    nvz::cuda::synchronize();
  });
  m.def("transfer_stats", [] {
    auto s = nvz::cuda::transfer_stats();
    py::dict d;
    d["to_device"] = s.to_device;
    d["to_host"] = s.to_host;
    d["bytes_to_device"] = s.bytes_to_device;
    d["bytes_to_host"] = s.bytes_to_host;
    d["live_bytes"] = s.live_bytes;
    d["peak_bytes"] = s.peak_bytes;
    d["launches"] = s.launches;
    d["cached_bytes"] = s.cached_bytes;
    d["device_allocs"] = s.device_allocs;
    return d;
  });
  m.def("reset_transfer_stats", &nvz::cuda::reset_transfer_stats);
  m.def("release_cache", &nvz::cuda::release_cache,
        "gives the cached free blocks back to the device");

  py::class_<Tensor>(m, "Tensor", py::module_local(),
                     "A device-resident, C-contiguous array (see neuralviz.device).")
      .def_property_readonly("shape",
                             [](const Tensor& t) {
                               py::tuple s(t.shape.size());
                               for (size_t i = 0; i < t.shape.size(); ++i) s[i] = t.shape[i];
                               return s;
                             })
      .def_property_readonly("dtype",
                             [](const Tensor& t) { return nvz::cuda::dtype_name(t.dtype); })
      .def_property_readonly("nbytes", &Tensor::nbytes)
      .def("view", &Tensor::view, py::arg("shape"))
      .def("same_storage", [](const Tensor& a, const Tensor& b) { return a.storage == b.storage; })
      .def("numpy", &to_host)
      .def("copy", &copy_of)
      .def("copy_", &copy_into, py::arg("src"))
      .def("upload_", &upload_into, py::arg("src"));
  m.def("to_device", &to_device, py::arg("a"));
  m.def(
      "empty",
      [](std::vector<int64_t> shape, const std::string& dtype) {
        return Tensor(shape, dtype_from_name(dtype));
      },
      py::arg("shape"), py::arg("dtype"));
  m.def(
      "zeros",
      [](std::vector<int64_t> shape, const std::string& dtype) {
        return Tensor::zeros(shape, dtype_from_name(dtype));
      },
      py::arg("shape"), py::arg("dtype"));

  nvz::cuda::bind_dense(m);
  nvz::cuda::bind_elementwise(m);
  nvz::cuda::bind_conv(m);
  nvz::cuda::bind_recurrent(m);
}
