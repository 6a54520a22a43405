// The engine: every operation of a Socket that may wait goes through here. An operation is one
// description (Op): what it waits for, one attempt (a non-blocking system call: result >= 0 or
// -errno), its deadline (fixed at the call), its signal, and its end-of-input rule. The engine
// runs it — try, on EAGAIN wait for readiness, try again — on the event loop (Waits.run, or
// Waits.session for an operation of several phases) and on the thread (Waits.runSync). The
// Promise operations of one direction take a turn at the call and hold it until they settle, so
// that they run in the order they were called. The calls over a set of descriptors (select, poll,
// epoll, kqueue) wait here too, in lookUntil and its Sync twin. This module is the only one that
// loops on EAGAIN or on readiness.
import { native } from '../binding/native';
import { E, EAGAIN, EINPROGRESS, abortReason, closedError, socketError, timeoutError } from '../binding/errors';
import { LongTimer, MAX_TIMER_MS, NO_WAIT, isTimed, msLeft, now } from './deadline';
import { hungUp, sharedWatch, waitAny, type FdWatch, type ReadyWaiter, type WatchItem } from './readiness';
import { Completing, settlePromise, type RingWork } from './completion';

const { POLLIN } = native.constants;

/**
 * End-of-input rules: what an attempt that says EAGAIN right after the descriptor woke readable
 * gives when the descriptor has hung up (it would otherwise wake and say EAGAIN forever). The rule
 * is the operation's: each says what the blocking system call returns there.
 */
export const EndOfInput = {
  /** The receive family: a socket shut for reading gives 0 bytes. */
  RECEIVE: 0,
  /** accept: a listener that was shut down fails with EINVAL (Python raises it too). */
  ACCEPT: -E.EINVAL,
} as const;

/** One operation that may wait: everything the engine needs to run it. */
export interface Op {
  /** POLLIN or POLLOUT. */
  readonly events: number;
  readonly syscall: string;
  /** From deadlineOf(), fixed when the call was made. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** Named in the errors. */
  readonly address?: unknown;
  /** One try: a result >= 0, or -errno (-EAGAIN: wait and try again). */
  readonly attempt: (fd: number) => number;
  /** The end-of-input rule (EndOfInput), for an operation that has one. */
  readonly atEnd?: number;
  /** The attempt needs an O_NONBLOCK descriptor (it cannot pass MSG_DONTWAIT): set before each try. */
  readonly nonblocking?: boolean;
  /** The operation as one submission to the thread's io_uring (completion.ts), used instead of the attempt where the ring takes it. */
  readonly ring?: RingWork;
}

/** The books of the descriptor's O_NONBLOCK (the Socket's FdMode, the one place that keeps them). */
export interface NonblockingBooks {
  /** Makes the descriptor O_NONBLOCK and notes it; 0 or -errno. */
  force(fd: number): number;
}

/** The attempt of `op` with the descriptor's mode checked first when it needs O_NONBLOCK. */
function attemptOf(books: NonblockingBooks, op: Op): (fd: number) => number {
  if (!op.nonblocking) return op.attempt;
  return (fd) => {
    const r = books.force(fd);
    return r < 0 ? r : op.attempt(fd);
  };
}

/**
 * A try that would wait once the deadline has passed looks once more without waiting, and tries
 * again if the descriptor is ready: CPython never skips its first wait (it polls with the whole
 * timeout, rounded up to 1 ms), so a 1 ns timeout still sees a loopback connect refused. One
 * poll(2), only where the call would otherwise time out.
 */
function lastLook(fd: number, op: Op, attempt: (fd: number) => number, result: number): number {
  if ((result !== -EAGAIN && result !== -EINPROGRESS) || !isTimed(op.deadline) || op.deadline > now()) return result;
  return native.waitFd(fd, op.events, 0) > 0 ? attempt(fd) : result;
}

/**
 * After an attempt returned `result` < 0: throws unless the call would block (EAGAIN, or a
 * connect's EINPROGRESS) and its deadline lets it wait.
 */
function checkMayWait(result: number, op: Op): void {
  if (result !== -EAGAIN && result !== -EINPROGRESS) throw socketError(-result, op.syscall, op.address);
  if (op.deadline === NO_WAIT) throw socketError(-result, op.syscall, op.address);
  if (op.deadline <= now()) throw timeoutError(op.syscall, op.address);
}

