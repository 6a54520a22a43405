// Time for every wait: one clock, one deadline representation, one timer that takes any delay.
// A deadline is a performance.now() time in milliseconds, fixed when a call is made; Infinity waits
// as long as it takes, NO_WAIT never waits (non-blocking mode, MSG_DONTWAIT).
import { native } from '../binding/native';

const MSG_DONTWAIT = native.constants.MSG_DONTWAIT ?? 0;
const MSG_ERRQUEUE = native.constants.MSG_ERRQUEUE ?? 0;  // the kernel never waits for the error queue

/** A deadline that says "never wait": the call fails with EAGAIN rather than wait. */
export const NO_WAIT = -Infinity;

/** setTimeout() and poll() take at most this many milliseconds; longer waits are re-armed. */
export const MAX_TIMER_MS = 0x7fffffff;

export function now(): number {
  return performance.now();
}

/**
 * The deadline of a call made now with `timeout` (Python's: seconds, null for none, 0 for
 * non-blocking) and the caller's flags: Infinity, NO_WAIT or a time.
 */
export function deadlineOf(timeout: number | null, userFlags = 0): number {
  if (timeout === 0 || (userFlags & (MSG_DONTWAIT | MSG_ERRQUEUE)) !== 0) return NO_WAIT;
  return timeout === null ? Infinity : now() + timeout * 1000;
}

/** The deadline of a wait of `timeoutMs` milliseconds from now (select's, poll's): negative waits as long as it takes. */
export function deadlineInMs(timeoutMs: number): number {
  return timeoutMs < 0 ? Infinity : now() + timeoutMs;
}

/**
 * Whole milliseconds left before `deadline`, for poll(): -1 for none, 0 once passed or for NO_WAIT.
 * Rounded up, as CPython rounds a wait's timeout: any time left waits at least 1 ms (a 1 ns timeout
 * still sees a loopback connect refused).
 */
export function msLeft(deadline: number): number {
  return deadline === Infinity ? -1 : Math.max(0, Math.ceil(deadline - now()));
}

/** Whether a deadline is a time (timeout mode), neither "forever" nor "never". */
export function isTimed(deadline: number): boolean {
  return Number.isFinite(deadline);
}

/** A timer for any delay: clamped to what setTimeout takes, re-armed until the deadline. */
export class LongTimer {
  private handle: NodeJS.Timeout;
  private readonly deadline: number;

  constructor(private readonly fire: () => void, delayMs: number, private readonly ref = true) {
    this.deadline = now() + delayMs;
    this.handle = this.arm(delayMs);
  }

  clear(): void {
    clearTimeout(this.handle);
  }

  private arm(delayMs: number): NodeJS.Timeout {
    const clamped = delayMs > MAX_TIMER_MS;
    const handle = setTimeout(() => {
      if (clamped) this.handle = this.arm(this.deadline - now());
      else this.fire();
    }, clamped ? MAX_TIMER_MS : delayMs);
    if (!this.ref) handle.unref();
    return handle;
  }
}
