// sendmsg / recvmsg with scatter-gather buffers and ancillary data, and (Linux) the batched
// recvmmsg / sendmmsg. Ancillary data crosses as [level, type, Buffer][] in both directions.
#include "messages.h"
#include "addresses.h"
#include "parse.h"
#include "platform.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <cstring>
#include <memory>
#include <vector>

namespace bsd {
namespace {

#if BSD_HAVE_MSG_NOSIGNAL
constexpr int kNoSignal = MSG_NOSIGNAL;
#else
constexpr int kNoSignal = 0;
#endif

// User code (getters, Proxies) can run whenever a JavaScript value is read, and can detach or
// shrink a buffer whose pointer was taken before. lib/socket/messages.ts hands over fresh plain arrays;
// in case anything else does not, every call here still reads all its JS values first (phase 1)
// and only then takes pointers into buffers (phase 2), with no JS read in between.

}  // namespace

// Phase 1: the elements of a JS array, each read once.
std::vector<Napi::Value> Elements(Napi::Env env, Napi::Value value, const char* expected) {
  if (!value.IsArray()) ThrowArgType(env, expected);
  Napi::Array array = value.As<Napi::Array>();
  uint32_t count = array.Length();
  std::vector<Napi::Value> out;
  out.reserve(count);
  for (uint32_t i = 0; i < count; i++) out.push_back(array.Get(i));
  return out;
}

std::vector<AncillaryValue> ReadAncillary(Napi::Env env, Napi::Value value) {
  std::vector<AncillaryValue> out;
  if (value.IsNull() || value.IsUndefined()) return out;
  for (const Napi::Value& item : Elements(env, value, "an array of [level, type, data]")) {
    std::vector<Napi::Value> parts = Elements(env, item, "an array [level, type, data]");
    if (parts.size() != 3 || !parts[0].IsNumber() || !parts[1].IsNumber()) ThrowArgType(env, "an array [level, type, data]");
    out.push_back({parts[0].As<Napi::Number>().Int32Value(), parts[1].As<Napi::Number>().Int32Value(), parts[2]});
  }
  return out;
}

namespace {

// Phase 2: an iovec per buffer.
std::vector<iovec> Iovecs(Napi::Env env, const std::vector<Napi::Value>& buffers) {
  std::vector<iovec> iov(buffers.size());
  for (size_t i = 0; i < buffers.size(); i++) {
    Napi::Uint8Array bytes = Uint8ArrayOf(env, buffers[i]);
    iov[i].iov_base = bytes.Data();
    iov[i].iov_len = bytes.ByteLength();
  }
  return iov;
}

}  // namespace

// Phase 2: packs the ancillary messages into a control buffer, each sized and copied from one
// look at its data.
std::vector<uint8_t> PackAncillary(Napi::Env env, const std::vector<AncillaryValue>& items) {
  std::vector<Napi::Uint8Array> data;
  size_t space = 0;
  for (const AncillaryValue& item : items) {
    data.push_back(Uint8ArrayOf(env, item.data));
    space += CMSG_SPACE(data.back().ByteLength());
  }
  std::vector<uint8_t> control(space, 0);
  if (space == 0) return control;
  // Each message starts CMSG_SPACE(its predecessor's length) further on, where CMSG_NXTHDR would
  // find it (musl's CMSG_NXTHDR trips -Wsign-compare); the buffer was sized from the same spaces.
  size_t offset = 0;
  for (size_t i = 0; i < items.size(); i++) {
    size_t length = data[i].ByteLength();
    auto* cmsg = reinterpret_cast<cmsghdr*>(control.data() + offset);
    cmsg->cmsg_level = items[i].level;
    cmsg->cmsg_type = items[i].type;
    cmsg->cmsg_len = CMSG_LEN(length);
    if (length > 0) std::memcpy(CMSG_DATA(cmsg), data[i].Data(), length);  // empty: Data() may be null
    offset += CMSG_SPACE(length);
  }
  return control;
}

// The received ancillary messages as [level, type, Buffer][]; a message the kernel truncated
// (MSG_CTRUNC) gives the bytes that arrived (ForEachCmsg, parse.h).
Napi::Array UnpackAncillary(Napi::Env env, msghdr* msg) {
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  if (msg->msg_controllen == 0) return out;
  ForEachCmsg(msg, [&](int level, int type, uint8_t* data, size_t length) {
#if !defined(MSG_CMSG_CLOEXEC) || !BSD_HAVE_SOCK_FLAGS
    if (level == SOL_SOCKET && type == SCM_RIGHTS) {
      for (size_t off = 0; off + sizeof(int) <= length; off += sizeof(int)) {
        int fd;
        std::memcpy(&fd, data + off, sizeof fd);
        fcntl(fd, F_SETFD, FD_CLOEXEC);
      }
    }
#endif
    Napi::Array item = Napi::Array::New(env, 3);
    item.Set(0u, Num(env, level));
    item.Set(1u, Num(env, type));
    item.Set(2u, Napi::Buffer<uint8_t>::Copy(env, data, length));
    out.Set(n++, item);
  });
  return out;
}

namespace {

// sendmsg(fd, buffers, ancdata, flags, blob | null) -> bytes sent
Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0), flags = IntArg(info, 3) | kNoSignal;
  std::vector<Napi::Value> buffers = Elements(env, info[1], "an array of Uint8Array");
  std::vector<AncillaryValue> ancillary = ReadAncillary(env, info[2]);
  SockAddr addr;
  bool hasAddress = !info[4].IsNull() && !info[4].IsUndefined();
  if (hasAddress && !ReadAddrBlob(info, 4, &addr)) return Num(env, -EINVAL);
  // Phase 2: no JavaScript runs from here on.
  std::vector<iovec> iov = Iovecs(env, buffers);
  std::vector<uint8_t> control = PackAncillary(env, ancillary);
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  msg.msg_control = control.empty() ? nullptr : control.data();
  msg.msg_controllen = control.size();
  if (hasAddress) {
    msg.msg_name = addr.get();
    msg.msg_namelen = addr.length;
  }
  ssize_t n = RetryOnEintr([&] { return sendmsg(fd, &msg, flags); });
  return Num(env, ResultOrErrno(n));
}

