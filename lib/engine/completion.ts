// Completion-based operations on the thread's io_uring (native/uring_ops.cc), a part of the engine
// (wait.ts runs them in the direction's turn, as it runs a try and a wait for readiness). With the
// uring backend and its socket operations on (readiness.ts's `ringOps`), the Promise forms of
// recv, recvInto, send and sendall on a stream socket and the datagram calls are one submission each (and accept waits for
// the listener's accept queue, which a multishot accept fills: native/uring_accept.h): the ring batches
// the submissions of a loop turn into one io_uring_enter and hands back the completions when its
// descriptor is readable, so a request costs no system call of its own.
//
// The kernel never sees the caller's buffer: a receive lands in the op's own memory and is copied
// into the caller's view at the completion, once views.ts has checked that the view is still
// attached and large enough; a send is copied out of the caller's view when it is submitted (the
// RingWork of each call is its builder's: receives.ts, attempts.ts). A
// deadline, an abort or close() cancels the submission (IORING_OP_ASYNC_CANCEL) and settles the
// operation with its error only when the kernel confirms the cancel: a completion that beat the
// cancel keeps its result, so nothing received is lost and a send that happened is reported.
import { native, type NativeUringOp } from '../binding/native';
import { E, abortReason, closedError, socketError, timeoutError } from '../binding/errors';
import { LongTimer, NO_WAIT, now } from './deadline';
import { hungUp } from './readiness';

const ECANCELED = E.ECANCELED;
const EAGAIN = E.EAGAIN;

/** What an operation does on the ring. */
export interface RingWork {
  /**
   * Whether the engine tries the operation's own system call first, as for readiness (a receive:
   * data already there goes straight into the caller's buffer, in the caller's tick), and submits
   * only once it would wait; otherwise it submits at once (a send in a batch of completions, to
   * go to the kernel with the others).
   */
  readonly tries: () => boolean;
  /** Submits the operation (or, after a short send, its rest): ≥ 0, or -errno when nothing was submitted. */
  submit(ring: NativeUringOp): number;
  /**
   * A completion's count → the operation's result, or undefined when the rest is still to be
   * submitted (sendall). May throw (a view detached while the operation was in flight).
   */
  complete(ring: NativeUringOp, count: number): number | undefined;
}

/** What the engine's Op says of a ring operation. */
export interface RingCall {
  readonly syscall: string;
  readonly deadline: number;
  readonly signal?: AbortSignal;
  readonly address?: unknown;
  /** The end-of-input rule (wait.ts's EndOfInput), for an operation that has one. */
  readonly atEnd?: number;
  readonly ring?: RingWork;
}

/**
 * The ring operation that holds a direction's turn: one per socket and direction, reused (the turn
 * lets one operation run at a time), with its native UringOp made on first use.
 */
export class Completing {
  private call?: RingCall;
  private work?: RingWork;
  private ring?: NativeUringOp;
  private ringFd = -1;
  /** Whether the native op holds the loop while in flight (its default). */
  private refd = true;
  private releases = true;
  private finish?: (result: number) => unknown;
  private resolve?: (value: unknown) => void;
  private reject?: (error: unknown) => void;
  private timer?: LongTimer;
  /** Why the operation was cancelled: its error once the kernel confirms. */
  private reason?: unknown;
  private readonly onAbort = (): void => this.cancel(abortReason(this.call!.signal!));
  private readonly onComplete = (res: number): void => this.completed(res);

