// Thin wrappers around the socket system calls. Each returns a result or -errno (common.h).
#include "addresses.h"
#include "handle.h"
#include "platform.h"

#include <climits>
#include <cmath>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace bsd {
namespace {

HandleEnv* Handles(const Napi::CallbackInfo& info) { return static_cast<HandleEnv*>(info.Data()); }

#if BSD_HAVE_MSG_NOSIGNAL
constexpr int kNoSignal = MSG_NOSIGNAL;
#else
constexpr int kNoSignal = 0;
#endif

int SetFdFlag(int fd, int getCmd, int setCmd, int flag, bool on) {
  int flags = RetryOnEintr([&] { return fcntl(fd, getCmd); });
  if (flags < 0) return -errno;
  int wanted = on ? (flags | flag) : (flags & ~flag);
  if (wanted == flags) return 0;
  if (RetryOnEintr([&] { return fcntl(fd, setCmd, wanted); }) < 0) return -errno;
  return 0;
}

int SetNonblocking(int fd, bool on) { return SetFdFlag(fd, F_GETFL, F_SETFL, O_NONBLOCK, on); }
int SetCloexec(int fd, bool on) { return SetFdFlag(fd, F_GETFD, F_SETFD, FD_CLOEXEC, on); }

// What every new descriptor gets where the system call could not set it atomically:
// close-on-exec, the requested blocking mode, and (macOS/BSD) no SIGPIPE on write.
int ConfigureNewFd(int fd, bool nonblock, bool flagsApplied) {
  if (!flagsApplied) {
    int r = SetCloexec(fd, true);
    if (r == 0 && nonblock) r = SetNonblocking(fd, true);
    if (r < 0) return r;
  }
#ifdef SO_NOSIGPIPE
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);  // not every socket type has it
#endif
  return 0;
}

int CloseKeepingErrno(int fd) {
  int saved = errno;
  close(fd);
  errno = saved;
  return -saved;
}

// socket(family, type, proto, nonblock) -> fd
Napi::Value Socket(const Napi::CallbackInfo& info) {
  int family = IntArg(info, 0), type = IntArg(info, 1), proto = IntArg(info, 2);
  bool nonblock = info[3].ToBoolean();
#if BSD_HAVE_SOCK_FLAGS
  int fd = socket(family, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), proto);
  bool applied = true;
#else
  int fd = socket(family, type, proto);
  bool applied = false;
#endif
  if (fd < 0) return Num(info.Env(), -errno);
  int r = ConfigureNewFd(fd, nonblock, applied);
  if (r < 0) return Num(info.Env(), CloseKeepingErrno(fd));
  return Num(info.Env(), fd);
}

// socketpair(family, type, proto, nonblock, out: Int32Array[2]) -> 0
Napi::Value Socketpair(const Napi::CallbackInfo& info) {
  int family = IntArg(info, 0), type = IntArg(info, 1), proto = IntArg(info, 2);
  bool nonblock = info[3].ToBoolean();
  Napi::Int32Array out = Int32ArrayArg(info, 4);
  if (out.ElementLength() < 2) return Num(info.Env(), -EINVAL);
  int fds[2];
#if BSD_HAVE_SOCK_FLAGS
  int r = socketpair(family, type | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), proto, fds);
  bool applied = true;
#else
  int r = socketpair(family, type, proto, fds);
  bool applied = false;
#endif
  if (r < 0) return Num(info.Env(), -errno);
  for (int fd : fds) {
    int c = ConfigureNewFd(fd, nonblock, applied);
    if (c < 0) {
      close(fds[0]);
      close(fds[1]);
      return Num(info.Env(), c);
    }
  }
  out[0] = fds[0];
  out[1] = fds[1];
  return Num(info.Env(), 0);
}

// close(fd) of a plain number: never retried; on Linux the descriptor is gone even when close
// reports EINTR. A handle that owned the number gives it up first (Socket.close() is the handle's).
Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  ForgetFd(Handles(info), fd);
  int r = close(fd);
  if (r < 0 && errno == EINTR) r = 0;
  return Num(info.Env(), ResultOrErrno(r));
}

// bind(fd, blob)
Napi::Value Bind(const Napi::CallbackInfo& info) {
  SockAddr addr;
  if (!ReadAddrBlob(info, 1, &addr)) return Num(info.Env(), -EINVAL);
  int fd = IntArg(info, 0);
  return Num(info.Env(), ResultOrErrno(bind(fd, addr.get(), addr.length)));
}

