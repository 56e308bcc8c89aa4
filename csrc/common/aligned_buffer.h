// Uninitialised, 64-byte aligned scratch memory (one cache line, one AVX-512 vector), freed
// with its owner: the workspaces of the recurrent kernels and the pre-packed GEMM operands.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>

namespace nvz {

template <typename T>
class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(int64_t n) : data_(allocate(n)) {}
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }

 private:
  struct Free {
    void operator()(T* p) const { ::operator delete(p, std::align_val_t(64)); }
  };
  // Never null, even for n = 0.
  static T* allocate(int64_t n) {
    const size_t bytes = static_cast<size_t>(std::max<int64_t>(n, 1)) * sizeof(T);
    return static_cast<T*>(::operator new(bytes, std::align_val_t(64)));
  }
  std::unique_ptr<T, Free> data_;
};

}  // namespace nvz