/**
 * A policy for request/response, beside the engine: once two reads in a row right after a write
 * said EAGAIN (the peer had not answered yet), the next reads after writes wait for readiness
 * first, as Node's own sockets read, without the system call that would say EAGAIN; every
 * ANSWERS_AWAITED reads, one tries at once again, for a peer whose answers have become quick.
 * Only calls that wait without a deadline do this: a short timeout must not expire while data
 * that the try would have found is already there.
 */
const ANSWERS_AWAITED = 16;

class AwaitAnswers {
  /** A Promise write was made since the last Promise read began. */
  private wroteSinceRead = false;
  private toAwait = 0;
  private missed = 0;

  /** Notes a write; for a read, whether it reads an answer (see note) and should wait first. */
  begin(reading: boolean, deadline: number): { answer: boolean; waitFirst: boolean } {
    if (!reading) {
      this.wroteSinceRead = true;
      return NOT_AN_ANSWER;
    }
    const answer = this.wroteSinceRead;
    this.wroteSinceRead = false;
    if (!answer) return NOT_AN_ANSWER;
    if (deadline === Infinity && this.toAwait > 0) {
      this.toAwait--;
      return AWAITED;
    }
    return TRIED;
  }

  /** Two tries in a row that found no answer yet: the next ANSWERS_AWAITED answers are awaited. */
  note(found: boolean): void {
    if (found) {
      this.missed = 0;
    } else if (++this.missed >= 2) {
      this.toAwait = ANSWERS_AWAITED;
      this.missed = 1;  // one more miss after those, and they are awaited again
    }
  }
}

const NOT_AN_ANSWER = { answer: false, waitFirst: false };
const AWAITED = { answer: true, waitFirst: true };
const TRIED = { answer: true, waitFirst: false };

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

  constructor(readonly reading: boolean) {}

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
 * The operation that holds a direction's turn and waits for readiness, as a readiness waiter: the
 * watch's callback makes the next attempt itself and settles the caller's Promise, so a wait costs
 * that one Promise. One per direction, reused: the turn lets only one operation wait at a time.
 */
class Waiting implements ReadyWaiter {
  events = 0;
  ref = true;
  private op?: Op;
  private attempt?: (fd: number) => number;
  private releases = true;
  private finish?: (result: number) => unknown;
  private resolve?: (value: unknown) => void;
  private reject?: (error: unknown) => void;
  private timer?: LongTimer;
  private watch?: FdWatch;
  /** Made the first time an operation comes with a signal: most never do. */
  private onAbort?: () => void;

  constructor(private readonly waits: Waits, private readonly turns: Turns) {}

  /**
   * Waits for readiness, then retries the attempt until it is done; the turn is held, and released
   * at the end when `releases` (a session releases its own).
   */
  start(op: Op, attempt: (fd: number) => number, releases: boolean, finish?: (result: number) => unknown): Promise<unknown> {
    this.op = op;
    this.events = op.events;
    this.attempt = attempt;
    this.releases = releases;
    this.finish = finish;
    this.ref = this.waits.ref;
    const promise = new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    try {
      this.watch = sharedWatch(this.waits.fd(op.syscall));
      this.watch.keep = true;
      if (op.deadline !== Infinity) {
        this.timer = new LongTimer(() => this.expire(), Math.max(0, op.deadline - now()), this.ref);
      }
      if (op.signal?.aborted) throw abortReason(op.signal);
      op.signal?.addEventListener('abort', this.onAbort ??= (): void => this.aborted(), { once: true });
      this.watch.add(this);
    } catch (error) {
      this.settle(error);
    }
    return promise;
  }

