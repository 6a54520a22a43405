// The CMSG_LEN and CMSG_SPACE sizes of ancillary messages, as the platform's macros compute them.
#include "common.h"

#include <sys/socket.h>

#include <climits>

namespace bsd {
namespace {

// As in Python, lengths are limited so that the result fits a (signed) socklen_t.
constexpr size_t kSocklenMax = INT_MAX;
constexpr size_t kCmsgLenMax = kSocklenMax - CMSG_LEN(0);
constexpr size_t kCmsgSpaceMax = kSocklenMax - CMSG_SPACE(1);

// cmsgLen(n) / cmsgSpace(n) -> CMSG_LEN(n) / CMSG_SPACE(n), or -ERANGE if n is out of range
Napi::Value CmsgLen(const Napi::CallbackInfo& info) {
  double n = DoubleArg(info, 0);
  if (!(n >= 0) || n > static_cast<double>(kCmsgLenMax)) return Num(info.Env(), -ERANGE);
  return Num(info.Env(), static_cast<double>(CMSG_LEN(static_cast<size_t>(n))));
}

Napi::Value CmsgSpace(const Napi::CallbackInfo& info) {
  double n = DoubleArg(info, 0);
  if (!(n >= 0) || n > static_cast<double>(kCmsgSpaceMax)) return Num(info.Env(), -ERANGE);
  return Num(info.Env(), static_cast<double>(CMSG_SPACE(static_cast<size_t>(n))));
}

}  // namespace

void RegisterCmsg(Napi::Env env, Napi::Object exports) {
  exports.Set("cmsgLen", Napi::Function::New(env, CmsgLen, "cmsgLen"));
  exports.Set("cmsgSpace", Napi::Function::New(env, CmsgSpace, "cmsgSpace"));
  exports.Set("cmsgLenMax", Num(env, static_cast<double>(kCmsgLenMax)));
  exports.Set("cmsgSpaceMax", Num(env, static_cast<double>(kCmsgSpaceMax)));
}

}  // namespace bsd
