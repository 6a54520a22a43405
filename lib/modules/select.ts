// select() and poll(), as in Python's select module, built on poll(2) (native/select.cc): any
// descriptor number works, FD_SETSIZE included. The Promise forms never block the event loop: they
// poll with a zero timeout and, while nothing is ready, wait on the engine's lookUntil (wait.ts);
// the Sync forms loop in its twin, lookUntilSync.
import { native } from '../binding/native';
import { socketError, closedError, EBADF, E } from '../binding/errors';
import { isOwnedWatch, type WatchItem } from '../engine/readiness';
import { deadlineInMs } from '../engine/deadline';
import { lookUntil, lookUntilSync } from '../engine/wait';
import { Socket } from '../socket/socket';
import { invalidArgType, outOfRange, checkConstant, checkInt, readSignal } from '../input/validate';
import { WakeSet } from '../engine/wakeset';

const C = native.constants;
const POLLIN = C.POLLIN;
const POLLOUT = C.POLLOUT;
const POLLPRI = C.POLLPRI ?? 0;
const POLLERR = C.POLLERR;
const POLLHUP = C.POLLHUP;
const POLLNVAL = C.POLLNVAL;
/** Poll bits that mean "readable" or "writable" without being POLLIN or POLLOUT. */
const READ_LIKE = (C.POLLRDNORM ?? 0) | (C.POLLRDBAND ?? 0) | (C.POLLRDHUP ?? 0);
const WRITE_LIKE = (C.POLLWRNORM ?? 0) | (C.POLLWRBAND ?? 0);
const ENOENT = E.ENOENT;

/** An object that owns a descriptor, such as a `Socket`: `fileno()` returns the descriptor number. */
export interface HasFileno {
  /** The descriptor number (a non-negative integer). */
  fileno(): number;
}

/** What select() and Poller accept: a descriptor number, or an object with a `fileno()` method. */
export type FileDescriptorLike = number | HasFileno;

/** Options of the Promise forms. */
export interface SelectOptions {
  /** Aborting it rejects the pending call with an AbortError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** The default events of `Poller.register()`: POLLIN | POLLPRI | POLLOUT, as in Python. */
const DEFAULT_EVENTS = POLLIN | POLLPRI | POLLOUT;

// ---------------------------------------------------------------------------------------------
// Validation

export function toFd(item: unknown, name: string, syscall: string): number {
  let fd: unknown = item;
  if (typeof item !== 'number') {
    const fileno = (item !== null && (typeof item === 'object' || typeof item === 'function'))
      ? (item as { fileno?: unknown }).fileno : undefined;
    if (typeof fileno !== 'function') {
      throw invalidArgType(name, 'a number or an object with a fileno() method', item);
    }
    fd = fileno.call(item);
    if (typeof fd !== 'number') throw invalidArgType(`${name}.fileno()`, 'of type number', fd);
    if (fd === -1) throw closedError(syscall);  // a closed Socket
  }
  if (!Number.isInteger(fd)) throw outOfRange(name, 'an integer', fd);
  if ((fd as number) < 0) throw outOfRange(name, 'a non-negative file descriptor', fd);
  if ((fd as number) > 0x7fffffff) throw outOfRange(name, '<= 2147483647', fd);
  return fd as number;
}

function toList(value: unknown, name: string): unknown[] {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object' && typeof (value as Iterable<unknown>)[Symbol.iterator] === 'function') {
    return Array.from(value as Iterable<unknown>);
  }
  throw invalidArgType(name, 'an iterable of descriptors', value);
}

/** select's timeout in seconds -> milliseconds, -1 for "forever". */
function selectTimeoutMs(timeout: unknown): number {
  if (timeout === undefined || timeout === null) return -1;
  if (typeof timeout !== 'number') throw invalidArgType('timeout', 'of type number or null', timeout);
  if (Number.isNaN(timeout) || timeout < 0) throw outOfRange('timeout', 'a non-negative number or null', timeout);
  return timeout === Infinity ? -1 : timeout * 1000;
}

/** poll's timeout in milliseconds -> milliseconds, -1 for "forever" (negative, null or undefined). */
function pollTimeoutMs(timeoutMs: unknown): number {
  if (timeoutMs === undefined || timeoutMs === null) return -1;
  if (typeof timeoutMs !== 'number') throw invalidArgType('timeoutMs', 'of type number or null', timeoutMs);
  if (Number.isNaN(timeoutMs)) throw outOfRange('timeoutMs', 'a number', timeoutMs);
  return timeoutMs < 0 || timeoutMs === Infinity ? -1 : timeoutMs;
}

