// Conversion between the JavaScript address shapes of API.md and struct sockaddr.
#include "addresses.h"
#include "parse.h"
#include "platform.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <cstddef>
#include <cstring>
#include <string>

#if BSD_LINUX
#include <linux/if_packet.h>
#include <linux/netlink.h>
#endif

namespace bsd {

bool ReadAddrBlob(const Napi::CallbackInfo& info, size_t i, SockAddr* out) {
  if (!info[i].IsTypedArray()) return false;
  Napi::Uint8Array blob = info[i].As<Napi::Uint8Array>();
  return ReadBlob(blob.Data(), blob.ByteLength(), &out->storage, &out->length);
}

bool ReadAddrBlob(Napi::Env env, Napi::Value value, SockAddr* out) {
  Napi::Uint8Array blob = Uint8ArrayOf(env, value);
  return ReadBlob(blob.Data(), blob.ByteLength(), &out->storage, &out->length);
}

void WriteAddrBlob(const Napi::CallbackInfo& info, size_t i, const SockAddr& addr) {
  if (!info[i].IsTypedArray()) return;
  Napi::Uint8Array blob = info[i].As<Napi::Uint8Array>();
  WriteBlob(blob.Data(), blob.ByteLength(), &addr.storage, addr.length);
}

Napi::Buffer<uint8_t> NewAddrBlob(Napi::Env env, const SockAddr& addr) {
  Napi::Buffer<uint8_t> blob = Napi::Buffer<uint8_t>::New(env, kAddrBlobSize);
  std::memset(blob.Data(), 0, kAddrBlobSize);
  WriteBlob(blob.Data(), blob.Length(), &addr.storage, addr.length);
  return blob;
}

namespace {

Napi::Value Store(const Napi::CallbackInfo& info, size_t blobIndex, const SockAddr& addr) {
  WriteAddrBlob(info, blobIndex, addr);
  return Num(info.Env(), 0);
}

// packInet(host, port, blob): host is '', '<broadcast>' or a dotted IPv4 literal.
Napi::Value PackInet(const Napi::CallbackInfo& info) {
  std::string host = info[0].As<Napi::String>().Utf8Value();
  SockAddr addr;
  auto* sin = reinterpret_cast<sockaddr_in*>(&addr.storage);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(static_cast<uint16_t>(UintArg(info, 1)));
  if (!ParseInetHost(host, &sin->sin_addr)) return Num(info.Env(), -EINVAL);
  addr.length = sizeof(sockaddr_in);
  return Store(info, 2, addr);
}

// packInet6(host, port, flowinfo, scopeId, blob)
Napi::Value PackInet6(const Napi::CallbackInfo& info) {
  std::string host = info[0].As<Napi::String>().Utf8Value();
  SockAddr addr;
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(&addr.storage);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(static_cast<uint16_t>(UintArg(info, 1)));
  sin6->sin6_flowinfo = htonl(UintArg(info, 2));
  sin6->sin6_scope_id = UintArg(info, 3);
  if (host.empty()) {
    sin6->sin6_addr = in6addr_any;
  } else if (!ParseInet6Host(host, sin6)) {
    return Num(info.Env(), -EINVAL);
  }
  addr.length = sizeof(sockaddr_in6);
  return Store(info, 4, addr);
}

// packUnix(pathBytes, blob): a filesystem path, or (Linux) an abstract name starting with NUL.
// An empty path packs just the family, which bind() on Linux turns into an autobound name.
Napi::Value PackUnix(const Napi::CallbackInfo& info) {
  ByteRange path = WholeArg(info, 0);
  SockAddr addr;
  int r = PackUnixPath(path.data, path.length, &addr.storage, &addr.length);
  if (r < 0) return Num(info.Env(), r);
  return Store(info, 1, addr);
}

#if BSD_LINUX
// packPacket(ifname, proto, pkttype, hatype, hwaddr, blob); proto in host byte order.
Napi::Value PackPacket(const Napi::CallbackInfo& info) {
  std::string ifname = info[0].As<Napi::String>().Utf8Value();
  ByteRange hw = WholeArg(info, 4);
  SockAddr addr;
  auto* sll = reinterpret_cast<sockaddr_ll*>(&addr.storage);
  sll->sll_family = AF_PACKET;
  sll->sll_protocol = htons(static_cast<uint16_t>(UintArg(info, 1)));
  sll->sll_pkttype = static_cast<unsigned char>(UintArg(info, 2));
  sll->sll_hatype = static_cast<unsigned short>(UintArg(info, 3));
  if (!ifname.empty()) {
    unsigned index = if_nametoindex(ifname.c_str());
    if (index == 0) return Num(info.Env(), -errno);
    sll->sll_ifindex = static_cast<int>(index);
  }
  if (hw.length > sizeof(sll->sll_addr)) return Num(info.Env(), -EINVAL);
  if (hw.length > 0) std::memcpy(sll->sll_addr, hw.data, hw.length);  // an empty Buffer's data may be null
  sll->sll_halen = static_cast<unsigned char>(hw.length);
  addr.length = sizeof(sockaddr_ll);
  return Store(info, 5, addr);
}

// packNetlink(pid, groups, blob)
Napi::Value PackNetlink(const Napi::CallbackInfo& info) {
  SockAddr addr;
  auto* nl = reinterpret_cast<sockaddr_nl*>(&addr.storage);
  nl->nl_family = AF_NETLINK;
  nl->nl_pid = UintArg(info, 0);
  nl->nl_groups = UintArg(info, 1);
  addr.length = sizeof(sockaddr_nl);
  return Store(info, 2, addr);
}
#endif

Napi::Value UnpackInet(Napi::Env env, const sockaddr_in* sin) {
  char text[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::String::New(env, text));
  out.Set(1u, Num(env, ntohs(sin->sin_port)));
  return out;
}

Napi::Value UnpackInet6(Napi::Env env, const sockaddr_in6* sin6) {
  char text[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(0u, Napi::String::New(env, text));
  out.Set(1u, Num(env, ntohs(sin6->sin6_port)));
  out.Set(2u, Num(env, ntohl(sin6->sin6_flowinfo)));
  out.Set(3u, Num(env, sin6->sin6_scope_id));
  return out;
}

// Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), as Python decodes it.
bool IsUtf8(const unsigned char* s, size_t n) {
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    size_t more = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 4;
    if (more == 4 || i + more >= n) return false;
    for (size_t k = 1; k <= more; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
    }
    unsigned char d = more > 0 ? s[i + 1] : 0x80;
    if ((c == 0xe0 && d < 0xa0) || (c == 0xed && d > 0x9f) || (c == 0xf0 && d < 0x90) || (c == 0xf4 && d > 0x8f)) {
      return false;
    }
    i += more + 1;
  }
  return true;
}

// An unnamed socket gives ''; a path gives a string; an abstract name (Linux) gives a Buffer, and
// so does a path that is not UTF-8, so that the bytes stay usable as an address.
Napi::Value UnpackUnix(Napi::Env env, const sockaddr_un* sun, socklen_t length) {
  bool abstractName = false;
  size_t n = UnixNameLength(sun, length, &abstractName);
  if (abstractName || !IsUtf8(reinterpret_cast<const unsigned char*>(sun->sun_path), n)) {
    return Napi::Buffer<char>::Copy(env, sun->sun_path, n);
  }
  return Napi::String::New(env, sun->sun_path, n);
}

#if BSD_LINUX
Napi::Value UnpackPacket(Napi::Env env, const sockaddr_ll* sll) {
  char name[IF_NAMESIZE] = "";
  if (if_indextoname(static_cast<unsigned>(sll->sll_ifindex), name) == nullptr) name[0] = '\0';
  size_t halen = sll->sll_halen > sizeof(sll->sll_addr) ? sizeof(sll->sll_addr) : sll->sll_halen;
  Napi::Array out = Napi::Array::New(env, 5);
  out.Set(0u, Napi::String::New(env, name));
  out.Set(1u, Num(env, ntohs(sll->sll_protocol)));
  out.Set(2u, Num(env, sll->sll_pkttype));
  out.Set(3u, Num(env, sll->sll_hatype));
  out.Set(4u, Napi::Buffer<uint8_t>::Copy(env, sll->sll_addr, halen));
  return out;
}

Napi::Value UnpackNetlink(Napi::Env env, const sockaddr_nl* nl) {
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Num(env, nl->nl_pid));
  out.Set(1u, Num(env, nl->nl_groups));
  return out;
}
#endif

// unpack(blob) -> the address in its JavaScript shape; other families give [family, Buffer]. Only
// lib/ and native code make blobs: one that is not well formed is a programming error, thrown.
Napi::Value Unpack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  SockAddr addr;
  if (!ReadAddrBlob(env, info[0], &addr)) ThrowArgType(env, "an address blob");
  if (addr.length == 0) return env.Null();  // no address, e.g. recvfrom() on a connected stream
  if (addr.length < sizeof(sa_family_t)) return Napi::String::New(env, "");
  int family = addr.get()->sa_family;
  switch (family) {
    case AF_INET:
      return UnpackInet(env, reinterpret_cast<sockaddr_in*>(&addr.storage));
    case AF_INET6:
      return UnpackInet6(env, reinterpret_cast<sockaddr_in6*>(&addr.storage));
    case AF_UNIX:
      return UnpackUnix(env, reinterpret_cast<sockaddr_un*>(&addr.storage), addr.length);
#if BSD_LINUX
    case AF_PACKET:
      return UnpackPacket(env, reinterpret_cast<sockaddr_ll*>(&addr.storage));
    case AF_NETLINK:
      return UnpackNetlink(env, reinterpret_cast<sockaddr_nl*>(&addr.storage));
#endif
    default: {
      Napi::Array out = Napi::Array::New(env, 2);
      out.Set(0u, Num(env, family));
      size_t offset = offsetof(sockaddr, sa_data);
      size_t length = addr.length > offset ? addr.length - offset : 0;
      out.Set(1u, Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(&addr.storage) + offset, length));
      return out;
    }
  }
}

