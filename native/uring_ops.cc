// Completion-based receive and send on a stream socket, and accept on a listener, through the
// environment's ring (uring_env.h): the Promise forms of recv, recvInto, send, sendall and accept
// when the io_uring backend and its socket operations are on (lib/completion.ts runs them in the
// engine's turn). One UringOp
// per socket and direction, one submission in flight at a time. The kernel reads from and writes
// into memory of the op's own, never into the caller's buffer, which JavaScript may detach or
// shrink at any time: a receive is copied into the caller's view once JavaScript has checked it.
//
//   new UringOp(handle, onComplete)                 bound to the socket's FdHandle
//   recv(length, flags) -> 0 | -errno               IORING_OP_RECV of up to length bytes (kMaxBytes)
//   send(data, offset, length, flags) -> n | -errno copies n bytes (≤ length, kMaxBytes), IORING_OP_SEND
//   copyTo(view, offset, n) -> n | -EFAULT          the first n bytes the last receive completed with
//   recvmsg(length, ancbufsize, flags) -> 0 | -errno  IORING_OP_RECVMSG into a msghdr of the op's own
//   received(blob) -> [ancdata, msgFlags] | -EFAULT the last recvmsg's ancillary data and flags, the
//                                                   sender in blob (received descriptors: CLOEXEC)
//   sendmsg(parts, ancdata, flags, blob | null) -> n | -errno  copies the parts (n bytes, at most
//                                                   kMaxBytes, else -EMSGSIZE), IORING_OP_SENDMSG
//   connect(blob) -> 0 | -errno                     IORING_OP_CONNECT to a copy of the address
//   accept(nonblock) -> 0 | -errno                  waits for the listener's accept queue (uring_accept.h)
//   accepted(blob, nonblock) -> fd | -errno         the oldest descriptor queued, the peer in blob
//   cancel() -> boolean                             IORING_OP_ASYNC_CANCEL, submitted at once, and the
//                                                   completions then in the ring delivered; true
//                                                   when nothing was in the kernel (an accept waiting
//                                                   for the queue): it is cancelled there and then
//   ref()  unref()
//   uringAccepted(fd, blob, nonblock, stop) -> fd | -EAGAIN (armed, none queued) | -ENOENT (none)
//
// onComplete(res) runs once per submission (an accept: once per accept waited for, 0 when a
// descriptor can be taken), with its count or -errno (-ECANCELED when the cancel
// came first; a completion that beat the cancel keeps its count). The FdHandle closing or giving
// the descriptor up cancels what is in flight before it does, as the kernel holds the socket while
// an operation is in flight. The op's memory outlives the object while the kernel may use it (an
// Orphan takes it over), and environment teardown waits for the kernel to give it back.
#include "platform.h"
#include "uring_env.h"
#include "uring_accept.h"
#include "addresses.h"
#include "messages.h"
#include "uring_message.h"
#include "handle.h"
#include "watcher.h"

#if BSD_HAVE_IO_URING
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <memory>

namespace bsd {

namespace {

// The most one submission moves: a receive gives at most this much (a stream receive may give
// less than asked), a send reports at most this much sent (send may be partial; sendall goes on).
constexpr size_t kMaxBytes = 1 << 20;

using Bytes = std::unique_ptr<uint8_t[]>;



// The memory of an operation whose UringOp went while the kernel still had it: freed at the
// completion, or leaked if teardown cannot get it back.
class Orphan : public Completer {
 public:
  Orphan(Bytes bytes, UringMessagePtr message, bool receivingMessage)
      : bytes_(std::move(bytes)), message_(std::move(message)), receivingMessage_(receivingMessage) {}
  void OnCompletion(uint64_t, int res) override {
    if (receivingMessage_ && res >= 0) message_->CloseReceivedFds();
    delete this;
  }
  void Detach() override {}
  bool HoldsMemory() const override { return true; }
  void Abandon() override {
    bytes_.release();    // NOLINT(bugprone-unused-return-value): deliberately leaked
    message_.release();  // NOLINT(bugprone-unused-return-value)
    delete this;
  }

