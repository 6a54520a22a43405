// sendmsg / recvmsg with scatter-gather buffers and ancillary data, and (Linux) the batched
// recvmmsg / sendmmsg. Ancillary data crosses as [level, type, Buffer][] in both directions.
#include "addresses.h"
#include "parse.h"
#include "platform.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <cstring>
#include <vector>

namespace bsd {
namespace {

#if BSD_HAVE_MSG_NOSIGNAL
constexpr int kNoSignal = MSG_NOSIGNAL;
#else
constexpr int kNoSignal = 0;
#endif

// Fills iov from a JS array of Uint8Arrays. The arrays stay referenced by the caller's arguments
// for the whole (synchronous) call.
bool GatherBuffers(Napi::Value value, std::vector<iovec>* iov) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  uint32_t count = array.Length();
  iov->resize(count);
  for (uint32_t i = 0; i < count; i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsTypedArray()) return false;
    Napi::Uint8Array bytes = item.As<Napi::Uint8Array>();
    (*iov)[i].iov_base = bytes.Data();
    (*iov)[i].iov_len = bytes.ByteLength();
  }
  return true;
}

// Packs [level, type, data][] into a control buffer; false if the shape is wrong.
bool PackAncillary(Napi::Value value, std::vector<uint8_t>* control) {
  control->clear();
  if (value.IsNull() || value.IsUndefined()) return true;
  if (!value.IsArray()) return false;
  Napi::Array items = value.As<Napi::Array>();
  size_t space = 0;
  for (uint32_t i = 0; i < items.Length(); i++) {
    Napi::Value item = items.Get(i);
    if (!item.IsArray()) return false;
    Napi::Value data = item.As<Napi::Array>().Get(2u);
    if (!data.IsTypedArray()) return false;
    space += CMSG_SPACE(data.As<Napi::Uint8Array>().ByteLength());
  }
  if (space == 0) return true;
  control->assign(space, 0);
  msghdr msg{};
  msg.msg_control = control->data();
  msg.msg_controllen = space;
  cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
  for (uint32_t i = 0; i < items.Length() && cmsg != nullptr; i++) {
    Napi::Array item = items.Get(i).As<Napi::Array>();
    Napi::Uint8Array data = item.Get(2u).As<Napi::Uint8Array>();
    cmsg->cmsg_level = item.Get(0u).As<Napi::Number>().Int32Value();
    cmsg->cmsg_type = item.Get(1u).As<Napi::Number>().Int32Value();
    cmsg->cmsg_len = CMSG_LEN(data.ByteLength());
    if (data.ByteLength() > 0) std::memcpy(CMSG_DATA(cmsg), data.Data(), data.ByteLength());  // empty: Data() may be null
    cmsg = CMSG_NXTHDR(&msg, cmsg);
  }
  return true;
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

// sendmsg(fd, buffers, ancdata, flags, blob | null) -> bytes sent
Napi::Value Sendmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<iovec> iov;
  std::vector<uint8_t> control;
  if (!GatherBuffers(info[1], &iov) || !PackAncillary(info[2], &control)) return Num(env, -EINVAL);
  SockAddr addr;
  bool hasAddress = info[4].IsTypedArray();
  if (hasAddress && !ReadAddrBlob(info, 4, &addr)) return Num(env, -EINVAL);
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  msg.msg_control = control.empty() ? nullptr : control.data();
  msg.msg_controllen = control.size();
  if (hasAddress) {
    msg.msg_name = addr.get();
    msg.msg_namelen = addr.length;
  }
  int fd = IntArg(info, 0), flags = IntArg(info, 3) | kNoSignal;
  ssize_t n = RetryOnEintr([&] { return sendmsg(fd, &msg, flags); });
  return Num(env, ResultOrErrno(n));
}

