// The accept queue of a listener on the environment's ring (uring_accept.h). Linux only.
#include "uring_accept.h"

#if BSD_HAVE_IO_URING
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace bsd {

namespace {

// Gives `fd` the blocking mode asked for. -> 0 | -errno
int SetMode(int fd, bool nonblock) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0) return -errno;
  int wanted = nonblock ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
  if (wanted != flags && fcntl(fd, F_SETFL, wanted) < 0) return -errno;
  return 0;
}

// The peer of `fd`. A connection reset before it was handed out has none any more (ENOTCONN):
// it gets its family's unspecified address, where accept(2) would have given the peer's.
void PeerOf(int fd, SockAddr& addr) {
  addr = SockAddr{};
  addr.length = sizeof addr.storage;
  if (getpeername(fd, addr.get(), &addr.length) == 0) return;
  addr = SockAddr{};
  addr.length = sizeof addr.storage;
  if (getsockname(fd, addr.get(), &addr.length) < 0) {
    addr.length = 0;
    return;
  }
  sa_family_t family = addr.storage.ss_family;
  socklen_t length = addr.length;
  addr = SockAddr{};
  addr.storage.ss_family = family;
  addr.length = family == AF_UNIX ? sizeof(sa_family_t) : length;
}

}  // namespace

// The oldest descriptor `queue` holds, its peer written to the blob argument `blobIndex`.
Napi::Value TakeAccepted(const Napi::CallbackInfo& info, AcceptQueue* queue, bool nonblock, bool stop, size_t blobIndex) {
  SockAddr addr;
  int fd = queue->Take(nonblock, stop, addr);
  if (fd >= 0) WriteAddrBlob(info, blobIndex, addr);
  return Num(info.Env(), fd);
}

namespace {

// uringAccepted(fd, blob, nonblock, stop): a try of accept takes what the ring accepted first.
Napi::Value UringAccepted(const Napi::CallbackInfo& info) {
  UringEnv* state = static_cast<UringSlot*>(info.Data())->env;
  AcceptQueue* queue = state != nullptr ? AcceptQueue::Of(state, IntArg(info, 0)) : nullptr;
  if (queue == nullptr) return Num(info.Env(), -ENOENT);
  return TakeAccepted(info, queue, info[2].ToBoolean(), info[3].ToBoolean(), 1);
}

}  // namespace

Napi::Function DefineUringAccepted(Napi::Env env, UringSlot* slot) {
  return Napi::Function::New(env, UringAccepted, "uringAccepted", slot);
}

AcceptQueue::AcceptQueue(UringEnv* env, int listener, AcceptWaiter* waiter) : env_(env), listener_(listener), waiter_(waiter) {
  env_->AddLive(this);
  env_->SetAcceptor(listener_, this);
}

AcceptQueue::~AcceptQueue() {
  CloseQueued();
  Unregister();
}

AcceptQueue* AcceptQueue::Of(UringEnv* env, int listener) {
  return static_cast<AcceptQueue*>(env->AcceptorOf(listener));
}

void AcceptQueue::Unregister() {
  if (env_ == nullptr) return;
  if (holding_) env_->Hold(false);
  holding_ = false;
  env_->RemoveAcceptor(listener_, this);
  env_->RemoveLive(this);
}

int AcceptQueue::Wait(bool nonblock) {
  if (closed_ || env_ == nullptr) return -EBADF;
  if (!queue_.empty()) return -EAGAIN;  // a caller that did not try first: its try takes it
  if (token_ == 0 || stopping_) {
    int r = Arm(nonblock);
    if (r < 0) return r;
  }
  waiting_ = true;
  Hold();
  return 0;
}

int AcceptQueue::Arm(bool nonblock) {
  const uring::Ring& ring = env_->ring();
  if (!ring.HasAccept()) return -ENOSYS;
  io_uring_sqe* sqe = env_->Entry();
  if (sqe == nullptr) return -EAGAIN;
  sqe->opcode = IORING_OP_ACCEPT;
  sqe->fd = listener_;
  sqe->accept_flags = SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0);
  if (ring.HasMultishotAccept()) sqe->ioprio = IORING_ACCEPT_MULTISHOT;
  stopping_ = false;
  inflight_++;
  token_ = env_->Submit(sqe, this);
  modes_[token_] = nonblock;
  return 0;
}