 private:
  Bytes bytes_;
  UringMessagePtr message_;
  bool receivingMessage_;
};

class UringOp : public Napi::ObjectWrap<UringOp>, public BoundWatcher, public Completer, public AcceptWaiter {
 public:
  static Napi::Function Define(Napi::Env env, UringSlot* slot) {
    return DefineClass(env, "UringOp",
                       {
                           InstanceMethod<&UringOp::Recv>("recv"),
                           InstanceMethod<&UringOp::Send>("send"),
                           InstanceMethod<&UringOp::CopyTo>("copyTo"),
                           InstanceMethod<&UringOp::Recvmsg>("recvmsg"),
                           InstanceMethod<&UringOp::Received>("received"),
                           InstanceMethod<&UringOp::Sendmsg>("sendmsg"),
                           InstanceMethod<&UringOp::Connect>("connect"),
                           InstanceMethod<&UringOp::Accept>("accept"),
                           InstanceMethod<&UringOp::Accepted>("accepted"),
                           InstanceMethod<&UringOp::CancelJs>("cancel"),
                           InstanceMethod<&UringOp::Ref>("ref"),
                           InstanceMethod<&UringOp::Unref>("unref"),
                       },
                       slot);
  }

  explicit UringOp(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UringOp>(info) {
    Napi::Env env = info.Env();
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "UringOp(handle: FdHandle, onComplete: function)");
    int fd = BindTo(info[0], true);
    UringEnv* state = static_cast<UringSlot*>(info.Data())->Get(env);
    state_ = state != nullptr && state->ring().IsOpen() && state->ring().HasSocketOps() ? state : nullptr;
    fd_ = fd;
    onComplete_.Init(env, info[1].As<Napi::Function>());
    if (state_ != nullptr) state_->AddLive(this);
  }

  ~UringOp() override {
    if (accept_ != nullptr) accept_->Orphan();
    if (state_ != nullptr) {
      if (inflight_ != 0) HandOver();
      Hold(false);
      state_->RemoveLive(this);
    }
    if (abandoned_) {  // the kernel may still use them
      bytes_.release();    // NOLINT(bugprone-unused-return-value)
      message_.release();  // NOLINT(bugprone-unused-return-value)
    } else {
      DropUnclaimed();
    }
  }

  void OnCompletion(uint64_t token, int res) override {
    if (token != inflight_) return;
    inflight_ = 0;
    if (receiving_ && res >= 0) received_ = static_cast<size_t>(res);
    unclaimed_ = messaging_ && receiving_ && res >= 0;
    Hold(false);
    CallBack(res);
    if (onComplete_.Empty()) DropUnclaimed();  // closed: nobody will take what it received
  }

  void OnAcceptReady(int res) override { CallBack(res); }

  // Environment teardown: nothing is called back any more; the in-flight submission, if any, is
  // drained by the environment before the ring closes.
  void Detach() override {
    DropUnclaimed();
    Hold(false);
    closed_ = true;
    onComplete_.Reset(Env());
    state_ = nullptr;
  }

  bool HoldsMemory() const override { return true; }
  void Abandon() override { abandoned_ = true; }

 private:
  // recv(length, flags) -> 0 | -errno
  Napi::Value Recv(const Napi::CallbackInfo& info) {
    double length = DoubleArg(info, 0);
    int flags = IntArg(info, 1);
    int r = Ready();
    if (r == 0 && !(length >= 1)) r = -EINVAL;
    size_t n = r == 0 ? static_cast<size_t>(std::min<double>(length, kMaxBytes)) : 0;
    if (r == 0) r = Submit(IORING_OP_RECV, n, flags, true);
    return Num(info.Env(), r);
  }

