// A device-resident array: what the CUDA backend's bindings take and return instead of numpy
// arrays, so parameters, activations and gradients stay on the GPU between kernel calls.
// Row-major and contiguous; reshape makes a view sharing the storage (as numpy's does).
// Python sees it through neuralviz.device.DeviceArray, which adds the numpy protocol.
#pragma once
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "common/check.h"
#include "cuda/runtime.h"

namespace nvz::cuda {

enum class Dtype { f32, f64, i64 };

inline size_t itemsize(Dtype d) {
  return d == Dtype::f32 ? 4 : 8;
}
inline const char* dtype_name(Dtype d) {
  return d == Dtype::f32 ? "float32" : d == Dtype::f64 ? "float64" : "int64";
}
template <typename T>
constexpr Dtype dtype_of();
template <>
constexpr Dtype dtype_of<float>() {
  return Dtype::f32;
}
template <>
constexpr Dtype dtype_of<double>() {
  return Dtype::f64;
}
template <>
constexpr Dtype dtype_of<int64_t>() {
  return Dtype::i64;
}

// Owns one device allocation; freed when the last Tensor viewing it goes.
struct Storage {
  void* ptr = nullptr;
  size_t bytes = 0;
  explicit Storage(size_t n) : ptr(device_alloc(n)), bytes(n) {}
  ~Storage() { device_free(ptr, bytes); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
};

struct Tensor {
  std::shared_ptr<Storage> storage;
  std::vector<int64_t> shape;
  Dtype dtype = Dtype::f32;

  Tensor() = default;
  Tensor(std::vector<int64_t> shape_, Dtype d) : shape(std::move(shape_)), dtype(d) {
    for (int64_t s : shape) NVZ_CHECK(s >= 0, "device tensor: negative dimension ", s);
    storage = std::make_shared<Storage>(nbytes());
  }
  static Tensor zeros(std::vector<int64_t> shape_, Dtype d) {
    Tensor t(std::move(shape_), d);
    device_zero(t.storage->ptr, t.nbytes());
    return t;
  }
  int64_t numel() const {
    return std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
  }
  size_t nbytes() const { return static_cast<size_t>(numel()) * itemsize(dtype); }
  int ndim() const { return static_cast<int>(shape.size()); }
  int64_t dim(int i) const { return shape[i < 0 ? shape.size() + i : i]; }
  // Typed pointer; the dtype is checked so a float64 buffer is never read as float32.
  template <typename T>
  T* data(const char* who = "device tensor") const {
    NVZ_CHECK(dtype == dtype_of<T>(), who, ": expected ", dtype_name(dtype_of<T>()), ", got ",
              dtype_name(dtype));
    return static_cast<T*>(storage->ptr);
  }
  Tensor view(std::vector<int64_t> new_shape) const {
    Tensor t;
    t.storage = storage;
    t.dtype = dtype;
    t.shape = std::move(new_shape);
    NVZ_CHECK(t.numel() == numel(), "reshape: cannot view ", numel(), " elements as ", t.numel());
    return t;
  }
  std::string shape_str() const {
    std::string s = "(";
    for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
  }
};

// Argument checks for the bindings: messages name the kernel, the argument and the shapes.
inline void expect_ndim(const char* fn, const char* name, const Tensor& t, int ndim) {
  NVZ_CHECK(t.ndim() == ndim, fn, ": ", name, " must be ", ndim, "-D, got shape ", t.shape_str());
}
inline void expect_same_dtype(const char* fn, const char* name, const Tensor& t, Dtype d) {
  NVZ_CHECK(t.dtype == d, fn, ": ", name, " is ", dtype_name(t.dtype), " but the inputs are ",
            dtype_name(d));
}
inline void expect_shape(const char* fn, const char* name, const Tensor& t,
                         const std::vector<int64_t>& shape) {
  Tensor probe;
  probe.shape = shape;
  NVZ_CHECK(t.shape == shape, fn, ": ", name, " has shape ", t.shape_str(), ", expected ",
            probe.shape_str());
}

}  // namespace nvz::cuda
