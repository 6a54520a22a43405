// Accepting on the environment's ring (uring_env.h): the connections of one listener accepted by
// the kernel with a multishot IORING_OP_ACCEPT (5.19; a one-shot one where the kernel lacks it)
// while the listener is being served, queued here until an accept() takes them. Linux only.
//
// The queue owns what it holds: every descriptor in it is closed when the listener closes, is
// released or collected, or the environment ends; none is handed out twice. Descriptors are made
// with SOCK_CLOEXEC. The queue is bounded: at kBound descriptors nobody asked for, the multishot
// is cancelled, and armed again by the next accept that finds the queue empty. The kernel gives a
// multishot's descriptors without the peer's address: it is read with getpeername() when the
// descriptor is handed out.
#pragma once

#include "common.h"
#include "platform.h"
#include "uring_env.h"
#include "addresses.h"

#if BSD_HAVE_IO_URING
#include <deque>
#include <unordered_map>

namespace bsd {

// Who hears that a waited-for accept can be taken (res 0) or failed (res -errno).
class AcceptWaiter {
 public:
  virtual ~AcceptWaiter() = default;
  virtual void OnAcceptReady(int res) = 0;
};

class AcceptQueue : public Completer {
 public:
  // Descriptors queued for nobody before the multishot is stopped.
  static constexpr size_t kBound = 64;

  AcceptQueue(UringEnv* env, int listener, AcceptWaiter* waiter);
  ~AcceptQueue() override;

  // The listener fd's queue, if there is one in `env`.
  static AcceptQueue* Of(UringEnv* env, int listener);

  // An accept that would wait: arms the multishot unless armed, and tells the waiter when a
  // descriptor is queued or the accept fails. -> 0 | -errno (nothing armed, or a descriptor is
  // queued already: the caller tries instead)
  int Wait(bool nonblock);

  // The oldest queued descriptor, in the blocking mode `nonblock` says, its peer's address written
  // to `addr`: the descriptor, or -EAGAIN when none is queued and a multishot is armed, or -ENOENT
  // when none is queued and none armed (`stop`: a multishot armed is stopped first, for a Sync
  // accept, which waits off the loop and would never see what the ring accepts).
  int Take(bool nonblock, bool stop, SockAddr& addr);

  // An accept waited for no longer (deadline, abort, close()). -> whether one was waiting.
  bool StopWaiting();

  // The listener closes or is given up: stops the multishot at once (the kernel must let go of the
  // listener's file) and closes every descriptor queued and every one that still arrives.
  void Close();

  // The waiter goes (its UringOp collected): the queue closes, and deletes itself once the kernel
  // has nothing more in flight for it.
  void Orphan();

  void SetRef(bool refd);

  void OnCompletion(uint64_t token, int res) override { OnResult(token, res, false); }
  void OnResult(uint64_t token, int res, bool more) override;
  void Detach() override;
  // Not memory, but descriptors: teardown waits for the multishot's last completion so that a
  // descriptor the kernel made is never left in the ring, open, when it closes.
  bool HoldsMemory() const override { return inflight_ != 0; }
  void Abandon() override;

 private:
  struct Accepted {
    int fd;
    bool nonblock;
  };

  int Arm(bool nonblock);
  void Stop(bool now);
  void Keep(uint64_t token, int fd);
  void Hold();
  void CloseQueued();
  void Unregister();

  UringEnv* env_;
  int listener_;
  AcceptWaiter* waiter_;
  std::deque<Accepted> queue_;
  uint64_t token_ = 0;      // the submission armed now; 0 when none
  size_t inflight_ = 0;     // submissions the kernel still has (a stopped one may still complete)
  std::unordered_map<uint64_t, bool> modes_;  // each submission's SOCK_NONBLOCK, until its last completion
  bool stopping_ = false;   // token_'s cancel is submitted
  bool waiting_ = false;
  bool refd_ = true;
  bool holding_ = false;
  bool closed_ = false;
  bool orphaned_ = false;
};

// The oldest descriptor `queue` holds (AcceptQueue::Take), its peer written to the blob argument
// `blobIndex`: the descriptor, or -errno.
Napi::Value TakeAccepted(const Napi::CallbackInfo& info, AcceptQueue* queue, bool nonblock, bool stop, size_t blobIndex);

}  // namespace bsd
#endif
