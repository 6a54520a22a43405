// libFuzzer harness for the address parsing of native/parse.h: IPv4/IPv6 host literals (with
// %scope), Unix path packing and unpacking, and the address-blob reader. The first input byte
// picks the parser, the rest is its input, copied to a heap block of exactly that size so that
// AddressSanitizer sees any read past it. Build and run: scripts/ci-fuzz.sh, fuzz/README.md.
#include "../native/parse.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>

namespace {

[[noreturn]] void Fail(const char* what) {
  std::fprintf(stderr, "address_fuzzer: %s\n", what);
  std::abort();
}

// Reads every byte of [p, p + n) so that the sanitizer checks the range.
unsigned Touch(const uint8_t* p, size_t n) {
  unsigned sum = 0;
  for (size_t i = 0; i < n; i++) sum += p[i];
  return sum;
}

void Inet(const std::string& text) {
  in_addr a{};
  if (!bsd::ParseInetHost(text, &a)) return;
  if (text.empty() || text == "<broadcast>") return;
  // A literal that parses prints back to a literal that parses to the same address.
  char out[INET_ADDRSTRLEN];
  if (inet_ntop(AF_INET, &a, out, sizeof out) == nullptr) Fail("inet_ntop failed on a parsed IPv4 address");
  in_addr b{};
  if (!bsd::ParseInetHost(out, &b) || a.s_addr != b.s_addr) Fail("IPv4 round trip differs");
}

void Inet6(const std::string& text) {
  sockaddr_in6 a{};
  if (!bsd::ParseInet6Host(text, &a)) return;
  if (text.find('%') == std::string::npos && a.sin6_scope_id != 0) Fail("scope set without %");
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &a.sin6_addr, out, sizeof out) == nullptr) Fail("inet_ntop failed on a parsed IPv6 address");
  sockaddr_in6 b{};
  if (!bsd::ParseInet6Host(out, &b) || std::memcmp(&a.sin6_addr, &b.sin6_addr, sizeof a.sin6_addr) != 0) {
    Fail("IPv6 round trip differs");
  }
}

void Unix(const uint8_t* data, size_t size) {
  sockaddr_storage storage{};
  socklen_t length = 0;
  int r = bsd::PackUnixPath(data, size, &storage, &length);
  auto* sun = reinterpret_cast<sockaddr_un*>(&storage);
  if (size > sizeof(sun->sun_path)) {
    if (r != -ENAMETOOLONG) Fail("an over-long Unix path was packed");
    return;
  }
  if (r != 0) Fail("a Unix path that fits was refused");
  if (length > sizeof(sockaddr_un) || length < offsetof(sockaddr_un, sun_path)) Fail("packed length out of range");
  bool abstractName = false;
  size_t n = bsd::UnixNameLength(sun, length, &abstractName);
  if (n > sizeof(sun->sun_path)) Fail("unpacked name longer than sun_path");
  if (size == 0 && n != 0) Fail("the empty path unpacked as a name");
  if (abstractName) {
    if (n != size || std::memcmp(sun->sun_path, data, n) != 0) Fail("abstract name round trip differs");
  } else if (size > 0) {
    size_t expect = strnlen(reinterpret_cast<const char*>(data), size);
    if (n != expect || std::memcmp(sun->sun_path, data, n) != 0) Fail("path round trip differs");
  }
}

void UnixUnpack(const uint8_t* data, size_t size) {
  // An arbitrary sockaddr_un of arbitrary claimed length, as getsockname or recvfrom might fill.
  if (size < 2) return;
  size_t claimed = (static_cast<size_t>(data[0]) << 8 | data[1]) % (sizeof(sockaddr_storage) + 64);
  sockaddr_storage storage{};
  std::memcpy(&storage, data + 2, std::min(size - 2, sizeof storage));
  auto* sun = reinterpret_cast<sockaddr_un*>(&storage);
  bool abstractName = false;
  size_t n = bsd::UnixNameLength(sun, claimed, &abstractName);
  if (n > sizeof(sun->sun_path)) Fail("name longer than sun_path");
  Touch(reinterpret_cast<const uint8_t*>(sun->sun_path), n);
}

void Blob(const uint8_t* data, size_t size) {
  sockaddr_storage out;
  socklen_t length = 0;
  if (!bsd::ReadBlob(data, size, &out, &length)) return;
  if (length > sizeof(sockaddr_storage)) Fail("blob length out of range");
  if (size < bsd::kBlobHeader + sizeof(sockaddr_storage)) Fail("short blob accepted");
  Touch(reinterpret_cast<const uint8_t*>(&out), length);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* input, size_t size) {
  if (size == 0) return 0;
  uint8_t mode = input[0];
  size--;
  std::unique_ptr<uint8_t[]> copy(new uint8_t[size ? size : 1]);
  if (size) std::memcpy(copy.get(), input + 1, size);
  const uint8_t* data = size ? copy.get() : nullptr;
  std::string text(reinterpret_cast<const char*>(copy.get()), size);
  switch (mode % 6) {
    case 0: Inet(text); break;
    case 1: Inet6(text); break;
    case 2: Unix(data, size); break;
    case 3: UnixUnpack(copy.get(), size); break;
    case 4: Blob(data, size); break;
    case 5: {
      // A blob padded to the full size, so that the length field is what varies.
      std::unique_ptr<uint8_t[]> blob(new uint8_t[bsd::kBlobHeader + sizeof(sockaddr_storage)]());
      std::memcpy(blob.get(), copy.get(), std::min(size, bsd::kBlobHeader + sizeof(sockaddr_storage)));
      Blob(blob.get(), bsd::kBlobHeader + sizeof(sockaddr_storage));
      break;
    }
  }
  return 0;
}
