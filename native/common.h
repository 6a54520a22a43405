// Shared helpers for the native modules: argument access and the errno convention.
// Every system-call wrapper returns a non-negative result or -errno; JavaScript turns -errno into
// a typed error in one place (lib/binding/errors.ts). Native code throws only for programming errors.
#pragma once

// While a Worker is terminated, Node-API calls fail and no exception can be thrown: node-addon-api
// must then drop the error instead of rethrowing it into std::terminate (binding.gyp and
// CMakeLists.txt define this for every file; a build without it aborts the process).
#ifndef NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS
#error "build with NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS defined"
#endif

#include <napi.h>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <string>

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

// A wrong argument type that reaches native code (the TypeScript layer should have refused it) is
// a JavaScript TypeError with Node's code, never a crash: node-addon-api turns the C++ exception
// into a JS one when the callback returns. Nothing here runs user code (no getters, no valueOf).
[[noreturn]] inline void ThrowArgType(Napi::Env env, const char* expected) {
  Napi::TypeError error = Napi::TypeError::New(env, std::string("bsd-sockets native: expected ") + expected);
  error.Set("code", "ERR_INVALID_ARG_TYPE");
  throw error;
}

inline Napi::Number NumberArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsNumber()) ThrowArgType(info.Env(), "a number");
  return info[i].As<Napi::Number>();
}

inline int32_t IntArg(const Napi::CallbackInfo& info, size_t i) { return NumberArg(info, i).Int32Value(); }
inline uint32_t UintArg(const Napi::CallbackInfo& info, size_t i) { return NumberArg(info, i).Uint32Value(); }
inline double DoubleArg(const Napi::CallbackInfo& info, size_t i) { return NumberArg(info, i).DoubleValue(); }

// A typed array of exactly one element type (a Uint16Array is no Int32Array: its element count
// would be taken for int32s). The wrapper reads the data pointer and length when it is made: make
// it only after every argument that could run user code has been read.
inline void CheckTypedArray(Napi::Env env, Napi::Value value, napi_typedarray_type type, const char* expected) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != type) ThrowArgType(env, expected);
}

inline Napi::Uint8Array Uint8ArrayOf(Napi::Env env, Napi::Value value) {
  CheckTypedArray(env, value, napi_uint8_array, "a Uint8Array");
  return value.As<Napi::Uint8Array>();
}

inline Napi::Uint8Array Uint8ArrayArg(const Napi::CallbackInfo& info, size_t i) { return Uint8ArrayOf(info.Env(), info[i]); }

inline Napi::Int32Array Int32ArrayArg(const Napi::CallbackInfo& info, size_t i) {
  CheckTypedArray(info.Env(), info[i], napi_int32_array, "an Int32Array");
  return info[i].As<Napi::Int32Array>();
}

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
  double offset = DoubleArg(info, offsetIndex);
  double length = DoubleArg(info, lengthIndex);
  Napi::Uint8Array array = Uint8ArrayArg(info, arrayIndex);
  size_t size = array.ByteLength();
  if (!(offset >= 0) || !(length >= 0) || offset > size || length > size - offset) return out;
  out.data = array.Data() + static_cast<size_t>(offset);
  out.length = static_cast<size_t>(length);
  out.ok = true;
  return out;
}

inline ByteRange WholeArg(const Napi::CallbackInfo& info, size_t i) {
  ByteRange out;
  Napi::Uint8Array array = Uint8ArrayArg(info, i);
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
void RegisterPollThread(Napi::Env env, Napi::Object exports);
void RegisterUring(Napi::Env env, Napi::Object exports);
void RegisterSelect(Napi::Env env, Napi::Object exports);
void RegisterMessages(Napi::Env env, Napi::Object exports);
void RegisterResolution(Napi::Env env, Napi::Object exports);
void RegisterHosts(Napi::Env env, Napi::Object exports);
void RegisterNetdb(Napi::Env env, Napi::Object exports);
void RegisterInet(Napi::Env env, Napi::Object exports);
void RegisterInterfaces(Napi::Env env, Napi::Object exports);
void RegisterCmsg(Napi::Env env, Napi::Object exports);
void RegisterFeatures(Napi::Env env, Napi::Object exports);
void RegisterSendfile(Napi::Env env, Napi::Object exports);
void RegisterEpoll(Napi::Env env, Napi::Object exports);
void RegisterKqueue(Napi::Env env, Napi::Object exports);

}  // namespace bsd