void AcceptQueue::Stop(bool now) {
  if (token_ == 0 || stopping_ || env_ == nullptr) return;
  stopping_ = true;
  env_->Cancel(token_, false, now);
}

int AcceptQueue::Take(bool nonblock, bool stop, SockAddr& addr) {
  if (queue_.empty() && stop && token_ != 0 && env_ != nullptr) {
    Stop(true);  // the kernel cancels an accept waiting for a connection at once
    env_->ReapFor(this);  // what it accepted before is in the ring: queued now
  }
  // A Sync accept (stop) that found nothing makes its own accept(2), even if a Promise accept
  // waiting beside it has armed the ring again.
  if (queue_.empty()) return !stop && token_ != 0 && !stopping_ ? -EAGAIN : -ENOENT;
  Accepted next = queue_.front();
  queue_.pop_front();
  if (next.nonblock != nonblock) {
    int r = SetMode(next.fd, nonblock);
    if (r < 0) {
      close(next.fd);
      return r;
    }
  }
  PeerOf(next.fd, addr);
  return next.fd;
}

bool AcceptQueue::StopWaiting() {
  bool was = waiting_;
  waiting_ = false;
  Hold();
  return was;
}

void AcceptQueue::Keep(uint64_t token, int fd) {
  if (closed_) {
    close(fd);
    return;
  }
  queue_.push_back({fd, modes_[token]});
  if (!waiting_ && queue_.size() >= kBound) Stop(false);
}

// A completion of a submission of this queue's: a descriptor (queued), the end of a submission,
// or its failure, which the waiter, if any, hears; the multishot is armed again while one waits.
void AcceptQueue::OnResult(uint64_t token, int res, bool more) {
  if (token == 0) return;
  bool current = token == token_;
  bool nonblock = modes_[token];
  if (res >= 0) Keep(token, res);
  if (!more) {
    inflight_--;
    modes_.erase(token);
    if (current) token_ = 0, stopping_ = false;
  }
  if (orphaned_ || closed_) {
    if (orphaned_ && inflight_ == 0) delete this;
    return;
  }
  if (!waiting_) return;
  if (!queue_.empty()) {
    StopWaiting();
    waiter_->OnAcceptReady(0);
    return;
  }
  if (token_ != 0) return;  // still armed: wait on
  if (res < 0 && res != -ECANCELED && current) {
    StopWaiting();
    waiter_->OnAcceptReady(res);
    return;
  }
  int r = Arm(nonblock);  // stopped by the bound, or a one-shot ended: one still waits
  if (r < 0) {
    StopWaiting();
    waiter_->OnAcceptReady(r);
  }
}

void AcceptQueue::Close() {
  closed_ = true;
  waiting_ = false;
  Hold();
  Stop(true);
  CloseQueued();
  if (env_ != nullptr) env_->RemoveAcceptor(listener_, this);  // the number may be reused at once
}

void AcceptQueue::Orphan() {
  waiter_ = nullptr;
  orphaned_ = true;
  Close();
  if (inflight_ == 0) delete this;
}

void AcceptQueue::CloseQueued() {
  for (const Accepted& a : queue_) close(a.fd);
  queue_.clear();
}

void AcceptQueue::SetRef(bool refd) {
  refd_ = refd;
  Hold();
}

// Holds the loop while an accept waits and the socket is referenced; a multishot armed for
// nobody never keeps the process alive.
void AcceptQueue::Hold() {
  bool hold = waiting_ && refd_;
  if (hold == holding_ || env_ == nullptr) return;  // no env: teardown, where no hold matters
  holding_ = hold;
  env_->Hold(hold);
}

// Environment teardown: nothing is called back; the descriptors queued close now, and those the
// ring's drain still delivers close as they come.
void AcceptQueue::Detach() {
  closed_ = true;
  waiting_ = false;
  if (holding_) env_->Hold(false);
  holding_ = false;
  CloseQueued();
  env_->RemoveAcceptor(listener_, this);
  env_ = nullptr;
  token_ = 0;
}

void AcceptQueue::Abandon() {
  if (inflight_ > 0) inflight_--;
  if (orphaned_ && inflight_ == 0) delete this;
}

}  // namespace bsd
#endif
