// The kernel's readiness set behind the poll thread (pollthread.cc): epoll on Linux, kqueue on
// macOS and the BSDs (platform.h chooses), each as a small Poller with the same five calls:
// Open, Arm (one-shot), Remove, Wait (a batch of Ready reports) and Wake (from another thread).
#pragma once

#include "common.h"
#include "platform.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <vector>

#if BSD_POLL_EPOLL
#include <sys/epoll.h>
#include <sys/eventfd.h>
#elif BSD_POLL_KQUEUE
#include <sys/event.h>
#include <sys/time.h>
#include <sys/types.h>
#endif

#if BSD_POLL_EPOLL || BSD_POLL_KQUEUE
namespace bsd {
namespace pollthread {

// One readiness report from the kernel: the registration's token and POLL* bits.
struct Ready {
  uint64_t token;
  int revents;
};

constexpr uint64_t kWakeToken = 0;  // registrations count from 1
constexpr int kWatchable = POLLIN | POLLOUT | POLLPRI;
constexpr int kBatch = 64;

#if BSD_POLL_EPOLL

// The kernel's readiness set: epoll, armed one-shot, and an eventfd that wakes the thread to stop.
class Poller {
 public:
  int Open() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) return -errno;
    wakefd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wakefd_ < 0) return FailOpen();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kWakeToken;
    if (epoll_ctl(epfd_, EPOLL_CTL_ADD, wakefd_, &ev) < 0) return FailOpen();
    return 0;
  }

  // Arms `fd` for one report of `events` (POLL* bits); `add` registers it first.
  int Arm(int fd, int events, uint64_t token, bool add) {
    if (epfd_ < 0) return -EBADF;
    epoll_event ev{};
    ev.events = EPOLLONESHOT | ToEpoll(events);
    ev.data.u64 = token;
    return epoll_ctl(epfd_, add ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
  }

  int Remove(int fd) {
    if (epfd_ < 0) return -EBADF;
    epoll_event ev{};  // ignored, but kernels before 2.6.9 insist on one
    return epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, &ev) < 0 ? -errno : 0;
  }

  // Blocks until something is ready and appends it to `out`; false once woken to stop (or failed).
  bool Wait(std::vector<Ready>& out) {
    epoll_event events[kBatch];
    int n = RetryOnEintr([&] { return epoll_wait(epfd_, events, kBatch, -1); });
    if (n < 0) return false;
    for (int i = 0; i < n; i++) {
      if (events[i].data.u64 == kWakeToken) return false;
      out.push_back({events[i].data.u64, FromEpoll(events[i].events)});
    }
    return true;
  }

  void Wake() {
    uint64_t one = 1;
    RetryOnEintr([&] { return write(wakefd_, &one, sizeof one); });
  }

  void Close() {
    if (wakefd_ >= 0) close(wakefd_);
    if (epfd_ >= 0) close(epfd_);
    wakefd_ = epfd_ = -1;
  }

 private:
  int FailOpen() {
    int error = -errno;
    Close();
    return error;
  }

  static uint32_t ToEpoll(int events) {
    uint32_t out = 0;
    if (events & POLLIN) out |= EPOLLIN;
    if (events & POLLOUT) out |= EPOLLOUT;
    if (events & POLLPRI) out |= EPOLLPRI;
    return out;
  }

  static int FromEpoll(uint32_t events) {
    int out = 0;
    if (events & EPOLLIN) out |= POLLIN;
    if (events & EPOLLOUT) out |= POLLOUT;
    if (events & EPOLLPRI) out |= POLLPRI;
    if (events & EPOLLERR) out |= POLLERR;
    if (events & EPOLLHUP) out |= POLLHUP;
    return out;
  }

  int epfd_ = -1;
  int wakefd_ = -1;
};

#else  // BSD_POLL_KQUEUE

