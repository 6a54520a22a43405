// The environment's ring (uring_env.h): opening it, submitting and cancelling, delivering the
// completions, and teardown. Linux only (platform.h).
#include "uring_env.h"

#if BSD_HAVE_IO_URING

namespace bsd {

int UringEnv::EnsureRing() {
  if (tearingDown_) return -EBADF;
  if (ring_.IsOpen() || openError_ != 0) return openError_;
  openError_ = OpenRing();
  return openError_;
}

io_uring_sqe* UringEnv::Entry() {
  io_uring_sqe* sqe = ring_.NextEntry();
  if (sqe == nullptr && ring_.Flush() == 0) sqe = ring_.NextEntry();
  return sqe;
}

uint64_t UringEnv::Submit(io_uring_sqe* sqe, Completer* completer) {
  uint64_t token = nextToken_++;
  sqe->user_data = token;
  tokens_[token] = completer;
  FlushUnlessDelivering();
  return token;
}

void UringEnv::Retarget(uint64_t token, Completer* completer) {
  auto it = tokens_.find(token);
  if (it != tokens_.end()) it->second = completer;
}

void UringEnv::Cancel(uint64_t token, bool poll, bool now) {
  io_uring_sqe* sqe = Entry();
  if (sqe != nullptr) {
    sqe->opcode = poll ? IORING_OP_POLL_REMOVE : IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->addr = token;
    sqe->user_data = kUntracked;
  }
  if (now) ring_.Flush();
  else FlushUnlessDelivering();
}

void UringEnv::ReapFor(Completer* completer) {
  std::vector<uring::Completion> reaped;
  ring_.Reap(reaped);
  for (const uring::Completion& c : reaped) {
    auto it = c.token == kUntracked ? tokens_.end() : tokens_.find(c.token);
    if (it == tokens_.end() || it->second != completer) {
      aside_.push_back(c);
      continue;
    }
    bool more = (c.flags & IORING_CQE_F_MORE) != 0;
    if (!more) tokens_.erase(it);
    completer->OnResult(c.token, c.res, more);
  }
  if (aside_.empty()) return;
  io_uring_sqe* sqe = Entry();  // makes the ring readable again, so that a delivery comes
  if (sqe == nullptr) return;
  sqe->opcode = IORING_OP_NOP;
  sqe->user_data = kUntracked;
  FlushUnlessDelivering();
}

void UringEnv::Hold(bool on) {
  if (handle_ == nullptr) return;
  if (on && holds_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
  if (!on && --holds_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

int UringEnv::OpenRing() {
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env_, &loop) != napi_ok || loop == nullptr) return -ENOSYS;
  int r = ring_.Open();
  if (r < 0) return r;
  auto* handle = new uv_poll_t;
  r = uv_poll_init(loop, handle, ring_.fd());
  if (r == 0) r = uv_poll_start(handle, UV_READABLE, OnRingReadable);
  if (r < 0) {
    handle->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle), FreeHandle);
    ring_.Close();
    return r <= -3000 ? -EIO : r;
  }
  handle->data = this;
  uv_unref(reinterpret_cast<uv_handle_t*>(handle));  // nothing is watched yet
  handle_ = handle;
  return 0;
}

void UringEnv::FlushUnlessDelivering() {
  if (!delivering_) ring_.Flush();
}

void UringEnv::OnRingReadable(uv_poll_t* handle, int, int) {
  auto* self = static_cast<UringEnv*>(handle->data);
  if (self != nullptr) self->Deliver();
}

// Hands every completion in the ring to its completer; false if there was none. Tokens are looked
// up one at a time: a callback may close any watcher or operation.
bool UringEnv::DeliverReaped() {
  bool any = false;
  for (;;) {
    batch_.clear();
    batch_.swap(aside_);
    ring_.Reap(batch_);
    if (batch_.empty()) return any;
    any = true;
    if (!Dispatch(batch_)) return any;
  }
}

bool UringEnv::Dispatch(const std::vector<uring::Completion>& reaped) {
  for (const uring::Completion& c : reaped) {
    if (c.token == kUntracked) continue;
    auto it = tokens_.find(c.token);
    if (it == tokens_.end()) continue;
    Completer* completer = it->second;
    bool more = (c.flags & IORING_CQE_F_MORE) != 0;
    if (!more) tokens_.erase(it);
    completer->OnResult(c.token, c.res, more);
    if (tearingDown_) return false;
  }
  return true;
}

