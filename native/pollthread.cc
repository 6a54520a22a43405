// The poll-thread readiness backend, for runtimes whose Node-API has no libuv loop (Bun): one
// thread per environment waits in epoll (Linux) or kqueue (macOS, the BSDs) and hands readiness to
// the JavaScript thread through a napi_threadsafe_function. The interface is watcher.cc's:
//
//   new ThreadWatcher(fd, onReady)  start(events) -> 0 | -errno  ref()  unref()  close()
//
// Readiness is level-triggered, as libuv's is: a descriptor is armed for one report, and re-armed
// after its callback has run while it is still started. So there is one callback per readiness, and
// a busy JavaScript thread is not flooded with reports of the same one.
//
// Only the JavaScript thread registers, re-arms or removes a descriptor; the poll thread only waits.
// Each registration carries a token that is never used again, and a report whose token is no
// longer registered is dropped. close() removes the descriptor from the kernel's set before it
// returns, so after it no report about the descriptor is made or delivered, even one already on
// its way, and the descriptor may be closed and its number reused at once.
//
// A started, referenced watcher keeps the process alive, as a libuv poll handle does: the
// threadsafe function is referenced while at least one such watcher exists.
#include "poller.h"
#include "handle.h"
#include "held_watcher.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstdint>
#include <mutex>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bsd {

#if BSD_POLL_EPOLL || BSD_POLL_KQUEUE
namespace {

using pollthread::Poller;
using pollthread::Ready;
using pollthread::kBatch;
using pollthread::kWakeToken;
using pollthread::kWatchable;

class ThreadWatcher;

// One environment's poll thread and the JavaScript thread's bookkeeping of it. The thread and the
// threadsafe function exist from startPollThread() or the first registration on.
class PollEnv {
 public:
  explicit PollEnv(napi_env env) : env_(env) {}

  Poller& poller() { return poller_; }

  // Starts the thread on first use. -> 0 | -errno
  int EnsureThread() {
    if (torndown_) return -EBADF;
    if (started_ || threadError_ != 0) return threadError_;
    int r = poller_.Open();
    if (r < 0) return r;
    if (!CreateFunction()) {
      poller_.Close();
      return -ENOMEM;
    }
    try {
      thread_ = std::thread([this] { Run(); });
    } catch (const std::system_error&) {
      // No second try: this function's finalizer, still to come, clears tsfn_.
      napi_release_threadsafe_function(tsfn_, napi_tsfn_abort);
      poller_.Close();
      threadError_ = -EAGAIN;
      return threadError_;
    }
    started_ = true;
    return 0;
  }

  uint64_t NextToken() { return nextToken_++; }

  bool HasFd(int fd) const { return fds_.count(fd) != 0; }

  void Track(uint64_t token, int fd, ThreadWatcher* watcher) {
    tokens_[token] = watcher;
    fds_.insert(fd);
  }

  void Untrack(uint64_t token, int fd) {
    tokens_.erase(token);
    fds_.erase(fd);
  }

  void AddLive(ThreadWatcher* watcher) { live_.insert(watcher); }
  void RemoveLive(ThreadWatcher* watcher) { live_.erase(watcher); }

  // Counts started, referenced watchers; the threadsafe function holds the loop while there are any.
  void Hold(bool on) {
    if (tsfn_ == nullptr) return;
    if (on && holds_++ == 0) napi_ref_threadsafe_function(env_, tsfn_);
    if (!on && --holds_ == 0) napi_unref_threadsafe_function(env_, tsfn_);
  }

  static void Teardown(void* arg);

 private:
  bool CreateFunction() {
    napi_value name;
    if (napi_create_string_utf8(env_, "BsdSocketsPollThread", NAPI_AUTO_LENGTH, &name) != napi_ok) return false;
    if (napi_create_threadsafe_function(env_, nullptr, nullptr, name, 0, 1, this, OnFunctionFinalized, this,
                                        Deliver, &tsfn_) != napi_ok) {
      tsfn_ = nullptr;
      return false;
    }
    napi_unref_threadsafe_function(env_, tsfn_);  // nothing is watched yet
    return true;
  }

