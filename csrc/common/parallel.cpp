#include "parallel.h"

#include <atomic>

#include "check.h"

namespace nvz {
namespace {
std::atomic<int> g_threads{1};
}

int num_threads() {
  return g_threads.load(std::memory_order_relaxed);
}

void set_num_threads(int n) {
  NVZ_CHECK(n >= 1, "set_num_threads: n must be >= 1, got ", n);
  g_threads.store(n, std::memory_order_relaxed);
}

bool has_openmp() {
#ifdef _OPENMP
  return true;
#else
  return false;
#endif
}

}  // namespace nvz
