// The local databases: the host name, services (getservbyname, getservbyport) and protocols
// (getprotobyname). They read files, not the network, so they run on the calling thread.
#include "platform.h"
#include "resolver.h"

#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <mutex>
#include <string>
#include <vector>

namespace bsd {
namespace {

// gethostname() -> string, or -errno
Napi::Value Gethostname(const Napi::CallbackInfo& info) {
  char buf[1024];
  if (gethostname(buf, sizeof buf - 1) != 0) return Num(info.Env(), -errno);
  buf[sizeof buf - 1] = '\0';
  return Napi::String::New(info.Env(), buf);
}

// sethostname(name: Uint8Array) -> 0 or -errno (EPERM without CAP_SYS_ADMIN in the UTS namespace)
Napi::Value Sethostname(const Napi::CallbackInfo& info) {
  Napi::Uint8Array name = Uint8ArrayArg(info, 0);
  // An empty array may have no storage at all: sethostname(2) still wants a pointer.
  static const char kEmpty[1] = {'\0'};
  const char* bytes = name.ByteLength() == 0 ? kEmpty : reinterpret_cast<const char*>(name.Data());
  return Num(info.Env(), ResultOrErrno(sethostname(bytes, name.ByteLength())));
}

#if !BSD_HAVE_GLIBC_R
// The plain getserv*/getproto* calls share static storage: one caller at a time in the process.
std::mutex& NetdbMutex() {
  static std::mutex mutex;
  return mutex;
}
#endif

// getservbyname(name, proto|null) -> port (host order), or -ENOENT if unknown
Napi::Value Getservbyname(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  OptString proto = OptStringArg(info, 1);
  const char* protoName = proto.has ? proto.value.c_str() : nullptr;
#if BSD_HAVE_GLIBC_R
  servent storage{};
  servent* s = nullptr;
  std::vector<char> buffer;
  WithScratch(&buffer, [&](char* data, size_t size) {
    return getservbyname_r(name.c_str(), protoName, &storage, data, size, &s);
  });
  return Num(info.Env(), s == nullptr ? -ENOENT : ntohs(static_cast<uint16_t>(s->s_port)));
#else
  std::lock_guard<std::mutex> lock(NetdbMutex());
  servent* s = getservbyname(name.c_str(), protoName);
  return Num(info.Env(), s == nullptr ? -ENOENT : ntohs(static_cast<uint16_t>(s->s_port)));
#endif
}

// getservbyport(port, proto|null) -> service name, or -ENOENT if unknown
Napi::Value Getservbyport(const Napi::CallbackInfo& info) {
  int port = static_cast<int>(htons(static_cast<uint16_t>(UintArg(info, 0))));
  OptString proto = OptStringArg(info, 1);
  const char* protoName = proto.has ? proto.value.c_str() : nullptr;
#if BSD_HAVE_GLIBC_R
  servent storage{};
  servent* s = nullptr;
  std::vector<char> buffer;
  WithScratch(&buffer, [&](char* data, size_t size) {
    return getservbyport_r(port, protoName, &storage, data, size, &s);
  });
#else
  std::lock_guard<std::mutex> lock(NetdbMutex());
  servent* s = getservbyport(port, protoName);
#endif
  if (s == nullptr || s->s_name == nullptr) return Num(info.Env(), -ENOENT);
  return Napi::String::New(info.Env(), s->s_name);
}

// getprotobyname(name) -> protocol number, or -ENOENT if unknown
Napi::Value Getprotobyname(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
#if BSD_HAVE_GLIBC_R
  protoent storage{};
  protoent* p = nullptr;
  std::vector<char> buffer;
  WithScratch(&buffer, [&](char* data, size_t size) {
    return getprotobyname_r(name.c_str(), &storage, data, size, &p);
  });
#else
  std::lock_guard<std::mutex> lock(NetdbMutex());
  protoent* p = getprotobyname(name.c_str());
#endif
  return Num(info.Env(), p == nullptr ? -ENOENT : p->p_proto);
}

}  // namespace

void RegisterNetdb(Napi::Env env, Napi::Object exports) {
  exports.Set("gethostname", Napi::Function::New(env, Gethostname, "gethostname"));
  exports.Set("sethostname", Napi::Function::New(env, Sethostname, "sethostname"));
  exports.Set("getservbyname", Napi::Function::New(env, Getservbyname, "getservbyname"));
  exports.Set("getservbyport", Napi::Function::New(env, Getservbyport, "getservbyport"));
  exports.Set("getprotobyname", Napi::Function::New(env, Getprotobyname, "getprotobyname"));
}

}  // namespace bsd