  // The poll thread: waits, queues what is ready, and has the JavaScript thread called once for
  // everything queued until it runs.
  void Run() {
    std::vector<Ready> batch;
    while (poller_.Wait(batch)) {
      if (batch.empty()) continue;
      bool call;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        pending_.insert(pending_.end(), batch.begin(), batch.end());
        call = !scheduled_;
        scheduled_ = true;
      }
      batch.clear();
      if (call && napi_call_threadsafe_function(tsfn_, nullptr, napi_tsfn_nonblocking) != napi_ok) return;
    }
  }

  // Joins the thread. Idempotent; on the JavaScript thread only.
  void Stop() {
    if (!started_ || joined_) return;
    poller_.Wake();
    thread_.join();
    joined_ = true;
  }

  static void Deliver(napi_env env, napi_value, void* context, void*);
  void DeliverPending();

  // Node finalizes the threadsafe function at environment teardown, perhaps before Teardown runs;
  // the thread must be gone before it is.
  static void OnFunctionFinalized(napi_env, void* data, void*) {
    auto* self = static_cast<PollEnv*>(data);
    self->Stop();
    self->tsfn_ = nullptr;
    if (self->torndown_) delete self;
  }

  napi_env env_;
  Poller poller_;
  std::thread thread_;
  napi_threadsafe_function tsfn_ = nullptr;
  bool started_ = false;
  int threadError_ = 0;  // -errno: the thread could not be started
  bool joined_ = false;
  bool torndown_ = false;
  size_t holds_ = 0;

  std::mutex mutex_;  // guards pending_ and scheduled_, shared with the poll thread
  std::vector<Ready> pending_;
  bool scheduled_ = false;  // a call to Deliver is queued and has not taken pending_ yet

  // JavaScript thread only.
  std::vector<Ready> delivering_;
  std::unordered_map<uint64_t, ThreadWatcher*> tokens_;
  std::unordered_set<int> fds_;
  std::unordered_set<ThreadWatcher*> live_;
  uint64_t nextToken_ = kWakeToken + 1;
};

class ThreadWatcher : public HeldWatcher<ThreadWatcher, PollEnv> {
 public:
  static Napi::Function Define(Napi::Env env, PollEnv* state) {
    return DefineClass(env, "ThreadWatcher",
                       {
                           InstanceMethod<&ThreadWatcher::Start>("start"),
                           InstanceMethod("ref", &ThreadWatcher::Ref),
                           InstanceMethod("unref", &ThreadWatcher::Unref),
                           InstanceMethod("close", &ThreadWatcher::Close),
                       },
                       state);
  }

  explicit ThreadWatcher(const Napi::CallbackInfo& info)
      : HeldWatcher(info, static_cast<PollEnv*>(info.Data()), "ThreadWatcher(fd: number | FdHandle, onReady: function)") {
    if (state_ != nullptr) state_->AddLive(this);
  }

  ~ThreadWatcher() override {
    try {
      Shut();
    } catch (...) {  // a destructor must not throw; nothing is left to report to
    }
    if (state_ != nullptr) state_->RemoveLive(this);
  }

  // Environment teardown: the thread is stopped and the poller about to close; forget both.
  void Detach() {
    token_ = 0;
    holding_ = false;
    closed_ = true;
    onReady_.Reset(Env());
    state_ = nullptr;
  }

  // A report for registration `token`; the registration was one-shot, so it is armed again for
  // what is wanted now, unless the callback stopped or closed the watcher.
  void OnReady(uint64_t token, int revents) {
    if (token != token_) return;
    int wanted = revents & (events_ | POLLERR | POLLHUP);
    if (wanted != 0) Dispatch(wanted);
    if (token != token_ || events_ == 0 || state_ == nullptr) return;
    int r = state_->poller().Arm(fd_, events_, token_, false);
    if (r < 0) Dispatch(r);  // the descriptor went away under us: the owner hears -errno
  }

