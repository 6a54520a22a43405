// What the poll thread's and the ring's readiness watchers share (pollthread.cc, uring.cc): made
// from (fd | FdHandle, onReady) and bound to the descriptor's FdHandle, kept on their
// environment's live list, ref()/unref() as a hold on the environment's loop while armed,
// close(), and the JavaScript callback. `Self` says when it is armed (`Armed()`) and how it stops
// (`Shut()`); `State`, the environment, has AddLive, RemoveLive and Hold.
#pragma once

#include "common.h"
#include "handle.h"
#include "watcher.h"

namespace bsd {

template <typename Self, typename State>
class HeldWatcher : public Napi::ObjectWrap<Self>, public BoundWatcher {
 public:
  // The JavaScript constructor's checks; `usage` is the TypeError's message. Self's constructor
  // puts it on the environment's live list and its destructor takes it off: here, in the base's,
  // `this` is not yet (or no longer) a Self.
  HeldWatcher(const Napi::CallbackInfo& info, State* state, const char* usage) : Napi::ObjectWrap<Self>(info) {
    if (!info[1].IsFunction()) throw Napi::TypeError::New(info.Env(), usage);
    fd_ = BindTo(info[0]);
    state_ = state;
    onReady_.Init(info.Env(), info[1].As<Napi::Function>());
  }

  // The FdHandle bound to this watcher is about to close or give up its descriptor.
  void StopWatching() override { self()->Shut(); }

 protected:
  void Ref(const Napi::CallbackInfo&) {
    refd_ = true;
    UpdateHold();
  }

  void Unref(const Napi::CallbackInfo&) {
    refd_ = false;
    UpdateHold();
  }

  void Close(const Napi::CallbackInfo&) { self()->Shut(); }

  void UpdateHold() {
    bool hold = state_ != nullptr && self()->Armed() && events_ != 0 && refd_;
    if (hold == holding_) return;
    holding_ = hold;
    if (state_ != nullptr) state_->Hold(hold);
  }

  void Dispatch(int revents) {
    if (onReady_.Empty()) return;
    Napi::HandleScope scope(this->Env());
    Napi::Object self = this->Value();  // keeps this object alive during the call
    onReady_.Call(this->Env(), self, revents);
  }

  State* state_ = nullptr;
  int fd_ = -1;
  int events_ = 0;         // POLL* bits that start() last asked for
  bool refd_ = true;
  bool holding_ = false;  // counted in State::Hold
  bool closed_ = false;
  ReadyCallback onReady_;

 private:
  Self* self() { return static_cast<Self*>(this); }
};

}  // namespace bsd
