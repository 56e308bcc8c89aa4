// Device runtime: the CUDA runtime's calls behind runtime.h, or their host stand-ins in the
// simulator build. Every error becomes a C++ exception that pybind11 turns into a Python one.
#include "cuda/runtime.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#ifndef NVZ_CUDA_SIM
#include <cuda_runtime.h>
#endif

namespace nvz::cuda {
namespace {

std::atomic<int64_t> to_device{0}, to_host{0}, bytes_to_device{0}, bytes_to_host{0};
std::atomic<int64_t> live_bytes{0}, peak_bytes{0}, launches{0};

void count(std::atomic<int64_t>& n, std::atomic<int64_t>& bytes, size_t b) {
  n.fetch_add(1);
  bytes.fetch_add(static_cast<int64_t>(b));
}

void track_alloc(int64_t delta) {
  const int64_t now = live_bytes.fetch_add(delta) + delta;
  int64_t peak = peak_bytes.load();
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now)) {
  }
}

#ifndef NVZ_CUDA_SIM
void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) {
    cudaGetLastError();  // clear a non-sticky error so the next call starts clean
    throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(err));
  }
}
#endif

constexpr size_t ALIGN = 256;  // cudaMalloc's alignment, kept by the simulator too

}  // namespace

#ifdef NVZ_CUDA_SIM

int device_count(std::string* reason) {
  if (reason) reason->clear();
  return 1;
}
std::string device_name(int) {
  return "neuralviz CUDA simulator (CPU)";
}

void* device_alloc(size_t bytes) {
  void* ptr = std::aligned_alloc(ALIGN, ((bytes + ALIGN) / ALIGN) * ALIGN);
  if (ptr == nullptr)
    throw std::runtime_error("CUDA simulator: out of memory allocating " + std::to_string(bytes) +
                             " bytes");
  track_alloc(static_cast<int64_t>(bytes));
  return ptr;
}
void device_free(void* ptr, size_t bytes) noexcept {
  if (ptr == nullptr) return;
  track_alloc(-static_cast<int64_t>(bytes));
  std::free(ptr);
}
void device_zero(void* ptr, size_t bytes) {
  std::memset(ptr, 0, bytes);
}
void copy_to_device(void* dst, const void* src, size_t bytes) {
  count(to_device, bytes_to_device, bytes);
  std::memcpy(dst, src, bytes);
}
void copy_to_host(void* dst, const void* src, size_t bytes) {
  count(to_host, bytes_to_host, bytes);
  std::memcpy(dst, src, bytes);
}
void copy_on_device(void* dst, const void* src, size_t bytes) {
  std::memmove(dst, src, bytes);
}
void synchronize() {}
void check_launch(const char*) {
  launches.fetch_add(1);
}

#else

int device_count(std::string* reason) {
  int n = 0;
  cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) {
    cudaGetLastError();
    if (reason)
      *reason = std::string(cudaGetErrorString(err)) + " (cudaError " + std::to_string(err) + ")";
    return 0;
  }
  if (n == 0 && reason) *reason = "no CUDA device found";
  return n;
}

std::string device_name(int device) {
  cudaDeviceProp prop;
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return prop.name;
}

void* device_alloc(size_t bytes) {
  void* ptr = nullptr;
  cudaError_t err = cudaMalloc(&ptr, bytes ? bytes : 1);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error("CUDA out of memory allocating " + std::to_string(bytes) +
                             " bytes: " + cudaGetErrorString(err));
  }
  track_alloc(static_cast<int64_t>(bytes));
  return ptr;
}
void device_free(void* ptr, size_t bytes) noexcept {
  if (ptr == nullptr) return;
  track_alloc(-static_cast<int64_t>(bytes));
  cudaFree(ptr);
  cudaGetLastError();
}
void device_zero(void* ptr, size_t bytes) {
  check(cudaMemset(ptr, 0, bytes), "cudaMemset");
}
void copy_to_device(void* dst, const void* src, size_t bytes) {
  count(to_device, bytes_to_device, bytes);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "copy to device");
}
void copy_to_host(void* dst, const void* src, size_t bytes) {
  count(to_host, bytes_to_host, bytes);
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "copy to host");
}
void copy_on_device(void* dst, const void* src, size_t bytes) {
  check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToDevice), "copy on device");
}
void synchronize() {
  check(cudaDeviceSynchronize(), "kernel");
}
void check_launch(const char* kernel) {
  launches.fetch_add(1);
  check(cudaGetLastError(), kernel);
}

#endif

TransferStats transfer_stats() {
  return {to_device.load(),  to_host.load(),    bytes_to_device.load(), bytes_to_host.load(),
          live_bytes.load(), peak_bytes.load(), launches.load()};
}
void reset_transfer_stats() {
  to_device = to_host = bytes_to_device = bytes_to_host = launches = 0;
  peak_bytes = live_bytes.load();
}

}  // namespace nvz::cuda
