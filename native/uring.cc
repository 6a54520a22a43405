// The io_uring readiness backend (Linux): one ring per environment (the main thread and each
// Worker), its completions reaped when the ring's descriptor is readable on the environment's libuv
// loop. The interface is watcher.cc's:
//
//   new UringWatcher(fd, onReady)  start(events) -> 0 | -errno  ref()  unref()  close()
//   startUring() -> 0 | -errno     (opens the environment's ring: the probe)
//   uringCounters() -> { enters, submitted, reaped }
//
// Readiness is a one-shot IORING_OP_POLL_ADD, armed again after its callback has run while the
// watcher is still started: level-triggered, as libuv's is (a multishot poll reports wake-ups, not
// levels, and a reader that stops before EAGAIN would never hear of the rest). Entries written while
// completions are being delivered (the callbacks, and the promise reactions they run) are flushed
// together with one io_uring_enter once the batch has been delivered; one written at any other
// time is flushed at once, as nothing else would flush it.
//
// Each poll carries a token that is never used again; a completion whose token is no longer
// registered is dropped. close() submits IORING_OP_POLL_REMOVE before it returns: the kernel holds
// a reference to the socket while a poll is in flight, so without that a closed listener would keep
// its port and a closed stream would not send its FIN.
#include "platform.h"
#include "uring_ring.h"
#include "handle.h"
#include "watcher.h"

#if BSD_HAVE_IO_URING
#include <poll.h>
#include <sys/stat.h>
#include <uv.h>

#include <unordered_map>
#include <unordered_set>
#include <vector>
#endif

namespace bsd {

#if BSD_HAVE_IO_URING
namespace {

using uring::Completion;
using uring::Ring;

constexpr int kWatchable = POLLIN | POLLOUT | POLLPRI;
constexpr uint64_t kUntracked = 0;  // the token of entries whose completion nobody reads

class UringWatcher;
class UringEnv;

// Where an environment's UringEnv is found: created on first use (startUring() or a watcher), so
// that a runtime which never asks for io_uring (Bun, Deno) gets no async cleanup hook from here.
// The slot itself goes with a plain cleanup hook; the UringEnv has its own.
struct UringSlot {
  UringEnv* env = nullptr;
  bool failed = false;  // the async cleanup hook could not be added: no io_uring here

  UringEnv* Get(napi_env napiEnv);
  static void Delete(void* arg) { delete static_cast<UringSlot*>(arg); }
};

// One environment's ring, the libuv handle that watches its descriptor, and the watchers using it.
class UringEnv {
 public:
  explicit UringEnv(napi_env env) : env_(env) {}

  // Opens the ring and starts watching its descriptor. -> 0 | -errno (the same error every time)
  int EnsureRing() {
    if (tearingDown_) return -EBADF;
    if (ring_.IsOpen() || openError_ != 0) return openError_;
    openError_ = OpenRing();
    return openError_;
  }

  const Ring& ring() const { return ring_; }
  bool HasFd(int fd) const { return fds_.count(fd) != 0; }
  void AddLive(UringWatcher* watcher) { live_.insert(watcher); }
  void RemoveLive(UringWatcher* watcher) { live_.erase(watcher); }

  // Queues a one-shot poll of `fd` for `events`. -> its token, or -errno
  int64_t ArmPoll(int fd, int events, UringWatcher* watcher) {
    io_uring_sqe* sqe = Entry();
    if (sqe == nullptr) return -EAGAIN;
    uint64_t token = nextToken_++;
    sqe->opcode = IORING_OP_POLL_ADD;
    sqe->fd = fd;
    sqe->poll32_events = static_cast<uint32_t>(KernelEvents(events));
    sqe->user_data = token;
    tokens_[token] = watcher;
    FlushUnlessDelivering();
    return static_cast<int64_t>(token);
  }

  // Cancels the poll `token`; its completion, if any comes, is dropped. `now`: submitted before
  // returning (close: the kernel must let go of the descriptor's file).
  void CancelPoll(uint64_t token, bool now) {
    tokens_.erase(token);
    io_uring_sqe* sqe = Entry();
    if (sqe != nullptr) {
      sqe->opcode = IORING_OP_POLL_REMOVE;
      sqe->fd = -1;
      sqe->addr = token;
      sqe->user_data = kUntracked;
    }
    if (now) ring_.Flush();
    else FlushUnlessDelivering();
  }

  void Track(int fd) { fds_.insert(fd); }
  void Untrack(int fd) { fds_.erase(fd); }

