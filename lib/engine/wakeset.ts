// The wake-up of a large Poller's Promise poll(): instead of one libuv watch per registered
// descriptor on every call (O(n) watchers armed and disarmed per wake-up), one epoll set mirrors the
// registrations and the call waits for the epoll descriptor alone. poll(2) still gives every
// result, so what Poller reports does not change; epoll only says when to look. Linux only; a
// set that epoll cannot mirror (a regular file, a closed descriptor) falls back to the watches.
import { native, type NativeFdHandle } from '../binding/native';
import { closedError } from '../binding/errors';
import { sharedWatch, closeWatch, type WatchItem } from './readiness';

const C = native.constants;
/** From this many registered descriptors on, a Poller waits on an epoll set (bench/c100k.js measured it). */
export const WAKESET_MIN = 64;

/** POLL* bits that libuv would watch → the EPOLL* bits to mirror. */
function epollEvents(events: number): number {
  return (events & C.POLLIN ? C.EPOLLIN! : 0) | (events & C.POLLOUT ? C.EPOLLOUT! : 0)
    | (events & (C.POLLPRI ?? 0) ? C.EPOLLPRI! : 0);
}

export class WakeSet {
  #epfd = -1;
  /** The epoll descriptor's owner, which closes it if the Poller is dropped or the environment ends. */
  #handle?: NativeFdHandle;
  #broken = native.epollCreate === undefined;

  /** Mirrors a registration (POLL* bits as libuv watches them), if the set is in use. */
  set(fd: number, events: number): void {
    if (this.#epfd < 0) return;
    const ev = epollEvents(events);
    let r = native.epollCtl!(this.#epfd, C.EPOLL_CTL_MOD!, fd, ev);
    if (r < 0) r = native.epollCtl!(this.#epfd, C.EPOLL_CTL_ADD!, fd, ev);
    if (r < 0) this.#giveUp();
  }

  delete(fd: number): void {
    if (this.#epfd >= 0) native.epollCtl!(this.#epfd, C.EPOLL_CTL_DEL!, fd, 0);  // ENOENT after close(): nothing to do
  }

  /**
   * The one descriptor to wait on for all `size` registrations, or undefined while the set is small
   * or epoll cannot mirror it. `registered` lists them (fd, POLL* bits as libuv watches them) when
   * the epoll set is first made.
   */
  watchItem(size: number, registered: () => Iterable<[number, number]>): WatchItem | undefined {
    if (this.#broken || size < WAKESET_MIN) return undefined;
    if (this.#epfd < 0 && !this.#open(registered())) return undefined;
    return { fd: this.#epfd, events: C.POLLIN, owned: true };
  }

  #open(registered: Iterable<[number, number]>): boolean {
    const fd = native.epollCreate!();
    if (fd < 0) {
      this.#broken = true;
      return false;
    }
    this.#handle = new native.FdHandle(fd, true);
    this.#epfd = fd;
    sharedWatch(fd).keep = true;
    for (const [item, events] of registered) this.set(item, events);
    return this.#epfd >= 0;
  }

  /** Closes the epoll descriptor once nothing is registered (it is made again if the set grows). */
  release(): void {
    if (this.#epfd < 0) return;
    closeWatch(this.#epfd, () => closedError('poll'));
    this.#handle?.close();
    this.#handle = undefined;
    this.#epfd = -1;
  }

  #giveUp(): void {
    this.#broken = true;
    this.release();
  }
}
