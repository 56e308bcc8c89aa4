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

inline int threads_for(int64_t work) {
  int t = num_threads();
  if (t <= 1 || work < 2 * kMinWorkPerThread) return 1;
  int64_t cap = work / kMinWorkPerThread;
  return cap < t ? static_cast<int>(cap) : t;
}

}  // namespace nvz