  // Counts started, referenced watchers; the ring's handle holds the loop while there are any.
  void Hold(bool on) {
    if (handle_ == nullptr) return;
    if (on && holds_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
    if (!on && --holds_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  }

  static void Teardown(UringEnv* self);
  static void AsyncCleanup(napi_async_cleanup_hook_handle hook, void* arg);
  static void SyncCleanup(void* arg) { Teardown(static_cast<UringEnv*>(arg)); }

 private:
  int OpenRing() {
    uv_loop_t* loop = nullptr;
    if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) return -ENOSYS;
    int r = ring_.Open();
    if (r < 0) return r;
    auto* handle = new uv_poll_t;
    r = uv_poll_init(loop, handle, ring_.fd());
    if (r == 0) r = uv_poll_start(handle, UV_READABLE, OnRingReadable);
    if (r < 0) {
      handle->data = nullptr;
      uv_close(reinterpret_cast<uv_handle_t*>(handle), FreeHandle);
      ring_.Close();
      return r <= -3000 ? -EIO : r;
    }
    handle->data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(handle));  // nothing is watched yet
    handle_ = handle;
    return 0;
  }

  // The kernel's poll wake-up filter ignores EPOLLPRI (io_uring's IO_ASYNC_POLL_COMMON, still so in
  // 6.18): a poll for POLLPRI alone is never woken by urgent data. With POLLIN beside it, the
  // wake-up that urgent data makes gets through; the watcher reports only what was asked for, and a
  // socket that is readable but not urgent costs a re-arm per loop turn while POLLPRI alone is watched.
  static int KernelEvents(int events) { return (events & POLLPRI) ? events | POLLIN : events; }

  // A free entry, flushing the queue once if it is full.
  io_uring_sqe* Entry() {
    io_uring_sqe* sqe = ring_.NextEntry();
    if (sqe == nullptr && ring_.Flush() == 0) sqe = ring_.NextEntry();
    return sqe;
  }

  void FlushUnlessDelivering() {
    if (!delivering_) ring_.Flush();
  }

  static void OnRingReadable(uv_poll_t* handle, int, int) {
    auto* self = static_cast<UringEnv*>(handle->data);
    if (self != nullptr) self->Deliver();
  }

  void Deliver();

  static void FreeHandle(uv_handle_t* handle) {
    auto* self = static_cast<UringEnv*>(handle->data);
    delete reinterpret_cast<uv_poll_t*>(handle);
    if (self == nullptr) return;
    self->closing_ = false;
    self->MaybeFinish();
  }

  void MaybeFinish() {
    if (!tearingDown_ || closing_) return;
    if (asyncHook_ != nullptr) napi_remove_async_cleanup_hook(asyncHook_);
    delete this;
  }

  napi_env env_;
  Ring ring_;
  uv_poll_t* handle_ = nullptr;
  int openError_ = 0;
  bool delivering_ = false;
  bool tearingDown_ = false;
  bool closing_ = false;  // the handle's uv_close has not called back yet
  napi_async_cleanup_hook_handle asyncHook_ = nullptr;
  size_t holds_ = 0;
  uint64_t nextToken_ = kUntracked + 1;
  std::vector<Completion> batch_;
  std::unordered_map<uint64_t, UringWatcher*> tokens_;
  std::unordered_set<int> fds_;
  std::unordered_set<UringWatcher*> live_;

  friend class UringWatcher;
};

class UringWatcher : public Napi::ObjectWrap<UringWatcher>, public BoundWatcher {
 public:
  static Napi::Function Define(Napi::Env env, UringSlot* slot) {
    return DefineClass(env, "UringWatcher",
                       {
                           InstanceMethod<&UringWatcher::Start>("start"),
                           InstanceMethod<&UringWatcher::Ref>("ref"),
                           InstanceMethod<&UringWatcher::Unref>("unref"),
                           InstanceMethod<&UringWatcher::Close>("close"),
                       },
                       slot);
  }

  explicit UringWatcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UringWatcher>(info) {
    Napi::Env env = info.Env();
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "UringWatcher(fd: number | FdHandle, onReady: function)");
    int fd = BindTo(info[0]);
    state_ = static_cast<UringSlot*>(info.Data())->Get(env);
    fd_ = fd;
    onReady_.Init(env, info[1].As<Napi::Function>());
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
  void Detach() {
    inflight_ = 0;
    holding_ = false;
    closed_ = true;
    onReady_.Reset(Env());
    state_ = nullptr;
  }

