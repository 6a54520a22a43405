// poll(2) over a list of descriptors: the system call under select(), selectSync() and Poller
// (lib/modules/select.ts). select() is built on poll(), so descriptors at or above FD_SETSIZE work and
// nothing can ever write outside an fd_set.
#include "common.h"

#include <poll.h>
#include <time.h>

#include <climits>
#include <cmath>
#include <vector>

namespace bsd {
namespace {

double MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// pollFds(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutMs) -> count | -errno
// revents[i] receives the poll revents of fds[i]. A negative timeout waits forever. Signals
// neither shorten nor lengthen the wait: after EINTR the remaining time is recomputed.
Napi::Value PollFds(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Int32Array fds = Int32ArrayArg(info, 0);
  Napi::Int32Array events = Int32ArrayArg(info, 1);
  Napi::Int32Array revents = Int32ArrayArg(info, 2);
  double timeout = DoubleArg(info, 3);
  size_t n = fds.ElementLength();
  if (events.ElementLength() != n || revents.ElementLength() != n) return Num(env, -EINVAL);

  std::vector<pollfd> p(n);
  for (size_t i = 0; i < n; i++) {
    p[i].fd = fds[i];
    p[i].events = static_cast<short>(events[i]);
    p[i].revents = 0;
  }
  double deadline = timeout < 0 || std::isnan(timeout) ? -1 : MonotonicMs() + timeout;
  int r;
  for (;;) {
    int ms = -1;
    bool clamped = false;
    if (deadline >= 0) {
      double left = std::ceil(deadline - MonotonicMs());
      clamped = left > INT_MAX;
      ms = left <= 0 ? 0 : clamped ? INT_MAX : static_cast<int>(left);
    }
    r = poll(p.data(), static_cast<nfds_t>(n), ms);
    if (r > 0 || (r == 0 && !clamped)) break;
    if (r < 0 && errno != EINTR) return Num(env, -errno);
  }
  for (size_t i = 0; i < n; i++) revents[i] = p[i].revents;
  return Num(env, r);
}

}  // namespace

void RegisterSelect(Napi::Env env, Napi::Object exports) {
  exports.Set("pollFds", Napi::Function::New(env, PollFds, "pollFds"));
}

}  // namespace bsd
