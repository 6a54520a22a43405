// The pure parsing at the edges of the addon, with no Node-API in sight, so that it can be fuzzed
// on its own (fuzz/): host literals, Unix paths, address blobs and received ancillary data. Every
// function takes plain bytes and sizes and never reads or writes outside what it is given.
#pragma once

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace bsd {

// An IPv4 host for packInet: '' is INADDR_ANY, '<broadcast>' INADDR_BROADCAST, else a dotted
// literal. False if it is none of these (a name, to be resolved first).
inline bool ParseInetHost(const std::string& host, in_addr* out) {
  if (host.empty()) {
    out->s_addr = htonl(INADDR_ANY);
    return true;
  }
  if (host == "<broadcast>") {
    out->s_addr = htonl(INADDR_BROADCAST);
    return true;
  }
  if (host.find('\0') != std::string::npos) return false;
  return inet_pton(AF_INET, host.c_str(), out) == 1;
}

// Parses "addr" or "addr%scope" into sin6; the scope may be an interface name or number. A string
// with an embedded NUL is refused (inet_pton and if_nametoindex would stop at it).
inline bool ParseInet6Host(const std::string& text, sockaddr_in6* sin6) {
  if (text.find('\0') != std::string::npos) return false;
  std::string host = text;
  size_t percent = text.find('%');
  if (percent != std::string::npos) {
    host = text.substr(0, percent);
    std::string scope = text.substr(percent + 1);
    if (scope.empty()) return false;
    char* end = nullptr;
    errno = 0;
    unsigned long index = std::strtoul(scope.c_str(), &end, 10);
    bool numeric = *end == '\0' && scope[0] >= '0' && scope[0] <= '9';
    if (numeric && (errno == ERANGE || index > 0xffffffffUL)) return false;
    if (!numeric) index = scope.size() < IF_NAMESIZE ? if_nametoindex(scope.c_str()) : 0;
    if (index == 0) return false;
    sin6->sin6_scope_id = static_cast<uint32_t>(index);
  }
  if (host.empty()) return false;
  return inet_pton(AF_INET6, host.c_str(), &sin6->sin6_addr) == 1;
}

// Packs a Unix path (or, Linux, an abstract name starting with NUL) into storage: 0, or
// -ENAMETOOLONG if it does not fit sun_path. An empty path packs just the family (autobind).
inline int PackUnixPath(const uint8_t* path, size_t length, sockaddr_storage* storage, socklen_t* outLength) {
  auto* sun = reinterpret_cast<sockaddr_un*>(storage);
  if (length > sizeof(sun->sun_path)) return -ENAMETOOLONG;
  sun->sun_family = AF_UNIX;
  if (length > 0) std::memcpy(sun->sun_path, path, length);
  socklen_t total = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + length);
  bool abstractName = length > 0 && path[0] == 0;
  if (!abstractName && length > 0 && length < sizeof(sun->sun_path)) {
    sun->sun_path[length] = '\0';
    total += 1;  // the NUL
  }
  *outLength = total;
  return 0;
}

// The name part of a Unix address of `length` bytes: where it starts and how long it is (0 for an
// unnamed socket), clamped to sun_path; *abstractName tells a Linux abstract name (leading NUL,
// every byte counts) from a path (ends at the first NUL).
inline size_t UnixNameLength(const sockaddr_un* sun, size_t length, bool* abstractName) {
  *abstractName = false;
  size_t offset = offsetof(sockaddr_un, sun_path);
  if (length <= offset) return 0;
  size_t pathLength = length - offset;
  if (pathLength > sizeof(sun->sun_path)) pathLength = sizeof(sun->sun_path);
  if (sun->sun_path[0] == '\0') {
    *abstractName = true;
    return pathLength;
  }
  return strnlen(sun->sun_path, pathLength);
}

// An "address blob" (see addresses.h): a uint32 length in host order, then a sockaddr. Reads the
// blob of `size` bytes at `blob`; false unless it holds the header and `length` bytes after it
// and the length fits a sockaddr_storage.
constexpr size_t kBlobHeader = 4;

inline bool ReadBlob(const uint8_t* blob, size_t size, sockaddr_storage* out, socklen_t* outLength) {
  if (blob == nullptr || size < kBlobHeader + sizeof(sockaddr_storage)) return false;
  uint32_t length;
  std::memcpy(&length, blob, sizeof length);
  if (length > sizeof(sockaddr_storage)) return false;
  std::memcpy(out, blob + kBlobHeader, length);
  *outLength = static_cast<socklen_t>(length);
  return true;
}

// Writes a sockaddr of `length` bytes (clamped to a sockaddr_storage) as a blob into the `size`
// bytes at `blob`; false (nothing written) if they cannot hold a whole blob.
inline bool WriteBlob(uint8_t* blob, size_t size, const sockaddr_storage* addr, socklen_t length) {
  if (blob == nullptr || size < kBlobHeader + sizeof(sockaddr_storage)) return false;
  uint32_t stored = length > sizeof(sockaddr_storage) ? sizeof(sockaddr_storage) : static_cast<uint32_t>(length);
  std::memcpy(blob, &stored, sizeof stored);
  std::memcpy(blob + kBlobHeader, addr, stored);
  return true;
}

// CMSG_ALIGN(length), which glibc and musl define and macOS does not: the alignment unit is what
// CMSG_SPACE adds after the aligned header for one byte of data.
inline size_t CmsgAlign(size_t length) {
  const size_t unit = CMSG_SPACE(1) - CMSG_LEN(0);
  return (length + unit - 1) & ~(unit - 1);
}

// Walks the control buffer of a received message and calls yield(level, type, data, length) for
// each ancillary message. It trusts no length in the buffer: a message that claims more data than
// the buffer holds (the kernel truncated it: MSG_CTRUNC) gives only the bytes present, a malformed
// header ends the walk, and nothing outside [msg_control, msg_control + msg_controllen) is read.
template <typename F>
void ForEachCmsg(const msghdr* msg, F&& yield) {
  if (msg->msg_control == nullptr) return;
  auto* base = static_cast<uint8_t*>(msg->msg_control);
  const size_t total = msg->msg_controllen;
  const size_t headerSize = CMSG_LEN(0);  // the header, aligned: where CMSG_DATA starts
  size_t offset = 0;
  while (total - offset >= sizeof(cmsghdr)) {
    cmsghdr header;
    std::memcpy(&header, base + offset, sizeof header);  // the buffer may be unaligned
    size_t claimed = header.cmsg_len > headerSize ? header.cmsg_len - headerSize : 0;
    size_t dataOffset = offset + headerSize;
    size_t present = total > dataOffset ? total - dataOffset : 0;
    size_t length = claimed <= present ? claimed : present;  // truncated
    yield(header.cmsg_level, header.cmsg_type, base + (dataOffset <= total ? dataOffset : total), length);
    if (header.cmsg_len < sizeof(cmsghdr)) break;  // malformed: no way to find the next one
    size_t step = CmsgAlign(static_cast<size_t>(header.cmsg_len));
    if (step < header.cmsg_len || step > total - offset) break;  // overflow, or the last one
    offset += step;
  }
}

}  // namespace bsd
