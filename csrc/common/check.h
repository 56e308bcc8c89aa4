// Input validation that survives -DNDEBUG: a failed check throws std::invalid_argument,
// which pybind11 turns into a Python ValueError. Never use assert() in kernels.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace nvz {

template <typename... Args>
[[noreturn]] inline void fail(const Args&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  throw std::invalid_argument(os.str());
}

}  // namespace nvz

// NVZ_CHECK(cond, "conv2d: x has ", c, " channels but w expects ", wc);
#define NVZ_CHECK(cond, ...)               \
  do {                                     \
    if (!(cond)) ::nvz::fail(__VA_ARGS__); \
  } while (0)
