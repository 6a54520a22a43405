// The io_uring backend (Linux): one ring per environment (the main thread and each Worker),
// uring_env.h's UringEnv, its completions reaped when the ring's descriptor is readable on the
// environment's libuv loop. This file has its readiness watchers and the module functions; the
// completion-based socket operations are uring_ops.cc's. The watcher's interface is watcher.cc's:
//
//   new UringWatcher(fd, onReady)  start(events) -> 0 | -errno  ref()  unref()  close()
//   startUring() -> 0 | -errno     (opens the environment's ring: the probe)
//   uringSocketOps() -> boolean    (the ring can receive and send: see uring_ops.cc)
//   uringBatch() -> number         (the batch of completions being delivered, 0 outside one)
//   uringCounters() -> { enters, submitted, reaped }
//
// Readiness is a one-shot IORING_OP_POLL_ADD, armed again after its callback has run while the
// watcher is still started: level-triggered, as libuv's is (a multishot poll reports wake-ups, not
// levels, and a reader that stops before EAGAIN would never hear of the rest). close() submits
// IORING_OP_POLL_REMOVE before it returns: the kernel holds a reference to the socket while a poll
// is in flight, so without that a closed listener would keep its port and a closed stream would
// not send its FIN.
#include "platform.h"
#include "uring_env.h"
#include "handle.h"
#include "held_watcher.h"

#if BSD_HAVE_IO_URING
#include <poll.h>
#include <sys/stat.h>
#include <uv.h>
#endif

namespace bsd {

#if BSD_HAVE_IO_URING

namespace {

constexpr int kWatchable = POLLIN | POLLOUT | POLLPRI;

// The kernel's poll wake-up filter ignores EPOLLPRI (io_uring's IO_ASYNC_POLL_COMMON, still so in
// 6.18): a poll for POLLPRI alone is never woken by urgent data. With POLLIN beside it, the
// wake-up that urgent data makes gets through; the watcher reports only what was asked for, and a
// socket that is readable but not urgent costs a re-arm per loop turn while POLLPRI alone is watched.
int KernelEvents(int events) { return (events & POLLPRI) ? events | POLLIN : events; }

class UringWatcher : public HeldWatcher<UringWatcher, UringEnv>, public Completer {
 public:
  static Napi::Function Define(Napi::Env env, UringSlot* slot) {
    return DefineClass(env, "UringWatcher",
                       {
                           InstanceMethod<&UringWatcher::Start>("start"),
                           InstanceMethod("ref", &UringWatcher::Ref),
                           InstanceMethod("unref", &UringWatcher::Unref),
                           InstanceMethod("close", &UringWatcher::Close),
                       },
                       slot);
  }

  explicit UringWatcher(const Napi::CallbackInfo& info)
      : HeldWatcher(info, static_cast<UringSlot*>(info.Data())->Get(info.Env()), "UringWatcher(fd: number | FdHandle, onReady: function)") {
    if (state_ != nullptr) state_->AddLive(this);
  }

  ~UringWatcher() override {
    try {
      Shut();
    } catch (...) {  // a destructor must not throw; nothing is left to report to
    }
    if (state_ != nullptr) state_->RemoveLive(this);
  }

  // Environment teardown: the ring is about to close and take every poll with it.
  void Detach() override {
    inflight_ = 0;
    holding_ = false;
    closed_ = true;
    onReady_.Reset(Env());
    state_ = nullptr;
  }

  // The completion of poll `token`: revents, or -errno. The poll was one-shot; it is armed again
  // for what is wanted now, unless the callback stopped, changed or closed the watcher.
  void OnCompletion(uint64_t token, int res) override {
    if (token != inflight_) return;
    inflight_ = 0;
    if (res == -ECANCELED) return;
    int revents = res < 0 ? res : res & (events_ | POLLERR | POLLHUP);
    dispatching_ = true;
    if (revents != 0) Dispatch(revents);
    dispatching_ = false;
    if (!closed_ && events_ != 0 && inflight_ == 0 && state_ != nullptr) Rearm();
  }

 private:
  // start(events): POLLIN/POLLOUT/POLLPRI bits; 0 stops watching. -> 0 | -errno
  Napi::Value Start(const Napi::CallbackInfo& info) {
    return Num(info.Env(), Watch(IntArg(info, 0) & kWatchable));
  }

  int Watch(int events) {
    if (closed_ || state_ == nullptr || fd_ < 0) return -EBADF;
    if (!registered_ && events != 0) {
      int r = Register();
      if (r < 0) return r;
    }
    if (events == events_ && (inflight_ != 0 || dispatching_)) return 0;
    if (inflight_ != 0) CancelPoll(false);
    inflight_ = 0;
    events_ = events;
    int r = events != 0 && !dispatching_ ? Arm() : 0;
    UpdateHold();
    return r;
  }