  /** The watch's callback: the next attempt, in the callback itself. */
  ready(): void {
    const op = this.op!;
    let r: number;
    try {
      const fd = this.waits.fd(op.syscall);
      r = lastLook(fd, op, this.attempt!, this.attempt!(fd));
      if (r === -EAGAIN && op.atEnd !== undefined && hungUp(fd)) r = op.atEnd;
      if (r < 0) checkMayWait(r, op);
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

  private aborted(): void {
    this.watch?.remove(this);
    this.settle(abortReason(this.op!.signal!));
  }

  private expire(): void {
    this.timer = undefined;
    this.watch?.remove(this);
    this.settle(timeoutError(this.op!.syscall, this.op!.address));
  }

  private settle(error: unknown, result = 0): void {
    const { resolve, reject, finish, op } = this;
    if (resolve === undefined) return;
    this.timer?.clear();
    if (op?.signal && this.onAbort) op.signal.removeEventListener('abort', this.onAbort);
    this.resolve = this.reject = this.attempt = this.finish = this.timer = this.watch = this.op = undefined;
    if (this.releases) this.turns.release();
    settlePromise(resolve, reject!, error, result, finish);
  }
}

/** A phase of a session that waits on something else than readiness: a look-up, a file read, a back-off. */
interface Phase {
  fail(error: unknown): void;
}

/**
 * An operation of several phases that holds its direction's turn from the call until it settles
 * (connect: name look-up, the call, the Unix-backlog retry; sendfile: its chunks). Every phase
 * settles at the deadline fixed at the call, on abort, and on close().
 */
export class Session {
  constructor(private readonly waits: Waits, private readonly turns: Turns, readonly deadline: number,
    readonly signal: AbortSignal | undefined, readonly syscall: string, readonly address: unknown) {}

  /** Runs `op` (with this session's deadline and signal) in the turn held: try now, on EAGAIN wait and retry. */
  run(events: number, attempt: (fd: number) => number, more?: Partial<Op>): Promise<number> {
    const op: Op = { events, attempt, syscall: this.syscall, deadline: this.deadline, signal: this.signal, address: this.address, ...more };
    return this.waits.tryInTurn(this.turns, op, false) as Promise<number>;
  }

  /** Awaits `promise` as a phase of this operation: rejects first on abort, at the deadline or on close(). */
  wait<T>(promise: Promise<T>): Promise<T> {
    return this.waits.phase(promise, this.deadline, this.signal, this.syscall, this.address);
  }

  /** A phase that only lets `ms` pass (a back-off). */
  sleep(ms: number): Promise<void> {
    return this.wait(new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      if (!this.waits.ref) timer.unref();
    }));
  }

  /** The descriptor, or EBADF once it is closed. */
  fd(): number {
    return this.waits.fd(this.syscall);
  }

  /**
   * Tries `attempt` again on a short back-off (1, 2, 4 … 50 ms) while it says EAGAIN, for a wait
   * that no readiness event announces (a Unix connect to a full backlog): its result or -errno.
   */
  async retryOnBackoff(attempt: (fd: number) => number): Promise<number> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      await this.sleep(delay);
      const r = attempt(this.fd());
      if (r !== -EAGAIN) return r;
    }
  }
}

/**
 * The waits of one descriptor: a turn per direction for the Promise forms, and the retry loop (try,
 * EAGAIN, wait for readiness, try again) on the event loop and on the thread.
 */
export class Waits {
  readonly readers = new Turns(true);
  readonly writers = new Turns(false);
  ref = true;
  private reading?: Waiting;
  private writing?: Waiting;
  private readingOnRing?: Completing;
  private writingOnRing?: Completing;
  private readonly answers = new AwaitAnswers();
  /** The phases in progress; made by the first (an idle connection carries no empty Set). */
  private phases?: Set<Phase>;

  /**
   * `descriptor`: the Socket's descriptor, which it sets to -1 when it lets go of it. It is kept
   * here, with no closure over the Socket, because every idle connection carries one Waits.
   */
  constructor(public descriptor: number, private readonly books: NonblockingBooks) {}

  /** The descriptor, or EBADF once it is closed. */
  fd(syscall: string): number {
    const fd = this.descriptor;
    if (fd < 0) throw closedError(syscall);
    return fd;
  }

  /**
   * Runs `op` in its direction's turn until its attempt stops saying EAGAIN or its deadline
   * passes; resolves with the attempt's result, or with `finish(result)` (a result tuple, a new
   * Socket) when given. The first try happens at once, in the caller's tick, when the turn is
   * free (except for the answers of request/response: see AwaitAnswers); after an EAGAIN the next
   * one happens on readiness.
   */
  run<T = number>(turns: Turns, op: Op, finish?: (result: number) => T): Promise<T> {
    if (op.signal?.aborted) return Promise.reject(abortReason(op.signal));
    if (turns.take()) return this.tryInTurn(turns, op, true, finish) as Promise<T>;
    return this.session(turns, op.deadline, op.signal, op.syscall, op.address,
      async () => (await this.tryInTurn(turns, op, false, finish)) as T);
  }

