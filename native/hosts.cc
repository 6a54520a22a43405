// The gethostby* family (gethostbyname, gethostbyname_ex, gethostbyaddr), as Python has it: each
// a Sync call and a Promise on the thread pool (resolver.h). With glibc the reentrant *_r calls
// are used; elsewhere getaddrinfo/getnameinfo stand in, their failures mapped to h_errno codes.
#include "addresses.h"
#include "platform.h"
#include "resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <string>
#include <utility>
#include <vector>

namespace bsd {
namespace {

// ---- the gethostby* family ---------------------------------------------------------------

// Python's setipaddr(): a name (or literal, '' for the wildcard, '<broadcast>') to one address of
// family af (AF_INET or AF_UNSPEC). Returns false and fills *f on failure.
bool SetIpAddr(const std::string& name, int af, SockAddr* out, Failure* f) {
  out->storage = sockaddr_storage{};
  out->length = 0;
  if (name.empty()) {
    addrinfo hints{};
    hints.ai_family = af;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_PASSIVE;
    addrinfo* res = nullptr;
    errno = 0;
    int code = getaddrinfo(nullptr, "0", &hints, &res);
    if (code != 0) {
      SetGaiFailure(f, code);
      return false;
    }
    bool ok = true;
    if (res->ai_family != AF_INET && res->ai_family != AF_INET6) {
      f->message = "unsupported address family";
      ok = false;
    } else if (res->ai_next != nullptr) {
      f->message = "wildcard resolved to multiple address";
      ok = false;
    } else {
      socklen_t length = res->ai_addrlen < sizeof(sockaddr_storage) ? res->ai_addrlen : sizeof(sockaddr_storage);
      std::memcpy(&out->storage, res->ai_addr, length);
      out->length = length;
    }
    freeaddrinfo(res);
    return ok;
  }
  if (name == "255.255.255.255" || name == "<broadcast>") {
    if (af != AF_INET && af != AF_UNSPEC) {
      f->message = "address family mismatched";
      return false;
    }
    auto* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(INADDR_BROADCAST);
    out->length = sizeof(sockaddr_in);
    return true;
  }
  // A numeric address needs no resolution (an IPv6 one with a scope goes through getaddrinfo,
  // which understands interface names).
  if (af == AF_UNSPEC || af == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&out->storage);
    if (inet_pton(AF_INET, name.c_str(), &sin->sin_addr) > 0) {
      sin->sin_family = AF_INET;
      out->length = sizeof(sockaddr_in);
      return true;
    }
  }
  if ((af == AF_UNSPEC || af == AF_INET6) && name.find('%') == std::string::npos) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&out->storage);
    if (inet_pton(AF_INET6, name.c_str(), &sin6->sin6_addr) > 0) {
      sin6->sin6_family = AF_INET6;
      out->length = sizeof(sockaddr_in6);
      return true;
    }
  }
  addrinfo hints{};
  hints.ai_family = af;
  addrinfo* res = nullptr;
  errno = 0;
  int code = getaddrinfo(name.c_str(), nullptr, &hints, &res);
  if (code != 0) {
    SetGaiFailure(f, code);
    return false;
  }
  socklen_t length = res->ai_addrlen < sizeof(sockaddr_storage) ? res->ai_addrlen : sizeof(sockaddr_storage);
  std::memcpy(&out->storage, res->ai_addr, length);
  out->length = length;
  freeaddrinfo(res);
  int family = out->get()->sa_family;
  if (family != AF_INET && family != AF_INET6) {
    f->message = "unsupported address family";
    return false;
  }
  return true;
}

std::string SockAddrText(SockAddr& addr) {
  if (addr.get()->sa_family == AF_INET6) {
    return AddressText(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_addr);
  }
  return AddressText(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_addr);
}

// gethostbyname(name) -> the address text, or a failure object.
struct HostByNameOp {
  std::string name;
  Failure failure;
  std::string address;

  void Run() {
    SockAddr addr;
    if (SetIpAddr(name, AF_INET, &addr, &failure)) address = SockAddrText(addr);
  }

  Napi::Value ToJs(Napi::Env env) const {
    if (failure.failed()) return FailureToJs(env, failure);
    return Napi::String::New(env, address);
  }
};

