// The one owner of a descriptor: FdHandle (handle.cc). A readiness watcher bound to a handle is
// stopped by it before the descriptor closes, whichever closes it: close(), release() (detach),
// the garbage collector, or the environment going away.
#pragma once

#include "common.h"

namespace bsd {

class FdHandle;
struct HandleEnv;

// The part every readiness backend (watcher.cc, pollthread.cc, uring.cc) shares: the handle it
// watches, if it was given one rather than a plain descriptor number.
class BoundWatcher {
 public:
  // Stops watching for good and drops the callback; idempotent. The descriptor may close next.
  virtual void StopWatching() = 0;

 protected:
  BoundWatcher() = default;
  ~BoundWatcher();
  BoundWatcher(const BoundWatcher&) = delete;
  BoundWatcher& operator=(const BoundWatcher&) = delete;

  // A watcher's first constructor argument: an FdHandle (then bound to it) or a descriptor number.
  // Returns the descriptor; throws a TypeError for anything else. `shared`: one of several bound
  // beside the descriptor's one readiness watcher (io_uring's socket operations).
  int BindTo(const Napi::Value& target, bool shared = false);

 private:
  friend class FdHandle;
  FdHandle* handle_ = nullptr;
};

// Defines FdHandle and handleOf(fd) on `exports`; the state is the environment's, freed at its
// teardown. Null if no cleanup hook could be added (then no FdHandle is defined).
HandleEnv* RegisterHandles(Napi::Env env, Napi::Object exports);

// close(fd) of a plain number: the handle that owned `fd`, if any, stops watching and no longer
// owns it, so that it never closes the number once reused.
void ForgetFd(HandleEnv* handles, int fd);

}  // namespace bsd