// connect(fd, blob). An interrupted connect goes on in the background: report it as in progress
// so that the caller waits for writability and reads SO_ERROR instead of calling connect again.
Napi::Value Connect(const Napi::CallbackInfo& info) {
  SockAddr addr;
  if (!ReadAddrBlob(info, 1, &addr)) return Num(info.Env(), -EINVAL);
  int r = connect(IntArg(info, 0), addr.get(), addr.length);
  if (r < 0 && errno == EINTR) return Num(info.Env(), -EINPROGRESS);
  return Num(info.Env(), ResultOrErrno(r));
}

Napi::Value Listen(const Napi::CallbackInfo& info) {
  return Num(info.Env(), ResultOrErrno(listen(IntArg(info, 0), IntArg(info, 1))));
}

// accept(fd, blob, nonblock) -> new fd; the peer's address goes into blob.
Napi::Value Accept(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  bool nonblock = info[2].ToBoolean();
  SockAddr addr;
  addr.length = sizeof addr.storage;
#if BSD_HAVE_ACCEPT4
  int client = RetryOnEintr([&] {
    return accept4(fd, addr.get(), &addr.length, SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0));
  });
  bool applied = true;
#else
  int client = RetryOnEintr([&] { return accept(fd, addr.get(), &addr.length); });
  bool applied = false;
#endif
  if (client < 0) return Num(info.Env(), -errno);
  if (!applied) {
    // accept() on BSDs inherits O_NONBLOCK from the listener; set the mode explicitly both ways.
    int r = ConfigureNewFd(client, nonblock, false);
    if (r == 0) r = SetNonblocking(client, nonblock);
    if (r < 0) return Num(info.Env(), CloseKeepingErrno(client));
  } else {
    ConfigureNewFd(client, nonblock, true);
  }
  WriteAddrBlob(info, 1, addr);
  return Num(info.Env(), client);
}

Napi::Value Shutdown(const Napi::CallbackInfo& info) {
  return Num(info.Env(), ResultOrErrno(shutdown(IntArg(info, 0), IntArg(info, 1))));
}

template <int (*Name)(int, sockaddr*, socklen_t*)>
Napi::Value GetName(const Napi::CallbackInfo& info) {
  SockAddr addr;
  addr.length = sizeof addr.storage;
  if (Name(IntArg(info, 0), addr.get(), &addr.length) < 0) return Num(info.Env(), -errno);
  WriteAddrBlob(info, 1, addr);
  return Num(info.Env(), 0);
}

// send(fd, buffer, offset, length, flags)
Napi::Value Send(const Napi::CallbackInfo& info) {
  ByteRange data = RangeArg(info, 1, 2, 3);
  if (!data.ok) return Num(info.Env(), -EFAULT);
  int fd = IntArg(info, 0), flags = IntArg(info, 4) | kNoSignal;
  ssize_t n = RetryOnEintr([&] { return send(fd, data.data, data.length, flags); });
  return Num(info.Env(), ResultOrErrno(n));
}

// sendto(fd, buffer, offset, length, flags, blob)
Napi::Value Sendto(const Napi::CallbackInfo& info) {
  ByteRange data = RangeArg(info, 1, 2, 3);
  SockAddr addr;
  if (!data.ok) return Num(info.Env(), -EFAULT);
  if (!ReadAddrBlob(info, 5, &addr)) return Num(info.Env(), -EINVAL);
  int fd = IntArg(info, 0), flags = IntArg(info, 4) | kNoSignal;
  ssize_t n = RetryOnEintr([&] { return sendto(fd, data.data, data.length, flags, addr.get(), addr.length); });
  return Num(info.Env(), ResultOrErrno(n));
}

// recv(fd, buffer, offset, length, flags)
Napi::Value Recv(const Napi::CallbackInfo& info) {
  ByteRange into = RangeArg(info, 1, 2, 3);
  if (!into.ok) return Num(info.Env(), -EFAULT);
  int fd = IntArg(info, 0), flags = IntArg(info, 4);
  ssize_t n = RetryOnEintr([&] { return recv(fd, into.data, into.length, flags); });
  return Num(info.Env(), ResultOrErrno(n));
}

// recvfrom(fd, buffer, offset, length, flags, blob)
Napi::Value Recvfrom(const Napi::CallbackInfo& info) {
  ByteRange into = RangeArg(info, 1, 2, 3);
  if (!into.ok) return Num(info.Env(), -EFAULT);
  int fd = IntArg(info, 0), flags = IntArg(info, 4);
  SockAddr addr;
  addr.length = sizeof addr.storage;
  ssize_t n = RetryOnEintr([&] { return recvfrom(fd, into.data, into.length, flags, addr.get(), &addr.length); });
  if (n < 0) return Num(info.Env(), -errno);
  WriteAddrBlob(info, 5, addr);
  return Num(info.Env(), static_cast<double>(n));
}

