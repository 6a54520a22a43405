// Waiting, for every operation of a Socket that may wait: a deadline per call, fixed when the
// call is made; a turn per direction, so that the Promise operations of one direction run in the
// order they were called (a FIFO, O(1) per operation); and the retry loop — try the non-blocking
// system call, on EAGAIN wait for readiness, try again — on the event loop (run) and on the thread
// (runSync). Readiness on the event loop is readiness.ts's; this module knows nothing of Socket.
import { native } from './native';
import { EAGAIN, EINPROGRESS, TimeoutError, socketError, timeoutError } from './errors';
import { waitFor, type WaitOptions } from './readiness';

const MSG_DONTWAIT = native.constants.MSG_DONTWAIT ?? 0;
const MSG_ERRQUEUE = native.constants.MSG_ERRQUEUE ?? 0;  // the kernel never waits for the error queue
const { POLLIN, POLLHUP } = native.constants;
const RDHUP = native.constants.POLLRDHUP ?? 0;

/**
 * Readable but EAGAIN after a wake-up: a Unix datagram socket shut for reading polls readable with
 * nothing to read. The kernel's blocking call returns 0 bytes there; so does ours, instead of spinning.
 */
function endOfInput(fd: number, events: number): boolean {
  return events === POLLIN && (native.waitFd(fd, POLLIN | RDHUP, 0) & (RDHUP | POLLHUP)) !== 0;
}

function now(): number {
  return performance.now();
}

/** A deadline that says "never wait": non-blocking mode, or MSG_DONTWAIT in the caller's flags. */
export const NO_WAIT = -1;
/** setTimeout() and poll() take at most this many milliseconds; longer waits are re-armed. */
const MAX_TIMER_MS = 0x7fffffff;

/**
 * The deadline of one call, fixed when the call is made: performance.now() milliseconds,
 * Infinity (wait as long as it takes) or NO_WAIT.
 */
export function deadlineOf(timeout: number | null, userFlags: number): number {
  if (timeout === 0 || (userFlags & (MSG_DONTWAIT | MSG_ERRQUEUE)) !== 0) return NO_WAIT;
  return timeout === null ? Infinity : now() + timeout * 1000;
}

/** Milliseconds left before `deadline` (-1 for none), for waitFd and waitFor. */
export function msLeft(deadline: number): number {
  return deadline === Infinity ? -1 : Math.max(0, deadline - now());
}

/**
 * After an attempt returned `result` < 0: throws unless the call would block (EAGAIN, or a
 * connect's EINPROGRESS) and its deadline lets it wait.
 */
function checkMayWait(result: number, syscall: string, deadline: number, address?: unknown): void {
  if (result !== -EAGAIN && result !== -EINPROGRESS) throw socketError(-result, syscall, address);
  if (deadline === NO_WAIT) throw socketError(-result, syscall, address);
  if (deadline <= now()) throw timeoutError(syscall, address);
}

/** A caller waiting for its turn: a node of the queue, unlinked in O(1) on grant, abort or timeout. */
class Ticket {
  prev?: Ticket;
  next?: Ticket;
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;

  constructor(readonly resolve: () => void, readonly reject: (error: unknown) => void) {}

  settle(error?: unknown): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    if (error === undefined) this.resolve();
    else this.reject(error);
  }
}

/**
 * The turn of the Promise operations of one direction, so that readers (or writers) go in order.
 * An operation that finds the turn free takes it at once, with no promise in between; the others
 * wait in a FIFO, each until its own deadline.
 */
export class Turns {
  busy = false;
  private head?: Ticket;
  private tail?: Ticket;

  /** Takes the turn if it is free; returns false when the caller must wait(). */
  take(): boolean {
    if (this.busy) return false;
    this.busy = true;
    return true;
  }

  /** Waits until the turn is this caller's; rejects on abort, or once `deadline` has passed. */
  wait(deadline: number, signal: AbortSignal | undefined, syscall: string, address: unknown, ref: boolean): Promise<void> {
    if (deadline === NO_WAIT) return Promise.reject(socketError(EAGAIN, syscall, address));
    return new Promise<void>((resolve, reject) => {
      const ticket = new Ticket(resolve, reject);
      if (deadline !== Infinity) {
        const expire = (): void => {
          const left = deadline - now();
          if (left > 0) {
            ticket.timer = setTimeout(expire, Math.min(left, MAX_TIMER_MS));
            if (!ref) ticket.timer.unref();
            return;
          }
          this.unlink(ticket);
          ticket.settle(timeoutError(syscall, address));
        };
        expire();
        if (ticket.timer === undefined) return;
      }
      if (signal) {
        ticket.signal = signal;
        ticket.onAbort = (): void => {
          this.unlink(ticket);
          ticket.settle(abortReason(signal));
        };
        signal.addEventListener('abort', ticket.onAbort, { once: true });
      }
      this.push(ticket);
    });
  }

  /** Ends the current turn, handing it to the next waiter. */
  release(): void {
    const next = this.head;
    if (next === undefined) {
      this.busy = false;
      return;
    }
    this.unlink(next);
    next.settle();
  }