 private:
  // start(events): POLLIN/POLLOUT/POLLPRI bits; 0 stops watching. -> 0 | -errno
  Napi::Value Start(const Napi::CallbackInfo& info) {
    return Num(info.Env(), Watch(IntArg(info, 0) & kWatchable));
  }

  int Watch(int events) {
    if (closed_ || state_ == nullptr || fd_ < 0) return -EBADF;
    int r = events == 0 ? Unregister() : token_ != 0 ? state_->poller().Arm(fd_, events, token_, false) : Register(events);
    if (r < 0) return r;
    events_ = events;
    UpdateHold();
    return 0;
  }

  int Register(int events) {
    if (state_->HasFd(fd_)) return -EEXIST;  // one watcher per descriptor, as libuv has it
    int r = state_->EnsureThread();
    if (r < 0) return r;
    uint64_t token = state_->NextToken();
    r = state_->poller().Arm(fd_, events, token, true);
    if (r < 0) return r;
    state_->Track(token, fd_, this);
    token_ = token;
    return 0;
  }

  // Removes the descriptor from the kernel's set (a failure means it is no longer there: the
  // owner closed it first) and forgets the token, so that reports already made are dropped.
  int Unregister() {
    if (token_ == 0 || state_ == nullptr) return 0;
    state_->poller().Remove(fd_);
    state_->Untrack(token_, fd_);
    token_ = 0;
    return 0;
  }

  friend class HeldWatcher<ThreadWatcher, PollEnv>;

  bool Armed() const { return token_ != 0; }

  void Shut() {
    Unregister();
    events_ = 0;
    if (state_ != nullptr) UpdateHold();
    closed_ = true;
    onReady_.Reset(Env());
  }

  uint64_t token_ = 0;   // the registration in the kernel's set; 0 when not registered
};

void PollEnv::Deliver(napi_env env, napi_value, void* context, void*) {
  if (env == nullptr) return;  // the function is being torn down
  static_cast<PollEnv*>(context)->DeliverPending();
}

void PollEnv::DeliverPending() {
  delivering_.clear();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    delivering_.swap(pending_);
    scheduled_ = false;
  }
  for (const Ready& ready : delivering_) {
    auto it = tokens_.find(ready.token);  // looked up each time: a callback may close any watcher
    if (it != tokens_.end()) it->second->OnReady(ready.token, ready.revents);
  }
}

// Environment teardown (a Worker's exit, or the process's): the thread stops and is joined before
// anything it uses goes; the watchers still open are detached.
void PollEnv::Teardown(void* arg) {
  auto* self = static_cast<PollEnv*>(arg);
  self->Stop();
  self->torndown_ = true;
  std::vector<ThreadWatcher*> live(self->live_.begin(), self->live_.end());
  for (ThreadWatcher* watcher : live) watcher->Detach();
  self->live_.clear();
  self->tokens_.clear();
  self->fds_.clear();
  self->poller_.Close();
  if (self->tsfn_ == nullptr) {
    delete self;
    return;
  }
  napi_release_threadsafe_function(self->tsfn_, napi_tsfn_abort);  // OnFunctionFinalized deletes self
}

// startPollThread() -> 0 | -errno: starts the environment's thread now rather than at the first
// start(), so that its descriptors exist before anyone counts descriptors.
Napi::Value StartPollThread(const Napi::CallbackInfo& info) {
  return Num(info.Env(), static_cast<PollEnv*>(info.Data())->EnsureThread());
}

}  // namespace

void RegisterPollThread(Napi::Env env, Napi::Object exports) {
  auto* state = new PollEnv(env);
  if (napi_add_env_cleanup_hook(env, PollEnv::Teardown, state) != napi_ok) {
    delete state;
    return;  // no ThreadWatcher: without teardown the thread could outlive the environment
  }
  exports.Set("ThreadWatcher", ThreadWatcher::Define(env, state));
  exports.Set("startPollThread", Napi::Function::New(env, StartPollThread, "startPollThread", state));
}

#else

void RegisterPollThread(Napi::Env, Napi::Object) {}  // no epoll or kqueue: the libuv backend only

#endif

}  // namespace bsd
