// FdHandle: one native object per descriptor that owns it, as classic-level ties one cleanup to one
// resource. It closes the descriptor exactly once, whichever comes first:
//
//   new FdHandle(fd, fresh, onCollected?)  fd  close() -> 0 | -errno  release() -> fd | -1
//
// - close(): stops the bound watcher, then closes the descriptor;
// - release() (detach): stops the bound watcher and gives the descriptor up without closing it;
// - garbage collection: the finalizer closes it if still owned, then calls onCollected(fd);
// - environment teardown (a Worker's exit): the environment's hook closes every one still owned.
//
// The environment keeps its handles by descriptor number: handleOf(fd) answers "is this one of
// ours?" for select() and the readiness layer, and teardown finds what is left. `fresh` says that
// the system call has just made the descriptor: a handle still listed for that number is stale
// (its descriptor was closed behind its back) and gives it up, so that it never closes the new one.
#include "handle.h"
#include "platform.h"

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace bsd {

namespace {

// Marks FdHandle objects, so that a watcher can tell one from any other object it is given.
constexpr napi_type_tag kHandleTag = {0x6273645f68616e64ULL, 0x6c655f6664000001ULL};

bool IsHandle(const Napi::Value& value) {
  bool tagged = false;
  return value.IsObject() && napi_check_object_type_tag(value.Env(), value, &kHandleTag, &tagged) == napi_ok && tagged;
}

}  // namespace

struct HandleEnv {
  std::unordered_map<int, FdHandle*> byFd;
};

class FdHandle : public Napi::ObjectWrap<FdHandle> {
 public:
  static Napi::Function Define(Napi::Env env, HandleEnv* state) {
    return DefineClass(env, "FdHandle",
                       {
                           InstanceAccessor<&FdHandle::GetFd>("fd"),
                           InstanceMethod<&FdHandle::CloseJs>("close"),
                           InstanceMethod<&FdHandle::ReleaseJs>("release"),
                       },
                       state);
  }

  explicit FdHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FdHandle>(info) {
    int fd = IntArg(info, 0);
    if (fd < 0) throw Napi::RangeError::New(info.Env(), "FdHandle(fd): fd must be >= 0");
    if (info[2].IsFunction()) onCollected_ = Napi::Persistent(info[2].As<Napi::Function>());
    if (napi_type_tag_object(info.Env(), info.This(), &kHandleTag) != napi_ok) {
      throw Napi::Error::New(info.Env(), "FdHandle: cannot tag the object");
    }
    state_ = static_cast<HandleEnv*>(info.Data());
    fd_ = fd;
    List(info[1].ToBoolean());
    NoSigpipe(fd);
  }

  ~FdHandle() override {
    Unbind();
    Unlist();
  }

  // Garbage collection: the object is gone, the descriptor is still ours. Node runs this outside
  // the collector (deferred), where JavaScript may be called; elsewhere the call just fails.
  void Finalize(Napi::Env env) override {
    int fd = fd_;
    if (fd < 0) return;
    Close();
    if (onCollected_.IsEmpty()) return;
    try {
      Napi::HandleScope scope(env);
      onCollected_.Call({Napi::Number::New(env, fd)});
    } catch (...) {  // the environment is going away, or the callback threw: nothing to report to
    }
  }

  int fd() const { return fd_; }

  // Stops the bound watcher and gives the descriptor up; -1 if it was no longer ours.
  int Release() {
    Unbind();
    int fd = fd_;
    Unlist();
    fd_ = -1;
    return fd;
  }

  // close(2) once; never retried (on Linux the descriptor is gone even after EINTR).
  int Close() {
    int fd = Release();
    if (fd < 0) return 0;
    if (close(fd) < 0 && errno != EINTR) return -errno;
    return 0;
  }

  // Environment teardown: close what is still ours and forget the state, which is about to go.
  void EnvironmentGone() {
    Close();
    state_ = nullptr;
  }

  void BindShared(BoundWatcher* watcher) {
    if (std::find(shared_.begin(), shared_.end(), watcher) != shared_.end()) return;
    shared_.push_back(watcher);
    watcher->handle_ = this;
  }

  void Bind(BoundWatcher* watcher) {
    if (watcher_ == watcher) return;
    UnbindWatcher();  // one watcher per descriptor: an earlier one stops
    watcher_ = watcher;
    watcher->handle_ = this;
  }

  void Forget(BoundWatcher* watcher) {
    if (watcher_ == watcher) watcher_ = nullptr;
    shared_.erase(std::remove(shared_.begin(), shared_.end(), watcher), shared_.end());
  }

 private:
  static void NoSigpipe(int fd) {
#ifdef SO_NOSIGPIPE
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);  // not every descriptor has it
#else
    (void)fd;
#endif
  }

  void List(bool fresh) {
    if (state_ == nullptr) return;
    auto it = state_->byFd.find(fd_);
    if (it != state_->byFd.end() && fresh) it->second->Release();  // stale: its number was closed and reused
    state_->byFd[fd_] = this;
  }

  void Unlist() {
    if (state_ == nullptr || fd_ < 0) return;
    auto it = state_->byFd.find(fd_);
    if (it != state_->byFd.end() && it->second == this) state_->byFd.erase(it);
  }

  // Stops everything bound: the descriptor is about to close or be given up.
  void Unbind() {
    std::vector<BoundWatcher*> shared;
    shared.swap(shared_);
    for (BoundWatcher* other : shared) Stop(other);
    UnbindWatcher();
  }

  void UnbindWatcher() {
    BoundWatcher* watcher = watcher_;
    if (watcher == nullptr) return;
    watcher_ = nullptr;
    Stop(watcher);
  }

  static void Stop(BoundWatcher* watcher) {
    watcher->handle_ = nullptr;
    watcher->StopWatching();
  }

  Napi::Value GetFd(const Napi::CallbackInfo& info) { return Num(info.Env(), fd_); }
  Napi::Value CloseJs(const Napi::CallbackInfo& info) { return Num(info.Env(), Close()); }
  Napi::Value ReleaseJs(const Napi::CallbackInfo& info) { return Num(info.Env(), Release()); }

  HandleEnv* state_ = nullptr;
  int fd_ = -1;  // -1 once closed or released
  BoundWatcher* watcher_ = nullptr;
  std::vector<BoundWatcher*> shared_;  // bound beside the watcher: see BindTo
  Napi::FunctionReference onCollected_;
};

