// Overflow-checked size arithmetic for the bindings (issue 14). Every size, stride, padding,
// dilation and product of them that a kernel will use is computed here first, in 64-bit
// arithmetic and before any allocation or loop, so that a huge argument becomes a ValueError
// naming it instead of a wrapped size, a heap overrun or a loop of 2^40 empty steps.
#pragma once
#include <cstdint>
#include <sstream>
#include <string>

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>
#endif

#include "check.h"

namespace nvz {

// An int64 that remembers whether any step of its computation overflowed; read it with
// NVZ_CHECKED (below), which throws once with the caller's message. Only +, - and * are offered: a
// quotient needs a positive divisor, so callers divide checked values themselves.
class Size {
 public:
  Size(int64_t v = 0) : v_(v) {}  // NOLINT: implicit, so that 2 * Size(p) reads naturally

  bool ok() const { return ok_; }
  int64_t value() const { return v_; }  // meaningful only when ok()

  friend Size operator+(Size a, Size b) {
    Size r;
    r.ok_ = a.ok_ && b.ok_ && !__builtin_add_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  friend Size operator-(Size a, Size b) {
    Size r;
    r.ok_ = a.ok_ && b.ok_ && !__builtin_sub_overflow(a.v_, b.v_, &r.v_);
    return r;
  }
  friend Size operator*(Size a, Size b) {
    Size r;
    r.ok_ = a.ok_ && b.ok_ && !__builtin_mul_overflow(a.v_, b.v_, &r.v_);
    return r;
  }

  // The larger of two sizes (overflowed if either is).
  friend Size max(Size a, Size b) {
    Size r = a.v_ >= b.v_ ? a : b;
    r.ok_ = a.ok_ && b.ok_;
    return r;
  }

 private:
  int64_t v_;
  bool ok_ = true;
};

// Bytes that one kernel call may allocate (its outputs and workspace together): the
// machine's physical memory. Anything larger can never run; with Linux's overcommit it could
// even be granted and then get the process killed when the kernel touches it.
inline int64_t memory_limit_bytes() {
  static const int64_t limit = [] {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
    const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    if (pages > 0 && page > 0 && pages <= INT64_MAX / page) return int64_t(pages) * page;
#endif
    return INT64_MAX;
  }();
  return limit;
}

inline bool fits_in_memory(Size elements, int64_t elem_bytes) {
  const Size bytes = elements * elem_bytes;
  return bytes.ok() && bytes.value() <= memory_limit_bytes();
}

inline std::string format_bytes(double bytes) {
  const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  for (; bytes >= 1024 && u < 6; ++u) bytes /= 1024;
  std::ostringstream os;
  os.precision(3);
  os << bytes << " " << units[u];
  return os.str();
}

template <typename... Args>
[[noreturn]] void fail_memory(const char* fn, Size elements, int64_t elem_bytes,
                              const Args&... what) {
  if (!elements.ok()) fail(fn, ": the memory needed by ", what..., " overflows 64-bit arithmetic");
  fail(fn, ": ", what..., " would need ",
       format_bytes(double(elements.value()) * double(elem_bytes)), ", more than this machine's ",
       format_bytes(double(memory_limit_bytes())), " of memory");
}

}  // namespace nvz

// The value of a Size, or a ValueError "<message> overflows 64-bit arithmetic". The message
// parts are evaluated only on failure, so they may format shapes at no cost to valid calls:
//   const int64_t Hp = NVZ_CHECKED(H + 2 * Size(p), "conv2d: padding ", p, " on height ", H);
#define NVZ_CHECKED(size, ...)                                                    \
  ([&]() -> int64_t {                                                             \
    const ::nvz::Size checked_ = (size);                                          \
    if (!checked_.ok()) ::nvz::fail(__VA_ARGS__, " overflows 64-bit arithmetic"); \
    return checked_.value();                                                      \
  }())

// Refuses a call whose outputs and workspace (`elements` of `elem_bytes` each) overflow or
// exceed the machine's memory; the message parts (what is allocated, for which arguments)
// are evaluated only on failure.
#define NVZ_CHECK_MEMORY(fn, elements, elem_bytes, ...)       \
  do {                                                        \
    const ::nvz::Size elements_ = (elements);                 \
    const int64_t bytes_ = (elem_bytes);                      \
    if (!::nvz::fits_in_memory(elements_, bytes_))            \
      ::nvz::fail_memory(fn, elements_, bytes_, __VA_ARGS__); \
  } while (0)
