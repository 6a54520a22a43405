// What the name-lookup files (resolution.cc, hosts.cc, netdb.cc) share: how a lookup failed, and
// how one "operation" (a small struct with Run() and ToJs()) runs on the calling thread (Sync) or
// on the libuv thread pool (Promise), so that the event loop never blocks on the network.
#pragma once

#include "common.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <string>
#include <utility>
#include <vector>

namespace bsd {

// How a lookup failed. At most one of gai / herr / message is set; sysErrno goes with
// EAI_SYSTEM or with a plain errno failure (gai == 0, herr == 0, message == nullptr).
struct Failure {
  int gai = 0;                     // an EAI_* code
  int sysErrno = 0;                // errno, for EAI_SYSTEM or a system error
  int herr = 0;                    // an h_errno code
  const char* message = nullptr;   // an OSError without errno, as Python raises it
  bool failed() const { return gai != 0 || sysErrno != 0 || herr != 0 || message != nullptr; }
};

// The failure as the plain object lib/input/resolve.ts reads: { gai?, errno?, herror?, message? }. A lookup
// returns its result (an array or a string) or this object, never both (LookupFailure, lib/binding/native.ts).
inline Napi::Object FailureToJs(Napi::Env env, const Failure& f) {
  Napi::Object out = Napi::Object::New(env);
  if (f.gai != 0) out.Set("gai", Num(env, f.gai));
  if (f.sysErrno != 0) out.Set("errno", Num(env, f.sysErrno));
  if (f.herr != 0) out.Set("herror", Num(env, f.herr));
  if (f.message != nullptr) out.Set("message", Napi::String::New(env, f.message));
  return out;
}

inline void SetGaiFailure(Failure* f, int code) {
  f->gai = code;
#ifdef EAI_SYSTEM
  if (code == EAI_SYSTEM) f->sysErrno = errno;
#endif
}

// Text of an IPv4 or IPv6 address (no scope), as inet_ntop gives it.
inline std::string AddressText(int family, const void* addr) {
  char text[INET6_ADDRSTRLEN] = "";
  if (inet_ntop(family, addr, text, sizeof text) == nullptr) return std::string();
  return text;
}

// An optional string argument: null/undefined gives has == false.
struct OptString {
  std::string value;
  bool has = false;
};

inline OptString OptStringArg(const Napi::CallbackInfo& info, size_t i) {
  OptString out;
  if (info[i].IsString()) {
    out.value = info[i].As<Napi::String>().Utf8Value();
    out.has = true;
  }
  return out;
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

}  // namespace bsd
