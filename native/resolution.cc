// getaddrinfo and getnameinfo, each as a Sync call and as a Promise that runs on the libuv thread
// pool (resolver.h). A lookup gives its result, or a failure object (resolver.h); lib/input/resolve.ts turns a failure
// into GaiError or SocketError in one place. Only thread-safe resolver calls are used off the JS
// thread.
#include "addresses.h"
#include "resolver.h"

#include <netdb.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace bsd {
namespace {

// ---- getaddrinfo -------------------------------------------------------------------------

struct AddrInfoEntry {
  int family, socktype, protocol;
  std::string canonname;
  SockAddr addr;
};

// getaddrinfo(host|null, port|null, family, type, proto, flags)
//   -> [family, type, proto, canonname, blob][], or a failure object.
struct GaiOp {
  OptString host, port;
  int family = 0, socktype = 0, protocol = 0, flags = 0;
  Failure failure;
  std::vector<AddrInfoEntry> entries;

  static GaiOp FromArgs(const Napi::CallbackInfo& info) {
    GaiOp op;
    op.host = OptStringArg(info, 0);
    op.port = OptStringArg(info, 1);
    op.family = IntArg(info, 2);
    op.socktype = IntArg(info, 3);
    op.protocol = IntArg(info, 4);
    op.flags = IntArg(info, 5);
    return op;
  }

  void Run() {
    addrinfo hints{};
    hints.ai_family = family;
    hints.ai_socktype = socktype;
    hints.ai_protocol = protocol;
    hints.ai_flags = flags;
    addrinfo* res = nullptr;
    errno = 0;
    int code = getaddrinfo(host.has ? host.value.c_str() : nullptr, port.has ? port.value.c_str() : nullptr,
                           &hints, &res);
    if (code != 0) {
      SetGaiFailure(&failure, code);
      return;
    }
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      AddrInfoEntry entry;
      entry.family = ai->ai_family;
      entry.socktype = ai->ai_socktype;
      entry.protocol = ai->ai_protocol;
      if (ai->ai_canonname != nullptr) entry.canonname = ai->ai_canonname;
      socklen_t length = ai->ai_addrlen;
      if (length > sizeof(sockaddr_storage)) length = sizeof(sockaddr_storage);
      if (ai->ai_addr != nullptr) std::memcpy(&entry.addr.storage, ai->ai_addr, length);
      entry.addr.length = ai->ai_addr != nullptr ? length : 0;
      entries.push_back(std::move(entry));
    }
    freeaddrinfo(res);
  }

  Napi::Value ToJs(Napi::Env env) const {
    if (failure.failed()) return FailureToJs(env, failure);
    Napi::Array list = Napi::Array::New(env, entries.size());
    for (size_t i = 0; i < entries.size(); i++) {
      const AddrInfoEntry& e = entries[i];
      Napi::Array item = Napi::Array::New(env, 5);
      item.Set(0u, Num(env, e.family));
      item.Set(1u, Num(env, e.socktype));
      item.Set(2u, Num(env, e.protocol));
      item.Set(3u, Napi::String::New(env, e.canonname));
      item.Set(4u, NewAddrBlob(env, e.addr));
      list.Set(static_cast<uint32_t>(i), item);
    }
    return list;
  }
};

Napi::Value GetaddrinfoSync(const Napi::CallbackInfo& info) { return RunSync(info.Env(), GaiOp::FromArgs(info)); }
Napi::Value GetaddrinfoAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), GaiOp::FromArgs(info), "bsd-sockets:getaddrinfo");
}

// ---- getnameinfo -------------------------------------------------------------------------

// getnameinfo(blob, flags) -> [host, port], or a failure object.
struct NameInfoOp {
  SockAddr addr;
  int flags = 0;
  bool blobOk = false;
  Failure failure;
  std::string host, serv;

  static NameInfoOp FromArgs(const Napi::CallbackInfo& info) {
    NameInfoOp op;
    op.blobOk = ReadAddrBlob(info, 0, &op.addr);
    op.flags = IntArg(info, 1);
    return op;
  }

  void Run() {
    if (!blobOk) {
      failure.sysErrno = EINVAL;
      return;
    }
    char hbuf[NI_MAXHOST] = "";
    char sbuf[NI_MAXSERV] = "";
    errno = 0;
    int code = getnameinfo(addr.get(), addr.length, hbuf, sizeof hbuf, sbuf, sizeof sbuf, flags);
    if (code != 0) {
      SetGaiFailure(&failure, code);
      return;
    }
    host = hbuf;
    serv = sbuf;
  }

  Napi::Value ToJs(Napi::Env env) const {
    if (failure.failed()) return FailureToJs(env, failure);
    Napi::Array out = Napi::Array::New(env, 2);
    out.Set(0u, Napi::String::New(env, host));
    out.Set(1u, Napi::String::New(env, serv));
    return out;
  }
};

Napi::Value GetnameinfoSync(const Napi::CallbackInfo& info) {
  CheckTypedArray(info.Env(), info[0], napi_uint8_array, "an address blob");
  return RunSync(info.Env(), NameInfoOp::FromArgs(info));
}
Napi::Value GetnameinfoAsync(const Napi::CallbackInfo& info) {
  CheckTypedArray(info.Env(), info[0], napi_uint8_array, "an address blob");
  return RunAsync(info.Env(), NameInfoOp::FromArgs(info), "bsd-sockets:getnameinfo");
}

// gaiStrerror(code) -> the system's message
Napi::Value GaiStrerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), gai_strerror(IntArg(info, 0)));
}

}  // namespace

void RegisterResolution(Napi::Env env, Napi::Object exports) {
  exports.Set("getaddrinfoSync", Napi::Function::New(env, GetaddrinfoSync, "getaddrinfoSync"));
  exports.Set("getaddrinfoAsync", Napi::Function::New(env, GetaddrinfoAsync, "getaddrinfoAsync"));
  exports.Set("getnameinfoSync", Napi::Function::New(env, GetnameinfoSync, "getnameinfoSync"));
  exports.Set("getnameinfoAsync", Napi::Function::New(env, GetnameinfoAsync, "getnameinfoAsync"));
  exports.Set("gaiStrerror", Napi::Function::New(env, GaiStrerror, "gaiStrerror"));
}

}  // namespace bsd
