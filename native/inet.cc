// Address text: inet_aton, inet_pton and inet_ntop, writing into and reading from caller buffers.
#include "common.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>

namespace bsd {
namespace {

// inetAton(text, out) -> 4 (bytes written), 0 for an illegal string, or -EINVAL if out is too short
Napi::Value InetAton(const Napi::CallbackInfo& info) {
  std::string text = info[0].As<Napi::String>().Utf8Value();
  ByteRange out = WholeArg(info, 1);
  in_addr addr{};
  if (out.length < sizeof addr) return Num(info.Env(), -EINVAL);
  if (inet_aton(text.c_str(), &addr) == 0) return Num(info.Env(), 0);
  std::memcpy(out.data, &addr, sizeof addr);
  return Num(info.Env(), sizeof addr);
}

// inetPton(family, text, out) -> bytes written (4 or 16), 0 for an illegal string, or -errno
Napi::Value InetPton(const Napi::CallbackInfo& info) {
  int family = IntArg(info, 0);
  std::string text = info[1].As<Napi::String>().Utf8Value();
  ByteRange out = WholeArg(info, 2);
  unsigned char buf[sizeof(in6_addr)];
  int r = inet_pton(family, text.c_str(), buf);
  if (r < 0) return Num(info.Env(), -errno);
  if (r == 0) return Num(info.Env(), 0);
  size_t size = family == AF_INET ? sizeof(in_addr) : sizeof(in6_addr);
  if (out.length < size) return Num(info.Env(), -EINVAL);
  std::memcpy(out.data, buf, size);
  return Num(info.Env(), static_cast<double>(size));
}

// inetNtop(family, bytes) -> text, or -errno (the TypeScript layer has checked the length)
Napi::Value InetNtop(const Napi::CallbackInfo& info) {
  int family = IntArg(info, 0);
  ByteRange bytes = WholeArg(info, 1);
  size_t need = family == AF_INET6 ? sizeof(in6_addr) : sizeof(in_addr);
  if (family != AF_INET && family != AF_INET6) return Num(info.Env(), -EAFNOSUPPORT);
  if (bytes.length != need) return Num(info.Env(), -EINVAL);
  unsigned char buf[sizeof(in6_addr)];
  std::memcpy(buf, bytes.data, need);
  char text[INET6_ADDRSTRLEN];
  if (inet_ntop(family, buf, text, sizeof text) == nullptr) return Num(info.Env(), -errno);
  return Napi::String::New(info.Env(), text);
}

}  // namespace

void RegisterInet(Napi::Env env, Napi::Object exports) {
  exports.Set("inetAton", Napi::Function::New(env, InetAton, "inetAton"));
  exports.Set("inetPton", Napi::Function::New(env, InetPton, "inetPton"));
  exports.Set("inetNtop", Napi::Function::New(env, InetNtop, "inetNtop"));
}

}  // namespace bsd
