// setsockopt / getsockopt, for integer and raw-bytes option values.
#include "common.h"

#include <sys/socket.h>

namespace bsd {
namespace {

// setsockoptInt(fd, level, name, value)
Napi::Value SetsockoptInt(const Napi::CallbackInfo& info) {
  int value = IntArg(info, 3);
  int r = setsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), &value, sizeof value);
  return Num(info.Env(), ResultOrErrno(r));
}

// setsockoptBytes(fd, level, name, bytes)
Napi::Value SetsockoptBytes(const Napi::CallbackInfo& info) {
  ByteRange value = WholeArg(info, 3);
  int r = setsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), value.data,
                     static_cast<socklen_t>(value.length));
  return Num(info.Env(), ResultOrErrno(r));
}

// getsockoptInt(fd, level, name, out: Int32Array[1]) -> 0; the value goes into out[0]. Options the
// kernel stores in a byte (some IP_MULTICAST_* on BSDs) come back zero-extended.
Napi::Value GetsockoptInt(const Napi::CallbackInfo& info) {
  Napi::Int32Array out = Int32ArrayArg(info, 3);
  if (out.ElementLength() < 1) return Num(info.Env(), -EINVAL);
  int value = 0;
  socklen_t len = sizeof value;
  if (getsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), &value, &len) < 0) return Num(info.Env(), -errno);
  if (len == 1) value = *reinterpret_cast<unsigned char*>(&value);
  out[0] = value;
  return Num(info.Env(), 0);
}

// getsockoptBytes(fd, level, name, into) -> bytes the kernel wrote into `into`
Napi::Value GetsockoptBytes(const Napi::CallbackInfo& info) {
  ByteRange into = WholeArg(info, 3);
  socklen_t len = static_cast<socklen_t>(into.length);
  if (getsockopt(IntArg(info, 0), IntArg(info, 1), IntArg(info, 2), into.data, &len) < 0) return Num(info.Env(), -errno);
  return Num(info.Env(), len);
}

}  // namespace

void RegisterOptions(Napi::Env env, Napi::Object exports) {
  exports.Set("setsockoptInt", Napi::Function::New(env, SetsockoptInt, "setsockoptInt"));
  exports.Set("setsockoptBytes", Napi::Function::New(env, SetsockoptBytes, "setsockoptBytes"));
  exports.Set("getsockoptInt", Napi::Function::New(env, GetsockoptInt, "getsockoptInt"));
  exports.Set("getsockoptBytes", Napi::Function::New(env, GetsockoptBytes, "getsockoptBytes"));
}

}  // namespace bsd
