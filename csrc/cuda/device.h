// What a CUDA kernel file of the backend includes: the CUDA dialect, and the launch macros.
//
// Every .cu file in csrc/cuda is compiled twice:
// - by nvcc into neuralviz._native._C_cuda, the real backend (a GPU runs it);
// - by g++ as plain C++ with NVZ_CUDA_SIM into neuralviz._native._C_cudasim, where this header
//   emulates the dialect on the CPU: a grid is run block after block; under NVZ_LAUNCH_SYNC the
//   threads of a block are fibers (ucontext) meeting at __syncthreads, run round-robin on the
//   calling thread, so barriers hold exactly and results are deterministic. __shared__ arrays
//   are statics shared by the block's threads (blocks never overlap, launches are serialised).
//
// Why: no test machine here has a GPU. The simulator runs the very same kernel source, so
// indexing, tiling, edge tiles and reductions are checked against the CPU kernels on every
// machine; only speed and the hardware's memory model need a real GPU (benchmarks/gpu_check.sh).
//
// Rules for kernel code, so both builds agree:
// - launch with NVZ_LAUNCH (no __syncthreads inside) or NVZ_LAUNCH_SYNC (block barriers);
//   the simulator refuses __syncthreads under NVZ_LAUNCH, naming the kernel;
// - no early `return` before a __syncthreads (guard the work with `if` instead);
// - no warp intrinsics (__shfl*), no dynamic `extern __shared__`;
// - a kernel that waits for the whole grid (grid_sync) is launched with NVZ_LAUNCH_COOP, in a grid
//   no larger than cooperative_capacity(kernel, threads) (every block resident at once), and keeps
//   nothing in shared memory across a grid_sync (the simulator hands the arrays to other blocks);
// - use nvz_min / nvz_max and the math functions below (expf, tanhf, ... are in both).
#pragma once
#include <cstdint>

#include "cuda/runtime.h"

#ifdef NVZ_CUDA_SIM
#include <math.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <ucontext.h>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static
#define __restrict__ __restrict

struct dim3 {
  unsigned x = 1, y = 1, z = 1;
  dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};
struct alignas(
    16) float4 {  // as CUDA's: a misaligned float4 access is then undefined (UBSan reports it)
  float x, y, z, w;
};

