// epoll(7) for lib/modules/epoll.ts, Python's select.epoll: create, control and wait. Linux only; elsewhere
// nothing is registered and lib/modules/epoll.ts reports epoll() as unavailable.
#include "common.h"
#include "platform.h"

#if BSD_LINUX
#include <sys/epoll.h>

#include <vector>

#include "deadline.h"
#endif

namespace bsd {

#if BSD_LINUX
namespace {

// epollCreate() -> a close-on-exec epoll descriptor, or -errno
Napi::Value EpollCreate(const Napi::CallbackInfo& info) {
  return Num(info.Env(), ResultOrErrno(epoll_create1(EPOLL_CLOEXEC)));
}

// epollCtl(epfd, op, fd, events) -> 0 or -errno; op is EPOLL_CTL_ADD, _MOD or _DEL.
Napi::Value EpollCtl(const Napi::CallbackInfo& info) {
  int epfd = IntArg(info, 0);
  int op = IntArg(info, 1);
  int fd = IntArg(info, 2);
  epoll_event ev{};
  ev.events = UintArg(info, 3);
  ev.data.fd = fd;
  return Num(info.Env(), ResultOrErrno(epoll_ctl(epfd, op, fd, &ev)));
}

// epollWait(epfd, out: Int32Array, maxevents, timeoutMs) -> count or -errno. out[2i] is the fd and
// out[2i+1] the events (as int32 bits) of the i-th report. A negative timeout waits forever; after
// EINTR the wait goes on for the time left, as Python's (PEP 475).
Napi::Value EpollWait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int epfd = IntArg(info, 0);
  int maxevents = IntArg(info, 2);
  double timeout = DoubleArg(info, 3);
  Napi::Int32Array out = Int32ArrayArg(info, 1);
  if (maxevents <= 0 || out.ElementLength() < 2 * static_cast<size_t>(maxevents)) return Num(env, -EINVAL);
  std::vector<epoll_event> events(static_cast<size_t>(maxevents));
  double deadline = DeadlineAfter(timeout);
  int r;
  for (;;) {
    bool clamped;
    int ms = MsUntil(deadline, &clamped);
    r = epoll_wait(epfd, events.data(), maxevents, ms);
    if (r > 0 || (r == 0 && !clamped)) break;
    if (r < 0 && errno != EINTR) return Num(env, -errno);
  }
  for (size_t i = 0; i < static_cast<size_t>(r); i++) {
    out[2 * i] = events[i].data.fd;
    out[2 * i + 1] = static_cast<int32_t>(events[i].events);
  }
  return Num(env, r);
}

}  // namespace

void RegisterEpoll(Napi::Env env, Napi::Object exports) {
  exports.Set("epollCreate", Napi::Function::New(env, EpollCreate, "epollCreate"));
  exports.Set("epollCtl", Napi::Function::New(env, EpollCtl, "epollCtl"));
  exports.Set("epollWait", Napi::Function::New(env, EpollWait, "epollWait"));
}
#else
void RegisterEpoll(Napi::Env, Napi::Object) {}
#endif

}  // namespace bsd
