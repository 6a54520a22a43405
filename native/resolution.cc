// Names and numbers: getaddrinfo/getnameinfo, the gethostby* family, services and protocols,
// address text conversions, interface names and the CMSG_* sizes.
//
// Each lookup that may wait on the network is an "operation" (a small struct with Run() and
// ToJs()). The Sync form runs it on the calling thread; the Promise form runs the same struct on
// the libuv thread pool through an AsyncWorker, so the event loop never blocks. Results and
// failures go back as plain objects; lib/resolve.ts turns a failure into GaiError, HostError or
// SocketError in one place. Only thread-safe resolver calls are used off the JS thread.
#include "addresses.h"
#include "common.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

// The reentrant gethostbyname_r/gethostbyaddr_r/getservby*_r/getprotobyname_r with the glibc
// signatures. Elsewhere (and with portable=1) the getaddrinfo/getnameinfo fallbacks are used.
#if defined(__linux__) && !defined(BSD_FORCE_PORTABLE)
#define BSD_HAVE_GLIBC_R 1
#else
#define BSD_HAVE_GLIBC_R 0
#endif

namespace bsd {
namespace {

// How a lookup failed. At most one of gai / herr / message is set; sysErrno goes with
// EAI_SYSTEM or with a plain errno failure (gai == 0, herr == 0, message == nullptr).
struct Failure {
  int gai = 0;                     // an EAI_* code
  int sysErrno = 0;                // errno, for EAI_SYSTEM or a system error
  int herr = 0;                    // an h_errno code
  const char* message = nullptr;   // an OSError without errno, as Python raises it
  bool failed() const { return gai != 0 || sysErrno != 0 || herr != 0 || message != nullptr; }
};

Napi::Object FailureToJs(Napi::Env env, const Failure& f) {
  Napi::Object out = Napi::Object::New(env);
  if (f.gai != 0) out.Set("gai", Num(env, f.gai));
  if (f.sysErrno != 0) out.Set("errno", Num(env, f.sysErrno));
  if (f.herr != 0) out.Set("herror", Num(env, f.herr));
  if (f.message != nullptr) out.Set("message", Napi::String::New(env, f.message));
  return out;
}

void SetGaiFailure(Failure* f, int code) {
  f->gai = code;
#ifdef EAI_SYSTEM
  if (code == EAI_SYSTEM) f->sysErrno = errno;
#endif
}

// Text of an IPv4 or IPv6 address (no scope), as inet_ntop gives it.
std::string AddressText(int family, const void* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(family, addr, text, sizeof text) == nullptr) return std::string();
  return text;
}

// An optional string argument: null/undefined gives has == false.
struct OptString {
  std::string value;
  bool has = false;
};

OptString OptStringArg(const Napi::CallbackInfo& info, size_t i) {
  OptString out;
  if (info[i].IsString()) {
    out.value = info[i].As<Napi::String>().Utf8Value();
    out.has = true;
  }
  return out;
}

// Runs an operation on the thread pool and settles a Promise with op.ToJs().
template <typename Op>
class OpWorker : public Napi::AsyncWorker {
 public:
  OpWorker(Napi::Env env, Op op, const char* name)
      : Napi::AsyncWorker(env, name), op_(std::move(op)), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { op_.Run(); }
  // When a Worker is terminated with lookups pending, the environment can no longer run
  // JavaScript and every N-API call fails: nobody is left to settle the Promise, so the failure
  // is dropped here instead of escaping (which would abort the process).
  void OnOK() override {
    try {
      deferred_.Resolve(op_.ToJs(Env()));
    } catch (const Napi::Error&) {
    }
  }
  void OnError(const Napi::Error& error) override {
    try {
      deferred_.Reject(error.Value());
    } catch (const Napi::Error&) {
    }
  }