Napi::Object FieldAt(Napi::Env env, size_t offset, size_t size) {
  Napi::Object field = Napi::Object::New(env);
  field.Set("offset", Num(env, offset));
  field.Set("size", Num(env, size));
  return field;
}

// Where this platform's sockaddr_in keeps its fields (macOS and the BSDs put a length byte before a
// one-byte sin_family): lib/input/address.ts reads IPv4 senders without a native call, guessing nothing.
Napi::Object SockaddrInLayout(Napi::Env env) {
  Napi::Object fields = Napi::Object::New(env);
  fields.Set("sin_family", FieldAt(env, offsetof(sockaddr_in, sin_family), sizeof(sockaddr_in::sin_family)));
  fields.Set("sin_port", FieldAt(env, offsetof(sockaddr_in, sin_port), sizeof(sockaddr_in::sin_port)));
  fields.Set("sin_addr", FieldAt(env, offsetof(sockaddr_in, sin_addr), sizeof(sockaddr_in::sin_addr)));
  Napi::Object layout = Napi::Object::New(env);
  layout.Set("size", Num(env, sizeof(sockaddr_in)));
  layout.Set("fields", fields);
  return layout;
}

}  // namespace

void RegisterAddresses(Napi::Env env, Napi::Object exports) {
  exports.Set("addrBlobSize", Num(env, kAddrBlobSize));
  exports.Set("sunPathMax", Num(env, sizeof(sockaddr_un::sun_path)));
  exports.Set("sockaddrIn", SockaddrInLayout(env));
  exports.Set("packInet", Napi::Function::New(env, PackInet, "packInet"));
  exports.Set("packInet6", Napi::Function::New(env, PackInet6, "packInet6"));
  exports.Set("packUnix", Napi::Function::New(env, PackUnix, "packUnix"));
#if BSD_LINUX
  exports.Set("packPacket", Napi::Function::New(env, PackPacket, "packPacket"));
  exports.Set("packNetlink", Napi::Function::New(env, PackNetlink, "packNetlink"));
#endif
  exports.Set("unpack", Napi::Function::New(env, Unpack, "unpack"));
}

}  // namespace bsd