// A struct hostent, copied.
struct HostEntry {
  std::string name;
  std::vector<std::string> aliases;
  std::vector<std::string> addresses;
};

#if BSD_HAVE_GLIBC_R
// Python's gethost_common(): copies h, checking that its addresses are of family af.
bool CopyHostent(const hostent* h, int af, HostEntry* out, Failure* f) {
  if (h->h_addrtype != af) {
    f->sysErrno = EAFNOSUPPORT;
    return false;
  }
  out->name = h->h_name != nullptr ? h->h_name : "";
  for (char** alias = h->h_aliases; alias != nullptr && *alias != nullptr; alias++) out->aliases.push_back(*alias);
  for (char** a = h->h_addr_list; a != nullptr && *a != nullptr; a++) out->addresses.push_back(AddressText(af, *a));
  return true;
}

// Runs gethostbyname_r or gethostbyaddr_r (given as `call`, taking the hostent storage, the
// scratch buffer, the result pointer and h_errno) and copies its entry, or records the failure.
template <typename Call>
void LookupHostent(int af, Call call, HostEntry* entry, Failure* failure) {
  hostent storage{};
  hostent* h = nullptr;
  int herr = 0;
  std::vector<char> buffer;
  int r = WithScratch(&buffer, [&](char* data, size_t size) { return call(&storage, data, size, &h, &herr); });
  if (h == nullptr) {
    if (r == ERANGE) {
      failure->sysErrno = ERANGE;
    } else {
      failure->herr = herr != 0 ? herr : HOST_NOT_FOUND;
    }
    return;
  }
  CopyHostent(h, af, entry, failure);
}
#else
// The fallbacks report getaddrinfo/getnameinfo failures as the h_errno that means the same.
int GaiToHerror(int code) {
  switch (code) {
    case EAI_NONAME:
      return HOST_NOT_FOUND;
    case EAI_AGAIN:
      return TRY_AGAIN;
#if defined(EAI_NODATA) && EAI_NODATA != EAI_NONAME
    case EAI_NODATA:
      return NO_DATA;
#endif
    default:
      return NO_RECOVERY;
  }
}
#endif

Napi::Value HostEntryToJs(Napi::Env env, const Failure& failure, const HostEntry& entry) {
  if (failure.failed()) return FailureToJs(env, failure);
  Napi::Array aliases = Napi::Array::New(env, entry.aliases.size());
  for (size_t i = 0; i < entry.aliases.size(); i++) aliases.Set(static_cast<uint32_t>(i), entry.aliases[i]);
  Napi::Array addresses = Napi::Array::New(env, entry.addresses.size());
  for (size_t i = 0; i < entry.addresses.size(); i++) addresses.Set(static_cast<uint32_t>(i), entry.addresses[i]);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Napi::String::New(env, entry.name));
  out.Set(1u, aliases);
  out.Set(2u, addresses);
  return out;
}

// gethostbynameEx(name) -> [name, aliases, addresses], or a failure object (IPv4 only, as Python).
struct HostByNameExOp {
  std::string name;
  Failure failure;
  HostEntry entry;

  void Run() {
    SockAddr addr;
    if (!SetIpAddr(name, AF_INET, &addr, &failure)) return;
#if BSD_HAVE_GLIBC_R
    LookupHostent(AF_INET, [&](hostent* storage, char* data, size_t size, hostent** h, int* herr) {
      return gethostbyname_r(name.c_str(), storage, data, size, h, herr);
    }, &entry, &failure);
#else
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_CANONNAME;
    addrinfo* res = nullptr;
    int code = getaddrinfo(name.c_str(), nullptr, &hints, &res);
    if (code != 0) {
      failure.herr = GaiToHerror(code);
      return;
    }
    entry.name = res->ai_canonname != nullptr ? res->ai_canonname : name;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      if (ai->ai_family != AF_INET) continue;
      std::string text = AddressText(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr);
      bool seen = false;
      for (const std::string& a : entry.addresses) seen = seen || a == text;
      if (!seen) entry.addresses.push_back(text);
    }
    freeaddrinfo(res);
#endif
  }

  Napi::Value ToJs(Napi::Env env) const { return HostEntryToJs(env, failure, entry); }
};

// gethostbyaddr(ip) -> [name, aliases, addresses], or a failure object. ip may be a name, as in
// Python: it is resolved first.
struct HostByAddrOp {
  std::string name;
  Failure failure;
  HostEntry entry;