 private:
  Op op_;
  Napi::Promise::Deferred deferred_;
};

template <typename Op>
Napi::Value RunSync(Napi::Env env, Op op) {
  op.Run();
  return op.ToJs(env);
}

template <typename Op>
Napi::Value RunAsync(Napi::Env env, Op op, const char* name) {
  auto* worker = new OpWorker<Op>(env, std::move(op), name);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

// ---- getaddrinfo -------------------------------------------------------------------------

struct AddrInfoEntry {
  int family, socktype, protocol;
  std::string canonname;
  SockAddr addr;
};

// getaddrinfo(host|null, port|null, family, type, proto, flags)
//   -> { entries: [family, type, proto, canonname, blob][] } or a failure object.
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
    Napi::Object out = FailureToJs(env, failure);
    if (failure.failed()) return out;
    Napi::Array list = Napi::Array::New(env, entries.size());
    for (size_t i = 0; i < entries.size(); i++) {
      const AddrInfoEntry& e = entries[i];
      Napi::Buffer<uint8_t> blob = Napi::Buffer<uint8_t>::New(env, kAddrBlobSize);
      std::memset(blob.Data(), 0, kAddrBlobSize);
      uint32_t length = e.addr.length;
      std::memcpy(blob.Data(), &length, sizeof length);
      std::memcpy(blob.Data() + kAddrHeader, &e.addr.storage, length);
      Napi::Array item = Napi::Array::New(env, 5);
      item.Set(0u, Num(env, e.family));
      item.Set(1u, Num(env, e.socktype));
      item.Set(2u, Num(env, e.protocol));
      item.Set(3u, Napi::String::New(env, e.canonname));
      item.Set(4u, blob);
      list.Set(static_cast<uint32_t>(i), item);
    }
    out.Set("entries", list);
    return out;
  }
};

Napi::Value GetaddrinfoSync(const Napi::CallbackInfo& info) { return RunSync(info.Env(), GaiOp::FromArgs(info)); }
Napi::Value GetaddrinfoAsync(const Napi::CallbackInfo& info) {
  return RunAsync(info.Env(), GaiOp::FromArgs(info), "bsd-sockets:getaddrinfo");
}

// ---- getnameinfo -------------------------------------------------------------------------

// getnameinfo(blob, flags) -> { host, port } or a failure object.
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
    Napi::Object out = FailureToJs(env, failure);
    if (failure.failed()) return out;
    out.Set("host", Napi::String::New(env, host));
    out.Set("port", Napi::String::New(env, serv));
    return out;
  }
};

Napi::Value GetnameinfoSync(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "address blob expected");
  return RunSync(info.Env(), NameInfoOp::FromArgs(info));
}
Napi::Value GetnameinfoAsync(const Napi::CallbackInfo& info) {
  if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "address blob expected");
  return RunAsync(info.Env(), NameInfoOp::FromArgs(info), "bsd-sockets:getnameinfo");
}

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

// gethostbyname(name) -> { address } or a failure object.
struct HostByNameOp {
  std::string name;
  Failure failure;
  std::string address;

  void Run() {
    SockAddr addr;
    if (SetIpAddr(name, AF_INET, &addr, &failure)) address = SockAddrText(addr);
  }

  Napi::Value ToJs(Napi::Env env) const {
    Napi::Object out = FailureToJs(env, failure);
    if (!failure.failed()) out.Set("address", Napi::String::New(env, address));
    return out;
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

// Calls a glibc *_r lookup, growing the scratch buffer while it reports ERANGE.
template <typename Call>
int WithScratch(std::vector<char>* buffer, Call call) {
  buffer->resize(16384);
  for (;;) {
    int r = call(buffer->data(), buffer->size());
    if (r != ERANGE || buffer->size() >= (1u << 24)) return r;
    buffer->resize(buffer->size() * 2);
  }
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
  Napi::Object out = FailureToJs(env, failure);
  if (failure.failed()) return out;
  Napi::Array aliases = Napi::Array::New(env, entry.aliases.size());
  for (size_t i = 0; i < entry.aliases.size(); i++) aliases.Set(static_cast<uint32_t>(i), entry.aliases[i]);
  Napi::Array addresses = Napi::Array::New(env, entry.addresses.size());
  for (size_t i = 0; i < entry.addresses.size(); i++) addresses.Set(static_cast<uint32_t>(i), entry.addresses[i]);
  out.Set("name", Napi::String::New(env, entry.name));
  out.Set("aliases", aliases);
  out.Set("addresses", addresses);
  return out;
}

// gethostbynameEx(name) -> { name, aliases, addresses } or a failure object (IPv4 only, as Python).
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

// gethostbyaddr(ip) -> { name, aliases, addresses } or a failure object. ip may be a name, as in
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

// gaiStrerror(code) / hstrerror(code) -> the system's message
Napi::Value GaiStrerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), gai_strerror(IntArg(info, 0)));
}
Napi::Value Hstrerror(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), hstrerror(IntArg(info, 0)));
}

