// Python's selectors module: file objects registered with EVENT_READ/EVENT_WRITE and a datum,
// selected together. DefaultSelector sits on the best mechanism the platform has: epoll on Linux,
// kqueue on macOS and the BSDs, poll(2) elsewhere; each is a small Backend below.
import { native } from '../binding/native';
import { SocketError, EBADF } from '../binding/errors';
import { toFd, poll, type FileDescriptorLike, type SelectOptions, type Poller } from './select';
import { epoll, type Epoll } from './epoll';
import { kqueue, kevent, KQ_FILTER_READ, KQ_FILTER_WRITE, KQ_EV_ADD, KQ_EV_DELETE, type Kqueue, type KEvent } from './kqueue';
import { invalidArgType, outOfRange, readSignal } from '../input/validate';

/** Readable, as Python's `selectors.EVENT_READ`. */
export const EVENT_READ = 1;
/** Writable, as Python's `selectors.EVENT_WRITE`. */
export const EVENT_WRITE = 2;

const C = native.constants;

/** What a registration is: the object given, its descriptor, the events and the datum (Python's `SelectorKey`). */
export interface SelectorKey<T = FileDescriptorLike, D = unknown> {
  /** The object registered, as given. */
  readonly fileobj: T;
  /** Its descriptor number. */
  readonly fd: number;
  /** EVENT_READ and/or EVENT_WRITE. */
  readonly events: number;
  /** The datum given to register() or modify(). */
  readonly data: D;
}

/**
 * A file object that is not registered (or is registered already), as Python's `KeyError` from
 * `selectors`; `key` holds the file object.
 */
export class KeyError extends Error {
  /**
   * @param key the file object.
   * @param message what is wrong with it.
   */
  constructor(readonly key: unknown, message: string) {
    super(message);
  }

  static {
    Object.defineProperty(KeyError.prototype, 'name', { value: 'KeyError', writable: true, configurable: true });
  }
}

/** What a selector needs of the kernel: a set of descriptors with EVENT_* masks. */
export interface Backend {
  add(fd: number, events: number): void;
  change(fd: number, events: number): void;
  remove(fd: number): void;
  /** `[fd, EVENT_* bits]` ready within `timeoutMs` (-1: forever), at most `max`. */
  waitSync(timeoutMs: number, max: number): Array<[number, number]>;
  wait(timeoutMs: number, max: number, signal?: AbortSignal): Promise<Array<[number, number]>>;
  close(): void;
  fileno?(): number;
}

/** Python's rule for epoll and poll results: anything but "only readable" may mean writable, and back. */
function toSelectorEvents(revents: number, inBit: number, outBit: number): number {
  let events = 0;
  if (revents & ~inBit) events |= EVENT_WRITE;
  if (revents & ~outBit) events |= EVENT_READ;
  return events;
}

function maskOf(events: number, readBit: number, writeBit: number): number {
  return (events & EVENT_READ ? readBit : 0) | (events & EVENT_WRITE ? writeBit : 0);
}

class EpollBackend implements Backend {
  readonly #ep: Epoll = epoll();

  add(fd: number, events: number): void {
    this.#ep.register(fd, maskOf(events, C.EPOLLIN!, C.EPOLLOUT!));
  }

  change(fd: number, events: number): void {
    this.#ep.modify(fd, maskOf(events, C.EPOLLIN!, C.EPOLLOUT!));
  }

  remove(fd: number): void {
    try {
      this.#ep.unregister(fd);
    } catch (error) {
      // As Python's: a descriptor closed before unregister() has already left the epoll set.
      if (!(error instanceof SocketError)) throw error;
    }
  }

  waitSync(timeoutMs: number, max: number): Array<[number, number]> {
    return this.#convert(this.#ep.pollSync(seconds(timeoutMs), max));
  }

  async wait(timeoutMs: number, max: number, signal?: AbortSignal): Promise<Array<[number, number]>> {
    return this.#convert(await this.#ep.poll(seconds(timeoutMs), max, { signal }));
  }

  close(): void {
    this.#ep.close();
  }

  fileno(): number {
    return this.#ep.fileno();
  }

  #convert(ready: Array<[number, number]>): Array<[number, number]> {
    return ready.map(([fd, ev]) => [fd, toSelectorEvents(ev, C.EPOLLIN!, C.EPOLLOUT!)]);
  }
}