void UringEnv::DeliverNow() {
  if (tearingDown_ || !ring_.IsOpen()) return;
  std::vector<uring::Completion> reaped;
  reaped.swap(aside_);  // what ReapFor put aside comes first, as in DeliverReaped
  ring_.Reap(reaped);
  if (!reaped.empty()) Dispatch(reaped);
}

// Delivers what the ring holds, then flushes what the callbacks queued, and again while the flush
// completed something at once (at most kRounds times).
void UringEnv::Deliver() {
  delivering_ = true;
  for (int round = 0; round < kRounds; round++) {
    bool any = DeliverReaped();
    if (tearingDown_) return;
    ring_.Flush();
    if (!any) break;
  }
  delivering_ = false;
  ring_.Flush();
}

void UringEnv::FreeHandle(uv_handle_t* handle) {
  auto* self = static_cast<UringEnv*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  if (self == nullptr) return;
  self->closing_ = false;
  self->MaybeFinish();
}

void UringEnv::MaybeFinish() {
  if (!tearingDown_ || closing_) return;
  if (asyncHook_ != nullptr) napi_remove_async_cleanup_hook(asyncHook_);
  delete this;
}

// Before the ring closes: the operations whose memory the kernel may still use are cancelled and
// their completions awaited (the kernel ends socket operations at the cancel itself), so that no
// buffer is freed under the kernel. Should the kernel not answer within kDrainMs, their memory is
// leaked rather than freed.
void UringEnv::Drain() {
  std::unordered_map<uint64_t, Completer*> inflight;
  for (const auto& entry : tokens_) {
    if (entry.second->HoldsMemory()) inflight.insert(entry);
  }
  if (inflight.empty()) return;
  for (const auto& entry : inflight) Cancel(entry.first, false, false);
  ring_.Flush();
  uint64_t deadline = uv_hrtime() + static_cast<uint64_t>(kDrainMs) * 1000000;
  while (!inflight.empty()) {
    batch_.clear();
    ring_.Reap(batch_);
    for (const uring::Completion& c : batch_) {
      auto it = inflight.find(c.token);
      if (it == inflight.end()) continue;
      Completer* completer = it->second;
      bool more = (c.flags & IORING_CQE_F_MORE) != 0;
      if (!more) {
        tokens_.erase(c.token);
        inflight.erase(it);
      }
      completer->OnResult(c.token, c.res, more);  // detached by now: only frees or closes what it may
    }
    uint64_t now = uv_hrtime();
    if (inflight.empty() || now >= deadline) break;
    if (batch_.empty() && ring_.WaitForCompletion(static_cast<long>((deadline - now) / 1000000) + 1) == -EBADF) break;
  }
  for (const auto& entry : inflight) {
    tokens_.erase(entry.first);
    entry.second->Abandon();
  }
}

// Environment teardown (a Worker's exit, or the process's): the watchers and operations still open
// are detached, the kernel made to give back operations' memory, the ring's handle closed, and the
// ring with it (the kernel cancels what is in flight). The state goes once libuv has called back.
void UringEnv::Teardown(UringEnv* self) {
  self->tearingDown_ = true;
  std::vector<Completer*> live(self->live_.begin(), self->live_.end());
  for (Completer* completer : live) completer->Detach();
  self->live_.clear();
  self->Drain();
  self->tokens_.clear();
  self->fds_.clear();
  self->acceptors_.clear();
  if (self->handle_ != nullptr) {
    self->handle_->data = self;
    self->closing_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(self->handle_), FreeHandle);  // stops polling the ring at once
    self->handle_ = nullptr;
  }
  self->ring_.Close();
  self->MaybeFinish();
}

void UringEnv::AsyncCleanup(napi_async_cleanup_hook_handle hook, void* arg) {
  auto* self = static_cast<UringEnv*>(arg);
  self->asyncHook_ = hook;
  Teardown(self);
}

UringEnv* UringSlot::Get(napi_env napiEnv) {
  if (env != nullptr || failed) return env;
  auto* state = new UringEnv(napiEnv);
  napi_async_cleanup_hook_handle hook = nullptr;
  if (napi_add_async_cleanup_hook(napiEnv, UringEnv::AsyncCleanup, state, &hook) != napi_ok) {
    delete state;
    failed = true;
    return nullptr;
  }
  env = state;
  return env;
}

}  // namespace bsd
#endif