Napi::Value SetNonblockingJs(const Napi::CallbackInfo& info) {
  return Num(info.Env(), SetNonblocking(IntArg(info, 0), info[1].ToBoolean()));
}

Napi::Value SetCloexecJs(const Napi::CallbackInfo& info) {
  return Num(info.Env(), SetCloexec(IntArg(info, 0), info[1].ToBoolean()));
}

// getFdFlags(fd) -> bit 0: O_NONBLOCK, bit 1: FD_CLOEXEC
Napi::Value GetFdFlags(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  int fl = RetryOnEintr([&] { return fcntl(fd, F_GETFL); });
  if (fl < 0) return Num(info.Env(), -errno);
  int fdfl = RetryOnEintr([&] { return fcntl(fd, F_GETFD); });
  if (fdfl < 0) return Num(info.Env(), -errno);
  return Num(info.Env(), ((fl & O_NONBLOCK) ? 1 : 0) | ((fdfl & FD_CLOEXEC) ? 2 : 0));
}

// dup(fd) -> a new close-on-exec descriptor for the same socket
Napi::Value Dup(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  int r = RetryOnEintr([&] { return fcntl(fd, F_DUPFD_CLOEXEC, 0); });
  return Num(info.Env(), ResultOrErrno(r));
}

double MonotonicMs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

// waitFd(fd, events, timeoutMs) -> revents, 0 on timeout, or -errno. A negative timeout waits
// forever. Signals do not shorten or lengthen the wait: the remaining time is recomputed.
Napi::Value WaitFd(const Napi::CallbackInfo& info) {
  pollfd p{IntArg(info, 0), static_cast<short>(IntArg(info, 1)), 0};
  double timeout = DoubleArg(info, 2);
  double deadline = timeout < 0 ? -1 : MonotonicMs() + timeout;
  // poll() takes an int of milliseconds: a longer wait (about 25 days and more) is done in slices.
  constexpr double kMaxSlice = INT_MAX;
  for (;;) {
    int ms = -1;
    bool last = true;
    if (deadline >= 0) {
      double left = std::ceil(deadline - MonotonicMs());
      last = left <= kMaxSlice;
      ms = left <= 0 ? 0 : static_cast<int>(last ? left : kMaxSlice);
    }
    int r = poll(&p, 1, ms);
    if (r > 0) return Num(info.Env(), p.revents);
    if (r == 0 && last) return Num(info.Env(), 0);
    if (r < 0 && errno != EINTR) return Num(info.Env(), -errno);
  }
}

// socketInfo(fd, out: Int32Array[3]) -> 0; out = [family, type, protocol] as the kernel knows them.
Napi::Value SocketInfo(const Napi::CallbackInfo& info) {
  int fd = IntArg(info, 0);
  Napi::Int32Array out = Int32ArrayArg(info, 1);
  if (out.ElementLength() < 3) return Num(info.Env(), -EINVAL);
  int type = 0, family = 0, proto = 0;
  socklen_t len = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0) return Num(info.Env(), -errno);
#if defined(SO_DOMAIN) && defined(SO_PROTOCOL)
  len = sizeof family;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &family, &len) < 0) return Num(info.Env(), -errno);
  len = sizeof proto;
  if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) < 0) proto = 0;
#else
  SockAddr addr;
  addr.length = sizeof addr.storage;
  if (getsockname(fd, addr.get(), &addr.length) < 0) return Num(info.Env(), -errno);
  family = addr.get()->sa_family;
#endif
  out[0] = family;
  out[1] = type;
  out[2] = proto;
  return Num(info.Env(), 0);
}

}  // namespace

void RegisterSockets(Napi::Env env, Napi::Object exports) {
  struct Entry { const char* name; Napi::Value (*fn)(const Napi::CallbackInfo&); };
  static const Entry entries[] = {
      {"socket", Socket},       {"socketpair", Socketpair},
      {"close", Close},         {"bind", Bind},
      {"connect", Connect},     {"listen", Listen},
      {"accept", Accept},       {"shutdown", Shutdown},
      {"getsockname", GetName<getsockname>}, {"getpeername", GetName<getpeername>},
      {"send", Send},           {"sendto", Sendto},
      {"recv", Recv},           {"recvfrom", Recvfrom},
      {"setNonblocking", SetNonblockingJs}, {"setCloexec", SetCloexecJs},
      {"getFdFlags", GetFdFlags}, {"dup", Dup},
      {"waitFd", WaitFd},       {"socketInfo", SocketInfo},
  };
  HandleEnv* handles = RegisterHandles(env, exports);  // the descriptors' one owner (handle.cc)
  if (handles == nullptr) return;
  for (const Entry& e : entries) exports.Set(e.name, Napi::Function::New(env, e.fn, e.name, handles));
}

}  // namespace bsd