class PollBackend implements Backend {
  readonly #poller: Poller = poll();
  #closed = false;

  add(fd: number, events: number): void {
    this.#poller.register(fd, maskOf(events, C.POLLIN, C.POLLOUT));
  }

  change(fd: number, events: number): void {
    this.#poller.modify(fd, maskOf(events, C.POLLIN, C.POLLOUT));
  }

  remove(fd: number): void {
    this.#poller.unregister(fd);
  }

  waitSync(timeoutMs: number): Array<[number, number]> {
    return this.#convert(this.#poller.pollSync(timeoutMs));
  }

  async wait(timeoutMs: number, _max: number, signal?: AbortSignal): Promise<Array<[number, number]>> {
    return this.#convert(await this.#poller.poll(timeoutMs, { signal }));
  }

  close(): void {
    this.#closed = true;
  }

  #convert(ready: Array<[number, number]>): Array<[number, number]> {
    if (this.#closed) return [];
    return ready.map(([fd, ev]) => [fd, toSelectorEvents(ev, C.POLLIN, C.POLLOUT)]);
  }
}

class KqueueBackend implements Backend {
  readonly #kq: Kqueue = kqueue();

  add(fd: number, events: number): void {
    this.#kq.controlSync(this.#changes(fd, events, KQ_EV_ADD!), 0, 0);
  }

  change(fd: number, events: number): void {
    // Python's KqueueSelector also unregisters and registers again.
    this.remove(fd);
    this.add(fd, events);
  }

  remove(fd: number): void {
    for (const filter of [KQ_FILTER_READ!, KQ_FILTER_WRITE!]) {
      try {
        this.#kq.controlSync([kevent(fd, filter, KQ_EV_DELETE!)], 0, 0);
      } catch (error) {
        if (!(error instanceof SocketError)) throw error;  // not registered for that filter, or closed
      }
    }
  }

  waitSync(timeoutMs: number, max: number): Array<[number, number]> {
    return this.#convert(this.#kq.controlSync(null, max * 2, seconds(timeoutMs)));
  }

  async wait(timeoutMs: number, max: number, signal?: AbortSignal): Promise<Array<[number, number]>> {
    return this.#convert(await this.#kq.control(null, max * 2, seconds(timeoutMs), { signal }));
  }

  close(): void {
    this.#kq.close();
  }

  fileno(): number {
    return this.#kq.fileno();
  }

  #changes(fd: number, events: number, flags: number): KEvent[] {
    const out: KEvent[] = [];
    if (events & EVENT_READ) out.push(kevent(fd, KQ_FILTER_READ!, flags));
    if (events & EVENT_WRITE) out.push(kevent(fd, KQ_FILTER_WRITE!, flags));
    return out;
  }

  #convert(ready: KEvent[]): Array<[number, number]> {
    const byFd = new Map<number, number>();
    for (const ev of ready) {
      const bit = ev.filter === KQ_FILTER_READ ? EVENT_READ : ev.filter === KQ_FILTER_WRITE ? EVENT_WRITE : 0;
      byFd.set(ev.ident, (byFd.get(ev.ident) ?? 0) | bit);
    }
    return [...byFd];
  }
}

const seconds = (ms: number): number | null => (ms < 0 ? null : ms / 1000);

/** Python's selector timeout (seconds) in milliseconds: -1 forever, 0 for <= 0, else rounded up. */
function selectorTimeoutMs(timeout: unknown): number {
  if (timeout === undefined || timeout === null) return -1;
  if (typeof timeout !== 'number') throw invalidArgType('timeout', 'of type number or null', timeout);
  if (Number.isNaN(timeout)) throw outOfRange('timeout', 'a number', timeout);
  if (timeout === Infinity) return -1;
  return timeout <= 0 ? 0 : Math.ceil(timeout * 1000);
}

function checkEvents(events: unknown): number {
  if (typeof events !== 'number') throw invalidArgType('events', 'of type number', events);
  if (!Number.isInteger(events) || events === 0 || (events & ~(EVENT_READ | EVENT_WRITE)) !== 0 || events < 0) {
    throw outOfRange('events', 'EVENT_READ, EVENT_WRITE or both', events);
  }
  return events;
}

