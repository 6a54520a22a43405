// Python's select.epoll over epoll(7) (native/epoll.cc), Linux only. The Promise form of poll()
// never blocks the event loop: it waits for the epoll descriptor itself to become readable (it is
// readable while any registered descriptor is ready) in the engine's lookUntil (wait.ts), then
// collects with a zero timeout.
import { native, type NativeFdHandle } from '../binding/native';
import { SocketError, closedError, socketError, unavailable, E, EBADF } from '../binding/errors';
import { sharedWatch, closeWatch } from '../engine/readiness';
import { deadlineInMs } from '../engine/deadline';
import { lookUntil, nonEmpty } from '../engine/wait';
import { toFd, type FileDescriptorLike, type SelectOptions } from './select';
import { readSignal, invalidArgType, outOfRange, checkInt } from '../input/validate';

const C = native.constants;
/** Python's default eventmask of register(): EPOLLIN | EPOLLPRI | EPOLLOUT. */
const DEFAULT_EVENTMASK = (C.EPOLLIN ?? 0) | (C.EPOLLPRI ?? 0) | (C.EPOLLOUT ?? 0);
/** Python's maxevents when none is given (-1): FD_SETSIZE - 1. */
const DEFAULT_MAXEVENTS = C.FD_SETSIZE - 1;


/** Milliseconds for epoll_wait from Python's timeout in seconds: -1 for "forever" (None or negative). */
export function epollTimeoutMs(timeout: unknown): number {
  if (timeout === undefined || timeout === null) return -1;
  if (typeof timeout !== 'number') throw invalidArgType('timeout', 'of type number or null', timeout);
  if (Number.isNaN(timeout)) throw outOfRange('timeout', 'a number', timeout);
  if (timeout < 0 || timeout === Infinity) return -1;
  return Math.ceil(timeout * 1000);  // as Python's _PyTime_ROUND_TIMEOUT: never shorter than asked
}

function checkMaxevents(maxevents: unknown): number {
  if (maxevents === undefined || maxevents === null) return DEFAULT_MAXEVENTS;
  const n = checkInt(maxevents, 'maxevents');
  if (n === -1) return DEFAULT_MAXEVENTS;
  if (n <= 0) throw outOfRange('maxevents', `> 0 (or -1), got ${n}`, n);
  return n;
}

/**
 * An unsigned 32-bit event mask. A negative int32 is taken as its bits: JavaScript's `|` makes
 * `EPOLLIN | EPOLLET` negative, as EPOLLET is bit 31.
 */
function checkEventmask(eventmask: unknown): number {
  if (typeof eventmask !== 'number') throw invalidArgType('eventmask', 'of type number', eventmask);
  if (!Number.isInteger(eventmask) || eventmask < -0x80000000 || eventmask > 0xffffffff) {
    throw outOfRange('eventmask', 'an integer >= -2147483648 && <= 4294967295', eventmask);
  }
  return eventmask >>> 0;
}

/**
 * An epoll set, as Python's `select.epoll` object: descriptors registered with `EPOLL*` event
 * masks, polled in a Promise (on the event loop) or synchronously. Items may be descriptor numbers
 * or objects with `fileno()`; results are `[fd, events]` pairs.
 */
export class Epoll {
  #fd: number;
  /** The descriptor's owner: closes it on close(), on garbage collection or when the environment ends. */
  readonly #handle: NativeFdHandle;
  #out = new Int32Array(0);

  /** Use {@link epoll} or {@link epoll.fromfd}. */
  constructor(fd: number, fresh = false) {
    this.#fd = fd;
    this.#handle = new native.FdHandle(fd, fresh);
    sharedWatch(fd).keep = true;  // the Promise poll's watcher stays armed between polls
  }

