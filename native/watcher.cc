// The readiness watcher: a libuv poll handle on one descriptor, on the loop of the environment
// that created it (never the default loop, so that the addon works inside a Worker).
//
//   new Watcher(fd | FdHandle, onReady)  start(events) -> 0 | -errno  ref()  unref()  close()
//
// onReady(revents) is called with POLLIN/POLLOUT/POLLPRI bits, POLLHUP for a disconnect and POLLERR
// when the descriptor has an error pending. It never runs after close(). Only uv_poll_init,
// uv_poll_start, uv_poll_stop, uv_close, uv_ref and uv_unref are used, so that a runtime whose
// Node-API offers just those (Deno) can run it; lib/engine/readiness.ts is its only user. Where there is no
// libuv (Bun), lib/binding/native.ts puts pollthread.cc's ThreadWatcher, with the same interface, in its place.
#include "handle.h"
#include "watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <uv.h>

#include <cstring>

#include <unordered_set>
#include <vector>

namespace bsd {
namespace {

class Watcher;

// Per-environment state: every live Watcher of the environment, so that the cleanup hook can close
// the handles that are still open when the environment (a Worker, say) goes away, and the count of
// handles whose uv_close has not called back yet. Teardown must wait for those callbacks: once the
// environment is gone Node may unload the addon, and libuv would then call into unmapped code.
struct WatcherEnv {
  std::unordered_set<Watcher*> live;
  size_t closing = 0;
  bool tearingDown = false;
  napi_async_cleanup_hook_handle asyncHook = nullptr;  // null: a plain (synchronous) cleanup hook

  // The environment may go on once no handle is still closing.
  void MaybeFinish() {
    if (!tearingDown || closing != 0) return;
    if (asyncHook != nullptr) napi_remove_async_cleanup_hook(asyncHook);
    delete this;
  }
};

// libuv's errors are -errno on Unix; the few of its own (UV_EOF, UV_EAI_*...) become EIO.
int UvToErrno(int r) { return r <= -3000 ? -EIO : r; }

int ToUvEvents(int events) {
  int out = 0;
  if (events & POLLIN) out |= UV_READABLE;
  if (events & POLLOUT) out |= UV_WRITABLE;
  if (events & POLLPRI) out |= UV_PRIORITIZED;
  return out;
}

int FromUvEvents(int events) {
  int out = 0;
  if (events & UV_READABLE) out |= POLLIN;
  if (events & UV_WRITABLE) out |= POLLOUT;
  if (events & UV_PRIORITIZED) out |= POLLPRI;
  if (events & UV_DISCONNECT) out |= POLLHUP;
  return out;
}

// The uv_close callback: the only place where a handle's memory is freed. handle->data is then the
// environment's state (or null).
void FreeHandle(uv_handle_t* handle) {
  auto* state = static_cast<WatcherEnv*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  if (state != nullptr) {
    state->closing--;
    state->MaybeFinish();
  }
}

class Watcher : public Napi::ObjectWrap<Watcher>, public BoundWatcher {
 public:
  static Napi::Function Define(Napi::Env env, WatcherEnv* state) {
    return DefineClass(env, "Watcher",
                       {
                           InstanceMethod<&Watcher::Start>("start"),
                           InstanceMethod<&Watcher::Ref>("ref"),
                           InstanceMethod<&Watcher::Unref>("unref"),
                           InstanceMethod<&Watcher::Close>("close"),
                       },
                       state);
  }

  explicit Watcher(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Watcher>(info) {
    Napi::Env env = info.Env();
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "Watcher(fd: number | FdHandle, onReady: function)");
    int fd = BindTo(info[0]);
    state_ = static_cast<WatcherEnv*>(info.Data());
    onReady_.Init(env, info[1].As<Napi::Function>());
    if (state_) state_->live.insert(this);
    Open(env, fd);
  }

  ~Watcher() override {
    try {
      CloseHandle();
      onReady_.Reset(Env());
    } catch (...) {  // a destructor must not throw; nothing is left to report to
    }
    if (state_) state_->live.erase(this);
  }

  // The FdHandle bound to this watcher is about to close or give up its descriptor.
  void StopWatching() override {
    CloseHandle();
    onReady_.Reset(Env());
  }

  // Environment teardown: close the handle and forget the per-environment state, which is about
  // to be freed. The object itself lives on until JavaScript's finalizer deletes it.
  void Detach() {
    CloseHandle();
    onReady_.Reset(Env());
    state_ = nullptr;
  }

 private:
  void Open(Napi::Env env, int fd) {
    uv_loop_t* loop = nullptr;
    if (fd < 0) {
      initError_ = -EBADF;
      return;
    }
    if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
      initError_ = -ENOSYS;
      return;
    }
    // uv_poll_init makes the descriptor non-blocking; a watcher only watches, so its owner's
    // blocking mode is put back.
    int flags = RetryOnEintr([&] { return fcntl(fd, F_GETFL); });
    auto* handle = new uv_poll_t;
    int r = uv_poll_init(loop, handle, fd);
    if (r < 0) {
      delete handle;  // never registered with the loop
      initError_ = UvToErrno(r);
      return;
    }
    if (flags >= 0 && !(flags & O_NONBLOCK)) RetryOnEintr([&] { return fcntl(fd, F_SETFL, flags); });
    handle->data = this;
    handle_ = handle;
  }