// Whether fd is an AF_UNIX socket, the only family that passes descriptors.
bool IsUnixSocket(int fd) {
  sockaddr_storage name{};
  socklen_t length = sizeof name;
  return getsockname(fd, reinterpret_cast<sockaddr*>(&name), &length) == 0 && name.ss_family == AF_UNIX;
}

// recvmsg(2), with received descriptors close-on-exec from the start where the system can. Some
// families (AF_PACKET) refuse MSG_CMSG_CLOEXEC with EINVAL; none but AF_UNIX can pass descriptors,
// so they are asked again without it. *added is the flag that was added.
ssize_t RecvmsgCloexec(int fd, msghdr* msg, int flags, int* added) {
  *added = 0;
#if defined(MSG_CMSG_CLOEXEC) && BSD_HAVE_SOCK_FLAGS
  *added = MSG_CMSG_CLOEXEC & ~flags;
#endif
  ssize_t n = RetryOnEintr([&] { return recvmsg(fd, msg, flags | *added); });
  if (n < 0 && errno == EINVAL && *added != 0 && !IsUnixSocket(fd)) {
    *added = 0;
    n = RetryOnEintr([&] { return recvmsg(fd, msg, flags); });
  }
  return n;
}

// recvmsg(fd, buffers, ancbufsize, flags, blob) -> -errno, or [nbytes, ancdata, msgFlags]
Napi::Value Recvmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0), flags = IntArg(info, 3);
  uint32_t ancbufsize = UintArg(info, 2);
  std::vector<Napi::Value> buffers = Elements(env, info[1], "an array of Uint8Array");
  CheckTypedArray(env, info[4], napi_uint8_array, "an address blob");
  // Phase 2: no JavaScript runs until recvmsg has returned.
  std::vector<iovec> iov = Iovecs(env, buffers);
  std::vector<uint8_t> control(ancbufsize);
  SockAddr addr;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  msg.msg_control = control.empty() ? nullptr : control.data();
  msg.msg_controllen = control.size();
  msg.msg_name = addr.get();
  msg.msg_namelen = sizeof addr.storage;
  int added = 0;
  ssize_t n = RecvmsgCloexec(fd, &msg, flags, &added);
  if (n < 0) return Num(env, -errno);
  addr.length = msg.msg_namelen;
  WriteAddrBlob(info, 4, addr);
  Napi::Array out = Napi::Array::New(env, 3);
  out.Set(0u, Num(env, static_cast<double>(n)));
  out.Set(1u, UnpackAncillary(env, &msg));
  out.Set(2u, Num(env, msg.msg_flags & ~added));
  return out;
}

