// Waiting for a descriptor to become ready, on the event loop. One libuv watcher per descriptor
// (libuv allows only one poll handle per fd and loop) serves every wait on it: a Socket's reads and
// writes and any select()/poll() that names it. The watcher is the only piece that depends on
// libuv; it sits behind the small NativeWatcher interface (native.ts).
import { native, type NativeWatcher } from './native';
import { socketError, timeoutError, EBADF } from './errors';

const C = native.constants;
export const POLLIN = C.POLLIN;
export const POLLOUT = C.POLLOUT;
const POLLPRI = C.POLLPRI ?? 0;
const POLLERR = C.POLLERR;
const POLLHUP = C.POLLHUP;
const POLLNVAL = C.POLLNVAL;
/** libuv reports only readable/writable (and, where it can, priority) readiness. */
const WATCHABLE = POLLIN | POLLOUT | POLLPRI;

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

/** One pending wait. Its timer and abort listener exist only when the wait has them. */
class Waiter {
  timer?: NodeJS.Timeout;
  signal?: AbortSignal;
  onAbort?: () => void;

  constructor(readonly events: number, readonly ref: boolean,
    readonly resolve: (revents: number) => void, readonly reject: (error: unknown) => void) {}

  cleanup(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
  }
}

class FdWatch {
  private readonly watcher: NativeWatcher;
  private readonly waiters = new Set<Waiter>();
  private watching = 0;
  private refd = true;
  keep = false;

  constructor(readonly fd: number) {
    this.watcher = new native.Watcher(fd, (revents) => this.onReady(revents));
  }

  add(waiter: Waiter): void {
    this.waiters.add(waiter);
    this.update();
  }

  remove(waiter: Waiter): void {
    if (this.waiters.delete(waiter)) this.update();
  }

  /** Rejects every pending wait with `error` and closes the watcher. */
  close(error: unknown): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    this.watcher.close();
    watches.delete(this.fd);
    for (const w of waiters) {
      w.cleanup();
      w.reject(error);
    }
  }

  /**
   * Arms the watcher for what the waiters want. A kept watcher is not disarmed when its waiters
   * are served: request/response traffic then waits again with no epoll_ctl in between. Should
   * it fire with nobody waiting, onReady narrows it then.
   */
  private update(narrow = false): void {
    if (this.waiters.size === 0 && !this.keep) {
      this.watcher.close();
      watches.delete(this.fd);
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
        this.close(socketError(-r, 'poll'));
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

  private onReady(revents: number): void {
    if (revents < 0) {
      this.close(socketError(-revents, 'poll'));
      return;
    }
    if (revents & POLLNVAL) {
      this.close(socketError(EBADF, 'poll'));
      return;
    }
    const all = (revents & (POLLERR | POLLHUP)) !== 0;
    let served = false;
    for (const w of this.waiters.size === 1 ? this.waiters : [...this.waiters]) {
      if (all || (w.events & revents) !== 0) {
        this.waiters.delete(w);
        w.cleanup();
        w.resolve(revents);
        served = true;
      }
    }
    this.update(!served);
  }
}

const watches = new Map<number, FdWatch>();

function abortError(signal: AbortSignal): unknown {
  if (signal.reason !== undefined) return signal.reason;
  const error = new Error('The operation was aborted');
  error.name = 'AbortError';
  (error as Error & { code: string }).code = 'ABORT_ERR';
  return error;
}

/**
 * Resolves with the poll revents once `fd` is ready for any of `events` (or has an error or hang-up);
 * rejects with TimeoutError after `timeoutMs`, with the signal's reason on abort, or with the
 * error given to closeWatch().
 */
export function waitFor(fd: number, events: number, options: WaitOptions = {}): Promise<number> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<number>((resolve, reject) => {
    let watch = watches.get(fd);
    if (!watch) {
      watch = new FdWatch(fd);
      watches.set(fd, watch);
    }
    const owner = watch;
    if (options.keep) owner.keep = true;
    const waiter = new Waiter(events, options.ref !== false, resolve, reject);
    if (timeoutMs !== undefined && timeoutMs >= 0) {
      waiter.timer = setTimeout(() => {
        owner.remove(waiter);
        waiter.cleanup();
        reject(timeoutError(options.syscall ?? 'poll', options.address));
      }, timeoutMs);
      if (options.ref === false) waiter.timer.unref();
    }
    if (signal) {
      waiter.signal = signal;
      waiter.onAbort = (): void => {
        owner.remove(waiter);
        waiter.cleanup();
        reject(abortError(signal));
      };
      signal.addEventListener('abort', waiter.onAbort, { once: true });
    }
    owner.add(waiter);
  });
}

/** Closes the watcher of `fd`, if any, rejecting its pending waits. Call before closing the fd. */
export function closeWatch(fd: number, error: unknown): void {
  watches.get(fd)?.close(error);
}

/** Whether anything waits on `fd` now. */
export function isWatched(fd: number): boolean {
  return watches.has(fd);
}
