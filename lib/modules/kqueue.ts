// Python's select.kqueue and select.kevent over kqueue(2)/kevent(2) (native/kqueue.cc), on macOS
// and the BSDs; elsewhere kqueue() throws ENOSYS (the code is type-checked everywhere). The Promise
// form of control() waits for the kqueue descriptor itself to become readable, in the engine's
// lookUntil as epoll.ts does.
import { native, type NativeFdHandle } from '../binding/native';
import { SocketError, socketError, unavailable, EBADF } from '../binding/errors';
import { sharedWatch, closeWatch } from '../engine/readiness';
import { deadlineInMs } from '../engine/deadline';
import { lookUntil, nonEmpty } from '../engine/wait';
import { toFd, type FileDescriptorLike, type SelectOptions } from './select';
import { readSignal, invalidArgType, checkInt } from '../input/validate';
import { epollTimeoutMs } from './epoll';

const C = native.constants;
/** Python's `select.KQ_FILTER_READ`: `EVFILT_READ` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_READ: number | undefined = C.EVFILT_READ;
/** Python's `select.KQ_FILTER_WRITE`: `EVFILT_WRITE` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_WRITE: number | undefined = C.EVFILT_WRITE;
/** Python's `select.KQ_FILTER_AIO`: `EVFILT_AIO` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_AIO: number | undefined = C.EVFILT_AIO;
/** Python's `select.KQ_FILTER_VNODE`: `EVFILT_VNODE` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_VNODE: number | undefined = C.EVFILT_VNODE;
/** Python's `select.KQ_FILTER_PROC`: `EVFILT_PROC` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_PROC: number | undefined = C.EVFILT_PROC;
/** Python's `select.KQ_FILTER_SIGNAL`: `EVFILT_SIGNAL` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_SIGNAL: number | undefined = C.EVFILT_SIGNAL;
/** Python's `select.KQ_FILTER_TIMER`: `EVFILT_TIMER` from the C headers; undefined where there is no kqueue. */
export const KQ_FILTER_TIMER: number | undefined = C.EVFILT_TIMER;
/** Python's `select.KQ_EV_ADD`: `EV_ADD` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_ADD: number | undefined = C.EV_ADD;
/** Python's `select.KQ_EV_DELETE`: `EV_DELETE` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_DELETE: number | undefined = C.EV_DELETE;
/** Python's `select.KQ_EV_ENABLE`: `EV_ENABLE` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_ENABLE: number | undefined = C.EV_ENABLE;
/** Python's `select.KQ_EV_DISABLE`: `EV_DISABLE` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_DISABLE: number | undefined = C.EV_DISABLE;
/** Python's `select.KQ_EV_ONESHOT`: `EV_ONESHOT` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_ONESHOT: number | undefined = C.EV_ONESHOT;
/** Python's `select.KQ_EV_CLEAR`: `EV_CLEAR` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_CLEAR: number | undefined = C.EV_CLEAR;
/** Python's `select.KQ_EV_EOF`: `EV_EOF` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_EOF: number | undefined = C.EV_EOF;
/** Python's `select.KQ_EV_ERROR`: `EV_ERROR` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_ERROR: number | undefined = C.EV_ERROR;
/** Python's `select.KQ_EV_SYSFLAGS`: `EV_SYSFLAGS` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_SYSFLAGS: number | undefined = C.EV_SYSFLAGS;
/** Python's `select.KQ_EV_FLAG1`: `EV_FLAG1` from the C headers; undefined where there is no kqueue. */
export const KQ_EV_FLAG1: number | undefined = C.EV_FLAG1;

/** The six numbers a kevent crosses to native code as. */
const FIELDS = 6;

/** A kernel event, as Python's `select.kevent`: what to watch (in a changelist) or what happened. */
export class KEvent {
  /**
   * @param ident the descriptor (or other identifier) watched.
   * @param filter a `KQ_FILTER_*` value.
   * @param flags `KQ_EV_*` bits.
   * @param fflags filter-specific flags.
   * @param data filter-specific data (bytes readable, for one).
   * @param udata a number carried along unchanged.
   */
  constructor(
    readonly ident: number,
    readonly filter: number,
    readonly flags: number,
    readonly fflags: number = 0,
    readonly data: number = 0,
    readonly udata: number = 0,
  ) {}
}

/**
 * A kevent, as Python's `select.kevent(ident, filter=KQ_FILTER_READ, flags=KQ_EV_ADD, fflags=0,
 * data=0, udata=0)`; `ident` may be a descriptor number or an object with `fileno()`.
 */
export function kevent(ident: FileDescriptorLike, filter?: number, flags?: number, fflags = 0, data = 0, udata = 0): KEvent {
  const id = typeof ident === 'number' ? checkInt(ident, 'ident', 0, Number.MAX_SAFE_INTEGER) : toFd(ident, 'ident', 'kevent');
  return new KEvent(id, checkInt(filter ?? KQ_FILTER_READ ?? 0, 'filter', -0x8000, 0x7fff),
    checkInt(flags ?? KQ_EV_ADD ?? 0, 'flags', 0, 0xffff), checkInt(fflags, 'fflags', 0, 0xffffffff),
    checkInt(data, 'data', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER), checkInt(udata, 'udata', 0, Number.MAX_SAFE_INTEGER));
}