// recvmsg(fd, buffers, ancbufsize, flags, blob) -> -errno, or [nbytes, ancdata, msgFlags]
Napi::Value Recvmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<iovec> iov;
  if (!GatherBuffers(info[1], &iov)) return Num(env, -EINVAL);
  std::vector<uint8_t> control(UintArg(info, 2));
  SockAddr addr;
  msghdr msg{};
  msg.msg_iov = iov.data();
  msg.msg_iovlen = iov.size();
  msg.msg_control = control.empty() ? nullptr : control.data();
  msg.msg_controllen = control.size();
  msg.msg_name = addr.get();
  msg.msg_namelen = sizeof addr.storage;
  int fd = IntArg(info, 0), flags = IntArg(info, 3), added = 0;
#if defined(MSG_CMSG_CLOEXEC) && BSD_HAVE_SOCK_FLAGS
  added = MSG_CMSG_CLOEXEC & ~flags;  // received descriptors are close-on-exec from the start
#endif
  ssize_t n = RetryOnEintr([&] { return recvmsg(fd, &msg, flags | added); });
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
// recvmmsg(fd, buffers, blobs: Buffer (count * addrBlobSize), lengths: Int32Array, flags) -> count
Napi::Value Recvmmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<iovec> iov;
  if (!GatherBuffers(info[1], &iov)) return Num(env, -EINVAL);
  Napi::Uint8Array blobs = info[2].As<Napi::Uint8Array>();
  Napi::Int32Array lengths = info[3].As<Napi::Int32Array>();
  size_t count = iov.size();
  if (blobs.ByteLength() < count * kAddrBlobSize || lengths.ElementLength() < count) return Num(env, -EINVAL);
  std::vector<mmsghdr> msgs(count);
  std::vector<sockaddr_storage> names(count);
  for (size_t i = 0; i < count; i++) {
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &names[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
  }
  int fd = IntArg(info, 0), flags = IntArg(info, 4);
  int n = RetryOnEintr([&] { return recvmmsg(fd, msgs.data(), static_cast<unsigned>(count), flags, nullptr); });
  if (n < 0) return Num(env, -errno);
  for (int i = 0; i < n; i++) {
    lengths[i] = static_cast<int32_t>(msgs[i].msg_len);
    uint32_t length = msgs[i].msg_hdr.msg_namelen;
    if (length > sizeof(sockaddr_storage)) length = sizeof(sockaddr_storage);
    uint8_t* blob = blobs.Data() + i * kAddrBlobSize;
    std::memcpy(blob, &length, sizeof length);
    std::memcpy(blob + kAddrHeader, &names[i], length);
  }
  return Num(env, n);
}

// sendmmsg(fd, buffers, blobs: (Buffer | null)[], flags) -> messages sent
Napi::Value Sendmmsg(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<iovec> iov;
  if (!GatherBuffers(info[1], &iov) || !info[2].IsArray()) return Num(env, -EINVAL);
  Napi::Array blobs = info[2].As<Napi::Array>();
  size_t count = iov.size();
  if (blobs.Length() < count) return Num(env, -EINVAL);
  std::vector<mmsghdr> msgs(count);
  std::vector<SockAddr> names(count);
  for (size_t i = 0; i < count; i++) {
    msgs[i] = mmsghdr{};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    Napi::Value blob = blobs.Get(static_cast<uint32_t>(i));
    if (!blob.IsTypedArray()) continue;
    Napi::Uint8Array bytes = blob.As<Napi::Uint8Array>();
    uint32_t length;
    if (bytes.ByteLength() < kAddrBlobSize) return Num(env, -EINVAL);
    std::memcpy(&length, bytes.Data(), sizeof length);
    if (length > sizeof(sockaddr_storage)) return Num(env, -EINVAL);
    std::memcpy(&names[i].storage, bytes.Data() + kAddrHeader, length);
    msgs[i].msg_hdr.msg_name = names[i].get();
    msgs[i].msg_hdr.msg_namelen = length;
  }
  int fd = IntArg(info, 0), flags = IntArg(info, 3) | kNoSignal;
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