// ---- local databases: host name, services, protocols -------------------------------------

// gethostname() -> string, or -errno
Napi::Value Gethostname(const Napi::CallbackInfo& info) {
  char buf[1024];
  if (gethostname(buf, sizeof buf - 1) != 0) return Num(info.Env(), -errno);
  buf[sizeof buf - 1] = '\0';
  return Napi::String::New(info.Env(), buf);
}

#if !BSD_HAVE_GLIBC_R
// The plain getserv*/getproto* calls share static storage: one caller at a time in the process.
std::mutex& NetdbMutex() {
  static std::mutex mutex;
  return mutex;
}
#endif

// getservbyname(name, proto|null) -> port (host order), or -1 if unknown
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
  return Num(info.Env(), s == nullptr ? -1 : ntohs(static_cast<uint16_t>(s->s_port)));
#else
  std::lock_guard<std::mutex> lock(NetdbMutex());
  servent* s = getservbyname(name.c_str(), protoName);
  return Num(info.Env(), s == nullptr ? -1 : ntohs(static_cast<uint16_t>(s->s_port)));
#endif
}

// getservbyport(port, proto|null) -> service name, or null if unknown
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
  if (s == nullptr || s->s_name == nullptr) return info.Env().Null();
  return Napi::String::New(info.Env(), s->s_name);
}

// getprotobyname(name) -> protocol number, or -1 if unknown
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
  return Num(info.Env(), p == nullptr ? -1 : p->p_proto);
}

// ---- address text ------------------------------------------------------------------------

// inetAton(text, out) -> 1 with 4 bytes in out, or 0 for an illegal string
Napi::Value InetAton(const Napi::CallbackInfo& info) {
  std::string text = info[0].As<Napi::String>().Utf8Value();
  ByteRange out = WholeArg(info, 1);
  in_addr addr{};
  if (out.length < sizeof addr || inet_aton(text.c_str(), &addr) == 0) return Num(info.Env(), 0);
  std::memcpy(out.data, &addr, sizeof addr);
  return Num(info.Env(), 1);
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

// ---- interfaces --------------------------------------------------------------------------

// ifNameindex() -> [index, name][], or -errno
Napi::Value IfNameindex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  struct if_nameindex* list = if_nameindex();
  if (list == nullptr) return Num(env, -errno);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (struct if_nameindex* p = list; p->if_index != 0 || p->if_name != nullptr; p++) {
    Napi::Array item = Napi::Array::New(env, 2);
    item.Set(0u, Num(env, p->if_index));
    item.Set(1u, Napi::String::New(env, p->if_name != nullptr ? p->if_name : ""));
    out.Set(n++, item);
  }
  if_freenameindex(list);
  return out;
}

// ifNametoindex(name) -> index, or -errno (ENODEV when the system gives no errno)
Napi::Value IfNametoindex(const Napi::CallbackInfo& info) {
  std::string name = info[0].As<Napi::String>().Utf8Value();
  errno = 0;
  unsigned index = if_nametoindex(name.c_str());
  if (index == 0) return Num(info.Env(), -(errno != 0 ? errno : ENODEV));
  return Num(info.Env(), index);
}

// ifIndextoname(index) -> name, or -errno
Napi::Value IfIndextoname(const Napi::CallbackInfo& info) {
  char name[IF_NAMESIZE + 1] = "";
  errno = 0;
  if (if_indextoname(UintArg(info, 0), name) == nullptr) return Num(info.Env(), -(errno != 0 ? errno : ENXIO));
  return Napi::String::New(info.Env(), name);
}

// ---- CMSG sizes --------------------------------------------------------------------------