BoundWatcher::~BoundWatcher() {
  if (handle_ != nullptr) handle_->Forget(this);
}

int BoundWatcher::BindTo(const Napi::Value& target, bool shared) {
  Napi::Env env = target.Env();
  if (target.IsNumber()) return target.As<Napi::Number>().Int32Value();
  if (!IsHandle(target)) ThrowArgType(env, "a descriptor number or an FdHandle");
  FdHandle* handle = FdHandle::Unwrap(target.As<Napi::Object>());
  if (handle->fd() < 0) return -1;  // closed: start() reports EBADF
  if (shared) handle->BindShared(this);
  else handle->Bind(this);
  return handle->fd();
}

namespace {

// Environment teardown: every handle still listed closes its descriptor, in no particular order
// relative to the other modules' hooks (a bound watcher is stopped first either way).
void Teardown(void* arg) {
  auto* state = static_cast<HandleEnv*>(arg);
  std::vector<FdHandle*> left;
  left.reserve(state->byFd.size());
  for (const auto& entry : state->byFd) left.push_back(entry.second);
  state->byFd.clear();
  for (FdHandle* handle : left) handle->EnvironmentGone();
  delete state;
}

// handleOf(fd) -> the FdHandle that owns fd in this environment, or undefined.
Napi::Value HandleOf(const Napi::CallbackInfo& info) {
  auto* state = static_cast<HandleEnv*>(info.Data());
  auto it = state->byFd.find(IntArg(info, 0));
  if (it == state->byFd.end()) return info.Env().Undefined();
  Napi::Object object = it->second->Value();
  if (object.IsEmpty()) return info.Env().Undefined();  // collected, not yet finalized
  return object;
}

}  // namespace

void ForgetFd(HandleEnv* handles, int fd) {
  if (handles == nullptr) return;
  auto it = handles->byFd.find(fd);
  if (it != handles->byFd.end()) it->second->Release();
}

HandleEnv* RegisterHandles(Napi::Env env, Napi::Object exports) {
  auto* state = new HandleEnv();
  if (napi_add_env_cleanup_hook(env, Teardown, state) != napi_ok) {
    delete state;
    Napi::Error::New(env, "cannot register the environment cleanup hook").ThrowAsJavaScriptException();
    return nullptr;
  }
  Napi::Function handle = FdHandle::Define(env, state);
  exports.Set("FdHandle", handle);
  exports.Set("handleOf", Napi::Function::New(env, HandleOf, "handleOf", state));
  return state;
}

}  // namespace bsd
