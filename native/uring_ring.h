// A small io_uring of our own on the kernel's header (no liburing: no vendored dependency, and the
// prebuilt binary needs nothing beyond glibc): io_uring_setup, the three mmap'd regions,
// submission-queue entries written in place and flushed by io_uring_enter, completions copied out
// of the completion queue. Only the thread that opened a Ring uses it. Linux only (platform.h).
#pragma once

#include "common.h"
#include "platform.h"

#if BSD_HAVE_IO_URING
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <vector>

namespace bsd {
namespace uring {

// One completion, copied out of the ring.
struct Completion {
  uint64_t token;
  int32_t res;
  uint32_t flags;
};

// What the ring has done, for the benchmarks: system calls made, entries submitted, completions reaped.
struct Counters {
  double enters = 0;
  double submitted = 0;
  double reaped = 0;
};

class Ring {
 public:
  static constexpr unsigned kEntries = 256;
  static constexpr unsigned kCompletions = 4096;
  // The thread that submits is the one that reaps, so completions need not interrupt it: the
  // kernel runs their task work at its next entry or exit, and still wakes it from a sleep (libuv's
  // epoll_wait). Without it, each completion interrupts the thread (TWA_SIGNAL), dear in a VM.
#ifdef IORING_SETUP_COOP_TASKRUN
  static constexpr unsigned kCoopTaskrun = IORING_SETUP_COOP_TASKRUN;
#else
  static constexpr unsigned kCoopTaskrun = 0;
#endif

  ~Ring() { Close(); }

  // -> 0 | -errno. Fails where the kernel refuses io_uring (seccomp, kernel.io_uring_disabled,
  // gVisor) or lacks what is used here: NODROP completions (5.5) and the opcode probe (5.6).
  int Open() {
    io_uring_params params{};
    params.flags = IORING_SETUP_CQSIZE | kCoopTaskrun;
    params.cq_entries = kCompletions;
    fd_ = Setup(params);
    if (fd_ == -EINVAL && kCoopTaskrun != 0) {  // before 5.19
      params = io_uring_params{};
      params.flags = IORING_SETUP_CQSIZE;
      params.cq_entries = kCompletions;
      fd_ = Setup(params);
    }
    if (fd_ < 0) return fd_;
    if (!(params.features & IORING_FEAT_NODROP)) return Fail(-ENOSYS);
    int r = EnsureCloexec();
    if (r == 0) r = Map(params);
    if (r == 0) r = ProbeOpcodes();
    extArg_ = (params.features & IORING_FEAT_EXT_ARG) != 0;
    socketOps_ = socketOps_ && extArg_;
    return r < 0 ? Fail(r) : 0;
  }

  bool IsOpen() const { return fd_ >= 0; }
  int fd() const { return fd_; }
  // The kernel has what completion-based socket operations need: IORING_OP_RECV, IORING_OP_SEND,
  // IORING_OP_RECVMSG, IORING_OP_SENDMSG and IORING_OP_ASYNC_CANCEL (5.6), and waits with a timeout (IORING_FEAT_EXT_ARG, 5.11).
  bool HasSocketOps() const { return socketOps_; }
  // IORING_OP_ACCEPT (5.5), and its multishot form (5.19: told by IORING_OP_SOCKET, of the same
  // release, as the opcode probe does not report an opcode's flags).
  bool HasAccept() const { return accept_ && socketOps_; }
  bool HasMultishotAccept() const { return multishotAccept_; }
  // IORING_OP_CONNECT (5.5).
  bool HasConnect() const { return connect_ && socketOps_; }
  const Counters& counters() const { return counters_; }

  // The next free submission entry, zeroed, or null when the queue is full (Flush, then retry).
  io_uring_sqe* NextEntry() {
    if (fd_ < 0 || tail_ - __atomic_load_n(sqHead_, __ATOMIC_ACQUIRE) >= sqEntries_) return nullptr;
    io_uring_sqe* sqe = &sqes_[tail_ & sqMask_];
    std::memset(sqe, 0, sizeof *sqe);
    tail_++;
    return sqe;
  }

  bool HasUnsubmitted() const { return unsubmitted() != 0; }