// The kernel's readiness set: kqueue, one filter per direction, each EV_DISPATCH (reported once,
// then disabled until re-enabled), and an EVFILT_USER event that wakes the thread to stop.
// kqueue has no report for urgent data: POLLPRI is watched as readability.
class Poller {
 public:
  int Open() {
    kq_ = kqueue();
    if (kq_ < 0) return -errno;
    if (fcntl(kq_, F_SETFD, FD_CLOEXEC) < 0) return FailOpen();
    struct kevent ev;
    EV_SET(&ev, 0, EVFILT_USER, EV_ADD | EV_CLEAR, 0, 0, 0);
    if (kevent(kq_, &ev, 1, nullptr, 0, nullptr) < 0) return FailOpen();
    return 0;
  }

  int Arm(int fd, int events, uint64_t token, bool add) {
    if (kq_ < 0) return -EBADF;
    bool read = (events & (POLLIN | POLLPRI)) != 0;
    bool write = (events & POLLOUT) != 0;
    int r = Apply(fd, read ? kArm : kDelete, write ? kArm : kDelete, token);
    if (r < 0 && add) Remove(fd);  // one filter may have been added before the other failed
    return r;
  }

  int Remove(int fd) { return kq_ < 0 ? -EBADF : Apply(fd, kDelete, kDelete, 0); }

  bool Wait(std::vector<Ready>& out) {
    struct kevent events[kBatch];
    int n = RetryOnEintr([&] { return kevent(kq_, nullptr, 0, events, kBatch, nullptr); });
    if (n < 0) return false;
    for (int i = 0; i < n; i++) {
      const struct kevent& ev = events[i];
      if (ev.filter == EVFILT_USER) return false;
      out.push_back({(uint64_t)(uintptr_t)ev.udata, ToPoll(ev)});  // udata: void* here, intptr_t on NetBSD
    }
    return true;
  }

  void Wake() {
    struct kevent ev;
    EV_SET(&ev, 0, EVFILT_USER, 0, NOTE_TRIGGER, 0, 0);
    RetryOnEintr([&] { return kevent(kq_, &ev, 1, nullptr, 0, nullptr); });
  }

  void Close() {
    if (kq_ >= 0) close(kq_);
    kq_ = -1;
  }

 private:
  static constexpr unsigned short kArm = EV_ADD | EV_ENABLE | EV_DISPATCH;
  static constexpr unsigned short kDelete = EV_DELETE;

  int FailOpen() {
    int error = -errno;
    Close();
    return error;
  }

  // Changes both filters of `fd`; EV_RECEIPT gives one result per change. Deleting a filter that
  // was never added (ENOENT) is not an error.
  int Apply(int fd, unsigned short readFlags, unsigned short writeFlags, uint64_t token) {
    struct kevent changes[2];
    struct kevent results[2];
    EV_SET(&changes[0], fd, EVFILT_READ, readFlags | EV_RECEIPT, 0, 0, 0);
    EV_SET(&changes[1], fd, EVFILT_WRITE, writeFlags | EV_RECEIPT, 0, 0, 0);
    for (struct kevent& change : changes) change.udata = (decltype(change.udata))(uintptr_t)token;
    int n = RetryOnEintr([&] { return kevent(kq_, changes, 2, results, 2, nullptr); });
    if (n < 0) return -errno;
    for (int i = 0; i < n; i++) {
      int error = (results[i].flags & EV_ERROR) ? static_cast<int>(results[i].data) : 0;
      bool deleting = (results[i].filter == EVFILT_READ ? readFlags : writeFlags) == kDelete;
      if (error != 0 && !(deleting && error == ENOENT)) return -error;
    }
    return 0;
  }

  // End of stream on the read side is readability (recv returns 0); on the write side, a hang-up.
  static int ToPoll(const struct kevent& ev) {
    int out = ev.filter == EVFILT_WRITE ? POLLOUT : POLLIN;
    if ((ev.flags & EV_EOF) && ev.filter == EVFILT_WRITE) out |= POLLHUP;
    if ((ev.flags & EV_ERROR) || ((ev.flags & EV_EOF) && ev.fflags != 0)) out |= POLLERR;
    return out;
  }

  int kq_ = -1;
};

#endif

}  // namespace pollthread
}  // namespace bsd
#endif
