// sendfile: copies part of a file to a socket inside the kernel (Linux sendfile(2), macOS
// sendfile(2)). Returns bytes sent, 0 at end of file, or -errno; -ENOSYS where the platform has
// no sendfile (or in the portable build, so that CI runs that path on Linux too), and
// lib/socket/sendfile.ts then reads and sends instead.
#include "common.h"
#include "platform.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#if BSD_SENDFILE_LINUX
#include <sys/sendfile.h>
#elif BSD_SENDFILE_APPLE
#include <sys/socket.h>
#include <sys/uio.h>
#endif

namespace bsd {
namespace {

#if BSD_SENDFILE_LINUX
// sendfile(2) has no MSG_NOSIGNAL. Node ignores SIGPIPE, but an embedder may not: where it is not
// ignored, the call runs with SIGPIPE blocked on this thread, and the one it raised is consumed.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    struct sigaction current;
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) return;
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) return;  // not ours to consume
    active_ = pthread_sigmask(SIG_BLOCK, &pipe_, &old_) == 0;
  }

  void Consume(int error) {
    if (!active_ || error != EPIPE) return;
    struct timespec zero = {0, 0};
    while (sigtimedwait(&pipe_, nullptr, &zero) < 0 && errno == EINTR) {
    }
  }

  ~SigpipeGuard() {
    if (active_) pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  bool active_ = false;
  sigset_t pipe_;
  sigset_t old_;
};

double SendfileOnce(int out, int in, int64_t offset, size_t count) {
  off_t position = static_cast<off_t>(offset);
  SigpipeGuard guard;
  ssize_t r = RetryOnEintr([&] { return sendfile(out, in, &position, count); });
  int error = errno;
  if (r < 0) guard.Consume(error);
  return r < 0 ? -static_cast<double>(error) : static_cast<double>(r);
}
#elif BSD_SENDFILE_APPLE
// macOS: sendfile(file, socket, offset, &len, headers, flags). `len` comes back as the bytes sent,
// also when the call fails with EAGAIN or EINTR after sending some; the socket has SO_NOSIGPIPE.
double SendfileOnce(int out, int in, int64_t offset, size_t count) {
  for (;;) {
    off_t len = static_cast<off_t>(count);
    int r = sendfile(in, out, static_cast<off_t>(offset), &len, nullptr, 0);
    if (r == 0) return static_cast<double>(len);
    int error = errno;
    if ((error == EAGAIN || error == EINTR) && len > 0) return static_cast<double>(len);
    if (error != EINTR) return -static_cast<double>(error);
  }
}
#else
double SendfileOnce(int, int, int64_t, size_t) { return -ENOSYS; }
#endif

// sendfile(socketFd, fileFd, offset, count) -> bytes sent or -errno.
Napi::Value Sendfile(const Napi::CallbackInfo& info) {
  double offset = DoubleArg(info, 2);
  double count = DoubleArg(info, 3);
  if (!(offset >= 0) || !(count >= 0) || offset > 9007199254740991.0 || count > 1073741824.0) {
    return Num(info.Env(), -EINVAL);
  }
  return Num(info.Env(), SendfileOnce(IntArg(info, 0), IntArg(info, 1), static_cast<int64_t>(offset),
                                      static_cast<size_t>(count)));
}

// seekFile(fd, offset): lseek(fd, offset, SEEK_SET) -> 0 or -errno (Python's sendfile leaves the
// file positioned after the last byte sent).
Napi::Value SeekFile(const Napi::CallbackInfo& info) {
  double offset = DoubleArg(info, 1);
  if (!(offset >= 0) || offset > 9007199254740991.0) return Num(info.Env(), -EINVAL);
  off_t r = lseek(IntArg(info, 0), static_cast<off_t>(offset), SEEK_SET);
  return Num(info.Env(), r < 0 ? -static_cast<double>(errno) : 0);
}

}  // namespace

void RegisterSendfile(Napi::Env env, Napi::Object exports) {
  exports.Set("sendfile", Napi::Function::New(env, Sendfile, "sendfile"));
  exports.Set("seekFile", Napi::Function::New(env, SeekFile, "seekFile"));
}

}  // namespace bsd