  // recvmsg(length, ancbufsize, flags) -> 0 | -errno
  Napi::Value Recvmsg(const Napi::CallbackInfo& info) {
    double length = DoubleArg(info, 0);
    double ancbufsize = DoubleArg(info, 1);
    int flags = IntArg(info, 2);
    int r = Ready();
    if (r == 0 && (!(length >= 1) || !(ancbufsize >= 0) || ancbufsize > kMaxBytes)) r = -EINVAL;
    if (r < 0) return Num(info.Env(), r);
    size_t n = static_cast<size_t>(std::min<double>(length, kMaxBytes));
    Reserve(n);
    UringMessage& m = MessageOf(static_cast<size_t>(ancbufsize));
    m.addr = SockAddr{};
    m.addr.length = sizeof m.addr.storage;
    m.Point(bytes_.get(), n, true);
    return Num(info.Env(), SubmitMessage(IORING_OP_RECVMSG, flags | kCmsgCloexec, true));
  }

  // received(blob) -> [ancdata, msgFlags] | -EFAULT
  Napi::Value Received(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!unclaimed_ || inflight_ != 0) return Num(env, -EFAULT);
    unclaimed_ = false;
    UringMessage& m = *message_;
    m.addr.length = m.msg.msg_namelen;
    WriteAddrBlob(info, 0, m.addr);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, UnpackAncillary(env, &m.msg));
    out.Set(1u, Num(env, m.msg.msg_flags & ~kCmsgCloexec));
    return out;
  }

  // connect(blob) -> 0 | -errno: IORING_OP_CONNECT to a copy of the address; completes with 0 or -errno.
  Napi::Value Connect(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    SockAddr addr;
    if (!ReadAddrBlob(info, 0, &addr)) return Num(env, -EINVAL);
    int r = Ready();
    if (r == 0 && !state_->ring().HasConnect()) r = -ENOSYS;
    if (r < 0) return Num(env, r);
    UringMessage& m = MessageOf(0);
    m.addr = addr;
    messaging_ = false;
    io_uring_sqe* sqe = state_->Entry();
    if (sqe == nullptr) return Num(env, -EAGAIN);
    sqe->opcode = IORING_OP_CONNECT;
    sqe->fd = fd_;
    sqe->addr = reinterpret_cast<uint64_t>(m.addr.get());
    sqe->off = m.addr.length;
    return Num(env, Submitted(sqe, false));
  }

