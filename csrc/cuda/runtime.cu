// Device runtime: the CUDA runtime's calls behind runtime.h, or their host stand-ins in the
// simulator build. Every error becomes a C++ exception that pybind11 turns into a Python one.
#include "cuda/runtime.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

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

}  // namespace

#ifdef NVZ_CUDA_SIM

int device_count(std::string* reason) {
  if (reason) reason->clear();
  return 1;
}
std::string device_name(int) {
  return "neuralviz CUDA simulator (CPU)";
}

namespace {
constexpr size_t ALIGN = 256;    // cudaMalloc's alignment, kept by the simulator too
void* raw_alloc(size_t bytes) {  // nullptr when out of memory
  return std::aligned_alloc(ALIGN, ((bytes + ALIGN) / ALIGN) * ALIGN);
}
void raw_free(void* ptr) noexcept {
  std::free(ptr);
}
const std::string OOM = "CUDA simulator: out of memory allocating ";
}  // namespace
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

namespace {
void* raw_alloc(size_t bytes) {  // nullptr when out of memory
  void* ptr = nullptr;
  if (cudaMalloc(&ptr, bytes ? bytes : 1) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return ptr;
}
void raw_free(void* ptr) noexcept {
  cudaFree(ptr);
  cudaGetLastError();
}
const std::string OOM = "CUDA out of memory allocating ";
}  // namespace
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

// ---------------------------------------------------------------- the block cache
// A training step allocates the same sizes every time (layer outputs, gradients, workspaces), and
// on a GPU cudaMalloc costs tens of microseconds and cudaFree waits for the whole device. So a
// freed block goes into a cache by its rounded size and the next allocation of that size takes it
// back: after the first step a step allocates nothing (tests/test_cuda_backend.py checks). Reuse is
// safe because every kernel and copy runs in order on the one default stream: kernels that used the
// old tensor were queued before any that use the new one. PyTorch's caching allocator works the
// same way, per stream.
namespace {

std::mutex cache_mutex;
std::unordered_map<size_t, std::vector<void*>> cache;  // rounded size -> free blocks
std::atomic<int64_t> cached_bytes{0}, device_allocs{0};

size_t rounded(
    size_t bytes) {  // 512-byte steps: sizes that differ by a few elements share a bucket
  return ((bytes + 511) / 512) * 512;
}

}  // namespace

void* device_alloc(size_t bytes) {
  const size_t size = rounded(bytes);
  {
    std::lock_guard<std::mutex> lock(cache_mutex);
    auto it = cache.find(size);
    if (it != cache.end() && !it->second.empty()) {
      void* ptr = it->second.back();
      it->second.pop_back();
      cached_bytes -= static_cast<int64_t>(size);
      track_alloc(static_cast<int64_t>(bytes));
      return ptr;
    }
  }
  void* ptr = raw_alloc(size);
  if (ptr == nullptr) {  // the cache may hold what is missing: give it back and try once more
    release_cache();
    ptr = raw_alloc(size);
  }
  if (ptr == nullptr) throw std::runtime_error(OOM + std::to_string(bytes) + " bytes");
  device_allocs.fetch_add(1);
  track_alloc(static_cast<int64_t>(bytes));
  return ptr;
}

void device_free(void* ptr, size_t bytes) noexcept {
  if (ptr == nullptr) return;
  track_alloc(-static_cast<int64_t>(bytes));
  const size_t size = rounded(bytes);
  try {
    std::lock_guard<std::mutex> lock(cache_mutex);
    cache[size].push_back(ptr);
    cached_bytes += static_cast<int64_t>(size);
  } catch (...) {  // no memory for the bookkeeping: free the block instead of caching it
    raw_free(ptr);
  }
}

void release_cache() noexcept {
  std::lock_guard<std::mutex> lock(cache_mutex);
  for (auto& entry : cache)
    for (void* ptr : entry.second) raw_free(ptr);
  cache.clear();
  cached_bytes = 0;
}

TransferStats transfer_stats() {
  TransferStats t;
  t.to_device = to_device.load();
  t.to_host = to_host.load();
  t.bytes_to_device = bytes_to_device.load();
  t.bytes_to_host = bytes_to_host.load();
  t.live_bytes = live_bytes.load();
  t.peak_bytes = peak_bytes.load();
  t.launches = launches.load();
  t.cached_bytes = cached_bytes.load();
  t.device_allocs = device_allocs.load();
  return t;
}

void reset_transfer_stats() {
  to_device = to_host = bytes_to_device = bytes_to_host = launches = device_allocs = 0;
  peak_bytes = live_bytes.load();
}

}  // namespace nvz::cuda
