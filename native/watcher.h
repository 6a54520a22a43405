// What the two readiness backends share: the JavaScript side of a watcher (watcher.cc, on libuv's
// loop; pollthread.cc, on the addon's own poll thread).
#pragma once

#include "common.h"

namespace bsd {

// A watcher's onReady callback and the async context it runs in.
class ReadyCallback {
 public:
  void Init(Napi::Env env, Napi::Function onReady) {
    onReady_ = Napi::Persistent(onReady);
    napi_async_init(env, Napi::Object::New(env), Napi::String::New(env, "BsdSocketsWatcher"), &context_);
  }

  bool Empty() const { return onReady_.IsEmpty(); }

  // Calls onReady(revents) with `self` as receiver, as Node calls its own I/O callbacks
  // (napi_make_callback: the async context is entered, and nextTicks and microtasks run when the
  // callback returns). A callback that throws makes an uncaught exception.
  void Call(Napi::Env env, Napi::Object self, int revents) {
    if (onReady_.IsEmpty()) return;
    Napi::HandleScope scope(env);
    try {
      Napi::Function callback = onReady_.Value();
      napi_value argv[] = {Napi::Number::New(env, revents)};
      napi_value result;
      dispatching_ = true;
      napi_status status = napi_make_callback(env, context_, self, callback, 1, argv, &result);
      dispatching_ = false;
      if (status != napi_ok) ReportException(env);
    } catch (const Napi::Error& e) {
      dispatching_ = false;
      napi_fatal_exception(env, e.Value());
    } catch (...) {
      dispatching_ = false;  // nothing else is expected; never unwind into the event loop
    }
    if (onReady_.IsEmpty()) DestroyContext(env);  // reset by the callback
  }

  // Drops the callback (its closure usually holds the watcher) and the context; inside Call the
  // context goes once the callback has returned.
  void Reset(Napi::Env env) {
    onReady_.Reset();
    DestroyContext(env);
  }

 private:
  void DestroyContext(Napi::Env env) {
    if (context_ == nullptr || dispatching_) return;
    napi_async_destroy(env, context_);
    context_ = nullptr;
  }

  static void ReportException(Napi::Env env) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) != napi_ok || !pending) return;
    napi_value error;
    if (napi_get_and_clear_last_exception(env, &error) == napi_ok) napi_fatal_exception(env, error);
  }

  Napi::FunctionReference onReady_;
  napi_async_context context_ = nullptr;
  bool dispatching_ = false;  // inside onReady: the async context is in use
};

}  // namespace bsd