  // Hands every entry written since the last flush to the kernel. -> 0 | -errno
  int Flush() {
    unsigned count = unsubmitted();
    if (fd_ < 0 || count == 0) return 0;
    __atomic_store_n(sqTail_, tail_, __ATOMIC_RELEASE);
    int r = Enter(count, 0);
    if (r < 0) return r;
    submitted_ += static_cast<unsigned>(r);
    counters_.submitted += r;
    return 0;
  }

  // Appends every completion waiting in the ring to `out`, first moving any the kernel kept aside
  // when the queue was full (NODROP) into it.
  void Reap(std::vector<Completion>& out) {
    if (fd_ < 0) return;
    if (__atomic_load_n(sqFlags_, __ATOMIC_ACQUIRE) & IORING_SQ_CQ_OVERFLOW) Enter(0, IORING_ENTER_GETEVENTS);
    unsigned head = *cqHead_;
    unsigned tail = __atomic_load_n(cqTail_, __ATOMIC_ACQUIRE);
    for (; head != tail; head++) {
      const io_uring_cqe& cqe = cqes_[head & cqMask_];
      out.push_back({cqe.user_data, cqe.res, cqe.flags});
    }
    __atomic_store_n(cqHead_, head, __ATOMIC_RELEASE);
    counters_.reaped += static_cast<double>(out.size());
  }

  // Waits until at least one completion is in the ring, or `timeoutMs` passes. -> 0 | -errno (-ETIME)
  int WaitForCompletion(long timeoutMs) {
    if (fd_ < 0 || !extArg_) return -EBADF;
    __kernel_timespec ts{};
    ts.tv_sec = timeoutMs / 1000;
    ts.tv_nsec = (timeoutMs % 1000) * 1000000L;
    io_uring_getevents_arg arg{};
    arg.ts = reinterpret_cast<uint64_t>(&ts);
    counters_.enters++;
    long r = RetryOnEintr([&] {
      return syscall(__NR_io_uring_enter, fd_, 0, 1, IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof arg);
    });
    return r < 0 ? -errno : 0;
  }

  // Closing the ring's descriptor makes the kernel cancel whatever is still in flight.
  void Close() {
    if (sqes_ != nullptr) munmap(sqes_, sqesSize_);
    if (cqRing_ != nullptr && cqRing_ != sqRing_) munmap(cqRing_, cqSize_);
    if (sqRing_ != nullptr) munmap(sqRing_, sqSize_);
    sqes_ = nullptr;
    sqRing_ = cqRing_ = nullptr;
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  unsigned unsubmitted() const { return tail_ - submitted_; }

  static int Setup(io_uring_params& params) {
    long fd = syscall(__NR_io_uring_setup, kEntries, &params);
    return fd < 0 ? -errno : static_cast<int>(fd);
  }

  int Enter(unsigned toSubmit, unsigned flags) {
    counters_.enters++;
    long r = RetryOnEintr([&] { return syscall(__NR_io_uring_enter, fd_, toSubmit, 0, flags, nullptr, 0); });
    return r < 0 ? -errno : static_cast<int>(r);
  }

  int Fail(int error) {
    Close();
    return error;
  }

  int EnsureCloexec() {
    int flags = fcntl(fd_, F_GETFD);
    if (flags < 0) return -errno;
    if (!(flags & FD_CLOEXEC) && fcntl(fd_, F_SETFD, flags | FD_CLOEXEC) < 0) return -errno;
    return 0;
  }

  static void* MapRegion(int fd, size_t size, off_t offset) {
    void* p = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, offset);
    return p == MAP_FAILED ? nullptr : p;
  }