function describe(fileobj: unknown): string {
  return typeof fileobj === 'number' ? String(fileobj) : `${(fileobj as object)?.constructor?.name ?? typeof fileobj} object`;
}

/**
 * A selector as Python's `selectors` has it: `register(fileobj, events, data)` →
 * {@link SelectorKey}, `modify`, `unregister`, `select(timeout)` → `[key, events]` pairs (Promise)
 * and `selectSync`, `getKey`, `getMap`, `close`. Use {@link DefaultSelector}, or a named one.
 */
export class BaseSelector<T extends FileDescriptorLike = FileDescriptorLike, D = unknown> {
  #backend: Backend | undefined;
  #map: Map<number, SelectorKey<T, D>> | undefined = new Map();

  protected constructor(backend: Backend) {
    this.#backend = backend;
  }

  /**
   * Registers a file object (a descriptor number or an object with `fileno()`) for events.
   * @throws KeyError if it (or its descriptor) is registered already; RangeError
   *   (`ERR_OUT_OF_RANGE`) for events other than EVENT_READ, EVENT_WRITE or both; TypeError
   *   (`ERR_INVALID_ARG_TYPE`) for a value without a descriptor; SocketError as the kernel refuses
   *   the descriptor (EBADF, EPERM for a regular file under epoll).
   */
  register(fileobj: T, events: number, data?: D): SelectorKey<T, D> {
    const checked = checkEvents(events);
    const map = this.#openMap('register');
    const fd = this.#fdOf(fileobj, map);
    if (map.has(fd)) throw new KeyError(fileobj, `${describe(fileobj)} (FD ${fd}) is already registered`);
    const key: SelectorKey<T, D> = Object.freeze({ fileobj, fd, events: checked, data: data as D });
    this.#backend!.add(fd, checked);
    map.set(fd, key);
    return key;
  }

  /**
   * Removes a registration and returns its key. A file object closed already may be given: it is
   * then found by identity, as in Python.
   * @throws KeyError if it is not registered.
   */
  unregister(fileobj: T): SelectorKey<T, D> {
    const map = this.#openMap('unregister');
    const key = this.#keyOf(fileobj, map);
    map.delete(key.fd);
    this.#backend!.remove(key.fd);
    return key;
  }

  /**
   * Changes the events or the datum of a registration; returns the new key.
   * @throws KeyError if it is not registered; the errors of {@link register} for bad events; SocketError if the
   *   kernel refuses (a descriptor closed since), and the registration is then dropped, as in Python.
   */
  modify(fileobj: T, events: number, data?: D): SelectorKey<T, D> {
    const map = this.#openMap('modify');
    const key = this.#keyOf(fileobj, map);  // Python's order: a file object not registered is KeyError first
    const checked = checkEvents(events);
    if (checked === key.events && data === key.data) return key;
    if (checked !== key.events) this.#change(key, checked, map);
    const changed: SelectorKey<T, D> = Object.freeze({ ...key, events: checked, data: data as D });
    map.set(key.fd, changed);
    return changed;
  }

  /**
   * Waits until some registered file objects are ready, blocking the calling thread.
   * @param timeout seconds; `undefined`/`null` waits forever, `<= 0` only polls.
   * @returns `[key, events]` pairs (events: EVENT_READ | EVENT_WRITE bits); empty on timeout.
   */
  selectSync(timeout?: number | null): Array<[SelectorKey<T, D>, number]> {
    const ms = selectorTimeoutMs(timeout);
    const map = this.#openMap('select');
    return this.#keys(this.#backend!.waitSync(ms, Math.max(map.size, 1)));
  }

  /**
   * Waits on the event loop until some registered file objects are ready.
   * @param timeout seconds; `undefined`/`null` waits forever, `<= 0` only polls.
   * @param options `signal` cancels the wait.
   * @returns a Promise of `[key, events]` pairs; empty on timeout.
   */
  async select(timeout?: number | null, options?: SelectOptions): Promise<Array<[SelectorKey<T, D>, number]>> {
    const ms = selectorTimeoutMs(timeout);
    const signal = readSignal(options);
    const map = this.#openMap('select');
    return this.#keys(await this.#backend!.wait(ms, Math.max(map.size, 1), signal));
  }

  /**
   * The key of a registered file object.
   * @throws KeyError if it is not registered.
   */
  getKey(fileobj: T): SelectorKey<T, D> {
    return this.#keyOf(fileobj, this.#openMap('getKey'));
  }

