// What messages.cc shares with the ring's sendmsg/recvmsg (uring_ops.cc): ancillary data read from
// JavaScript and packed into a control buffer, and a received control buffer unpacked.
#pragma once

#include "common.h"

#include <sys/socket.h>
#include <vector>

namespace bsd {

// One ancillary message as read in phase 1: [level, type, data].
struct AncillaryValue {
  int level = 0, type = 0;
  Napi::Value data;
};

// Phase 1: the elements of a JS array, each read once.
std::vector<Napi::Value> Elements(Napi::Env env, Napi::Value value, const char* expected);
// Phase 1: [level, type, data][] (null or undefined: none).
std::vector<AncillaryValue> ReadAncillary(Napi::Env env, Napi::Value value);
// Phase 2: the messages packed into a control buffer.
std::vector<uint8_t> PackAncillary(Napi::Env env, const std::vector<AncillaryValue>& items);
// The received ancillary messages as [level, type, Buffer][].
Napi::Array UnpackAncillary(Napi::Env env, msghdr* msg);

}  // namespace bsd