// ---------------------------------------------------------------------------------------------
// The common machinery: a set of descriptors polled with poll(2) and waited on with libuv

/** One poll(2) over `fds`; revents land in `revents`. Throws the typed error on failure. */
function pollOnce(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutMs: number, syscall: string): number {
  const r = native.pollFds(fds, events, revents, timeoutMs);
  if (r < 0) throw socketError(-r, syscall);
  return r;
}

/** The events to ask libuv for so that it wakes us for `events`. */
function watchEvents(events: number): number {
  let out = events & (POLLIN | POLLOUT | POLLPRI);
  if (events & READ_LIKE) out |= POLLIN;
  if (events & WRITE_LIKE) out |= POLLOUT;
  return out;
}

// ---------------------------------------------------------------------------------------------
// select

interface Entry<T> {
  item: T;
  fd: number;
}

/** Whether the descriptor belongs to one of our Sockets, whose descriptors libuv may be told to watch. */
function isOwnSocket({ item, fd }: { item: unknown; fd: number }): boolean {
  return item instanceof Socket && item.fileno() === fd;
}

function entries<T>(list: unknown, name: string): Array<Entry<T>> {
  const items = toList(list, name);
  const seen = new Set<unknown>();
  const out: Array<Entry<T>> = [];
  items.forEach((item, i) => {
    const fd = toFd(item, `${name}[${i}]`, 'select');
    if (seen.has(item)) return;
    seen.add(item);
    out.push({ item: item as T, fd });
  });
  return out;
}

class SelectCall<R, W, X> {
  readonly r: Array<Entry<R>>;
  readonly w: Array<Entry<W>>;
  readonly x: Array<Entry<X>>;
  private readonly index = new Map<number, number>();
  private fds: Int32Array;
  private events: Int32Array;
  private revents: Int32Array;

  constructor(rlist: unknown, wlist: unknown, xlist: unknown) {
    this.r = entries<R>(rlist, 'rlist');
    this.w = entries<W>(wlist, 'wlist');
    this.x = entries<X>(xlist, 'xlist');
    const wanted = new Map<number, number>();
    const add = (list: Array<Entry<unknown>>, bit: number): void => {
      for (const { fd } of list) wanted.set(fd, (wanted.get(fd) ?? 0) | bit);
    };
    add(this.r, POLLIN);
    add(this.w, POLLOUT);
    add(this.x, POLLPRI);
    this.fds = Int32Array.from(wanted.keys());
    this.events = Int32Array.from(wanted.values());
    this.revents = new Int32Array(this.fds.length);
    this.fds.forEach((fd, i) => this.index.set(fd, i));
  }

  /** What to watch for every descriptor. */
  watchList(): WatchItem[] {
    const sockets = new Set([...this.r, ...this.w, ...this.x].filter(isOwnSocket).map(({ fd }) => fd));
    return Array.from(this.fds, (fd, i) => ({ fd, events: this.events[i], owned: sockets.has(fd) || isOwnedWatch(fd) }));
  }

  poll(timeoutMs: number): number {
    return pollOnce(this.fds, this.events, this.revents, timeoutMs, 'select');
  }

  /** The result of the last poll, or undefined when it holds nothing select reports. */
  result(): [R[], W[], X[]] | undefined {
    for (let i = 0; i < this.fds.length; i++) {
      if (this.revents[i] & POLLNVAL) throw socketError(EBADF, 'select');
    }
    const pick = <T>(list: Array<Entry<T>>, bits: number): T[] =>
      list.filter(({ fd }) => (this.revents[this.index.get(fd)!] & bits) !== 0).map(({ item }) => item);
    // As the kernel's select(): an error or hang-up makes a descriptor readable and writable.
    const r = pick(this.r, POLLIN | POLLHUP | POLLERR);
    const w = pick(this.w, POLLOUT | POLLHUP | POLLERR);
    const x = pick(this.x, POLLPRI);
    return r.length + w.length + x.length > 0 ? [r, w, x] : undefined;
  }

  /** The result of the last poll, or undefined (with the descriptors it cannot report dropped) when it holds none. */
  reported(): [R[], W[], X[]] | undefined {
    const result = this.result();
    if (result === undefined) this.dropUnreported();
    return result;
  }