  // The first start(): one watcher per descriptor, as libuv has it, and no regular files or
  // directories, which epoll refuses (EPERM) where poll(2) would call them always ready.
  int Register() {
    int r = state_->EnsureRing();
    if (r < 0) return r;
    if (state_->HasFd(fd_)) return -EEXIST;
    struct stat st;
    if (fstat(fd_, &st) < 0) return -errno;
    if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) return -EPERM;
    state_->Track(fd_);
    registered_ = true;
    return 0;
  }

  // Queues a one-shot poll of the descriptor for what is watched.
  int Arm() {
    io_uring_sqe* sqe = state_->Entry();
    if (sqe == nullptr) return -EAGAIN;
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = fd_;
    sqe->poll32_events = static_cast<uint32_t>(KernelEvents(events_));
    inflight_ = state_->Submit(sqe, this);
    return 0;
  }

  // Cancels the poll in flight; its completion, if any comes, is dropped. `now`: see UringEnv::Cancel.
  void CancelPoll(bool now) {
    state_->Forget(inflight_);
    state_->Cancel(inflight_, true, now);
    inflight_ = 0;
  }

  void Rearm() {
    int r = Arm();
    if (r < 0) Dispatch(r);  // the owner hears -errno and closes the watch
  }

  friend class HeldWatcher<UringWatcher, UringEnv>;

  bool Armed() const { return registered_; }

  void Shut() {
    if (state_ != nullptr && inflight_ != 0) CancelPoll(true);
    inflight_ = 0;
    events_ = 0;
    if (state_ != nullptr) {
      UpdateHold();
      if (registered_) state_->Untrack(fd_);
    }
    registered_ = false;
    closed_ = true;
    onReady_.Reset(Env());
  }

  uint64_t inflight_ = 0;  // the token of the poll in the kernel; 0 when none
  bool registered_ = false;
  bool dispatching_ = false;  // inside onReady: the poll is re-armed afterwards
};

Napi::Value StartUring(const Napi::CallbackInfo& info) {
  UringEnv* state = static_cast<UringSlot*>(info.Data())->Get(info.Env());
  return Num(info.Env(), state != nullptr ? state->EnsureRing() : -ENOSYS);
}

// Whether the environment's ring is open and the kernel has what UringOp needs.
Napi::Value UringSocketOps(const Napi::CallbackInfo& info) {
  UringEnv* state = static_cast<UringSlot*>(info.Data())->env;
  return Napi::Boolean::New(info.Env(), state != nullptr && state->ring().IsOpen() && state->ring().HasSocketOps());
}

// The size of the batch of completions being delivered (0 outside a delivery): sends made in a
// batch of several go to the ring together (lib/attempts.ts).
Napi::Value UringBatch(const Napi::CallbackInfo& info) {
  UringEnv* state = static_cast<UringSlot*>(info.Data())->env;
  return Num(info.Env(), state != nullptr ? static_cast<double>(state->DeliveringBatch()) : 0);
}

// { enters, submitted, reaped } of the environment's ring (zeros before it exists).
Napi::Value UringCounters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  UringEnv* state = static_cast<UringSlot*>(info.Data())->env;
  uring::Counters c = state != nullptr ? state->ring().counters() : uring::Counters{};
  Napi::Object out = Napi::Object::New(env);
  out.Set("enters", Num(env, c.enters));
  out.Set("submitted", Num(env, c.submitted));
  out.Set("reaped", Num(env, c.reaped));
  return out;
}

}  // namespace

void RegisterUring(Napi::Env env, Napi::Object exports) {
  auto* slot = new UringSlot();
  if (napi_add_env_cleanup_hook(env, UringSlot::Delete, slot) != napi_ok) {
    delete slot;
    return;
  }
  exports.Set("UringWatcher", UringWatcher::Define(env, slot));
  exports.Set("UringOp", DefineUringOp(env, slot));
  exports.Set("uringAccepted", DefineUringAccepted(env, slot));
  exports.Set("uringBatch", Napi::Function::New(env, UringBatch, "uringBatch", slot));
  exports.Set("uringSocketOps", Napi::Function::New(env, UringSocketOps, "uringSocketOps", slot));
  exports.Set("startUring", Napi::Function::New(env, StartUring, "startUring", slot));
  exports.Set("uringCounters", Napi::Function::New(env, UringCounters, "uringCounters", slot));
}

#else

void RegisterUring(Napi::Env, Napi::Object) {}  // not Linux, or the portable build: no io_uring

#endif

}  // namespace bsd