  // Idempotent. Stops libuv from watching the descriptor before returning (uv_close does so at
  // once), so that the caller may close the descriptor; the memory goes in the close callback.
  void CloseHandle() {
    if (handle_ == nullptr) return;
    uv_poll_t* handle = handle_;
    handle_ = nullptr;
    events_ = 0;
    handle->data = state_;  // no poll callback can come after uv_close; FreeHandle reads it
    if (state_ != nullptr) state_->closing++;
    uv_poll_stop(handle);
    uv_close(reinterpret_cast<uv_handle_t*>(handle), FreeHandle);
  }

  // start(events): POLLIN/POLLOUT/POLLPRI bits; 0 stops watching. -> 0 | -errno
  Napi::Value Start(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (handle_ == nullptr) return Num(env, initError_ != 0 ? initError_ : -EBADF);
    int events = ToUvEvents(IntArg(info, 0));
    int r = events != 0 ? uv_poll_start(handle_, events, OnPoll) : uv_poll_stop(handle_);
    if (r < 0) return Num(env, UvToErrno(r));
    events_ = events;
    return Num(env, 0);
  }

  void Ref(const Napi::CallbackInfo&) {
    if (handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  }

  void Unref(const Napi::CallbackInfo&) {
    if (handle_ != nullptr) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
  }

  void Close(const Napi::CallbackInfo&) { StopWatching(); }

  static void OnPoll(uv_poll_t* handle, int status, int events) {
    auto* self = static_cast<Watcher*>(handle->data);
    if (self == nullptr || self->handle_ != handle) return;
    // libuv reports a pending error (POLLERR) as UV_EBADF and stops the handle. The descriptor is
    // fine; its waiters are woken to find the error, and the handle is re-armed afterwards.
    bool stopped = status < 0;
    self->Dispatch(stopped ? POLLERR : FromUvEvents(events));
    if (stopped && self->handle_ == handle && self->events_ != 0) {
      uv_poll_start(handle, self->events_, OnPoll);
    }
  }

  void Dispatch(int revents) {
    if (onReady_.Empty()) return;
    Napi::HandleScope scope(Env());
    Napi::Object self = Value();  // keeps this object alive during the call
    onReady_.Call(Env(), self, revents);
  }

  WatcherEnv* state_ = nullptr;
  uv_poll_t* handle_ = nullptr;  // null once closed, or if uv_poll_init failed
  int initError_ = 0;            // -errno from uv_poll_init, reported by start()
  int events_ = 0;               // the UV_* events that start() last asked for
  ReadyCallback onReady_;
};

// Environment teardown: close every handle still open; the environment waits (its loop running)
// until the last close callback has run.
void Teardown(WatcherEnv* state) {
  std::vector<Watcher*> live(state->live.begin(), state->live.end());
  for (Watcher* watcher : live) watcher->Detach();  // uv_close each handle still open
  state->live.clear();
  state->tearingDown = true;
  state->MaybeFinish();
}

void AsyncCleanup(napi_async_cleanup_hook_handle handle, void* arg) {
  auto* state = static_cast<WatcherEnv*>(arg);
  state->asyncHook = handle;
  Teardown(state);
}

// Where only a synchronous hook exists the environment does not wait: the last close callback, if
// the loop still runs it, frees the state.
void SyncCleanup(void* arg) {
  auto* state = static_cast<WatcherEnv*>(arg);
  Teardown(state);
}

// Deno 2 frees an async cleanup hook's handle itself once the hook returns, and frees it again in
// napi_remove_async_cleanup_hook, which Node requires the hook to call: a double free at exit (see
// docs/DENO-ASYNC-CLEANUP.md). Deno does not wait for asynchronous cleanup anyway, so there the
// synchronous hook does the same work and nothing is freed twice. Deno names itself as the release.
bool IsDeno(napi_env env) {
  const napi_node_version* version = nullptr;
  return napi_get_node_version(env, &version) == napi_ok && version != nullptr &&
         version->release != nullptr && std::strcmp(version->release, "Deno") == 0;
}

bool AddCleanupHook(napi_env env, WatcherEnv* state) {
  napi_async_cleanup_hook_handle hook = nullptr;
  if (!IsDeno(env) && napi_add_async_cleanup_hook(env, AsyncCleanup, state, &hook) == napi_ok) return true;
  return napi_add_env_cleanup_hook(env, SyncCleanup, state) == napi_ok;
}

}  // namespace

void RegisterWatcher(Napi::Env env, Napi::Object exports) {
  auto* state = new WatcherEnv();
  if (!AddCleanupHook(env, state)) {
    delete state;
    state = nullptr;  // watchers then live without teardown tracking
  }
  Napi::Function watcher = Watcher::Define(env, state);
  exports.Set("Watcher", watcher);
  exports.Set("UvWatcher", watcher);  // stays the libuv one when lib/binding/native.ts picks the poll thread
}

}  // namespace bsd