  // The completion of poll `token`: revents, or -errno. The poll was one-shot; it is armed again
  // for what is wanted now, unless the callback stopped, changed or closed the watcher.
  void OnCompletion(uint64_t token, int res) {
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
    if (inflight_ != 0) state_->CancelPoll(inflight_, false);
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

  int Arm() {
    int64_t token = state_->ArmPoll(fd_, events_, this);
    if (token < 0) return static_cast<int>(token);
    inflight_ = static_cast<uint64_t>(token);
    return 0;
  }

  void Rearm() {
    int r = Arm();
    if (r < 0) Dispatch(r);  // the owner hears -errno and closes the watch
  }

  void UpdateHold() {
    bool hold = state_ != nullptr && registered_ && events_ != 0 && refd_;
    if (hold == holding_) return;
    holding_ = hold;
    if (state_ != nullptr) state_->Hold(hold);
  }

  void Ref(const Napi::CallbackInfo&) {
    refd_ = true;
    UpdateHold();
  }

  void Unref(const Napi::CallbackInfo&) {
    refd_ = false;
    UpdateHold();
  }

  void Close(const Napi::CallbackInfo&) { Shut(); }

  // The FdHandle bound to this watcher is about to close or give up its descriptor.
  void StopWatching() override { Shut(); }

  void Shut() {
    if (state_ != nullptr && inflight_ != 0) state_->CancelPoll(inflight_, true);
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

  void Dispatch(int revents) {
    if (onReady_.Empty()) return;
    Napi::HandleScope scope(Env());
    Napi::Object self = Value();  // keeps this object alive during the call
    onReady_.Call(Env(), self, revents);
  }

  UringEnv* state_ = nullptr;
  int fd_ = -1;
  int events_ = 0;        // POLL* bits that start() last asked for
  uint64_t inflight_ = 0;  // the token of the poll in the kernel; 0 when none
  bool registered_ = false;
  bool dispatching_ = false;  // inside onReady: the poll is re-armed afterwards
  bool refd_ = true;
  bool holding_ = false;  // counted in UringEnv::Hold
  bool closed_ = false;
  ReadyCallback onReady_;
};

// Delivers every completion in the ring, then flushes what the callbacks queued. Tokens are looked
// up one at a time: a callback may close any watcher.
void UringEnv::Deliver() {
  delivering_ = true;
  for (;;) {
    batch_.clear();
    ring_.Reap(batch_);
    if (batch_.empty()) break;
    for (const Completion& c : batch_) {
      if (c.token == kUntracked) continue;
      auto it = tokens_.find(c.token);
      if (it == tokens_.end()) continue;
      UringWatcher* watcher = it->second;
      tokens_.erase(it);
      watcher->OnCompletion(c.token, c.res);
      if (tearingDown_) return;
    }
  }
  delivering_ = false;
  ring_.Flush();
}

// Environment teardown (a Worker's exit, or the process's): the watchers still open are detached,
// the ring's handle closed, and the ring with it (the kernel cancels what is in flight). The state
// goes once libuv has called back for the handle.
void UringEnv::Teardown(UringEnv* self) {
  self->tearingDown_ = true;
  std::vector<UringWatcher*> live(self->live_.begin(), self->live_.end());
  for (UringWatcher* watcher : live) watcher->Detach();
  self->live_.clear();
  self->tokens_.clear();
  self->fds_.clear();
  if (self->handle_ != nullptr) {
    self->handle_->data = self;
    self->closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(self->handle_), FreeHandle);  // stops polling the ring at once
    self->handle_ = nullptr;
  }
  self->ring_.Close();
  self->MaybeFinish();
}

void UringEnv::AsyncCleanup(napi_async_cleanup_hook_handle hook, void* arg) {
  auto* self = static_cast<UringEnv*>(arg);
  self->asyncHook_ = hook;
  Teardown(self);
}

UringEnv* UringSlot::Get(napi_env napiEnv) {
  if (env != nullptr || failed) return env;
  auto* state = new UringEnv(napiEnv);
  napi_async_cleanup_hook_handle hook = nullptr;
  if (napi_add_async_cleanup_hook(napiEnv, UringEnv::AsyncCleanup, state, &hook) != napi_ok) {
    delete state;
    failed = true;
    return nullptr;
  }
  env = state;
  return env;
}

Napi::Value StartUring(const Napi::CallbackInfo& info) {
  UringEnv* state = static_cast<UringSlot*>(info.Data())->Get(info.Env());
  return Num(info.Env(), state != nullptr ? state->EnsureRing() : -ENOSYS);
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
  exports.Set("startUring", Napi::Function::New(env, StartUring, "startUring", slot));
  exports.Set("uringCounters", Napi::Function::New(env, UringCounters, "uringCounters", slot));
}

#else

void RegisterUring(Napi::Env, Napi::Object) {}  // not Linux, or the portable build: no io_uring

#endif

}  // namespace bsd
