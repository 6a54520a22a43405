// Socket addresses cross between JavaScript and native code as an "address blob": a Buffer of
// kAddrBlobSize bytes holding a uint32 length (host order) and then a sockaddr_storage. Packing
// and unpacking happen in addresses.cc only; system-call wrappers just read or fill blobs.
#pragma once

#include "common.h"
#include "parse.h"
#include <sys/socket.h>

namespace bsd {

constexpr size_t kAddrHeader = kBlobHeader;  // parse.h reads and writes the bytes
constexpr size_t kAddrBlobSize = kAddrHeader + sizeof(sockaddr_storage);

// A sockaddr copied out of (or to be copied into) a blob, properly aligned.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t length = 0;
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
};

// Reads the blob argument at index i; false if it is not a well-formed blob.
bool ReadAddrBlob(const Napi::CallbackInfo& info, size_t i, SockAddr* out);
// Reads a blob given as a value (an element of an array); a value that is no Uint8Array is a
// TypeError, a malformed blob gives false.
bool ReadAddrBlob(Napi::Env env, Napi::Value value, SockAddr* out);
// Writes addr into the blob argument at index i (no-op if the argument is not a blob).
void WriteAddrBlob(const Napi::CallbackInfo& info, size_t i, const SockAddr& addr);
// A new blob Buffer holding addr.
Napi::Buffer<uint8_t> NewAddrBlob(Napi::Env env, const SockAddr& addr);

}  // namespace bsd