function packChanges(changelist: unknown): Float64Array {
  if (changelist === null || changelist === undefined) return new Float64Array(0);
  if (typeof (changelist as Iterable<unknown>)[Symbol.iterator] !== 'function') {
    throw invalidArgType('changelist', 'an iterable of kevent objects or null', changelist);
  }
  const list = Array.from(changelist as Iterable<unknown>);
  const out = new Float64Array(list.length * FIELDS);
  list.forEach((ev, i) => {
    if (!(ev instanceof KEvent)) throw invalidArgType(`changelist[${i}]`, 'a kevent', ev);
    out.set([ev.ident, ev.filter, ev.flags, ev.fflags, ev.data, ev.udata], i * FIELDS);
  });
  return out;
}

const NO_CHANGES = new Float64Array(0);

/** A kernel event queue, as Python's `select.kqueue` object. */
export class Kqueue {
  #fd: number;
  /** The descriptor's owner: closes it on close(), on garbage collection or when the environment ends. */
  readonly #handle: NativeFdHandle;

  /** Use {@link kqueue}. */
  constructor(fd: number, fresh = false) {
    this.#fd = fd;
    this.#handle = new native.FdHandle(fd, fresh);
    sharedWatch(fd).keep = true;
  }

  /** A kqueue object owning `fd`, a kqueue descriptor made elsewhere (Python's `kqueue.fromfd`). */
  static fromfd(fd: number): Kqueue {
    checkInt(fd, 'fd', 0);
    return new Kqueue(fd);
  }

  /** Whether close() has been called. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** The kqueue descriptor. @throws SocketError EBADF once closed. */
  fileno(): number {
    return this.#open('fileno');
  }

  /**
   * Applies `changelist` and returns up to `maxevents` events, blocking the calling thread.
   * @param timeout seconds; `undefined`, `null` or negative waits forever, 0 only polls.
   */
  controlSync(changelist: Iterable<KEvent> | null, maxevents: number, timeout?: number | null): KEvent[] {
    const changes = packChanges(changelist);
    const max = checkInt(maxevents, 'maxevents', 0);
    return this.#control(changes, max, epollTimeoutMs(timeout));
  }

  /**
   * Applies `changelist`, then waits on the event loop for up to `maxevents` events.
   * @param timeout seconds; `undefined`, `null` or negative waits forever, 0 only polls.
   */
  async control(changelist: Iterable<KEvent> | null, maxevents: number, timeout?: number | null,
    options?: SelectOptions): Promise<KEvent[]> {
    const changes = packChanges(changelist);
    const max = checkInt(maxevents, 'maxevents', 0);
    const ms = epollTimeoutMs(timeout);
    const signal = readSignal(options);
    const deadline = deadlineInMs(ms);
    const ready = this.#control(changes, max, 0);  // the changes are applied once, whatever follows
    if (ready.length > 0 || max === 0) return ready;
    const items = [{ fd: this.#open('control'), events: C.POLLIN, owned: true }];
    return lookUntil(items, deadline, signal, () => nonEmpty(this.#control(NO_CHANGES, max, 0)), () => []);
  }

  /** Closes the kqueue descriptor; pending control() calls reject. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    closeWatch(fd, () => new SocketError(EBADF, 'control'));
    this.#handle.close();
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(syscall: string): number {
    if (this.#fd < 0) throw new SocketError(EBADF, syscall, undefined, `${syscall} EBADF: I/O operation on closed kqueue object`);
    return this.#fd;
  }

  #control(changes: Float64Array, max: number, ms: number): KEvent[] {
    const kq = this.#open('control');
    const out = new Float64Array(max * FIELDS);
    const n = native.kqueueControl!(kq, changes, out, max, ms);
    if (n < 0) throw socketError(-n, 'control');
    const events: KEvent[] = [];
    for (let i = 0; i < n; i++) {
      const f = out.subarray(i * FIELDS, (i + 1) * FIELDS);
      events.push(new KEvent(f[0], f[1], f[2], f[3], f[4], f[5]));
    }
    return events;
  }
}

function newKqueue(): Kqueue {
  if (!native.kqueueCreate) throw unavailable('kqueue');
  const fd = native.kqueueCreate();
  if (fd < 0) throw socketError(-fd, 'kqueue');
  return new Kqueue(fd, true);
}

/**
 * A new kernel event queue (macOS and the BSDs), as Python's `select.kqueue()`; close-on-exec.
 * `kqueue.fromfd(fd)` wraps an existing one.
 * @throws SocketError ENOSYS where there is no kqueue.
 */
export const kqueue: (() => Kqueue) & {
  /** A kqueue object owning `fd`, a kqueue descriptor made elsewhere. */
  fromfd(fd: number): Kqueue;
} =
  Object.assign(newKqueue, { fromfd: (fd: number) => Kqueue.fromfd(fd) });