  /**
   * Drops from later polls the descriptors that the last poll reported but select does not (only
   * in xlist, with an error or hang-up): poll(2) would report them again at once, forever.
   */
  dropUnreported(): void {
    const keep: number[] = [];
    for (let i = 0; i < this.fds.length; i++) if (this.revents[i] === 0) keep.push(i);
    if (keep.length === this.fds.length) return;
    this.fds = Int32Array.from(keep, (i) => this.fds[i]);
    this.events = Int32Array.from(keep, (i) => this.events[i]);
    this.revents = new Int32Array(keep.length);
    this.index.clear();
    this.fds.forEach((fd, i) => this.index.set(fd, i));
  }
}

const emptyResult = <R, W, X>(): [R[], W[], X[]] => [[], [], []];

/**
 * Waits until some of the descriptors are ready, blocking the calling thread, as Python's
 * `select.select()`.
 *
 * @param rlist descriptors to wait for until they are readable (an error or hang-up counts).
 * @param wlist descriptors to wait for until they are writable (an error or hang-up counts).
 * @param xlist descriptors to wait for until they have an exceptional condition (POLLPRI, such as
 *   TCP urgent data).
 * @param timeout seconds; `undefined` or `null` waits forever, `0` only polls.
 * @returns the ready subsets `[r, w, x]`, holding the items given (each once, in the order given);
 *   three empty arrays on timeout.
 * @throws TypeError (`ERR_INVALID_ARG_TYPE`) for an item that is neither a number nor has `fileno()`;
 *   RangeError (`ERR_OUT_OF_RANGE`) for a negative descriptor or timeout;
 *   SocketError `EBADF` for a closed Socket (its `fileno()` is -1) or a descriptor that is not open.
 */
export function selectSync<R extends FileDescriptorLike, W extends FileDescriptorLike, X extends FileDescriptorLike>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
): [R[], W[], X[]] {
  const call = new SelectCall<R, W, X>(rlist, wlist, xlist);
  const deadline = deadlineInMs(selectTimeoutMs(timeout));
  return lookUntilSync(deadline, (ms) => (call.poll(ms) === 0 ? emptyResult<R, W, X>() : call.reported()), emptyResult<R, W, X>);
}

/**
 * Waits until some of the descriptors are ready, on the event loop, as Python's `select.select()`
 * but without blocking: the descriptors are polled once, then watched by libuv until one may be
 * ready or the timeout passes.
 *
 * @param rlist descriptors to wait for until they are readable (an error or hang-up counts).
 * @param wlist descriptors to wait for until they are writable (an error or hang-up counts).
 * @param xlist descriptors to wait for until they have an exceptional condition (POLLPRI).
 * @param timeout seconds; `undefined` or `null` waits forever, `0` only polls.
 * @param options `signal` cancels the wait (the Promise rejects with an AbortError whose `cause` is the signal's reason).
 * @returns a Promise of the ready subsets `[r, w, x]`, holding the items given (each once, in the
 *   order given); three empty arrays on timeout.
 * @throws (as a rejection) the errors of {@link selectSync}.
 */
export async function select<R extends FileDescriptorLike, W extends FileDescriptorLike, X extends FileDescriptorLike>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
  options?: SelectOptions,
): Promise<[R[], W[], X[]]> {
  const call = new SelectCall<R, W, X>(rlist, wlist, xlist);
  const deadline = deadlineInMs(selectTimeoutMs(timeout));
  const signal = readSignal(options);
  return lookUntil(call.watchList(), deadline, signal, () => (call.poll(0) === 0 ? undefined : call.reported()), emptyResult<R, W, X>);
}

// ---------------------------------------------------------------------------------------------
// poll

/**
 * A set of registered descriptors polled together, as Python's `select.poll()` object. Events are
 * the `POLL*` bits; results are `[fd, revents]` pairs, revents including POLLERR, POLLHUP and
 * POLLNVAL where they apply.
 */
export class Poller {
  readonly #registered = new Map<number, number>();
  /** The Sockets registered by object: their descriptors are watched as they are. */
  readonly #sockets = new Map<number, Socket>();
  /** Large sets wait on one epoll descriptor instead of a watch per descriptor (wakeset.ts). */
  readonly #wake = new WakeSet();

