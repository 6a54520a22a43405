// Waiting, for every operation of a Socket that may wait: a deadline per call, fixed when the
// call is made; a turn per direction, so that the Promise operations of one direction run in the
// order they were called (a FIFO, O(1) per operation); and the retry loop — try the non-blocking
// system call, on EAGAIN wait for readiness, try again — on the event loop (run) and on the thread
// (runSync). Readiness on the event loop is readiness.ts's; this module knows nothing of Socket.
import { native } from './native';
import { EAGAIN, EINPROGRESS, abortReason, socketError, timeoutError } from './errors';
import { LongTimer, sharedWatch, type FdWatch, type ReadyWaiter } from './readiness';

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

/**
 * Request/response: once two reads in a row right after a write said EAGAIN (the peer had not
 * answered yet), the next reads after writes wait for readiness first, as Node's own sockets
 * read, without the system call that would say EAGAIN; every ANSWERS_AWAITED reads, one tries at
 * once again, for a peer whose answers have become quick (on one core, a local peer often
 * answers inside send()).
 * Only calls that wait without a deadline do this: a short timeout must not expire while data
 * that the try would have found is already there.
 */
const ANSWERS_AWAITED = 16;

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

  /** Whether calls wait for their turn. */
  queued(): boolean {
    return this.head !== undefined;
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

/**
 * The operation that holds a direction's turn and waits for readiness: the retry loop of run() as
 * a readiness waiter. The watch's callback makes the next attempt itself and settles the caller's
 * Promise, so a wait costs that one Promise. One per direction, reused: the turn lets only one
 * operation wait at a time.
 */
class Operation implements ReadyWaiter {
  events = 0;
  ref = true;
  private attempt?: (fd: number) => number;
  private syscall = '';
  private deadline = Infinity;
  private address: unknown;
  private signal?: AbortSignal;
  private finish?: (result: number) => unknown;
  private resolve?: (value: unknown) => void;
  private reject?: (error: unknown) => void;
  private timer?: LongTimer;
  private watch?: FdWatch;
  private readonly onAbort = (): void => {
    this.watch?.remove(this);
    this.settle(abortReason(this.signal!));
  };

  private readonly settleWith = (resolve: (value: unknown) => void, reject: (error: unknown) => void): void => {
    this.resolve = resolve;
    this.reject = reject;
  };

  constructor(private readonly waits: Waits, private readonly turns: Turns) {}

  /** Waits for readiness, then retries `attempt` until it is done; the turn is held, and released at the end. */
  start(events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, address: unknown, finish?: (result: number) => unknown): Promise<unknown> {
    this.events = events;
    this.finish = finish;
    this.ref = this.waits.ref;
    this.syscall = syscall;
    this.deadline = deadline;
    this.signal = signal;
    this.attempt = attempt;
    this.address = address;
    const promise = new Promise<unknown>(this.settleWith);
    try {
      this.watch = sharedWatch(this.waits.fd(syscall));
      this.watch.keep = true;
      if (deadline !== Infinity) {
        this.timer = new LongTimer(() => this.expire(), Math.max(0, deadline - now()), this.ref);
      }
      if (signal?.aborted) throw abortReason(signal);
      signal?.addEventListener('abort', this.onAbort, { once: true });
      this.watch.add(this);
    } catch (error) {
      this.settle(error);
    }
    return promise;
  }

  /** The watch's callback: the next attempt, in the callback itself. */
  ready(): void {
    let r: number;
    try {
      const fd = this.waits.fd(this.syscall);
      r = this.attempt!(fd);
      if (r === -EAGAIN && endOfInput(fd, this.events)) r = 0;
      if (r < 0) checkMayWait(r, this.syscall, this.deadline, this.address);
    } catch (error) {
      this.settle(error);
      return;
    }
    if (r >= 0) this.settle(undefined, r);
    else this.watch!.add(this);  // EAGAIN again (another reader was first): wait on
  }

  fail(error: unknown): void {
    this.settle(error);
  }

  private expire(): void {
    this.timer = undefined;
    this.watch?.remove(this);
    this.settle(timeoutError(this.syscall, this.address));
  }

  private settle(error: unknown, result = 0): void {
    const { resolve, reject, finish } = this;
    if (resolve === undefined) return;
    this.timer?.clear();
    this.signal?.removeEventListener('abort', this.onAbort);
    this.resolve = this.reject = this.attempt = this.finish = this.timer = this.signal = this.watch = undefined;
    this.address = undefined;
    this.turns.release();
    if (error !== undefined) {
      reject!(error);
      return;
    }
    if (finish === undefined) {
      resolve(result);
      return;
    }
    try {
      resolve(finish(result));
    } catch (failure) {
      reject!(failure);
    }
  }
}

/**
 * The waits of one descriptor: a turn per direction for the Promise forms, and the two retry loops
 * (try, EAGAIN, wait for readiness, try again) on the event loop and on the thread.
 */
export class Waits {
  readonly readers = new Turns();
  readonly writers = new Turns();
  ref = true;
  private reading?: Operation;
  private writing?: Operation;
  /** A Promise write was made since the last Promise read began (see isAnswer). */
  private wroteSinceRead = false;
  /** How many more reads after a write wait for readiness before one tries at once again. */
  private answersToAwait = 0;
  private answersMissed = 0;

  /** `openFd(syscall)` gives the descriptor, or throws EBADF once it is closed. */
  constructor(private readonly openFd: (syscall: string) => number) {}

  /** The descriptor, or EBADF once it is closed. */
  fd(syscall: string): number {
    return this.openFd(syscall);
  }

  /**
   * Runs `attempt` (a non-blocking system call: result >= 0 or -errno) in this direction's turn
   * until it stops saying EAGAIN or `deadline` passes. The first try happens at once, in the
   * caller's tick, when nothing else is queued (except for the answers of request/response:
   * see ANSWERS_AWAITED); after an EAGAIN the next one happens on readiness. `prepare` (a name
   * look-up) is awaited inside the turn, so that a call keeps its place in the order of calls
   * while it resolves.
   */
  run(turns: Turns, events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, address?: unknown, prepare?: Promise<unknown>): Promise<number> {
    prepare?.catch(() => undefined);  // awaited in runQueued; never "unhandled", even if the call ends first
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (prepare !== undefined || !turns.take()) return this.runQueued(turns, events, syscall, deadline, signal, attempt, address, prepare);
    return this.runInTurn(turns, events, syscall, deadline, signal, attempt, address) as Promise<number>;
  }

  /** run(), resolving with `finish(result)` (a result tuple, a new Socket) rather than with a `.then` of its own. */
  runThen<T>(turns: Turns, events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, finish: (result: number) => T): Promise<T> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (!turns.take()) return this.runQueued(turns, events, syscall, deadline, signal, attempt).then(finish);
    return this.runInTurn(turns, events, syscall, deadline, signal, attempt, undefined, finish) as Promise<T>;
  }

  /** run() once the turn is this call's: try now; on EAGAIN, the direction's Operation waits and retries. */
  private runInTurn(turns: Turns, events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, address: unknown, finish?: (result: number) => unknown): Promise<unknown> {
    const answer = this.isAnswer(turns);
    if (answer && deadline === Infinity && this.answersToAwait > 0) {
      this.answersToAwait--;
      return this.operationOf(turns).start(events, syscall, deadline, signal, attempt, address, finish);
    }
    let r: number;
    try {
      r = attempt(this.openFd(syscall));
      if (r < 0) checkMayWait(r, syscall, deadline, address);
    } catch (error) {
      turns.release();
      return Promise.reject(error);
    }
    if (answer) this.noteAnswerTry(r >= 0);
    if (r >= 0) {
      turns.release();
      if (finish === undefined) return Promise.resolve(r);
      try {
        return Promise.resolve(finish(r));
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.operationOf(turns).start(events, syscall, deadline, signal, attempt, address, finish);
  }

  /** Two tries in a row that found no answer yet: the next ANSWERS_AWAITED answers are awaited. */
  private noteAnswerTry(found: boolean): void {
    if (found) {
      this.answersMissed = 0;
    } else if (++this.answersMissed >= 2) {
      this.answersToAwait = ANSWERS_AWAITED;
      this.answersMissed = 1;  // one more miss after those, and they are awaited again
    }
  }

  private operationOf(turns: Turns): Operation {
    return turns === this.readers
      ? (this.reading ??= new Operation(this, this.readers))
      : (this.writing ??= new Operation(this, this.writers));
  }

  /**
   * Whether this operation reads the answer to a write (request/response). Notes the write, for
   * the read that follows it.
   */
  private isAnswer(turns: Turns): boolean {
    if (turns === this.writers) {
      this.wroteSinceRead = true;
      return false;
    }
    const answer = this.wroteSinceRead;
    this.wroteSinceRead = false;
    return answer;
  }

  /** run() for a call that must wait for its turn or for a name look-up first. */
  private async runQueued(turns: Turns, events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    attempt: (fd: number) => number, address?: unknown, prepare?: Promise<unknown>): Promise<number> {
    if (!turns.take()) await turns.wait(deadline, signal, syscall, address, this.ref);
    try {
      if (prepare) await prepare;
      if (signal?.aborted) throw abortReason(signal);
    } catch (error) {
      turns.release();
      throw error;
    }
    return this.runInTurn(turns, events, syscall, deadline, signal, attempt, address) as Promise<number>;
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

  /** Rejects every queued operation with the error `makeError` builds (once, and only if some wait). */
  close(makeError: () => unknown): void {
    if (!this.readers.queued() && !this.writers.queued()) return;
    const error = makeError();
    this.readers.failAll(error);
    this.writers.failAll(error);
  }
}