  /**
   * An epoll object for `fd`, an epoll descriptor made elsewhere; it is not duplicated, and
   * `close()` closes it (Python's `epoll.fromfd`).
   */
  static fromfd(fd: number): Epoll {
    checkInt(fd, 'fd', 0);
    return new Epoll(fd);
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The epoll descriptor. @throws SocketError EBADF once closed. */
  fileno(): number {
    return this.#open('fileno');
  }

  /**
   * Adds a descriptor with an event mask.
   * @param fd a descriptor number or an object with `fileno()`.
   * @param eventmask `EPOLL*` bits; by default EPOLLIN | EPOLLPRI | EPOLLOUT, as Python.
   * @throws SocketError `EEXIST` if it is registered already, `EPERM` (PermissionError) for a
   *   descriptor epoll cannot watch (a regular file), `EBADF` for one that is not open.
   */
  register(fd: FileDescriptorLike, eventmask: number = DEFAULT_EVENTMASK): void {
    this.#ctl(C.EPOLL_CTL_ADD!, fd, eventmask, 'register');
  }

  /**
   * Changes the event mask of a registered descriptor.
   * @throws FileNotFoundError (`ENOENT`) if it is not registered.
   */
  modify(fd: FileDescriptorLike, eventmask: number): void {
    this.#ctl(C.EPOLL_CTL_MOD!, fd, eventmask, 'modify');
  }

  /**
   * Removes a registered descriptor.
   * @throws FileNotFoundError (`ENOENT`) if it is not registered.
   */
  unregister(fd: FileDescriptorLike): void {
    this.#ctl(C.EPOLL_CTL_DEL!, fd, undefined, 'unregister');
  }

  /**
   * Waits for events, blocking the calling thread.
   * @param timeout seconds; `undefined`, `null` or negative waits forever, 0 only polls.
   * @param maxevents the most events returned; -1 (default) means FD_SETSIZE - 1.
   * @returns `[fd, events]` pairs; empty on timeout.
   */
  pollSync(timeout?: number | null, maxevents?: number): Array<[number, number]> {
    const ms = epollTimeoutMs(timeout);
    const max = checkMaxevents(maxevents);
    return this.#wait(max, ms);
  }

  /**
   * Waits for events on the event loop: polls at once, then, while nothing is ready, waits for the
   * epoll descriptor to become readable.
   * @param timeout seconds; `undefined`, `null` or negative waits forever, 0 only polls.
   * @param maxevents the most events returned; -1 (default) means FD_SETSIZE - 1.
   * @param options `signal` cancels the wait.
   * @returns a Promise of `[fd, events]` pairs; empty on timeout. Rejects with SocketError EBADF
   *   if the object is closed meanwhile.
   */
  async poll(timeout?: number | null, maxevents?: number, options?: SelectOptions): Promise<Array<[number, number]>> {
    const ms = epollTimeoutMs(timeout);
    const max = checkMaxevents(maxevents);
    const signal = readSignal(options);
    const items = [{ fd: this.#open('poll'), events: C.POLLIN, owned: true }];
    return lookUntil(items, deadlineInMs(ms), signal, () => nonEmpty(this.#wait(max, 0)), () => []);
  }

  /** Closes the epoll descriptor; later calls other than close() throw. Pending polls reject. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    closeWatch(fd, () => closedError('poll'));
    this.#handle.close();
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(syscall: string): number {
    if (this.#fd < 0) throw new SocketError(EBADF, syscall, undefined, `${syscall} EBADF: I/O operation on closed epoll object`);
    return this.#fd;
  }

  /** Python's order: the descriptor, then the event mask (none for unregister), then whether this is closed. */
  #ctl(op: number, item: FileDescriptorLike, eventmask: unknown, syscall: string): void {
    const fd = toFd(item, 'fd', syscall);
    const events = op === C.EPOLL_CTL_DEL ? 0 : checkEventmask(eventmask);
    const r = native.epollCtl!(this.#open(syscall), op, fd, events);
    if (r < 0) throw socketError(-r, syscall);
  }

  #wait(max: number, ms: number): Array<[number, number]> {
    const epfd = this.#open('poll');
    if (this.#out.length < 2 * max) this.#out = new Int32Array(2 * max);
    const out = this.#out;
    const n = native.epollWait!(epfd, out, max, ms);
    if (n < 0) throw socketError(-n, 'poll');
    const ready: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) ready.push([out[2 * i], out[2 * i + 1] >>> 0]);
    return ready;
  }
}

function checkSizehint(sizehint: unknown): void {
  const n = checkInt(sizehint, 'sizehint');
  if (n === 0 || n < -1) throw outOfRange('sizehint', '-1 or > 0', n);
}

function checkFlags(flags: unknown): void {
  const n = checkInt(flags, 'flags', 0, 0x7fffffff);
  if (n !== 0 && n !== C.EPOLL_CLOEXEC) throw new SocketError(E.EINVAL, 'epoll', undefined, 'epoll EINVAL: invalid flags');
}

function newEpoll(sizehint = -1, flags = 0): Epoll {
  checkSizehint(sizehint);
  checkFlags(flags);
  if (!native.epollCreate) throw unavailable('epoll');
  const fd = native.epollCreate();
  if (fd < 0) throw socketError(-fd, 'epoll');
  return new Epoll(fd, true);
}

/**
 * A new epoll set (Linux), as Python's `select.epoll(sizehint=-1, flags=0)`: the descriptor is
 * always close-on-exec; `sizehint` (-1 or positive) is ignored by the kernel, `flags` may only be
 * 0 or EPOLL_CLOEXEC. `epoll.fromfd(fd)` wraps an existing epoll descriptor.
 * @throws SocketError ENOSYS where there is no epoll.
 */
export const epoll: ((sizehint?: number, flags?: number) => Epoll) & {
  /** An epoll object owning `fd`, an epoll descriptor made elsewhere (not duplicated). */
  fromfd(fd: number): Epoll;
} =
  Object.assign(newEpoll, { fromfd: (fd: number) => Epoll.fromfd(fd) });