  /**
   * Adds a descriptor, or changes the events of one already registered.
   * @param item a descriptor number or an object with `fileno()`.
   * @param events `POLL*` bits; by default POLLIN | POLLPRI | POLLOUT.
   */
  register(item: FileDescriptorLike, events?: number): void {
    const fd = toFd(item, 'item', 'poll');
    const given = checkConstant(events, 'events', DEFAULT_EVENTS, arguments.length > 1);  // explicit undefined: a TypeError
    this.#registered.set(fd, checkInt(given, 'events', 0, 0xffff));
    this.#wake.set(fd, watchEvents(given));
    if (item instanceof Socket) this.#sockets.set(fd, item);
    else this.#sockets.delete(fd);
  }

  /**
   * Changes the events of a registered descriptor.
   * @throws SocketError (`FileNotFoundError`, code ENOENT) if it is not registered.
   */
  modify(item: FileDescriptorLike, events: number): void {
    const fd = toFd(item, 'item', 'poll');
    const checked = checkInt(events, 'events', 0, 0xffff);
    if (!this.#registered.has(fd)) throw socketError(ENOENT, 'modify');
    this.#registered.set(fd, checked);
    this.#wake.set(fd, watchEvents(checked));
  }

  /**
   * Removes a descriptor.
   * @throws SocketError (`FileNotFoundError`, code ENOENT) if it is not registered.
   */
  unregister(item: FileDescriptorLike): void {
    const fd = toFd(item, 'item', 'poll');
    if (!this.#registered.delete(fd)) throw socketError(ENOENT, 'unregister');
    this.#wake.delete(fd);
    if (this.#registered.size === 0) this.#wake.release();  // not left for the garbage collector
    this.#sockets.delete(fd);
  }

  /**
   * Polls the registered descriptors, blocking the calling thread.
   * @param timeoutMs milliseconds; `undefined`, `null` or negative waits forever, 0 only polls.
   * @returns `[fd, revents]` for each descriptor with events, in registration order; empty on timeout.
   */
  pollSync(timeoutMs?: number | null): Array<[number, number]> {
    const ms = pollTimeoutMs(timeoutMs);
    const set = this.#snapshot();
    pollOnce(set.fds, set.events, set.revents, ms, 'poll');
    return set.ready();
  }

  /**
   * Polls the registered descriptors on the event loop: once at once, then, while nothing is
   * ready, watching them with libuv until one may be ready or the timeout passes. A descriptor
   * registered for no event libuv can watch (0, to hear only of errors and hang-ups) is polled again
   * every few milliseconds instead.
   * @param timeoutMs milliseconds; `undefined`, `null` or negative waits forever, 0 only polls.
   * @param options `signal` cancels the wait (the Promise rejects with an AbortError whose `cause` is the signal's reason).
   * @returns a Promise of `[fd, revents]` for each descriptor with events; empty on timeout.
   */
  async poll(timeoutMs?: number | null, options?: SelectOptions): Promise<Array<[number, number]>> {
    const ms = pollTimeoutMs(timeoutMs);
    const signal = readSignal(options);
    const set = this.#snapshot();
    const wake = this.#wake.watchItem(this.#registered.size, () => this.#watched());
    const watchList = wake ? [wake] : Array.from(set.fds, (fd, i): WatchItem => ({
      fd,
      events: watchEvents(set.events[i]),
      owned: isOwnSocket({ item: this.#sockets.get(fd), fd }) || isOwnedWatch(fd),
    }));
    return lookUntil(watchList, deadlineInMs(ms), signal,
      () => (pollOnce(set.fds, set.events, set.revents, 0, 'poll') === 0 ? undefined : set.ready()), () => []);
  }

  *#watched(): Iterable<[number, number]> {
    for (const [fd, events] of this.#registered) yield [fd, watchEvents(events)];
  }

  #snapshot(): { fds: Int32Array; events: Int32Array; revents: Int32Array; ready(): Array<[number, number]> } {
    const fds = Int32Array.from(this.#registered.keys());
    const events = Int32Array.from(this.#registered.values());
    const revents = new Int32Array(fds.length);
    return {
      fds,
      events,
      revents,
      ready() {
        const out: Array<[number, number]> = [];
        fds.forEach((fd, i) => {
          if (revents[i] !== 0) out.push([fd, revents[i]]);
        });
        return out;
      },
    };
  }
}

/**
 * A new, empty {@link Poller}, as Python's `select.poll()`.
 */
export function poll(): Poller {
  return new Poller();
}