  void Run() {
    SockAddr addr;
    if (!SetIpAddr(name, AF_UNSPEC, &addr, &failure)) return;
    int af = addr.get()->sa_family;
    const void* raw = nullptr;
    socklen_t rawLength = 0;
    if (af == AF_INET) {
      raw = &reinterpret_cast<sockaddr_in*>(&addr.storage)->sin_addr;
      rawLength = sizeof(in_addr);
    } else if (af == AF_INET6) {
      raw = &reinterpret_cast<sockaddr_in6*>(&addr.storage)->sin6_addr;
      rawLength = sizeof(in6_addr);
    } else {
      failure.message = "unsupported address family";
      return;
    }
#if BSD_HAVE_GLIBC_R
    LookupHostent(af, [&](hostent* storage, char* data, size_t size, hostent** h, int* herr) {
      return gethostbyaddr_r(raw, rawLength, af, storage, data, size, h, herr);
    }, &entry, &failure);
#else
    (void)rawLength;
    char host[NI_MAXHOST] = "";
    int code = getnameinfo(addr.get(), addr.length, host, sizeof host, nullptr, 0, NI_NAMEREQD);
    if (code != 0) {
      failure.herr = GaiToHerror(code);
      return;
    }
    entry.name = host;
    entry.addresses.push_back(AddressText(af, raw));
#endif
  }

  Napi::Value ToJs(Napi::Env env) const { return HostEntryToJs(env, failure, entry); }
};

template <typename Op>
Op NameOp(const Napi::CallbackInfo& info) {
  Op op;
  op.name = info[0].As<Napi::String>().Utf8Value();
  return op;
}

Napi::Value GethostbynameSync(const Napi::CallbackInfo& info) { return RunSync(info.Env(), NameOp<HostByNameOp>(info)); }
Napi::Value GethostbynameAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), NameOp<HostByNameOp>(info), "bsd-sockets:gethostbyname");
}
Napi::Value GethostbynameExSync(const Napi::CallbackInfo& info) {
  return RunSync(info.Env(), NameOp<HostByNameExOp>(info));
}
Napi::Value GethostbynameExAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), NameOp<HostByNameExOp>(info), "bsd-sockets:gethostbyname_ex");
}
Napi::Value GethostbyaddrSync(const Napi::CallbackInfo& info) { return RunSync(info.Env(), NameOp<HostByAddrOp>(info)); }
Napi::Value GethostbyaddrAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), NameOp<HostByAddrOp>(info), "bsd-sockets:gethostbyaddr");
}


// hstrerror(code) -> the system's message
Napi::Value Hstrerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), hstrerror(IntArg(info, 0)));
}

Napi::Object HostErrorNames(Napi::Env env) {
  Napi::Object names = Napi::Object::New(env);
  names.Set("HOST_NOT_FOUND", Num(env, HOST_NOT_FOUND));
  names.Set("TRY_AGAIN", Num(env, TRY_AGAIN));
  names.Set("NO_RECOVERY", Num(env, NO_RECOVERY));
  names.Set("NO_DATA", Num(env, NO_DATA));
  return names;
}


}  // namespace

void RegisterHosts(Napi::Env env, Napi::Object exports) {
  exports.Set("gethostbynameSync", Napi::Function::New(env, GethostbynameSync, "gethostbynameSync"));
  exports.Set("gethostbynameAsync", Napi::Function::New(env, GethostbynameAsync, "gethostbynameAsync"));
  exports.Set("gethostbynameExSync", Napi::Function::New(env, GethostbynameExSync, "gethostbynameExSync"));
  exports.Set("gethostbynameExAsync", Napi::Function::New(env, GethostbynameExAsync, "gethostbynameExAsync"));
  exports.Set("gethostbyaddrSync", Napi::Function::New(env, GethostbyaddrSync, "gethostbyaddrSync"));
  exports.Set("gethostbyaddrAsync", Napi::Function::New(env, GethostbyaddrAsync, "gethostbyaddrAsync"));
  exports.Set("hstrerror", Napi::Function::New(env, Hstrerror, "hstrerror"));
  exports.Set("hostErrorNames", HostErrorNames(env));
}

}  // namespace bsd