  int Map(const io_uring_params& p) {
    sqSize_ = p.sq_off.array + p.sq_entries * sizeof(unsigned);
    cqSize_ = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
    bool single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
    if (single) sqSize_ = cqSize_ = sqSize_ > cqSize_ ? sqSize_ : cqSize_;
    sqRing_ = MapRegion(fd_, sqSize_, IORING_OFF_SQ_RING);
    if (sqRing_ == nullptr) return -errno;
    cqRing_ = single ? sqRing_ : MapRegion(fd_, cqSize_, IORING_OFF_CQ_RING);
    if (cqRing_ == nullptr) return -errno;
    sqesSize_ = p.sq_entries * sizeof(io_uring_sqe);
    sqes_ = static_cast<io_uring_sqe*>(MapRegion(fd_, sqesSize_, IORING_OFF_SQES));
    if (sqes_ == nullptr) return -errno;
    auto* sq = static_cast<char*>(sqRing_);
    auto* cq = static_cast<char*>(cqRing_);
    sqHead_ = reinterpret_cast<unsigned*>(sq + p.sq_off.head);
    sqTail_ = reinterpret_cast<unsigned*>(sq + p.sq_off.tail);
    sqFlags_ = reinterpret_cast<unsigned*>(sq + p.sq_off.flags);
    sqMask_ = *reinterpret_cast<unsigned*>(sq + p.sq_off.ring_mask);
    sqEntries_ = p.sq_entries;
    auto* array = reinterpret_cast<unsigned*>(sq + p.sq_off.array);
    for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;  // entry i is always slot i
    cqHead_ = reinterpret_cast<unsigned*>(cq + p.cq_off.head);
    cqTail_ = reinterpret_cast<unsigned*>(cq + p.cq_off.tail);
    cqMask_ = *reinterpret_cast<unsigned*>(cq + p.cq_off.ring_mask);
    cqes_ = reinterpret_cast<io_uring_cqe*>(cq + p.cq_off.cqes);
    tail_ = submitted_ = *sqTail_;
    return 0;
  }

  // The kernel must know the two operations of readiness (IORING_REGISTER_PROBE: 5.6 and newer); the
  // socket operations are used where it knows them too.
  int ProbeOpcodes() {
    constexpr unsigned kOps = 64;
    std::vector<char> buffer(sizeof(io_uring_probe) + kOps * sizeof(io_uring_probe_op), 0);
    auto* probe = reinterpret_cast<io_uring_probe*>(buffer.data());
    if (syscall(__NR_io_uring_register, fd_, IORING_REGISTER_PROBE, probe, kOps) < 0) return -errno;
    for (unsigned op : {IORING_OP_POLL_ADD, IORING_OP_POLL_REMOVE}) {
      if (!Supported(*probe, op)) return -ENOSYS;
    }
    socketOps_ = true;
    for (unsigned op : {IORING_OP_RECV, IORING_OP_SEND, IORING_OP_RECVMSG, IORING_OP_SENDMSG, IORING_OP_ASYNC_CANCEL}) {
      socketOps_ = socketOps_ && Supported(*probe, op);
    }
    connect_ = Supported(*probe, IORING_OP_CONNECT);
    // BSD_SOCKETS_URING_ACCEPT=0|oneshot (a test hook): as a kernel without accept, or without multishot.
    accept_ = Supported(*probe, IORING_OP_ACCEPT) && !EnvIs("BSD_SOCKETS_URING_ACCEPT", "0");
    multishotAccept_ = accept_ && Supported(*probe, IORING_OP_SOCKET) && !EnvIs("BSD_SOCKETS_URING_ACCEPT", "oneshot");
    return 0;
  }

  static bool EnvIs(const char* name, const char* value) {
    const char* v = std::getenv(name);
    return v != nullptr && std::strcmp(v, value) == 0;
  }

  static bool Supported(const io_uring_probe& probe, unsigned op) {
    return op <= probe.last_op && (probe.ops[op].flags & IO_URING_OP_SUPPORTED) != 0;
  }

  int fd_ = -1;
  void* sqRing_ = nullptr;
  void* cqRing_ = nullptr;
  io_uring_sqe* sqes_ = nullptr;
  size_t sqSize_ = 0, cqSize_ = 0, sqesSize_ = 0;
  unsigned* sqHead_ = nullptr;
  unsigned* sqTail_ = nullptr;
  unsigned* sqFlags_ = nullptr;
  unsigned sqMask_ = 0, sqEntries_ = 0;
  unsigned* cqHead_ = nullptr;
  unsigned* cqTail_ = nullptr;
  unsigned cqMask_ = 0;
  io_uring_cqe* cqes_ = nullptr;
  unsigned tail_ = 0;       // entries written
  unsigned submitted_ = 0;  // entries the kernel has taken
  bool extArg_ = false;
  bool socketOps_ = false;
  bool accept_ = false;
  bool multishotAccept_ = false;
  bool connect_ = false;
  Counters counters_;
};

}  // namespace uring
}  // namespace bsd
#endif
