// kqueue(2) and kevent(2) for lib/modules/kqueue.ts, Python's select.kqueue: compiled where <sys/event.h>
// exists (macOS and the BSDs); elsewhere nothing is registered and kqueue() is unavailable.
// A kevent crosses as six doubles: ident, filter, flags, fflags, data, udata.
#include "common.h"

#if __has_include(<sys/event.h>)
#define BSD_HAVE_KQUEUE 1
#include <fcntl.h>
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "deadline.h"
#else
#define BSD_HAVE_KQUEUE 0
#endif

namespace bsd {

#if BSD_HAVE_KQUEUE
namespace {

constexpr size_t kFields = 6;

// kqueueCreate() -> a close-on-exec kqueue descriptor, or -errno
Napi::Value KqueueCreate(const Napi::CallbackInfo& info) {
  int kq = kqueue();
  if (kq < 0) return Num(info.Env(), -errno);
  if (RetryOnEintr([&] { return fcntl(kq, F_SETFD, FD_CLOEXEC); }) < 0) {
    int saved = errno;
    close(kq);
    return Num(info.Env(), -saved);
  }
  return Num(info.Env(), kq);
}

struct kevent ToKevent(const double* f) {
  struct kevent ev;
  EV_SET(&ev, static_cast<uintptr_t>(f[0]), static_cast<int16_t>(f[1]), static_cast<uint16_t>(f[2]),
         static_cast<uint32_t>(f[3]), static_cast<intptr_t>(f[4]), reinterpret_cast<void*>(static_cast<uintptr_t>(f[5])));
  return ev;
}

void FromKevent(const struct kevent& ev, double* f) {
  f[0] = static_cast<double>(ev.ident);
  f[1] = ev.filter;
  f[2] = ev.flags;
  f[3] = ev.fflags;
  f[4] = static_cast<double>(ev.data);
  f[5] = static_cast<double>(reinterpret_cast<uintptr_t>(ev.udata));
}

// kqueueControl(kq, changes: Float64Array, out: Float64Array, maxevents, timeoutMs) -> count or
// -errno. A negative timeout waits forever; after EINTR the wait goes on for the time left.
Napi::Value KqueueControl(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int kq = IntArg(info, 0);
  int maxevents = IntArg(info, 3);
  double timeout = DoubleArg(info, 4);
  CheckTypedArray(env, info[1], napi_float64_array, "a Float64Array");
  CheckTypedArray(env, info[2], napi_float64_array, "a Float64Array");
  Napi::Float64Array changes = info[1].As<Napi::Float64Array>();
  Napi::Float64Array out = info[2].As<Napi::Float64Array>();
  if (maxevents < 0 || out.ElementLength() < kFields * static_cast<size_t>(maxevents)) return Num(env, -EINVAL);
  size_t nchanges = changes.ElementLength() / kFields;
  std::vector<struct kevent> in(nchanges);
  for (size_t i = 0; i < nchanges; i++) in[i] = ToKevent(changes.Data() + kFields * i);
  std::vector<struct kevent> events(static_cast<size_t>(maxevents > 0 ? maxevents : 1));
  double deadline = DeadlineAfter(timeout);
  int r;
  for (;;) {
    timespec ts{};
    timespec* tsp = nullptr;
    if (deadline >= 0) {
      double left = std::max(0.0, deadline - MonotonicMs());
      ts.tv_sec = static_cast<time_t>(left / 1e3);
      ts.tv_nsec = static_cast<long>(std::fmod(left, 1e3) * 1e6);
      tsp = &ts;
    }
    r = kevent(kq, in.data(), static_cast<int>(nchanges), events.data(), maxevents, tsp);
    if (r >= 0) break;
    if (errno != EINTR) return Num(env, -errno);
    nchanges = 0;  // the changes were applied before the wait was interrupted
  }
  for (int i = 0; i < r; i++) FromKevent(events[i], out.Data() + kFields * i);
  return Num(env, r);
}

}  // namespace

void RegisterKqueue(Napi::Env env, Napi::Object exports) {
  exports.Set("kqueueCreate", Napi::Function::New(env, KqueueCreate, "kqueueCreate"));
  exports.Set("kqueueControl", Napi::Function::New(env, KqueueControl, "kqueueControl"));
}
#else
void RegisterKqueue(Napi::Env, Napi::Object) {}
#endif

}  // namespace bsd
