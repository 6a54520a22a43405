// One environment's io_uring (the main thread's, or a Worker's): the ring, the libuv handle that
// watches its descriptor, and who waits for which completion. uring.cc's readiness watchers and
// uring_ops.cc's socket operations both submit through it. Linux only (platform.h).
//
// Every submission whose completion someone reads carries a token that is never used again; a
// completion is handed to the Completer registered for its token, and one whose token is no longer
// registered is dropped. Entries queued while completions are being delivered (the callbacks, and
// the promise reactions they run) are flushed together once the batch has been delivered; one
// queued at any other time is flushed at once, as nothing else would flush it.
#pragma once

#include "common.h"
#include "platform.h"
#include "uring_ring.h"

#if BSD_HAVE_IO_URING
#include <uv.h>

#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace bsd {

class UringEnv;

// What waits for completions: a readiness watcher, a socket operation, or the buffer of an
// operation whose owner is gone.
class Completer {
 public:
  virtual ~Completer() = default;
  // The completion of this completer's submission `token`: its result, or -errno.
  virtual void OnCompletion(uint64_t token, int res) = 0;
  // A completion of a submission that may give several (a multishot accept): `more` while the
  // kernel keeps it going, and the token stays registered until the one without.
  virtual void OnResult(uint64_t token, int res, bool more) {
    (void)more;
    OnCompletion(token, res);
  }
  // Environment teardown: the ring is about to close; nothing is called back any more.
  virtual void Detach() = 0;
  // Whether the kernel may write into or read from memory of this completer's while its
  // submission is in flight: teardown then waits for the completion before anything is freed.
  virtual bool HoldsMemory() const { return false; }
  // Teardown could not get that memory back from the kernel: it is given up to a deliberate leak.
  virtual void Abandon() {}
};

// Where an environment's UringEnv is found: created on first use (startUring() or a watcher), so
// that a runtime which never asks for io_uring (Bun, Deno) gets no async cleanup hook from here.
// The slot itself goes with a plain cleanup hook; the UringEnv has its own.
struct UringSlot {
  UringEnv* env = nullptr;
  bool failed = false;  // the async cleanup hook could not be added: no io_uring here

  UringEnv* Get(napi_env napiEnv);
  static void Delete(void* arg) { delete static_cast<UringSlot*>(arg); }
};

class UringEnv {
 public:
  static constexpr uint64_t kUntracked = 0;  // the token of entries whose completion nobody reads

  explicit UringEnv(napi_env env) : env_(env) {}

  // Opens the ring and starts watching its descriptor. -> 0 | -errno (the same error every time)
  int EnsureRing();

  const uring::Ring& ring() const { return ring_; }
  bool tearingDown() const { return tearingDown_; }
  // While completions are being delivered, how many the batch being delivered holds; 0 otherwise.
  size_t DeliveringBatch() const { return delivering_ ? batch_.size() : 0; }
  void AddLive(Completer* completer) { live_.insert(completer); }
  void RemoveLive(Completer* completer) { live_.erase(completer); }

  // A free submission entry, flushing the queue once if it is full; null if there is none.
  io_uring_sqe* Entry();

  // Registers `completer` for the entry just filled in and flushes it unless completions are
  // being delivered. -> the entry's token
  uint64_t Submit(io_uring_sqe* sqe, Completer* completer);

  // The completion of `token` goes to `completer` from now on (an operation's buffer outliving it).
  void Retarget(uint64_t token, Completer* completer);

  // Forgets `token`: its completion, if any comes, is dropped.
  void Forget(uint64_t token) { tokens_.erase(token); }

  // Reaps the ring outside a delivery (a Sync call that must see at once what `completer`'s
  // submissions gave): `completer`'s completions are handed to it now, the others kept aside and
  // delivered first by the next delivery, which a no-op submitted here makes happen.
  void ReapFor(Completer* completer);

  // Submits IORING_OP_POLL_REMOVE (`poll`) or IORING_OP_ASYNC_CANCEL for `token`. `now`: before
  // returning (the descriptor is about to close and the kernel must let go of its file).
  void Cancel(uint64_t token, bool poll, bool now);

  // Delivers the completions the ring holds now, from inside a call: after a cancel submitted
  // `now`, the kernel has usually completed the cancelled operation already, and close() settles
  // what was pending before it returns. Safe while a batch is being delivered (its own list).
  void DeliverNow();

  // The accept queue (uring_accept.h) of a listener, by its descriptor.
  Completer* AcceptorOf(int fd) const {
    auto it = acceptors_.find(fd);
    return it == acceptors_.end() ? nullptr : it->second;
  }
  void SetAcceptor(int fd, Completer* queue) { acceptors_[fd] = queue; }
  void RemoveAcceptor(int fd, Completer* queue) {
    auto it = acceptors_.find(fd);
    if (it != acceptors_.end() && it->second == queue) acceptors_.erase(it);
  }

  bool HasFd(int fd) const { return fds_.count(fd) != 0; }
  void Track(int fd) { fds_.insert(fd); }
  void Untrack(int fd) { fds_.erase(fd); }

  // Counts what is started and referenced; the ring's handle holds the loop while there is any.
  void Hold(bool on);

  static void AsyncCleanup(napi_async_cleanup_hook_handle hook, void* arg);

 private:
  // At most this many rounds of reap, deliver and flush per readable ring: a flush completes at
  // once what the kernel can do at once (a send, a receive with data waiting), and delivering that
  // in the same turn saves a trip through epoll; the bound lets timers and other I/O run.
  static constexpr int kRounds = 4;
  // How long teardown waits for the kernel to give back operations' memory, in all.
  static constexpr long kDrainMs = 1000;

  int OpenRing();
  void FlushUnlessDelivering();
  bool DeliverReaped();
  // Hands each completion of `reaped` to its completer; false if teardown began meanwhile.
  bool Dispatch(const std::vector<uring::Completion>& reaped);
  void Deliver();
  void Drain();
  static void Teardown(UringEnv* self);
  static void OnRingReadable(uv_poll_t* handle, int, int);
  static void FreeHandle(uv_handle_t* handle);
  void MaybeFinish();

  napi_env env_;
  uring::Ring ring_;
  uv_poll_t* handle_ = nullptr;
  int openError_ = 0;
  bool delivering_ = false;
  bool tearingDown_ = false;
  bool closing_ = false;  // the handle's uv_close has not called back yet
  napi_async_cleanup_hook_handle asyncHook_ = nullptr;
  size_t holds_ = 0;
  uint64_t nextToken_ = kUntracked + 1;
  std::vector<uring::Completion> batch_;
  std::vector<uring::Completion> aside_;  // reaped by ReapFor for others: delivered first
  std::unordered_map<uint64_t, Completer*> tokens_;
  std::unordered_set<int> fds_;
  std::unordered_map<int, Completer*> acceptors_;
  std::unordered_set<Completer*> live_;
};

// uring_ops.cc: the UringOp class (completion-based receive and send on a stream socket, accept
// on a listener) and uringAccepted(fd, blob, nonblock, stop), a queued accept taken by a try.
Napi::Function DefineUringOp(Napi::Env env, UringSlot* slot);
Napi::Function DefineUringAccepted(Napi::Env env, UringSlot* slot);

}  // namespace bsd
#endif
