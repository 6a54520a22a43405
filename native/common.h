// Shared helpers for the native modules: argument access and the errno convention.
// Every system-call wrapper returns a non-negative result or -errno; JavaScript turns -errno into
// a typed error in one place (lib/errors.ts). Native code throws only for programming errors.
#pragma once

#include <napi.h>
#include <cerrno>
#include <cstddef>
#include <cstdint>

namespace bsd {

// Retries a system call while it fails with EINTR. Never use for close().
template <typename F>
inline auto RetryOnEintr(F call) -> decltype(call()) {
  decltype(call()) r;
  do {
    r = call();
  } while (r == -1 && errno == EINTR);
  return r;
}

// -errno of the last failed call, or the result itself.
inline double ResultOrErrno(long r) { return r < 0 ? -static_cast<double>(errno) : static_cast<double>(r); }

inline Napi::Number Num(Napi::Env env, double v) { return Napi::Number::New(env, v); }

inline int32_t IntArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline uint32_t UintArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Uint32Value(); }
inline double DoubleArg(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }

// A byte range of a Uint8Array argument. The TypeScript layer has already checked that
// [offset, offset + length) lies inside the array; this re-checks so that no caller can make the
// kernel write outside it.
struct ByteRange {
  uint8_t* data = nullptr;
  size_t length = 0;
  bool ok = false;
};

inline ByteRange RangeArg(const Napi::CallbackInfo& info, size_t arrayIndex, size_t offsetIndex, size_t lengthIndex) {
  ByteRange out;
  Napi::Uint8Array array = info[arrayIndex].As<Napi::Uint8Array>();
  double offset = DoubleArg(info, offsetIndex);
  double length = DoubleArg(info, lengthIndex);
  size_t size = array.ByteLength();
  if (!(offset >= 0) || !(length >= 0) || offset > size || length > size - offset) return out;
  out.data = array.Data() + static_cast<size_t>(offset);
  out.length = static_cast<size_t>(length);
  out.ok = true;
  return out;
}

inline ByteRange WholeArg(const Napi::CallbackInfo& info, size_t i) {
  ByteRange out;
  Napi::Uint8Array array = info[i].As<Napi::Uint8Array>();
  out.data = array.Data();
  out.length = array.ByteLength();
  out.ok = true;
  return out;
}

// Registration functions, one per concern; addon.cc calls each from Init.
void RegisterErrors(Napi::Env env, Napi::Object exports);
void RegisterAddresses(Napi::Env env, Napi::Object exports);
void RegisterSockets(Napi::Env env, Napi::Object exports);
void RegisterOptions(Napi::Env env, Napi::Object exports);
void RegisterConstants(Napi::Env env, Napi::Object exports);
void RegisterWatcher(Napi::Env env, Napi::Object exports);
void RegisterSelect(Napi::Env env, Napi::Object exports);
void RegisterMessages(Napi::Env env, Napi::Object exports);
void RegisterResolution(Napi::Env env, Napi::Object exports);
void RegisterFeatures(Napi::Env env, Napi::Object exports);
void RegisterSendfile(Napi::Env env, Napi::Object exports);

}  // namespace bsd