// As in Python, lengths are limited so that the result fits a (signed) socklen_t.
constexpr size_t kSocklenMax = INT_MAX;
constexpr size_t kCmsgLenMax = kSocklenMax - CMSG_LEN(0);
constexpr size_t kCmsgSpaceMax = kSocklenMax - CMSG_SPACE(1);

// cmsgLen(n) / cmsgSpace(n) -> CMSG_LEN(n) / CMSG_SPACE(n), or -1 if n is out of range
Napi::Value CmsgLen(const Napi::CallbackInfo& info) {
  double n = DoubleArg(info, 0);
  if (!(n >= 0) || n > static_cast<double>(kCmsgLenMax)) return Num(info.Env(), -1);
  return Num(info.Env(), static_cast<double>(CMSG_LEN(static_cast<size_t>(n))));
}

Napi::Value CmsgSpace(const Napi::CallbackInfo& info) {
  double n = DoubleArg(info, 0);
  if (!(n >= 0) || n > static_cast<double>(kCmsgSpaceMax)) return Num(info.Env(), -1);
  return Num(info.Env(), static_cast<double>(CMSG_SPACE(static_cast<size_t>(n))));
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

void RegisterResolution(Napi::Env env, Napi::Object exports) {
  exports.Set("getaddrinfoSync", Napi::Function::New(env, GetaddrinfoSync, "getaddrinfoSync"));
  exports.Set("getaddrinfoAsync", Napi::Function::New(env, GetaddrinfoAsync, "getaddrinfoAsync"));
  exports.Set("getnameinfoSync", Napi::Function::New(env, GetnameinfoSync, "getnameinfoSync"));
  exports.Set("getnameinfoAsync", Napi::Function::New(env, GetnameinfoAsync, "getnameinfoAsync"));
  exports.Set("gethostbynameSync", Napi::Function::New(env, GethostbynameSync, "gethostbynameSync"));
  exports.Set("gethostbynameAsync", Napi::Function::New(env, GethostbynameAsync, "gethostbynameAsync"));
  exports.Set("gethostbynameExSync", Napi::Function::New(env, GethostbynameExSync, "gethostbynameExSync"));
  exports.Set("gethostbynameExAsync", Napi::Function::New(env, GethostbynameExAsync, "gethostbynameExAsync"));
  exports.Set("gethostbyaddrSync", Napi::Function::New(env, GethostbyaddrSync, "gethostbyaddrSync"));
  exports.Set("gethostbyaddrAsync", Napi::Function::New(env, GethostbyaddrAsync, "gethostbyaddrAsync"));
  exports.Set("gaiStrerror", Napi::Function::New(env, GaiStrerror, "gaiStrerror"));
  exports.Set("hstrerror", Napi::Function::New(env, Hstrerror, "hstrerror"));
  exports.Set("hostErrorNames", HostErrorNames(env));
  exports.Set("gethostname", Napi::Function::New(env, Gethostname, "gethostname"));
  exports.Set("getservbyname", Napi::Function::New(env, Getservbyname, "getservbyname"));
  exports.Set("getservbyport", Napi::Function::New(env, Getservbyport, "getservbyport"));
  exports.Set("getprotobyname", Napi::Function::New(env, Getprotobyname, "getprotobyname"));
  exports.Set("inetAton", Napi::Function::New(env, InetAton, "inetAton"));
  exports.Set("inetPton", Napi::Function::New(env, InetPton, "inetPton"));
  exports.Set("inetNtop", Napi::Function::New(env, InetNtop, "inetNtop"));
  exports.Set("ifNameindex", Napi::Function::New(env, IfNameindex, "ifNameindex"));
  exports.Set("ifNametoindex", Napi::Function::New(env, IfNametoindex, "ifNametoindex"));
  exports.Set("ifIndextoname", Napi::Function::New(env, IfIndextoname, "ifIndextoname"));
  exports.Set("cmsgLen", Napi::Function::New(env, CmsgLen, "cmsgLen"));
  exports.Set("cmsgSpace", Napi::Function::New(env, CmsgSpace, "cmsgSpace"));
  exports.Set("cmsgLenMax", Num(env, static_cast<double>(kCmsgLenMax)));
  exports.Set("cmsgSpaceMax", Num(env, static_cast<double>(kCmsgSpaceMax)));
}

}  // namespace bsd
