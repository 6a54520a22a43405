// Waiting for a descriptor to become ready, on the event loop. One libuv watcher per descriptor
// (libuv allows only one poll handle per fd and loop) serves every wait on it: a Socket's reads and
// writes and any select()/poll() that names it. The descriptor's FdHandle (native/handle.cc) keeps
// that watch and stops its watcher before the descriptor closes; there is no table of our own.
// The watcher is the only piece that depends on libuv; it sits behind the small NativeWatcher
// interface (native.ts).
//
// libuv keeps one watcher slot per descriptor number: a second poll handle on a descriptor that
// Node itself may watch (stdin, a net.Socket's) takes that slot over, and closing it takes the
// descriptor out of epoll under Node's feet. So only our own Sockets' descriptors are watched
// directly; waitAny() watches a dup() of any other (epoll registers each descriptor number apart).
import { native, type NativeFdHandle, type NativeWatcher, type NativeWatcherClass } from '../binding/native';
import { abortReason, socketError, timeoutError, EBADF } from '../binding/errors';
import { LongTimer } from './deadline';

const C = native.constants;

export const POLLIN = C.POLLIN;
export const POLLOUT = C.POLLOUT;
const POLLPRI = C.POLLPRI ?? 0;
const POLLERR = C.POLLERR;
const POLLHUP = C.POLLHUP;
const POLLNVAL = C.POLLNVAL;
/** libuv reports only readable/writable (and, where it can, priority) readiness. */
const WATCHABLE = POLLIN | POLLOUT | POLLPRI;
const RDHUP = C.POLLRDHUP ?? 0;

/** Readable with a hang-up: the state in which an EAGAIN means the end of input (wait.ts's EndOfInput). */
export function hungUp(fd: number): boolean {
  return (native.waitFd(fd, POLLIN | RDHUP, 0) & (RDHUP | POLLHUP)) !== 0;
}

export interface WaitOptions {
  /** Milliseconds; undefined or negative waits forever. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Whether this wait keeps the process alive (default true). */
  ref?: boolean;
  /** Keep the watcher after the wait (a Socket's own waits): closeWatch() then ends it. */
  keep?: boolean;
  /** The syscall and address named in a timeout error. */
  syscall?: string;
  address?: unknown;
}

/**
 * What a watch serves: `ready` once the descriptor is ready for `events` (or has an error or
 * hang-up), `fail` when the watch ends under it. The watch removes it from its set before either.
 */
export interface ReadyWaiter {
  readonly events: number;
  readonly ref: boolean;
  ready(revents: number): void;
  fail(error: unknown): void;
}

/** One pending waitFor()/waitAny() wait. Its timer and abort listener exist only when the wait has them. */
class Waiter implements ReadyWaiter {
  timer?: LongTimer;
  signal?: AbortSignal;
  onAbort?: () => void;

  constructor(readonly events: number, readonly ref: boolean,
    private readonly resolve: (revents: number) => void, private readonly reject: (error: unknown) => void) {}

  ready(revents: number): void {
    this.cleanup();
    this.resolve(revents);
  }

  fail(error: unknown): void {
    this.cleanup();
    this.reject(error);
  }