#if BSD_HAVE_MMSG
// recvmmsg(fd, buffers, blobs: Buffer (count * addrBlobSize), results: Int32Array (count * 2), flags) -> count;
// results[2i] is message i's length, results[2i + 1] its msg_flags (MSG_TRUNC…).
Napi::Value Recvmmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0), flags = IntArg(info, 4);
  std::vector<Napi::Value> buffers = Elements(env, info[1], "an array of Uint8Array");
  // Phase 2: no JavaScript runs from here on.
  Napi::Uint8Array blobs = Uint8ArrayArg(info, 2);
  Napi::Int32Array results = Int32ArrayArg(info, 3);
  std::vector<iovec> iov = Iovecs(env, buffers);
  size_t count = iov.size();
  if (blobs.ByteLength() / kAddrBlobSize < count || results.ElementLength() / 2 < count) return Num(env, -EINVAL);
  // Scratch kept per thread (each worker has its own), grown to the largest batch: a receive loop
  // calls this thousands of times a second. Nothing here calls back into JavaScript.
  thread_local std::vector<mmsghdr> msgs;
  thread_local std::unique_ptr<sockaddr_storage[]> names;
  thread_local size_t capacity = 0;
  if (capacity < count) {
    msgs.resize(count);
    names.reset(new sockaddr_storage[count]);  // not zeroed: the kernel writes each name it reports
    capacity = count;
  }
  for (size_t i = 0; i < count; i++) {
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &names[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int n = RetryOnEintr([&] { return recvmmsg(fd, msgs.data(), static_cast<unsigned>(count), flags, nullptr); });
  if (n < 0) return Num(env, -errno);
  for (int i = 0; i < n; i++) {
    results[2 * static_cast<size_t>(i)] = static_cast<int32_t>(msgs[i].msg_len);
    results[2 * static_cast<size_t>(i) + 1] = msgs[i].msg_hdr.msg_flags;
    WriteBlob(blobs.Data() + i * kAddrBlobSize, kAddrBlobSize, &names[i], msgs[i].msg_hdr.msg_namelen);
  }
  return Num(env, n);
}

// sendmmsg(fd, buffers, blobs: (Buffer | null)[], flags) -> messages sent
Napi::Value Sendmmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = IntArg(info, 0), flags = IntArg(info, 3) | kNoSignal;
  std::vector<Napi::Value> buffers = Elements(env, info[1], "an array of Uint8Array");
  std::vector<Napi::Value> blobs = Elements(env, info[2], "an array of address blobs or null");
  size_t count = buffers.size();
  if (blobs.size() < count) return Num(env, -EINVAL);
  // Phase 2: no JavaScript runs from here on.
  std::vector<iovec> iov = Iovecs(env, buffers);
  std::vector<mmsghdr> msgs(count);
  std::vector<SockAddr> names(count);
  for (size_t i = 0; i < count; i++) {
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    if (blobs[i].IsNull() || blobs[i].IsUndefined()) continue;
    if (!ReadAddrBlob(env, blobs[i], &names[i])) return Num(env, -EINVAL);
    msgs[i].msg_hdr.msg_name = names[i].get();
    msgs[i].msg_hdr.msg_namelen = names[i].length;
  }
  int n = RetryOnEintr([&] { return sendmmsg(fd, msgs.data(), static_cast<unsigned>(count), flags); });
  return Num(env, ResultOrErrno(n));
}
#endif

}  // namespace

void RegisterMessages(Napi::Env env, Napi::Object exports) {
  exports.Set("sendmsg", Napi::Function::New(env, Sendmsg, "sendmsg"));
  exports.Set("recvmsg", Napi::Function::New(env, Recvmsg, "recvmsg"));
#if BSD_HAVE_MMSG
  exports.Set("recvmmsg", Napi::Function::New(env, Recvmmsg, "recvmmsg"));
  exports.Set("sendmmsg", Napi::Function::New(env, Sendmmsg, "sendmmsg"));
#endif
}

}  // namespace bsd
