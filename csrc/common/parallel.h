// Thread count shared by all CPU kernels. Default 1: the app runs training in a worker
// thread beside the GUI, and on a 2-core laptop oversubscription hurts more than it helps.
#pragma once
#include <cstdint>

namespace nvz {

int num_threads();
void set_num_threads(int n);
bool has_openmp();

// Use threads only when a kernel has at least this much work (in multiply-adds), so that
// small calls (recurrent steps, live-demo MLPs) never pay the OpenMP fork/join cost.
constexpr int64_t kMinWorkPerThread = 1 << 16;

// Kernels that split a batch over threads (convolution over images, pooling over planes)
// need more work per thread: every call forks and joins a team, and on a busy 2-core
// machine the second thread may wait a whole scheduler slice to run, so a tiny call
// (8x8 digits, a few images, tens of microseconds) got many times slower with 2 threads.
// 2^21 multiply-adds is some tens of microseconds of one core's work.
constexpr int64_t kMinBatchWorkPerThread = 1 << 21;

// Threads for `work`, at least min_per_thread of it each (1 below twice that).
inline int threads_for(int64_t work, int64_t min_per_thread) {
  int t = num_threads();
  if (t <= 1 || work < 2 * min_per_thread) return 1;
  int64_t cap = work / min_per_thread;
  return cap < t ? static_cast<int>(cap) : t;
}

inline int threads_for(int64_t work) {
  return threads_for(work, kMinWorkPerThread);
}

}  // namespace nvz