  // sendmsg(parts, ancdata, flags, blob | null) -> the bytes queued | -errno
  Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    std::vector<Napi::Value> parts = Elements(env, info[0], "an array of Uint8Array");
    std::vector<AncillaryValue> ancillary = ReadAncillary(env, info[1]);
    int flags = IntArg(info, 2);
    SockAddr addr;
    bool named = !info[3].IsNull() && !info[3].IsUndefined();
    if (named && !ReadAddrBlob(info, 3, &addr)) return Num(env, -EINVAL);
    int r = Ready();
    if (r < 0) return Num(env, r);
    // Phase 2: no JavaScript runs from here on.
    std::vector<Napi::Uint8Array> views;
    size_t total = 0;
    for (const Napi::Value& part : parts) {
      views.push_back(Uint8ArrayOf(env, part));
      total += views.back().ByteLength();
    }
    if (total > kMaxBytes) return Num(env, -EMSGSIZE);  // a datagram is sent whole or not at all
    Reserve(total);
    size_t offset = 0;
    for (const Napi::Uint8Array& view : views) {
      if (view.ByteLength() > 0) std::memcpy(bytes_.get() + offset, view.Data(), view.ByteLength());
      offset += view.ByteLength();
    }
    UringMessage& m = MessageOf(0);
    m.control = PackAncillary(env, ancillary);
    m.addr = addr;
    m.Point(bytes_.get(), total, named);
    r = SubmitMessage(IORING_OP_SENDMSG, flags | MSG_NOSIGNAL, false);
    return Num(env, r < 0 ? r : static_cast<double>(total));
  }

  // send(data, offset, length, flags) -> the bytes queued | -errno
  Napi::Value Send(const Napi::CallbackInfo& info) {
    ByteRange from = RangeArg(info, 0, 1, 2);
    int flags = IntArg(info, 3);
    if (!from.ok) return Num(info.Env(), -EFAULT);
    int r = Ready();
    if (r < 0) return Num(info.Env(), r);
    size_t n = std::min(from.length, kMaxBytes);
    Reserve(n);
    if (n > 0) std::memcpy(bytes_.get(), from.data, n);
    r = Submit(IORING_OP_SEND, n, flags | MSG_NOSIGNAL, false);
    return Num(info.Env(), r < 0 ? r : static_cast<double>(n));
  }

  // copyTo(view, offset, n) -> n | -EFAULT: n within what the last receive gave and within the view.
  Napi::Value CopyTo(const Napi::CallbackInfo& info) {
    ByteRange into = RangeArg(info, 0, 1, 2);
    if (!into.ok || inflight_ != 0 || into.length > received_) return Num(info.Env(), -EFAULT);
    if (into.length > 0) std::memcpy(into.data, bytes_.get(), into.length);
    return Num(info.Env(), static_cast<double>(into.length));
  }

  // accept(nonblock) -> 0 | -errno
  Napi::Value Accept(const Napi::CallbackInfo& info) {
    bool nonblock = info[0].ToBoolean();
    int r = Ready();
    if (r == 0 && accept_ == nullptr) {
      if (!state_->ring().HasAccept()) return Num(info.Env(), -ENOSYS);
      accept_ = new AcceptQueue(state_, fd_, this);
      accept_->SetRef(refd_);
    }
    return Num(info.Env(), r < 0 ? r : accept_->Wait(nonblock));
  }

  // accepted(blob, nonblock) -> fd | -errno
  Napi::Value Accepted(const Napi::CallbackInfo& info) {
    if (accept_ == nullptr) return Num(info.Env(), -ENOENT);
    return TakeAccepted(info, accept_, info[1].ToBoolean(), false, 0);
  }

  // The kernel cancels a socket operation within the io_uring_enter that submits the cancel, so
  // its completion is delivered before this returns: close() settles what it cancels at once.
  Napi::Value CancelJs(const Napi::CallbackInfo& info) {
    bool now = accept_ != nullptr && accept_->StopWaiting();
    Cancel();
    if (state_ != nullptr && inflight_ != 0) state_->DeliverNow();
    return Napi::Boolean::New(info.Env(), now);
  }

  void Ref(const Napi::CallbackInfo&) {
    refd_ = true;
    Hold(inflight_ != 0);
    if (accept_ != nullptr) accept_->SetRef(true);
  }

  void Unref(const Napi::CallbackInfo&) {
    refd_ = false;
    Hold(false);
    if (accept_ != nullptr) accept_->SetRef(false);
  }

  // onComplete(res), with this object kept alive during the call.
  void CallBack(int res) {
    if (onComplete_.Empty()) return;
    Napi::HandleScope scope(Env());
    Napi::Object self = Value();
    onComplete_.Call(Env(), self, res);
    if (closed_ && inflight_ == 0) onComplete_.Reset(Env());
  }

  // The FdHandle is about to close or give up the descriptor: the kernel must let go of it first.
  void StopWatching() override {
    if (accept_ != nullptr) accept_->Close();
    Cancel();
    closed_ = true;
    if (inflight_ == 0) onComplete_.Reset(Env());  // else once the cancel's completion is delivered
  }

  int Ready() const {
    if (closed_ || state_ == nullptr || fd_ < 0) return -EBADF;
    if (inflight_ != 0) return -EBUSY;
    return 0;
  }

  void Reserve(size_t n) {
    if (n <= capacity_ && bytes_) return;
    bytes_ = Bytes(new uint8_t[std::max<size_t>(n, 1)]);
    capacity_ = std::max<size_t>(n, 1);
  }

  UringMessage& MessageOf(size_t controlSize) {
    DropUnclaimed();
    if (!message_) message_ = std::make_unique<UringMessage>();
    message_->control.assign(controlSize, 0);
    return *message_;
  }

  // Descriptors the last recvmsg received that JavaScript never took: closed.
  void DropUnclaimed() {
    if (unclaimed_ && message_) message_->CloseReceivedFds();
    unclaimed_ = false;
  }

  int Submit(uint8_t opcode, size_t n, int flags, bool receiving) {
    if (receiving) Reserve(n);
    DropUnclaimed();
    messaging_ = false;
    return SubmitEntry(opcode, reinterpret_cast<uint64_t>(bytes_.get()), static_cast<uint32_t>(n), flags, receiving);
  }

  int SubmitMessage(uint8_t opcode, int flags, bool receiving) {
    messaging_ = true;
    return SubmitEntry(opcode, reinterpret_cast<uint64_t>(&message_->msg), 1, flags, receiving);
  }

  int SubmitEntry(uint8_t opcode, uint64_t addr, uint32_t len, int flags, bool receiving) {
    io_uring_sqe* sqe = state_->Entry();
    if (sqe == nullptr) return -EAGAIN;
    sqe->opcode = opcode;
    sqe->fd = fd_;
    sqe->addr = addr;
    sqe->len = len;
    sqe->msg_flags = static_cast<uint32_t>(flags);
    return Submitted(sqe, receiving);
  }

  // The entry filled in goes to the kernel, the op's memory held until its completion.
  int Submitted(io_uring_sqe* sqe, bool receiving) {
    receiving_ = receiving;
    cancelled_ = false;
    received_ = 0;
    inflight_ = state_->Submit(sqe, this);
    Hold(true);
    return 0;
  }

  // Once per submission: close() and then the FdHandle both ask.
  void Cancel() {
    if (state_ == nullptr || inflight_ == 0 || cancelled_) return;
    cancelled_ = true;
    state_->Cancel(inflight_, false, true);
  }

  // Going while the kernel has the buffer: an Orphan keeps it until the completion, which nobody reads.
  void HandOver() {
    state_->Retarget(inflight_, new Orphan(std::move(bytes_), std::move(message_), messaging_ && receiving_));
    state_->Cancel(inflight_, false, false);
    inflight_ = 0;
  }

  // Holds the loop while a submission is in flight and the op is referenced.
  void Hold(bool inflight) {
    bool hold = state_ != nullptr && inflight && refd_;
    if (hold == holding_ || state_ == nullptr) return;
    holding_ = hold;
    state_->Hold(hold);
  }

  UringEnv* state_ = nullptr;
  AcceptQueue* accept_ = nullptr;  // made by the first accept; orphaned (not deleted) with this
  int fd_ = -1;
  Bytes bytes_;
  size_t capacity_ = 0;
  size_t received_ = 0;    // what the last receive completed with
  uint64_t inflight_ = 0;  // the token of the submission in the kernel; 0 when none
  bool receiving_ = false;
  bool messaging_ = false;  // the submission is a RECVMSG or SENDMSG, over message_
  bool unclaimed_ = false;  // the last recvmsg's ancillary data has not been taken (received())
  UringMessagePtr message_;
  bool cancelled_ = false;  // the submission in flight has been cancelled
  bool refd_ = true;
  bool holding_ = false;
  bool closed_ = false;
  bool abandoned_ = false;  // teardown could not get the memory back from the kernel
  ReadyCallback onComplete_;
};


}  // namespace

Napi::Function DefineUringOp(Napi::Env env, UringSlot* slot) { return UringOp::Define(env, slot); }



}  // namespace bsd
#endif