  /**
   * Runs `body`, an operation of several phases, in the direction's turn: taken now if it is free,
   * else waited for (until the deadline, an abort or close()); held until `body` settles.
   */
  async session<T>(turns: Turns, deadline: number, signal: AbortSignal | undefined, syscall: string,
    address: unknown, body: (session: Session) => Promise<T>): Promise<T> {
    if (signal?.aborted) throw abortReason(signal);
    if (!turns.take()) await turns.wait(deadline, signal, syscall, address, this.ref);
    try {
      if (signal?.aborted) throw abortReason(signal);
      return await body(new Session(this, turns, deadline, signal, syscall, address));
    } finally {
      turns.release();
    }
  }

  /** Tries `op` once the turn is the caller's; on EAGAIN, the direction's Waiting waits and retries. */
  tryInTurn(turns: Turns, op: Op, releases: boolean, finish?: (result: number) => unknown): Promise<unknown> {
    const { answer, waitFirst } = this.answers.begin(turns.reading, op.deadline);
    const ring = op.ring !== undefined;
    if (ring && (waitFirst || !op.ring!.tries())) {
      const submitted = this.onRing(turns, op, releases, finish);
      if (submitted !== undefined) return submitted;
    }
    const attempt = attemptOf(this.books, op);
    if (waitFirst) return this.waitingOf(turns).start(op, attempt, releases, finish);
    let r: number;
    try {
      const fd = this.fd(op.syscall);
      r = lastLook(fd, op, attempt, attempt(fd));
      if (r < 0) checkMayWait(r, op);
    } catch (error) {
      if (releases) turns.release();
      return Promise.reject(error);
    }
    if (answer) this.answers.note(r >= 0);
    if (r < 0) return (ring ? this.onRing(turns, op, releases, finish) : undefined) ?? this.waitingOf(turns).start(op, attempt, releases, finish);
    if (releases) turns.release();
    if (finish === undefined) return Promise.resolve(r);
    try {
      return Promise.resolve(finish(r));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Runs `op` as a submission to the ring, or undefined where the ring does not take it. */
  private onRing(turns: Turns, op: Op, releases: boolean, finish?: (result: number) => unknown): Promise<unknown> | undefined {
    let fd: number;
    try {
      fd = this.fd(op.syscall);
    } catch (error) {
      if (releases) turns.release();
      return Promise.reject(error);
    }
    const completing = turns === this.readers
      ? (this.readingOnRing ??= new Completing(this.readers))
      : (this.writingOnRing ??= new Completing(this.writers));
    return completing.start(op, fd, this.ref, releases, finish);
  }

  private waitingOf(turns: Turns): Waiting {
    return turns === this.readers
      ? (this.reading ??= new Waiting(this, this.readers))
      : (this.writing ??= new Waiting(this, this.writers));
  }

  /** `promise`, or a rejection on abort, at `deadline` or on close(), whichever comes first. */
  phase<T>(promise: Promise<T>, deadline: number, signal: AbortSignal | undefined, syscall: string, address: unknown): Promise<T> {
    promise.catch(() => undefined);  // never "unhandled", even if the phase ends first
    return new Promise<T>((resolve, reject) => {
      let timer: LongTimer | undefined;
      const phase: Phase = {
        fail: (error) => {
          if (!this.phases!.delete(phase)) return;
          timer?.clear();
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      const onAbort = (): void => phase.fail(abortReason(signal!));
      (this.phases ??= new Set()).add(phase);
      if (signal?.aborted) return onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
      if (isTimed(deadline)) {  // NO_WAIT: a look-up in non-blocking mode is awaited (in Python it blocks)
        timer = new LongTimer(() => phase.fail(timeoutError(syscall, address)), Math.max(0, deadline - now()), this.ref);
      }
      promise.then((value) => {
        if (!this.phases!.delete(phase)) return;
        timer?.clear();
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      }, phase.fail);
    });
  }

  /**
   * The Sync twin of run(): waits in poll() on this thread. In timeout mode a read polls before the
   * call, as CPython does, so that it times out even when another holder of the descriptor made it
   * blocking. A write tries first (a connect as CPython's; a Unix socket may poll unwritable while
   * a small message still fits), and passes MSG_DONTWAIT or asks for O_NONBLOCK in timeout mode.
   */
  runSync(op: Op): number {
    const attempt = attemptOf(this.books, op);
    let woken = isTimed(op.deadline) && op.events === POLLIN && this.pollSync(op);
    for (;;) {
      const fd = this.fd(op.syscall);
      const r = lastLook(fd, op, attempt, attempt(fd));
      if (r >= 0) return r;
      if (woken && r === -EAGAIN && op.atEnd !== undefined && hungUp(fd)) {
        if (op.atEnd >= 0) return op.atEnd;
        throw socketError(-op.atEnd, op.syscall, op.address);
      }
      checkMayWait(r, op);
      woken = this.pollSync(op);
    }
  }

  /** Waits in poll() until the descriptor is ready for `op` (true), or throws at its deadline. */
  private pollSync(op: Op): boolean {
    const ready = native.waitFd(this.fd(op.syscall), op.events, msLeft(op.deadline));
    if (ready < 0) throw socketError(-ready, op.syscall, op.address);
    if (ready === 0) throw timeoutError(op.syscall, op.address);
    return true;
  }

  /**
   * Rejects every queued operation and every phase in progress with the error `makeError` builds
   * (once, and only if some wait). The operations waiting for readiness are failed by their watch
   * after this; those on the ring are cancelled last, so that the turn they leave goes to nobody,
   * and settle when the kernel confirms, which it has almost always done before cancel() returns
   * (completion.ts).
   */
  close(makeError: () => unknown): void {
    if (this.readers.queued() || this.writers.queued() || this.phases?.size) {
      const error = makeError();
      this.readers.failAll(error);
      this.writers.failAll(error);
      for (const phase of [...(this.phases ?? [])]) phase.fail(error);
    }
    this.readingOnRing?.close(makeError);
    this.writingOnRing?.close(makeError);
  }
}

/** How often a descriptor that readiness cannot usefully watch is looked at again (lookUntil). */
const RECHECK_MS = 20;

/**
 * The wait of a call over a set of descriptors (select, poll, epoll, kqueue), on the event loop:
 * `look()` polls them with a zero timeout and returns the call's result, or undefined while it finds
 * nothing to report; between looks the call waits for the readiness of `items`, until `deadline`
 * (then `empty()`) or an abort. A descriptor that woke it for nothing `look()` reports, or that
 * cannot be watched (or is watched for no event), is looked at every RECHECK_MS instead: waiting on
 * it would wake at once, forever (e.g. a descriptor only in select's xlist that has hung up).
 */
export async function lookUntil<T>(items: WatchItem[], deadline: number, signal: AbortSignal | undefined,
  look: () => T | undefined, empty: () => T): Promise<T> {
  if (signal?.aborted) throw abortReason(signal);
  const rechecked = new Set<number>();
  for (const { fd, events } of items) if (events === 0) rechecked.add(fd);
  for (;;) {
    const result = look();
    if (result !== undefined) return result;
    let left = msLeft(deadline);
    if (deadline !== Infinity && left === 0) return empty();
    if (rechecked.size > 0) left = left < 0 ? RECHECK_MS : Math.min(left, RECHECK_MS);
    const watching = items.filter(({ fd }) => !rechecked.has(fd));
    if (watching.length === 0 && left < 0) return abortedOnly(signal);  // as select([], [], []): until aborted
    const { woke, failed } = await waitAny(watching, left, signal);
    for (const fd of failed) rechecked.add(fd);
    if (woke.length > 0) {
      const again = look();
      if (again !== undefined) return again;
      for (const fd of woke) rechecked.add(fd);  // woken for nothing reported: stop waiting on it
    }
  }
}

/** For a look(): the events found, or undefined when there are none. */
export function nonEmpty<T>(found: T[]): T[] | undefined {
  return found.length > 0 ? found : undefined;
}

/** A wait that only an abort ends. */
function abortedOnly(signal: AbortSignal | undefined): Promise<never> {
  return new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortReason(signal)), { once: true }));
}

/**
 * The Sync twin of lookUntil: `look(ms)` waits in poll(2) itself for at most `ms` (-1: no limit)
 * and returns the result, or undefined when what it found is nothing to report; it is asked again
 * until `deadline`, then `empty()`.
 */
export function lookUntilSync<T>(deadline: number, look: (timeoutMs: number) => T | undefined, empty: () => T): T {
  for (;;) {
    const result = look(msLeft(deadline));
    if (result !== undefined) return result;
    if (deadline !== Infinity && now() >= deadline) return empty();
  }
}