  /** The registrations by descriptor (read-only), or null once closed (Python's `get_map()`). */
  getMap(): ReadonlyMap<number, SelectorKey<T, D>> | null {
    return this.#map ?? null;
  }

  /** Forgets every registration and closes the kernel object; the file objects stay open. */
  close(): void {
    if (!this.#backend) return;
    this.#map = undefined;
    this.#backend.close();
    this.#backend = undefined;
  }

  /** The descriptor of the kernel object (epoll, kqueue), as Python's `fileno()` of those selectors; -1 for poll. */
  fileno(): number {
    this.#openMap('fileno');
    return this.#backend!.fileno?.() ?? -1;
  }

  /** close(), for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** The kernel's part of modify(); if it refuses (a descriptor closed since), the key is dropped, as in Python. */
  #change(key: SelectorKey<T, D>, events: number, map: Map<number, SelectorKey<T, D>>): void {
    try {
      this.#backend!.change(key.fd, events);
    } catch (error) {
      map.delete(key.fd);
      throw error;
    }
  }

  #openMap(syscall: string): Map<number, SelectorKey<T, D>> {
    if (!this.#map) throw new SocketError(EBADF, syscall, undefined, `${syscall} EBADF: the selector is closed`);
    return this.#map;
  }

  /** The descriptor of a file object; a closed one (fileno() -1) is found among the keys by identity. */
  #fdOf(fileobj: T, map: Map<number, SelectorKey<T, D>>): number {
    try {
      return toFd(fileobj, 'fileobj', 'register');
    } catch (error) {
      for (const key of map.values()) if (key.fileobj === fileobj) return key.fd;
      throw error;
    }
  }

  #keyOf(fileobj: T, map: Map<number, SelectorKey<T, D>>): SelectorKey<T, D> {
    const key = map.get(this.#fdOf(fileobj, map));
    if (!key) throw new KeyError(fileobj, `${describe(fileobj)} is not registered`);
    return key;
  }

  #keys(ready: Array<[number, number]>): Array<[SelectorKey<T, D>, number]> {
    const out: Array<[SelectorKey<T, D>, number]> = [];
    const map = this.#map;
    if (!map) return out;
    for (const [fd, events] of ready) {
      const key = map.get(fd);
      if (key) out.push([key, events & key.events]);
    }
    return out;
  }
}

/** A selector on epoll(7) (Linux), as Python's `selectors.EpollSelector`. @throws SocketError ENOSYS elsewhere. */
export class EpollSelector<T extends FileDescriptorLike = FileDescriptorLike, D = unknown> extends BaseSelector<T, D> {
  constructor() {
    super(new EpollBackend());
  }
}

/** A selector on kqueue(2) (macOS, the BSDs), as Python's `selectors.KqueueSelector`. @throws SocketError ENOSYS elsewhere. */
export class KqueueSelector<T extends FileDescriptorLike = FileDescriptorLike, D = unknown> extends BaseSelector<T, D> {
  constructor() {
    super(new KqueueBackend());
  }
}

/** A selector on poll(2), everywhere, as Python's `selectors.PollSelector`. */
export class PollSelector<T extends FileDescriptorLike = FileDescriptorLike, D = unknown> extends BaseSelector<T, D> {
  constructor() {
    super(new PollBackend());
  }
}

/** Which mechanism DefaultSelector uses here: `'epoll'`, `'kqueue'` or `'poll'`. */
export const defaultSelectorMechanism: 'epoll' | 'kqueue' | 'poll' =
  native.epollCreate ? 'epoll' : native.kqueueCreate ? 'kqueue' : 'poll';

function bestBackend(): Backend {
  if (defaultSelectorMechanism === 'epoll') return new EpollBackend();
  if (defaultSelectorMechanism === 'kqueue') return new KqueueBackend();
  return new PollBackend();
}

/**
 * The best selector of the platform, as Python's `selectors.DefaultSelector`: epoll on Linux,
 * kqueue on macOS and the BSDs, poll(2) elsewhere ({@link defaultSelectorMechanism} says which).
 */
export class DefaultSelector<T extends FileDescriptorLike = FileDescriptorLike, D = unknown> extends BaseSelector<T, D> {
  constructor() {
    super(bestBackend());
  }
}