  private readonly settleWith = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    this.resolve = resolve;
    this.reject = reject;
  };

  constructor(private readonly turn: { release(): void }) {}

  /**
   * Submits `call`'s ring work on `fd` in the turn held, released when it settles if `releases`.
   * Undefined when the ring does not take it (no ring work, non-blocking, or the submission
   * refused): the engine then tries and waits for readiness instead.
   */
  start(call: RingCall, fd: number, ref: boolean, releases: boolean, finish?: (result: number) => unknown): Promise<unknown> | undefined {
    const work = call.ring;
    if (work === undefined || call.deadline === NO_WAIT) return undefined;
    const ring = this.ringOf(fd);
    if (ring === undefined) return undefined;
    let r: number;
    try {
      r = work.submit(ring);
    } catch (error) {
      if (releases) this.turn.release();
      return Promise.reject(error);
    }
    if (r < 0) return undefined;
    this.call = call;
    this.work = work;
    this.releases = releases;
    this.finish = finish;
    this.reason = undefined;
    if (ref !== this.refd) {
      if (ref) ring.ref();
      else ring.unref();
      this.refd = ref;
    }
    const promise = new Promise<unknown>(this.settleWith);
    if (call.deadline !== Infinity) {
      this.timer = new LongTimer(() => this.cancel(timeoutError(call.syscall, call.address)), Math.max(0, call.deadline - now()), ref);
    }
    call.signal?.addEventListener('abort', this.onAbort, { once: true });
    return promise;
  }

  /** close(): the operation in flight, if any, is cancelled and settles with `makeError()` unless the kernel was first. */
  close(makeError: () => unknown): void {
    if (this.resolve !== undefined) this.cancel(makeError());
  }

  private ringOf(fd: number): NativeUringOp | undefined {
    if (this.ring !== undefined && this.ringFd === fd) return this.ring;
    const handle = native.handleOf(fd);
    if (handle === undefined || native.UringOp === undefined) return undefined;
    this.ring = new native.UringOp(handle, this.onComplete);
    this.ringFd = fd;
    this.refd = true;
    return this.ring;
  }

  private cancel(error: unknown): void {
    if (this.resolve === undefined || this.reason !== undefined) return;
    this.reason = error;
    this.timer?.clear();
    this.timer = undefined;
    if (this.ring!.cancel()) this.completed(-ECANCELED);  // an accept waiting for its queue: nothing in the kernel to wait for
  }

  private completed(res: number): void {
    const { call, work, ring } = this;
    if (call === undefined || work === undefined || ring === undefined) return;
    if (res === -ECANCELED) {
      this.settle(this.reason ?? closedError(call.syscall));
      return;
    }
    if (res === -EAGAIN && call.atEnd !== undefined && hungUp(this.ringFd)) {
      // The kernel's retry after the wake-up said EAGAIN: a socket shut for reading (a Unix
      // datagram socket), where the blocking call gives what the end-of-input rule says.
      if (call.atEnd >= 0) this.settle(undefined, call.atEnd);
      else this.settle(socketError(-call.atEnd, call.syscall, call.address));
      return;
    }
    let r: number | undefined;
    try {
      r = res < 0 ? res : work.complete(ring, res);
      if (r === undefined) {
        if (this.reason !== undefined) {  // cancelled between two parts of a sendall
          this.settle(this.reason);
          return;
        }
        r = work.submit(ring);
        if (r >= 0) return;  // the rest is in flight
      }
    } catch (error) {
      this.settle(error);
      return;
    }
    if (r < 0) this.settle(socketError(-r, call.syscall, call.address));
    else this.settle(undefined, r);
  }

  private settle(error: unknown, result = 0): void {
    const { resolve, reject, finish, call } = this;
    if (resolve === undefined) return;
    this.timer?.clear();
    call?.signal?.removeEventListener('abort', this.onAbort);
    this.resolve = this.reject = this.finish = this.timer = this.call = this.work = undefined;
    this.reason = undefined;
    if (this.releases) this.turn.release();
    settlePromise(resolve, reject!, error, result, finish);
  }
}

/** Settles an operation's Promise: rejects with `error`, or resolves with `finish(result)` (or `result`). */
export function settlePromise(resolve: (value: unknown) => void, reject: (error: unknown) => void, error: unknown, result: number,
  finish?: (result: number) => unknown): void {
  if (error !== undefined) {
    reject(error);
    return;
  }
  if (finish === undefined) {
    resolve(result);
    return;
  }
  try {
    resolve(finish(result));
  } catch (failure) {
    reject(failure);
  }
}