  cleanup(): void {
    this.timer?.clear();
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

export class FdWatch {
  readonly fd: number;
  private readonly watcher: NativeWatcher;
  /** Usually one (a socket's reader): an array sized to its waiters, smaller than a Set for an idle connection. */
  private waiters: ReadyWaiter[] = [];
  private watching = 0;
  private refd = true;
  private ended = false;
  keep = false;

  /**
   * Watches `target`: a descriptor's FdHandle (which stops the watcher before it closes the
   * descriptor) or a bare number. `own` is a handle made for this watch alone (a dup), closed with
   * it. A shared watch keeps no reference to its handle: the watcher's callback is a root, and the
   * handle must stay collectable with its Socket.
   */
  constructor(target: number | NativeFdHandle, private readonly own?: NativeFdHandle) {
    this.fd = typeof target === 'number' ? target : target.fd;
    this.watcher = new Watcher(target, (revents) => this.onReady(revents));
  }

  add(waiter: ReadyWaiter): void {
    if (this.waiters.length === 0) this.waiters = [waiter];
    else if (!this.waiters.includes(waiter)) this.waiters.push(waiter);
    this.update();
  }

  remove(waiter: ReadyWaiter): void {
    if (this.unlist(waiter)) this.update();
  }

  /** Fails every pending wait with the error `makeError` builds (only if someone waits) and closes the watcher. */
  close(makeError: () => unknown): void {
    const waiters = this.waiters;
    this.waiters = [];
    this.end();
    if (waiters.length === 0) return;
    const error = makeError();
    for (const w of waiters) w.fail(error);
  }

  /**
   * Arms the watcher for what the waiters want. A kept watcher is not disarmed when its waiters
   * are served: request/response traffic then waits again with no epoll_ctl in between. Should
   * it fire with nobody waiting, onReady narrows it then.
   */
  private update(narrow = false): void {
    if (this.waiters.length === 0 && !this.keep) {
      this.end();
      return;
    }
    let events = 0;
    let ref = false;
    for (const w of this.waiters) {
      events |= w.events;
      ref ||= w.ref;
    }
    events &= WATCHABLE;
    if (!narrow) events |= this.watching;
    if (events !== this.watching) {
      const r = this.watcher.start(events);
      if (r < 0) {
        this.close(() => socketError(-r, 'poll'));
        return;
      }
      this.watching = events;
    }
    if (ref !== this.refd) {
      if (ref) this.watcher.ref();
      else this.watcher.unref();
      this.refd = ref;
    }
  }

  /** Stops watching; a dup made for the watch is closed once libuv no longer watches it. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.watcher.close();
    if (this.own) {
      this.own.close();
      return;
    }
    const handle = native.handleOf(this.fd);
    if (handle?.watch === this) handle.watch = undefined;
  }

  private onReady(revents: number): void {
    if (revents < 0) {
      this.close(() => socketError(-revents, 'poll'));
      return;
    }
    if (revents & POLLNVAL) {
      this.close(() => socketError(EBADF, 'poll'));
      return;
    }
    const all = (revents & (POLLERR | POLLHUP)) !== 0;
    let served = false;
    // A waiter served may wait again at once (a retry that said EAGAIN): never iterate the live set.
    if (this.waiters.length === 1) {
      served = this.serve(this.waiters[0], revents, all);
    } else {
      for (const w of this.waiters.slice()) served = this.serve(w, revents, all) || served;
    }
    if (!this.ended) this.update(!served);
  }

  private serve(w: ReadyWaiter, revents: number, all: boolean): boolean {
    if (!all && (w.events & revents) === 0) return false;
    if (!this.unlist(w)) return false;  // already gone: ended by an earlier one's work
    w.ready(revents);
    return true;
  }

  /** Takes `w` off the list; false if it was not on it. */
  private unlist(w: ReadyWaiter): boolean {
    const i = this.waiters.indexOf(w);
    if (i < 0) return false;
    this.waiters.splice(i, 1);
    return true;
  }
}

/** The watch that the handle owning `fd` keeps, if any: the handle is the only registry of descriptors. */
function watchOf(fd: number): FdWatch | undefined {
  return native.handleOf(fd)?.watch as FdWatch | undefined;
}

/**
 * Resolves with the poll revents once `fd` is ready for any of `events` (or has an error or hang-up);
 * rejects with TimeoutError after `timeoutMs`, with an AbortError (the signal's reason as `cause`) on abort, or with the
 * error given to closeWatch().
 */
export function waitFor(fd: number, events: number, options: WaitOptions = {}): Promise<number> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<number>((resolve, reject) => {
    const owner = sharedWatch(fd);
    if (options.keep) owner.keep = true;
    const waiter = new Waiter(events, options.ref !== false, resolve, reject);
    if (timeoutMs !== undefined && timeoutMs >= 0) {
      waiter.timer = new LongTimer(() => {
        owner.remove(waiter);
        waiter.fail(timeoutError(options.syscall ?? 'poll', options.address));
      }, timeoutMs, options.ref !== false);
    }
    if (signal) {
      waiter.signal = signal;
      waiter.onAbort = (): void => {
        owner.remove(waiter);
        waiter.fail(abortReason(signal));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    owner.add(waiter);
  });
}

/**
 * Closes the watcher of `fd`, if any, failing its pending waits with the error `makeError` builds
 * (called only when there are some). Call before closing the fd.
 */
export function closeWatch(fd: number, makeError: () => unknown): void {
  watchOf(fd)?.close(makeError);
}

/** Whether `fd` is one of ours (a handle owns it): then it is watched as it is, never through a dup. */
export function isOwnedWatch(fd: number): boolean {
  return native.handleOf(fd) !== undefined;
}

/** Whether anything watches `fd` now. */
export function isWatched(fd: number): boolean {
  return watchOf(fd) !== undefined;
}

/** One descriptor for waitAny(): `owned` when it is one of our Sockets', which may be watched as is. */
export interface WatchItem {
  fd: number;
  events: number;
  owned: boolean;
}

/** What ended a waitAny(): the descriptors that may be ready, and those that could not be watched. */
export interface WaitAnyResult {
  woke: number[];
  failed: number[];
}

/**
 * Waits until any of `items` may be ready for its events, `timeoutMs` passes (negative: never), or
 * `signal` aborts (which rejects). One timer and one abort listener serve every descriptor. A
 * descriptor that is not `owned` is watched through a dup() of it, closed when the wait ends.
 * A descriptor whose watch fails (e.g. EPERM for a regular file) is reported in `failed`.
 */
export function waitAny(items: WatchItem[], timeoutMs: number, signal?: AbortSignal): Promise<WaitAnyResult> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const result: WaitAnyResult = { woke: [], failed: [] };
    const pending: Array<[FdWatch, Waiter]> = [];
    let timer: LongTimer | undefined;
    let settled = false;
    const finish = (): void => {
      settled = true;
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
      for (const [watch, waiter] of pending) watch.remove(waiter);
    };
    const onAbort = (): void => {
      finish();
      reject(abortReason(signal!));
    };
    const settleSoon = (): void => {
      // Let every wait that ended in the same loop turn report before resolving.
      queueMicrotask(() => {
        if (settled) return;
        finish();
        resolve(result);
      });
    };
    for (const { fd, events, owned } of items) {
      const watch = owned ? sharedWatch(fd) : dupWatch(fd);
      if (watch === undefined) {
        result.failed.push(fd);
        continue;
      }
      const waiter = new Waiter(events, true,
        () => { result.woke.push(fd); settleSoon(); },
        () => { result.failed.push(fd); settleSoon(); });
      pending.push([watch, waiter]);
      watch.add(waiter);
    }
    if (result.failed.length > 0) settleSoon();
    if (timeoutMs >= 0) timer = new LongTimer(() => { finish(); resolve(result); }, timeoutMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The watch of one of our descriptors, kept by its handle and made on first use; a descriptor no
 * handle owns gets a watch of its own, shared with nobody.
 */
export function sharedWatch(fd: number): FdWatch {
  const handle = native.handleOf(fd);
  if (handle === undefined) return new FdWatch(fd);
  let watch = handle.watch as FdWatch | undefined;
  if (!watch) {
    watch = new FdWatch(handle);
    handle.watch = watch;
  }
  return watch;
}

/** A watch of its own on a dup of `fd`, or undefined when `fd` cannot be duplicated. */
function dupWatch(fd: number): FdWatch | undefined {
  const copy = native.dup(fd);
  if (copy < 0) return undefined;
  const handle = new native.FdHandle(copy, true);
  return new FdWatch(handle, handle);
}

/** Where readiness comes from: see {@link backend}. */
export type Backend = 'libuv' | 'thread' | 'uring';

/**
 * Where readiness comes from, chosen once at load, before any watcher exists:
 * - `libuv`: Node's own loop (uv_poll, watcher.cc), the default under Node;
 * - `thread`: the addon's poll thread (pollthread.cc), for Bun (whose Node-API has no libuv) and
 *   Deno (whose uv_poll stand-in sometimes never reports a ready descriptor: Promise operations
 *   hung in about one run in three of scripts/runtime-check.mjs);
 * - `uring`: an io_uring per thread (uring.cc, Linux under Node), when BSD_SOCKETS_BACKEND asks for
 *   it and the kernel allows it; otherwise libuv, without a word. bench/README.md has the
 *   measurements that keep libuv the default.
 * BSD_SOCKETS_BACKEND=uring|libuv|thread forces one. BSD_SOCKETS_URING_PROBE=fail (a test hook)
 * makes the io_uring probe fail, as a kernel that refuses io_uring would.
 */
export const backend: Backend = chooseBackend();

/**
 * Whether the Promise forms of recv, recvInto, send and sendall on a stream socket are submitted to
 * the ring (completion.ts) rather than tried and waited for: the uring backend is in use, the
 * kernel has the operations, and BSD_SOCKETS_URING_OPS is not `0` (bench/README.md has the
 * measurements behind the default).
 */
export const ringOps: boolean = backend === 'uring' && process.env.BSD_SOCKETS_URING_OPS !== '0' && native.uringSocketOps?.() === true;

const Watcher: NativeWatcherClass = backend === 'uring' ? native.UringWatcher! :
  backend === 'thread' ? native.ThreadWatcher! : native.UvWatcher;

function chooseBackend(): Backend {
  const forced = process.env.BSD_SOCKETS_BACKEND;
  const ownLoop = process.versions.bun === undefined && !('Deno' in globalThis);
  const wanted = forced === 'thread' || forced === 'libuv' || forced === 'uring' ? forced : ownLoop ? 'libuv' : 'thread';
  if (wanted === 'uring' && ownLoop && openUring()) return 'uring';
  if (wanted === 'thread' && native.ThreadWatcher) {
    native.startPollThread!(); // now, as libuv's loop exists before any watcher; start() reports a failure
    return 'thread';
  }
  return 'libuv';
}

/** Opens this thread's ring (its descriptor then exists before anyone counts descriptors): the probe. */
function openUring(): boolean {
  if (!native.UringWatcher || !native.startUring) return false;
  if (process.env.BSD_SOCKETS_URING_PROBE === 'fail') return false;
  return native.startUring() === 0;
}
