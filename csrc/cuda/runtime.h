// The backend's device runtime, host side: which GPUs exist, device memory, copies at the
// edges, and error reporting. The same functions exist in the simulator build (NVZ_CUDA_SIM),
// where "device" memory is host memory, so everything above this layer runs unchanged.
// Plain C++ (no CUDA types), so pybind11 code compiled by g++ can include it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace nvz::cuda {

// Number of usable GPUs; on failure 0 and a human-readable reason in `reason`.
int device_count(std::string* reason);
std::string device_name(int device);

// Device memory: alloc throws std::runtime_error (with the size) when the device is full.
// Freed blocks are cached by size for the next allocation (runtime.cu); release_cache gives them
// back.
void* device_alloc(size_t bytes);
void device_free(void* ptr, size_t bytes) noexcept;  // bytes: what device_alloc was asked for
void release_cache() noexcept;
void device_zero(void* ptr, size_t bytes);
void copy_to_device(void* dst, const void* src, size_t bytes);
void copy_to_host(void* dst, const void* src, size_t bytes);
void copy_on_device(void* dst, const void* src, size_t bytes);
// Waits for every queued kernel; kernel errors that happened since surface here.
void synchronize();
// Counts a launch; throws if it failed (bad configuration, no kernel image for this GPU).
void check_launch(const char* kernel);

// Host<->device traffic since the last reset: tests check that training copies only at the edges.
struct TransferStats {
  int64_t to_device = 0, to_host = 0, bytes_to_device = 0, bytes_to_host = 0;
  int64_t live_bytes = 0, peak_bytes = 0;  // device memory held by tensors
  int64_t launches = 0;       // kernels launched: each costs a few microseconds on a GPU
  int64_t cached_bytes = 0;   // freed blocks kept for reuse
  int64_t device_allocs = 0;  // real allocations (cudaMalloc): the cache's misses
};
TransferStats transfer_stats();
void reset_transfer_stats();

}  // namespace nvz::cuda