namespace nvz::sim {

inline thread_local dim3 thread_idx, block_idx;
inline thread_local const char* running_kernel = "";
inline dim3 block_dim, grid_dim;  // constant during a launch; launches are serialised

// A block's threads under NVZ_LAUNCH_SYNC: one fiber (ucontext) each, run round-robin on the
// calling thread. __syncthreads switches back to the scheduler; a round ends when every fiber is at
// the barrier (or has finished), so a barrier holds exactly as on the GPU, deterministically, on
// one core.
struct Block {
  ucontext_t scheduler;
  std::vector<ucontext_t> fibers;
  std::unique_ptr<char[]> stacks;  // uninitialised: pages are touched only as deep as a fiber goes
  std::vector<int> state;          // 0 runnable, 1 at __syncthreads, 2 finished, 3 at grid_sync
  std::exception_ptr error;
  const std::function<void()>* body = nullptr;
  int current = 0;
};
inline Block* active_block = nullptr;
inline bool cooperative_launch = false;  // grid_sync is allowed (NVZ_LAUNCH_COOP)

inline std::mutex& launch_mutex() {
  static std::mutex m;
  return m;
}

inline void syncthreads() {
  Block* b = active_block;
  if (b == nullptr)
    throw std::logic_error(
        std::string(running_kernel) +
        " calls __syncthreads but was launched with NVZ_LAUNCH; use NVZ_LAUNCH_SYNC");
  b->state[b->current] = 1;
  swapcontext(&b->fibers[b->current], &b->scheduler);
}

inline void grid_sync() {
  Block* b = active_block;
  if (b == nullptr || !cooperative_launch)
    throw std::logic_error(std::string(running_kernel) +
                           " calls grid_sync but was not launched with NVZ_LAUNCH_COOP");
  b->state[b->current] = 3;
  swapcontext(&b->fibers[b->current], &b->scheduler);
}

// NVZ_SIM_REVERSE=1 runs blocks, and threads within a block, in descending order. A GPU promises no
// order, so a kernel whose result depends on one (two threads writing one element, a missing
// barrier between a shared-memory write and another thread's read) gives a different answer one way
// or the other: the tests run every kernel both ways (tests/cuda_devices.py).
inline bool reverse_order() {
  const char* e = std::getenv("NVZ_SIM_REVERSE");
  return e != nullptr && e[0] == '1';
}
inline thread_local bool reversed = false;

inline unsigned nth(unsigned i, unsigned n) {
  return reversed ? n - 1 - i : i;
}

inline void for_each_block(const std::function<void()>& per_block) {
  const unsigned blocks = grid_dim.x * grid_dim.y * grid_dim.z;
  for (unsigned i = 0; i < blocks; ++i) {
    const unsigned b = nth(i, blocks);
    block_idx = dim3(b % grid_dim.x, (b / grid_dim.x) % grid_dim.y, b / (grid_dim.x * grid_dim.y));
    per_block();
  }
}

inline dim3 thread_of(unsigned linear) {
  return dim3(linear % block_dim.x, (linear / block_dim.x) % block_dim.y,
              linear / (block_dim.x * block_dim.y));
}

inline void fiber_main() {
  Block* b = active_block;
  try {
    (*b->body)();
  } catch (...) {
    if (!b->error) b->error = std::current_exception();
  }
  b->state[b->current] = 2;  // returns to the scheduler through uc_link
}

constexpr size_t FIBER_STACK = 64 * 1024;

inline void start_fibers(Block& b, unsigned threads) {
  for (unsigned t = 0; t < threads; ++t) {
    ucontext_t& f = b.fibers[t];
    getcontext(&f);
    f.uc_stack.ss_sp = b.stacks.get() + t * FIBER_STACK;
    f.uc_stack.ss_size = FIBER_STACK;
    f.uc_link = &b.scheduler;
    makecontext(&f, fiber_main, 0);
    b.state[t] = 0;
  }
}

// Runs the block's fibers round-robin until each has finished or waits at grid_sync; returns how
// many wait there. A round ends when every live fiber is at a barrier: if all of them are at
// __syncthreads the barrier opens, and a mix means some thread skipped a barrier the others wait
// at.
inline unsigned run_until_parked(Block& b, unsigned threads) {
  for (;;) {
    unsigned finished = 0, waiting = 0, parked = 0;
    for (unsigned i = 0; i < threads; ++i) {
      const unsigned t = nth(i, threads);
      if (b.state[t] == 2 || b.state[t] == 3) {
        ++(b.state[t] == 2 ? finished : parked);
        continue;
      }
      b.current = static_cast<int>(t);
      b.state[t] = 0;
      thread_idx = thread_of(t);
      swapcontext(&b.scheduler, &b.fibers[t]);
      if (b.state[t] == 2) ++finished;
      if (b.state[t] == 1) ++waiting;
      if (b.state[t] == 3) ++parked;
    }
    if (b.error) std::rethrow_exception(b.error);
    if (waiting == 0) return parked;
    if (finished || parked)
      throw std::logic_error(
          std::string(running_kernel) +
          ": some threads of a block passed a __syncthreads that others never reached "
          "(an early return before a barrier, or a barrier skipped on the way to grid_sync)");
  }
}

inline void allocate_fibers(Block& b, unsigned threads, const std::function<void()>& body) {
  b.fibers.resize(threads);
  b.stacks.reset(new char[static_cast<size_t>(threads) * FIBER_STACK]);
  b.state.resize(threads);
  b.body = &body;
}

inline void run_block(Block& b, unsigned threads) {
  start_fibers(b, threads);
  run_until_parked(b, threads);
}

// The simulator gives a cooperative grid at most this many threads (fiber stacks are reserved for
// all of them at once); cooperative_capacity reports the matching block count.
constexpr unsigned COOP_MAX_THREADS = 4096;

// What every launch does first, under the launch mutex: the dimensions and name the kernel's
// threads see, the order, the launch counted (as the GPU build counts it). Returns the threads per
// block, 0 for an empty launch (nothing runs); over 1024 throws, as the GPU refuses it.
inline unsigned begin_launch(const char* name, dim3 grid, dim3 block) {
  grid_dim = grid;
  block_dim = block;
  running_kernel = name;
  reversed = reverse_order();
  const unsigned threads = block.x * block.y * block.z;
  ::nvz::cuda::check_launch(name);
  if (grid.x * grid.y * grid.z == 0 || threads == 0) return 0;
  if (threads > 1024)
    throw std::invalid_argument(std::string(name) + ": more than 1024 threads per block");
  return threads;
}

// Runs body() once per (block, thread). sync: the block's threads are fibers meeting at
// __syncthreads.
inline void launch(const char* name, dim3 grid, dim3 block, bool sync,
                   const std::function<void()>& body) {
  std::lock_guard<std::mutex> lock(launch_mutex());
  const unsigned threads = begin_launch(name, grid, block);
  if (threads == 0) return;
  if (!sync) {
    for_each_block([&] {
      for (unsigned t = 0; t < threads; ++t) {
        thread_idx = thread_of(nth(t, threads));
        body();
      }
    });
    return;
  }
  Block b;
  allocate_fibers(b, threads, body);
  active_block = &b;
  try {
    for_each_block([&] { run_block(b, threads); });
  } catch (...) {
    active_block = nullptr;
    throw;
  }
  active_block = nullptr;
}

// NVZ_LAUNCH_COOP: every thread of the grid exists at once (a fiber), as every block of a
// cooperative launch is resident on the GPU. Between two grid_syncs (a phase) the blocks run one
// after another, each until all its threads wait at grid_sync or have finished; then the barrier
// opens for all. A phase in which some threads finished while others wait at grid_sync is an error
// (a GPU would hang).
inline bool launch_cooperative(const char* name, dim3 grid, dim3 block,
                               const std::function<void()>& body) {
  std::lock_guard<std::mutex> lock(launch_mutex());
  const unsigned threads = begin_launch(name, grid, block), blocks = grid.x * grid.y * grid.z;
  if (threads == 0) return true;
  if (static_cast<uint64_t>(blocks) * threads > COOP_MAX_THREADS)
    throw std::invalid_argument(std::string(name) +
                                ": cooperative grid larger than cooperative_capacity allows");
  std::vector<Block> grid_blocks(blocks);
  for (Block& b : grid_blocks) allocate_fibers(b, threads, body);
  cooperative_launch = true;
  try {
    for (bool first = true;; first = false) {
      uint64_t parked = 0;
      for (unsigned i = 0; i < blocks; ++i) {
        const unsigned n = nth(i, blocks);
        Block& b = grid_blocks[n];
        block_idx = dim3(n % grid.x, (n / grid.x) % grid.y, n / (grid.x * grid.y));
        active_block = &b;
        if (first) start_fibers(b, threads);
        for (int& st : b.state)
          if (st == 3) st = 0;  // the grid barrier opens
        parked += run_until_parked(b, threads);
      }
      if (parked == 0) break;
      if (parked != static_cast<uint64_t>(blocks) * threads)
        throw std::logic_error(std::string(name) +
                               ": some threads finished while others wait at grid_sync");
    }
  } catch (...) {
    active_block = nullptr;
    cooperative_launch = false;
    throw;
  }
  active_block = nullptr;
  cooperative_launch = false;
  return true;
}

template <typename T>
inline T atomic_add(T* address, T value) {  // one OS thread runs every simulated thread
  const T old = *address;
  *address = old + value;
  return old;
}

}  // namespace nvz::sim

