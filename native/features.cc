// What this build of the addon was compiled with: the switches of platform.h, as booleans, so
// that lib/modules/features.ts can tell at run time which code paths are in use.
#include "common.h"
#include "platform.h"

#include <sys/socket.h>
#include <unistd.h>

#include <climits>

namespace bsd {
namespace {

// The most buffers one sendmsg takes: sysconf(_SC_IOV_MAX), else the headers' IOV_MAX.
double IovMax() {
  long n = sysconf(_SC_IOV_MAX);
  if (n > 0) return static_cast<double>(n);
#if defined(IOV_MAX)
  return IOV_MAX;
#else
  return 16;  // _XOPEN_IOV_MAX, the least POSIX allows
#endif
}

}  // namespace

void RegisterFeatures(Napi::Env env, Napi::Object exports) {
  Napi::Object build = Napi::Object::New(env);
  build.Set("accept4", Napi::Boolean::New(env, BSD_HAVE_ACCEPT4 != 0));
  build.Set("sockFlags", Napi::Boolean::New(env, BSD_HAVE_SOCK_FLAGS != 0));
  build.Set("msgNosignal", Napi::Boolean::New(env, BSD_HAVE_MSG_NOSIGNAL != 0));
  build.Set("mmsg", Napi::Boolean::New(env, BSD_HAVE_MMSG != 0));
  build.Set("linux", Napi::Boolean::New(env, BSD_LINUX != 0));
  build.Set("ioUring", Napi::Boolean::New(env, BSD_HAVE_IO_URING != 0));
  // recv(2) with MSG_TRUNC returns a message's real length, not the bytes copied: Linux only.
  build.Set("recvTruncLength", Napi::Boolean::New(env, BSD_LINUX != 0));
#if defined(SO_NOSIGPIPE)
  build.Set("soNosigpipe", Napi::Boolean::New(env, true));
#else
  build.Set("soNosigpipe", Napi::Boolean::New(env, false));
#endif
#if defined(BSD_FORCE_PORTABLE)
  build.Set("portable", Napi::Boolean::New(env, true));
#else
  build.Set("portable", Napi::Boolean::New(env, false));
#endif
  build.Freeze();
  exports.Set("buildFeatures", build);
  exports.Set("iovMax", Num(env, IovMax()));
}

}  // namespace bsd
