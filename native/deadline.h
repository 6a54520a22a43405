// Deadlines for waits that retry after EINTR for the time left (PEP 475): a monotonic clock in
// milliseconds and the int milliseconds a poll-style call takes until a deadline.
#pragma once

#include <time.h>

#include <climits>
#include <cmath>

namespace bsd {

inline double MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// A deadline `timeoutMs` from now, or -1 for "forever" (a negative or NaN timeout).
inline double DeadlineAfter(double timeoutMs) {
  return timeoutMs < 0 || std::isnan(timeoutMs) ? -1 : MonotonicMs() + timeoutMs;
}

// The milliseconds left until `deadline` (-1: forever) as an int; `clamped` says the wait was cut
// to INT_MAX and must go on after a timeout.
inline int MsUntil(double deadline, bool* clamped) {
  *clamped = false;
  if (deadline < 0) return -1;
  double left = std::ceil(deadline - MonotonicMs());
  *clamped = left > INT_MAX;
  return left <= 0 ? 0 : *clamped ? INT_MAX : static_cast<int>(left);
}

}  // namespace bsd