#define threadIdx (::nvz::sim::thread_idx)
#define blockIdx (::nvz::sim::block_idx)
#define blockDim (::nvz::sim::block_dim)
#define gridDim (::nvz::sim::grid_dim)
#define __syncthreads() ::nvz::sim::syncthreads()
#define atomicAdd(address, value) ::nvz::sim::atomic_add((address), (value))
// CUDA's math: the float overloads of exp, log, ... in the global namespace; expf and the
// other f-suffixed names come from math.h.
using std::exp;
using std::fabs;
using std::fmax;
using std::fmin;
using std::log;
using std::log1p;
using std::sqrt;
using std::tanh;

#define NVZ_LAUNCH(kernel, grid, block, ...) \
  ::nvz::sim::launch(#kernel, (grid), (block), false, [&] { kernel(__VA_ARGS__); })
#define NVZ_LAUNCH_SYNC(kernel, grid, block, ...) \
  ::nvz::sim::launch(#kernel, (grid), (block), true, [&] { kernel(__VA_ARGS__); })
#define NVZ_LAUNCH_COOP(kernel, grid, block, arg) \
  ::nvz::sim::launch_cooperative(#kernel, (grid), (block), [&] { kernel(arg); })
inline void grid_sync() {
  ::nvz::sim::grid_sync();
}

namespace nvz::cuda {
// Blocks of `threads` threads that a cooperative launch of `kernel` may have (as the GPU build's).
template <typename A>
int64_t cooperative_capacity(void (*)(A), int threads) {
  return threads > 0 ? ::nvz::sim::COOP_MAX_THREADS / threads : 0;
}
}  // namespace nvz::cuda

#else  // nvcc

#include <cooperative_groups.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

#define NVZ_LAUNCH(kernel, grid, block, ...)  \
  do {                                        \
    kernel<<<(grid), (block)>>>(__VA_ARGS__); \
    ::nvz::cuda::check_launch(#kernel);       \
  } while (0)
#define NVZ_LAUNCH_SYNC(kernel, grid, block, ...) NVZ_LAUNCH(kernel, grid, block, __VA_ARGS__)
// Evaluates to false where the GPU refused the cooperative grid (nothing was launched).
#define NVZ_LAUNCH_COOP(kernel, grid, block, arg) \
  ::nvz::cuda::launch_cooperative(#kernel, kernel, (grid), (block), (arg))

// Waits for every thread of the grid; what they wrote before is visible after (a cooperative
// launch's grid group, which CUDA >= 11 provides without separate compilation).
__device__ __forceinline__ void grid_sync() {
  cooperative_groups::this_grid().sync();
}

namespace nvz::cuda {

// Blocks of `threads` threads that a cooperative launch of `kernel` may have (all resident at
// once) on the current device: 0 where it cannot launch cooperatively, -1 if the query failed
// (not an answer to keep).
template <typename A>
int64_t cooperative_capacity(void (*kernel)(A), int threads) {
  int device = 0, coop = 0, sms = 0, per_sm = 0;
  if (cudaGetDevice(&device) != cudaSuccess ||
      cudaDeviceGetAttribute(&coop, cudaDevAttrCooperativeLaunch, device) != cudaSuccess ||
      cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess ||
      cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, threads, 0) != cudaSuccess) {
    cudaGetLastError();  // the query's own error, so the next launch check does not report it
    return -1;
  }
  return coop ? static_cast<int64_t>(sms) * per_sm : 0;
}

// Launches `kernel` cooperatively; false (and nothing queued) where the runtime refuses the grid
// as too large or cooperative launches as unsupported (an MPS client's reduced share of the GPU),
// so the caller can run its non-cooperative path instead. Other errors throw, naming the kernel.
template <typename A>
bool launch_cooperative(const char* name, void (*kernel)(A), dim3 grid, dim3 block, A arg) {
  void* params[] = {&arg};
  const cudaError_t err = cudaLaunchCooperativeKernel(reinterpret_cast<const void*>(kernel), grid,
                                                      block, params, 0, nullptr);
  if (err == cudaErrorCooperativeLaunchTooLarge || err == cudaErrorNotSupported) {
    cudaGetLastError();
    return false;
  }
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string(name) +
                             ": cooperative launch failed: " + cudaGetErrorString(err));
  }
  check_launch(name);
  return true;
}

}  // namespace nvz::cuda

#endif

template <typename T>
__host__ __device__ __forceinline__ T nvz_min(T a, T b) {
  return a < b ? a : b;
}
template <typename T>
__host__ __device__ __forceinline__ T nvz_max(T a, T b) {
  return a > b ? a : b;
}

namespace nvz::cuda {

// Blocks of `threads` covering n items (at least one block, so a launch is always valid).
inline unsigned blocks_for(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return static_cast<unsigned>(b < 1 ? 1 : (b > 2147483647 ? 2147483647 : b));
}

// Elementwise kernels are grid-stride loops (NVZ_EACH) of EACH_THREADS-thread blocks, each_grid(n)
// of them: more than EACH_BLOCKS blocks gain nothing, and any size fits one launch.
constexpr int EACH_THREADS = 256;
constexpr unsigned EACH_BLOCKS = 4096;
inline unsigned each_grid(int64_t n) {
  return nvz_min(blocks_for(n, EACH_THREADS), EACH_BLOCKS);
}

// The float or the double function for a kernel template's T: a bare exp() on a float does not say
// which.
__device__ __forceinline__ float exp_of(float x) {
  return expf(x);
}
__device__ __forceinline__ double exp_of(double x) {
  return exp(x);
}
__device__ __forceinline__ float tanh_of(float x) {
  return tanhf(x);
}
__device__ __forceinline__ double tanh_of(double x) {
  return tanh(x);
}
__device__ __forceinline__ float sqrt_of(float x) {
  return sqrtf(x);
}
__device__ __forceinline__ double sqrt_of(double x) {
  return sqrt(x);
}

}  // namespace nvz::cuda

#define NVZ_EACH(i, n)                                                                   \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(gridDim.x) * blockDim.x)