  /** Rejects every waiter with the same `error` (close()); the current turn ends by itself. */
  failAll(error: unknown): void {
    let ticket = this.head;
    this.head = this.tail = undefined;
    while (ticket !== undefined) {
      const next = ticket.next;
      ticket.prev = ticket.next = undefined;
      ticket.settle(error);
      ticket = next;
    }
  }

  private push(ticket: Ticket): void {
    ticket.prev = this.tail;
    if (this.tail) this.tail.next = ticket;
    else this.head = ticket;
    this.tail = ticket;
  }

  private unlink(ticket: Ticket): void {
    if (ticket.prev) ticket.prev.next = ticket.next;
    else if (this.head === ticket) this.head = ticket.next;
    else return;  // already out of the queue
    if (ticket.next) ticket.next.prev = ticket.prev;
    else this.tail = ticket.prev;
    ticket.prev = ticket.next = undefined;
  }
}

function abortReason(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  return Object.assign(error, { code: 'ABORT_ERR' });
}

/**
 * The waits of one descriptor: a turn per direction for the Promise forms, and the two retry loops
 * (try, EAGAIN, wait for readiness, try again) on the event loop and on the thread.
 */
export class Waits {
  readonly readers = new Turns();
  readonly writers = new Turns();
  ref = true;

  /** `openFd(syscall)` gives the descriptor, or throws EBADF once it is closed. */
  constructor(private readonly openFd: (syscall: string) => number) {}

  /**
   * Runs `attempt` (a non-blocking system call: result >= 0 or -errno) in this direction's turn
   * until it stops saying EAGAIN or `deadline` passes. The first try happens at once, in the
   * caller's tick, when nothing else is queued. `prepare` (a name look-up) is awaited inside the
   * turn, so that a call keeps its place in the order of calls while it resolves.
   */
  async run(turns: Turns, events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, address?: unknown, prepare?: Promise<unknown>): Promise<number> {
    prepare?.catch(() => undefined);  // awaited below; not "unhandled" while the call is queued
    if (signal?.aborted) throw abortReason(signal);
    if (!turns.take()) await turns.wait(deadline, signal, syscall, address, this.ref);
    try {
      if (prepare) await prepare;
      for (let woken = false; ; woken = true) {
        const r = attempt(this.openFd(syscall));
        if (r >= 0) return r;
        if (woken && r === -EAGAIN && endOfInput(this.openFd(syscall), events)) return 0;
        checkMayWait(r, syscall, deadline, address);
        await this.ready(events, syscall, deadline, signal, address);
      }
    } finally {
      turns.release();
    }
  }

  /** The Sync twin of run(): waits in poll() on this thread. */
  runSync(events: number, syscall: string, deadline: number, attempt: (fd: number) => number, address?: unknown): number {
    for (let woken = false; ; woken = true) {
      const r = attempt(this.openFd(syscall));
      if (r >= 0) return r;
      if (woken && r === -EAGAIN && endOfInput(this.openFd(syscall), events)) return 0;
      checkMayWait(r, syscall, deadline, address);
      const ready = native.waitFd(this.openFd(syscall), events, msLeft(deadline));
      if (ready < 0) throw socketError(-ready, syscall, address);
      if (ready === 0) throw timeoutError(syscall, address);
    }
  }

  /** Readiness for `events` on the event loop, until `deadline`. */
  ready(events: number, syscall: string, deadline: number, signal: AbortSignal | undefined, address?: unknown): Promise<number> {
    const timeoutMs = msLeft(deadline);
    const options = { timeoutMs, signal, ref: this.ref, keep: true, syscall, address };
    if (timeoutMs <= MAX_TIMER_MS) return waitFor(this.openFd(syscall), events, options);
    return this.readyLong(events, options, deadline);
  }

  /** A wait longer than a timer can take: waits in slices until the real deadline. */
  private async readyLong(events: number, options: WaitOptions, deadline: number): Promise<number> {
    for (;;) {
      const timeoutMs = Math.min(msLeft(deadline), MAX_TIMER_MS);
      try {
        return await waitFor(this.openFd(options.syscall!), events, { ...options, timeoutMs });
      } catch (error) {
        if (!(error instanceof TimeoutError) || now() >= deadline) throw error;
      }
    }
  }

  /**
   * For a wait with no readiness event (a blocking-mode Unix connect to a full backlog): retries
   * `attempt` on a short backoff timer while it says EAGAIN.
   */
  async retryOnTimer(syscall: string, signal: AbortSignal | undefined, attempt: (fd: number) => number): Promise<number> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, delay); if (!this.ref) t.unref(); });
      if (signal?.aborted) throw abortReason(signal);
      const r = attempt(this.openFd(syscall));
      if (r !== -EAGAIN) return r;
    }
  }

  /** Rejects every queued operation with `error` (built once, whatever their number). */
  close(error: unknown): void {
    this.readers.failAll(error);
    this.writers.failAll(error);
  }
}
