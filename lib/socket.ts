// class Socket: one descriptor, the calls of API.md in their Sync and Promise forms.
//
// Modes follow Python: blocking (timeout null), timeout (t > 0 seconds), non-blocking (0). The
// descriptor is O_NONBLOCK in the last two, and in blocking mode once a Promise accept/connect has
// needed it; Sync calls then wait in poll() themselves, so every mode behaves the same either way.
// Promise send/recv calls pass MSG_DONTWAIT and never block the event loop.
import { native } from './native';
import {
  EAGAIN, EINPROGRESS, BlockingIOError, check, closedError, socketError, timeoutError,
} from './errors';
import { fromBlob, newBlob, packAddress, toBlobAsync, toBlobSync, type Address, type ReturnedAddress } from './address';
import { closeWatch, isWatched, waitFor } from './readiness';
import {
  checkAncbufsize, checkAncillary, checkBuffers, messagesNative as M, unavailable,
  type Ancillary, type NativeRecvmsg, type RecvmsgResult,
} from './messages';
import {
  checkBoolean, checkBytes, checkInt, checkOptionalInt, checkSize, checkTimeout, invalidArgType,
} from './validate';
import { toNetSocket, toStream, type SocketStream, type SocketStreamOptions } from './stream';
import { sendfile, sendfileSync, type SendfileOptions, type SendfileSource } from './sendfile';

const C = native.constants;
const POLLIN = C.POLLIN;
const POLLOUT = C.POLLOUT;
const MSG_DONTWAIT = C.MSG_DONTWAIT ?? 0;
const TYPE_FLAGS = (C.SOCK_NONBLOCK ?? 0) | (C.SOCK_CLOEXEC ?? 0);
const SOMAXCONN = C.SOMAXCONN;
const MSG_WAITFORONE = C.MSG_WAITFORONE ?? 0;

/** Options accepted by every Promise form. */
export interface OperationOptions {
  /** Aborts the operation when signalled: the Promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

let defaultTimeout: number | null = null;

/** The timeout (seconds, or null for blocking) that new sockets start with. */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/** Sets the timeout that new sockets start with: null (blocking), 0 (non-blocking) or seconds. */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout);
}

// Descriptors of sockets dropped without close() are closed when the object is collected.
const finalizer = new FinalizationRegistry<number>((fd) => {
  closeWatch(fd, closedError('close'));
  native.close(fd);
  process.emitWarning(`Closing socket file descriptor ${fd} on garbage collection`, {
    type: 'Warning',
    code: 'BSD_SOCKETS_UNCLOSED',
    detail: 'Close sockets explicitly with close() or a `using` declaration.',
  });
});

// Set by accept just before it wraps the new descriptor, whose blocking mode it chose itself:
// saves the constructor an fcntl() per connection.
let acceptedNonblocking: boolean | undefined;

// Blobs that a system call fills with an address; read at once, so one per module suffices.
const addressOut = newBlob();
const intOut = new Int32Array(3);

function now(): number {
  return performance.now();
}

function checkFlags(flags: unknown): number {
  return checkOptionalInt(flags, 'flags', 0);
}

/**
 * The turn of the Promise operations of one direction, so that readers (or writers) go in order.
 * An operation that finds the turn free takes it at once, with no promise in between.
 */
class Turns {
  busy = false;
  private readonly queue: Array<() => void> = [];

  /** Waits until the turn is this caller's (abortable while it waits). */
  wait(signal?: AbortSignal): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(grant);
        if (i !== -1) this.queue.splice(i, 1);
        reject(signal!.reason);
      };
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(grant);
    });
  }

  /** Ends the current turn, handing it to the next waiter. */
  release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.busy = false;
  }
}

/** A socket on one descriptor, with Python's methods; see API.md. */
export class Socket {
  private _fd: number;
  private readonly _family: number;
  private readonly _type: number;
  private readonly _proto: number;
  private _timeout: number | null;
  private _fdNonblocking: boolean;
  private _forcedNonblocking = false;
  private _ref = true;
  private readonly _readers = new Turns();
  private readonly _writers = new Turns();

  /**
   * Creates a socket, or (with `fileno`) wraps an existing descriptor without duplicating it;
   * family, type and proto left undefined are then read from the descriptor.
   */
  constructor(family?: number, type?: number, proto?: number, fileno?: number) {
    let timeout = defaultTimeout;
    if (fileno === undefined) {
      family = checkOptionalInt(family, 'family', C.AF_INET);
      type = checkOptionalInt(type, 'type', C.SOCK_STREAM);
      proto = checkOptionalInt(proto, 'proto', 0);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      this._fd = check(native.socket(family, type & ~TYPE_FLAGS, proto, timeout !== null), 'socket');
      this._fdNonblocking = timeout !== null;
    } else {
      checkInt(fileno, 'fileno', 0);
      const knownNonblocking = acceptedNonblocking;
      acceptedNonblocking = undefined;
      if (family === undefined || type === undefined || proto === undefined) {
        check(native.socketInfo(fileno, intOut), 'getsockopt');
      }
      family = checkOptionalInt(family, 'family', intOut[0]);
      type = checkOptionalInt(type, 'type', intOut[1]);
      proto = checkOptionalInt(proto, 'proto', intOut[2]);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      native.adoptFd(fileno);
      this._fd = fileno;
      this._fdNonblocking = knownNonblocking ?? (check(native.getFdFlags(fileno), 'fcntl') & 1) !== 0;
    }
    this._family = family;
    this._type = type & ~TYPE_FLAGS;
    this._proto = proto;
    this._timeout = timeout;
    this.applyFdMode();
    finalizer.register(this, this._fd, this);
  }

  /** The address family, e.g. AF_INET. */
  get family(): number { return this._family; }
  /** The socket type, without SOCK_NONBLOCK/SOCK_CLOEXEC bits. */
  get type(): number { return this._type; }
  /** The protocol number. */
  get proto(): number { return this._proto; }
  /** The descriptor, or -1 once closed or detached. */
  get fd(): number { return this._fd; }
  /** Whether close() or detach() has been called. */
  get closed(): boolean { return this._fd < 0; }
  /** The descriptor, or -1 once closed or detached. */
  fileno(): number { return this._fd; }

  // --- life cycle ---------------------------------------------------------------------------

  /** Closes the descriptor; pending Promise operations reject with EBADF. Idempotent. */
  close(): void {
    const fd = this.release('close');
    if (fd < 0) return;
    const r = native.close(fd);
    if (r < 0 && r !== -native.errnoNames.ECONNRESET) throw socketError(-r, 'close');
  }

  /** Gives up the descriptor without closing it and returns it (the socket is then closed). */
  detach(): number {
    const fd = this.release('detach');
    if (fd >= 0) native.disownFd(fd);
    if (fd >= 0 && this._forcedNonblocking) native.setNonblocking(fd, this._timeout !== null);
    return fd;
  }

  private release(syscall: string): number {
    const fd = this._fd;
    if (fd < 0) return -1;
    this._fd = -1;
    finalizer.unregister(this);
    if (isWatched(fd)) closeWatch(fd, closedError(syscall));
    return fd;
  }

  /** Closes the socket, as close() does, at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A new Socket on a duplicate of the descriptor, with the same timeout. */
  dup(): Socket {
    const fd = check(native.dup(this.openFd('dup')), 'dup');
    const copy = new Socket(this._family, this._type, this._proto, fd);
    copy.settimeout(this._timeout);
    return copy;
  }

  /** Lets pending Promise operations keep the process alive (the default). */
  ref(): this {
    this._ref = true;
    return this;
  }

  /** Pending Promise operations no longer keep the process alive. */
  unref(): this {
    this._ref = false;
    return this;
  }

  private openFd(syscall: string): number {
    const fd = this._fd;
    if (fd < 0) throw closedError(syscall);
    return fd;
  }

  // --- plain methods -----------------------------------------------------------------------

  /** Binds to `address` (resolving a host name with a blocking look-up). */
  bind(address: Address): void {
    const fd = this.openFd('bind');
    check(native.bind(fd, toBlobSync(this._family, address)), 'bind', address);
  }

  /** Listens for connections; the default backlog is min(SOMAXCONN, 128), as in Python. */
  listen(backlog?: number): void {
    const fd = this.openFd('listen');
    let n = checkOptionalInt(backlog, 'backlog', Math.min(SOMAXCONN, 128));
    if (n < 0) n = 0;
    check(native.listen(fd, n), 'listen');
  }

  /** Shuts down reading (SHUT_RD), writing (SHUT_WR) or both (SHUT_RDWR). */
  shutdown(how: number): void {
    const fd = this.openFd('shutdown');
    check(native.shutdown(fd, checkInt(how, 'how')), 'shutdown');
  }

  /** The socket's own address. */
  getsockname(): ReturnedAddress {
    check(native.getsockname(this.openFd('getsockname'), addressOut), 'getsockname');
    return fromBlob(addressOut, this._family);
  }

  /** The connected peer's address. */
  getpeername(): ReturnedAddress {
    check(native.getpeername(this.openFd('getpeername'), addressOut), 'getpeername');
    return fromBlob(addressOut, this._family);
  }

  /** Sets an option: an integer (booleans as 1/0) or raw bytes for struct-valued options. */
  setsockopt(level: number, name: number, value: number | boolean | Uint8Array): void {
    const fd = this.openFd('setsockopt');
    checkInt(level, 'level');
    checkInt(name, 'name');
    let r: number;
    if (typeof value === 'boolean') r = native.setsockoptInt(fd, level, name, value ? 1 : 0);
    else if (typeof value === 'number') r = native.setsockoptInt(fd, level, name, checkInt(value, 'value', -0x80000000, 0xffffffff) | 0);
    else if (value instanceof Uint8Array) r = native.setsockoptBytes(fd, level, name, value);
    else throw invalidArgType('value', 'of type number or boolean, or an instance of Buffer or Uint8Array', value);
    check(r, 'setsockopt');
  }

  /** Reads an integer option, or with `buflen` the option's raw bytes (at most buflen of them). */
  getsockopt(level: number, name: number): number;
  getsockopt(level: number, name: number, buflen: number): Buffer;
  getsockopt(level: number, name: number, buflen?: number): number | Buffer {
    const fd = this.openFd('getsockopt');
    checkInt(level, 'level');
    checkInt(name, 'name');
    if (buflen === undefined) {
      check(native.getsockoptInt(fd, level, name, intOut), 'getsockopt');
      return intOut[0];
    }
    const into = Buffer.alloc(checkInt(buflen, 'buflen', 1, 1 << 20));
    const n = check(native.getsockoptBytes(fd, level, name, into), 'getsockopt');
    return into.subarray(0, n);
  }

  /** setblocking(false) is settimeout(0); setblocking(true) is settimeout(null). */
  setblocking(flag: boolean): void {
    this.openFd('setblocking');
    this.settimeout(checkBoolean(flag, 'flag') ? null : 0);
  }

  /** False only in non-blocking mode (timeout 0). */
  getblocking(): boolean {
    this.openFd('getblocking');
    return this._timeout !== 0;
  }

  /** null: block; 0: never wait; t > 0: waits longer than t seconds fail with TimeoutError. */
  settimeout(timeout: number | null): void {
    const t = checkTimeout(timeout);
    this.openFd('settimeout');
    this._timeout = t;
    this.applyFdMode();
  }

  /** The timeout in seconds, or null in blocking mode. */
  gettimeout(): number | null {
    return this._timeout;
  }

  /** Whether child processes inherit the descriptor (false by default: close-on-exec). */
  setInheritable(flag: boolean): void {
    check(native.setCloexec(this.openFd('setInheritable'), !checkBoolean(flag, 'flag')), 'fcntl');
  }

  /** Whether child processes inherit the descriptor (false when close-on-exec is set, the default). */
  getInheritable(): boolean {
    return (check(native.getFdFlags(this.openFd('getInheritable')), 'fcntl') & 2) === 0;
  }

  private applyFdMode(): void {
    const wanted = this._timeout !== null || this._forcedNonblocking;
    if (wanted !== this._fdNonblocking) {
      check(native.setNonblocking(this._fd, wanted), 'fcntl');
      this._fdNonblocking = wanted;
    }
  }

  /** Promise accept/connect cannot ask for MSG_DONTWAIT: they need an O_NONBLOCK descriptor. */
  private forceNonblocking(): void {
    if (!this._fdNonblocking) {
      this._forcedNonblocking = true;
      this.applyFdMode();
    }
  }

  // --- waiting ------------------------------------------------------------------------------

  /**
   * After a system call returned `result` < 0: throws unless the call would block and the mode lets
   * it wait; otherwise returns the deadline (performance.now() ms, -1 for none) given or set now.
   */
  private waitDeadline(result: number, syscall: string, deadline: number, address?: unknown): number {
    if (result !== -EAGAIN) throw socketError(-result, syscall, address);
    const timeout = this._timeout;
    if (timeout === 0) throw socketError(EAGAIN, syscall, address);
    if (timeout === null) return -1;
    if (deadline < 0) deadline = now() + timeout * 1000;
    if (deadline <= now()) throw timeoutError(syscall, address);
    return deadline;
  }

  /** Waits on this thread until the descriptor is ready for `events` (see waitDeadline). */
  private waitSync(result: number, events: number, syscall: string, deadline: number, address?: unknown): number {
    deadline = this.waitDeadline(result, syscall, deadline, address);
    const r = native.waitFd(this.openFd(syscall), events, deadline < 0 ? -1 : deadline - now());
    if (r < 0) throw socketError(-r, syscall, address);
    if (r === 0) throw timeoutError(syscall, address);
    return deadline;
  }

  /** The Promise twin of waitSync's wait: readiness on the event loop until `deadline` (see waitDeadline). */
  private ready(events: number, syscall: string, deadline: number, signal: AbortSignal | undefined,
    address?: unknown): Promise<number> {
    return waitFor(this.openFd(syscall), events, {
      timeoutMs: deadline < 0 ? -1 : deadline - now(), signal, ref: this._ref, keep: true, syscall, address,
    });
  }

  /**
   * Runs `attempt` (a non-blocking system call) until it stops saying EAGAIN, in this socket's
   * turn for reading or writing. The first try happens at once when nothing else is queued.
   */
  private async io(turns: Turns, events: number, syscall: string, options: OperationOptions | undefined,
    attempt: (fd: number) => number, address?: unknown): Promise<number> {
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    if (turns.busy) await turns.wait(signal);
    else turns.busy = true;
    try {
      let r = attempt(this.openFd(syscall));
      let deadline = -1;
      while (r < 0) {
        deadline = this.waitDeadline(r, syscall, deadline, address);
        await this.ready(events, syscall, deadline, signal, address);
        r = attempt(this.openFd(syscall));
      }
      return r;
    } finally {
      turns.release();
    }
  }

  // --- accept / connect ----------------------------------------------------------------------

  /** Waits for a connection: `[Socket, address]`. The new socket starts with the default timeout. */
  acceptSync(): [Socket, ReturnedAddress] {
    const nonblock = defaultTimeout !== null;
    let deadline = -1;
    for (;;) {
      const r = native.accept(this.openFd('accept'), addressOut, nonblock);
      if (r >= 0) return [this.adopt(r, nonblock), fromBlob(addressOut, this._family)];
      deadline = this.waitSync(r, POLLIN, 'accept', deadline);
    }
  }

  /** Promise form of acceptSync. */
  async accept(options?: OperationOptions): Promise<[Socket, ReturnedAddress]> {
    this.openFd('accept');
    this.forceNonblocking();
    const nonblock = defaultTimeout !== null;
    let address: ReturnedAddress = null;
    const fd = await this.io(this._readers, POLLIN, 'accept', options, (s) => {
      const r = native.accept(s, addressOut, nonblock);
      if (r >= 0) address = fromBlob(addressOut, this._family);
      return r;
    });
    return [this.adopt(fd, nonblock), address];
  }

  private adopt(fd: number, nonblock: boolean): Socket {
    acceptedNonblocking = nonblock;
    try {
      return new Socket(this._family, this._type, this._proto, fd);
    } catch (error) {
      native.close(fd);
      throw error;
    }
  }

  private connectError(): number {
    check(native.getsockoptInt(this.openFd('connect'), C.SOL_SOCKET, C.SO_ERROR, intOut), 'getsockopt');
    return intOut[0];
  }

  /**
   * Returns 0 or the errno of a failed connect (shared by connectSync and connectEx); a wait that
   * outlasts the timeout gives -1. Only EINPROGRESS means "in progress": a Unix socket's EAGAIN (a
   * full backlog) means nothing happened, and is reported as it is, as in Python.
   */
  private connectErrno(address: Address): number {
    const fd = this.openFd('connect');
    const r = native.connect(fd, toBlobSync(this._family, address));
    if (r === 0) return 0;
    if (r !== -EINPROGRESS || this._timeout === 0) return -r;
    const ms = this._timeout === null ? -1 : this._timeout * 1000;
    const ready = native.waitFd(fd, POLLOUT, ms);
    if (ready < 0) return -ready;
    if (ready === 0) return -1;
    return this.connectError();
  }

  /** Connects to `address`, waiting according to the socket's mode. */
  connectSync(address: Address): void {
    const e = this.connectErrno(address);
    if (e === -1) throw timeoutError('connect', address);
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  /** Like connectSync, but returns the error number (0 on success) instead of throwing it; a timeout gives EAGAIN, as in Python. */
  connectEx(address: Address): number {
    const e = this.connectErrno(address);
    return e === -1 ? EAGAIN : e;
  }

  /** Promise form of connectSync: completes through writability and SO_ERROR. */
  async connect(address: Address, options?: OperationOptions): Promise<void> {
    this.openFd('connect');
    const blob = await toBlobAsync(this._family, address);
    this.forceNonblocking();
    let r = native.connect(this.openFd('connect'), blob);
    if (r === -EAGAIN && this._family === C.AF_UNIX && this._timeout === null) r = await this.retryUnixConnect(blob, options?.signal);
    if (r === 0) return;
    if (r !== -EINPROGRESS) throw socketError(-r, 'connect', address);
    if (this._timeout === 0) throw new BlockingIOError(EINPROGRESS, 'connect', address);
    const deadline = this._timeout === null ? -1 : now() + this._timeout * 1000;
    await this.ready(POLLOUT, 'connect', deadline, options?.signal, address);
    const e = this.connectError();
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  /**
   * A blocking-mode Unix connect would wait in the kernel for room in the listener's backlog; the
   * kernel gives no readiness event for that, so the Promise form retries on a short timer.
   */
  private async retryUnixConnect(blob: Buffer, signal?: AbortSignal): Promise<number> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      await new Promise<void>((resolve) => { const t = setTimeout(resolve, delay); if (!this._ref) t.unref(); });
      if (signal?.aborted) throw signal.reason;
      const r = native.connect(this.openFd('connect'), blob);
      if (r !== -EAGAIN) return r;
    }
  }

  // --- sending ------------------------------------------------------------------------------

  /** Sends bytes; returns how many were sent (may be fewer than given). */
  sendSync(data: Uint8Array, flags?: number): number {
    checkBytes(data, 'data');
    const f = checkFlags(flags);
    let deadline = -1;
    for (;;) {
      const r = native.send(this.openFd('send'), data, 0, data.length, f);
      if (r >= 0) return r;
      deadline = this.waitSync(r, POLLOUT, 'send', deadline);
    }
  }

  /** Promise form of sendSync. */
  send(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<number> {
    checkBytes(data, 'data');
    const f = checkFlags(flags) | MSG_DONTWAIT;
    return this.io(this._writers, POLLOUT, 'send', options, (fd) => native.send(fd, data, 0, data.length, f));
  }

  /** Sends every byte, retrying partial sends; one deadline covers the whole call. */
  sendallSync(data: Uint8Array, flags?: number): void {
    checkBytes(data, 'data');
    const f = checkFlags(flags);
    let offset = 0;
    let deadline = -1;
    while (offset < data.length) {
      const r = native.send(this.openFd('send'), data, offset, data.length - offset, f);
      if (r >= 0) offset += r;
      else deadline = this.waitSync(r, POLLOUT, 'send', deadline);
    }
  }

  /** Promise form of sendallSync. */
  async sendall(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<void> {
    checkBytes(data, 'data');
    const f = checkFlags(flags) | MSG_DONTWAIT;
    const signal = options?.signal;
    if (signal?.aborted) throw signal.reason;
    this.openFd('send');
    if (this._writers.busy) await this._writers.wait(signal);
    else this._writers.busy = true;
    try {
      let offset = 0;
      let deadline = -1;
      while (offset < data.length) {
        const r = native.send(this.openFd('send'), data, offset, data.length - offset, f);
        if (r >= 0) offset += r;
        else {
          deadline = this.waitDeadline(r, 'send', deadline);
          await this.ready(POLLOUT, 'send', deadline, signal);
        }
      }
    } finally {
      this._writers.release();
    }
  }

  private sendtoArgs(flagsOrAddress: unknown, address: unknown): [number, unknown] {
    return address === undefined ? [0, flagsOrAddress] : [checkFlags(flagsOrAddress), address];
  }

  /** Sends a datagram to `address`: sendtoSync(data, address) or sendtoSync(data, flags, address). */
  sendtoSync(data: Uint8Array, address: Address): number;
  sendtoSync(data: Uint8Array, flags: number, address: Address): number;
  sendtoSync(data: Uint8Array, flagsOrAddress: number | Address, maybeAddress?: Address): number {
    checkBytes(data, 'data');
    const [f, address] = this.sendtoArgs(flagsOrAddress, maybeAddress);
    const fd = this.openFd('sendto');
    const blob = toBlobSync(this._family, address);
    let deadline = -1;
    for (;;) {
      const r = native.sendto(fd, data, 0, data.length, f, blob);
      if (r >= 0) return r;
      deadline = this.waitSync(r, POLLOUT, 'sendto', deadline, address);
    }
  }

  /** Promise form of sendtoSync; a host name is resolved without blocking. */
  sendto(data: Uint8Array, address: Address, options?: OperationOptions): Promise<number>;
  sendto(data: Uint8Array, flags: number, address: Address, options?: OperationOptions): Promise<number>;
  async sendto(data: Uint8Array, a: number | Address, b?: Address | OperationOptions, c?: OperationOptions): Promise<number> {
    checkBytes(data, 'data');
    const withFlags = typeof a === 'number';
    const [f, address] = withFlags ? [checkFlags(a), b] : [0, a];
    const options = (withFlags ? c : b) as OperationOptions | undefined;
    this.openFd('sendto');
    const packed = packAddress(this._family, address);
    const blob = Buffer.isBuffer(packed) ? packed : await toBlobAsync(this._family, address);
    const flags = f | MSG_DONTWAIT;
    return this.io(this._writers, POLLOUT, 'sendto', options, (fd) => native.sendto(fd, data, 0, data.length, flags, blob), address);
  }

  // --- receiving ----------------------------------------------------------------------------

  private static checkBufsize(bufsize: unknown): number {
    return checkInt(bufsize, 'bufsize', 0);
  }

  private static trimmed(buffer: Buffer, n: number): Buffer {
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  }

  /** Receives up to `bufsize` bytes; an empty Buffer means the peer has closed. */
  recvSync(bufsize: number, flags?: number): Buffer {
    const size = Socket.checkBufsize(bufsize);
    const buffer = Buffer.allocUnsafe(size);
    return Socket.trimmed(buffer, this.recvIntoSync(buffer, 0, flags));
  }

  /** Promise form of recvSync. */
  async recv(bufsize: number, flags?: number, options?: OperationOptions): Promise<Buffer> {
    const size = Socket.checkBufsize(bufsize);
    const buffer = Buffer.allocUnsafe(size);
    return Socket.trimmed(buffer, await this.recvInto(buffer, 0, flags, options));
  }

  /** Receives into `buffer` (its first `nbytes`, or all of it), without copying; returns the count. */
  recvIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): number {
    checkBytes(buffer, 'buffer');
    const length = checkSize(nbytes, 'nbytes', buffer.length, buffer.length);
    const f = checkFlags(flags);
    let deadline = -1;
    for (;;) {
      const r = native.recv(this.openFd('recv'), buffer, 0, length, f);
      if (r >= 0) return r;
      deadline = this.waitSync(r, POLLIN, 'recv', deadline);
    }
  }

  /** Promise form of recvIntoSync. The buffer must not be touched until the Promise settles. */
  recvInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<number> {
    checkBytes(buffer, 'buffer');
    const length = checkSize(nbytes, 'nbytes', buffer.length, buffer.length);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    return this.io(this._readers, POLLIN, 'recv', options, (fd) => native.recv(fd, buffer, 0, length, f));
  }

  /** Receives a datagram: `[Buffer, sender's address]`. */
  recvfromSync(bufsize: number, flags?: number): [Buffer, ReturnedAddress] {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const [n, address] = this.recvfromIntoSync(buffer, 0, flags);
    return [Socket.trimmed(buffer, n), address];
  }

  /** Promise form of recvfromSync. */
  async recvfrom(bufsize: number, flags?: number, options?: OperationOptions): Promise<[Buffer, ReturnedAddress]> {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const [n, address] = await this.recvfromInto(buffer, 0, flags, options);
    return [Socket.trimmed(buffer, n), address];
  }

  /** Receives a datagram into `buffer`: `[count, sender's address]`. */
  recvfromIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): [number, ReturnedAddress] {
    checkBytes(buffer, 'buffer');
    const length = checkSize(nbytes, 'nbytes', buffer.length, buffer.length);
    const f = checkFlags(flags);
    let deadline = -1;
    for (;;) {
      const r = native.recvfrom(this.openFd('recvfrom'), buffer, 0, length, f, addressOut);
      if (r >= 0) return [r, fromBlob(addressOut, this._family)];
      deadline = this.waitSync(r, POLLIN, 'recvfrom', deadline);
    }
  }

  /** Promise form of recvfromIntoSync. */
  async recvfromInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<[number, ReturnedAddress]> {
    checkBytes(buffer, 'buffer');
    const length = checkSize(nbytes, 'nbytes', buffer.length, buffer.length);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    let address: ReturnedAddress = null;
    const n = await this.io(this._readers, POLLIN, 'recvfrom', options, (fd) => {
      const r = native.recvfrom(fd, buffer, 0, length, f, addressOut);
      if (r >= 0) address = fromBlob(addressOut, this._family);
      return r;
    });
    return [n, address];
  }

  // --- messages -----------------------------------------------------------------------------

  private messageAddress(address: Address | undefined): Buffer | null {
    return address === undefined || address === null ? null : toBlobSync(this._family, address);
  }

  /** Sends the concatenation of `buffers` with ancillary data `[level, type, data][]`; returns bytes sent. */
  sendmsgSync(buffers: Uint8Array[], ancdata?: Ancillary[] | null, flags?: number, address?: Address): number {
    const parts = checkBuffers(buffers);
    const anc = checkAncillary(ancdata);
    const f = checkFlags(flags);
    const fd = this.openFd('sendmsg');
    const blob = this.messageAddress(address);
    let deadline = -1;
    for (;;) {
      const r = M.sendmsg(fd, parts, anc, f, blob);
      if (r >= 0) return r;
      deadline = this.waitSync(r, POLLOUT, 'sendmsg', deadline, address);
    }
  }

  /** Promise form of sendmsgSync. */
  async sendmsg(buffers: Uint8Array[], ancdata?: Ancillary[] | null, flags?: number, address?: Address,
    options?: OperationOptions): Promise<number> {
    const parts = checkBuffers(buffers);
    const anc = checkAncillary(ancdata);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    this.openFd('sendmsg');
    const blob = address === undefined || address === null ? null : await toBlobAsync(this._family, address);
    return this.io(this._writers, POLLOUT, 'sendmsg', options, (fd) => M.sendmsg(fd, parts, anc, f, blob), address);
  }

  /** Receives up to `bufsize` bytes and up to `ancbufsize` bytes of ancillary data: `[data, ancdata, msgFlags, address]`. */
  recvmsgSync(bufsize: number, ancbufsize?: number, flags?: number): RecvmsgResult {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags);
    let deadline = -1;
    for (;;) {
      const r = M.recvmsg(this.openFd('recvmsg'), [buffer], anc, f, addressOut);
      if (typeof r !== 'number') return this.recvmsgResult(buffer, r);
      deadline = this.waitSync(r, POLLIN, 'recvmsg', deadline);
    }
  }

  /** Promise form of recvmsgSync. */
  async recvmsg(bufsize: number, ancbufsize?: number, flags?: number, options?: OperationOptions): Promise<RecvmsgResult> {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    let result!: RecvmsgResult;
    await this.io(this._readers, POLLIN, 'recvmsg', options, (fd) => {
      const r = M.recvmsg(fd, [buffer], anc, f, addressOut);
      if (typeof r === 'number') return r;
      result = this.recvmsgResult(buffer, r);
      return r[0];
    });
    return result;
  }

  private recvmsgResult(buffer: Buffer, [n, ancdata, msgFlags]: Exclude<NativeRecvmsg, number>): RecvmsgResult {
    return [Socket.trimmed(buffer, Math.min(n, buffer.length)), ancdata, msgFlags, fromBlob(addressOut, this._family)];
  }

  private _mmsgBlobs?: Buffer;
  private _mmsgLengths?: Int32Array;

  /** Address blobs and lengths for a batch of `count`, kept for the next batch (results are read at once). */
  private mmsgScratch(count: number): [Buffer, Int32Array] {
    if (!this._mmsgLengths || this._mmsgLengths.length < count) {
      this._mmsgBlobs = Buffer.alloc(count * native.addrBlobSize);
      this._mmsgLengths = new Int32Array(count);
    }
    return [this._mmsgBlobs!, this._mmsgLengths];
  }

  private mmsgResults(n: number, blobs: Buffer, lengths: Int32Array): Array<[number, ReturnedAddress]> {
    const size = native.addrBlobSize;
    const out: Array<[number, ReturnedAddress]> = new Array(n);
    for (let i = 0; i < n; i++) out[i] = [lengths[i], fromBlob(blobs, this._family, i * size)];
    return out;
  }

  /**
   * Receives a batch of datagrams with one system call (Linux), one into each of `buffers`:
   * `[nbytes, address][]`, as many entries as datagrams arrived (at least one).
   */
  recvmmsgSync(buffers: Uint8Array[], flags?: number): Array<[number, ReturnedAddress]> {
    this.openFd('recvmmsg');
    if (!M.recvmmsg) throw unavailable('recvmmsg');
    const parts = checkBuffers(buffers);
    const f = checkFlags(flags) | MSG_WAITFORONE;
    const [blobs, lengths] = this.mmsgScratch(parts.length);
    let deadline = -1;
    for (;;) {
      const r = M.recvmmsg(this.openFd('recvmmsg'), parts, blobs, lengths, f);
      if (r >= 0) return this.mmsgResults(r, blobs, lengths);
      deadline = this.waitSync(r, POLLIN, 'recvmmsg', deadline);
    }
  }

  /** Promise form of recvmmsgSync. */
  async recvmmsg(buffers: Uint8Array[], flags?: number, options?: OperationOptions): Promise<Array<[number, ReturnedAddress]>> {
    this.openFd('recvmmsg');
    if (!M.recvmmsg) throw unavailable('recvmmsg');
    const recvmmsg = M.recvmmsg;
    const parts = checkBuffers(buffers);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    const [blobs, lengths] = this.mmsgScratch(parts.length);
    const n = await this.io(this._readers, POLLIN, 'recvmmsg', options, (fd) => recvmmsg(fd, parts, blobs, lengths, f));
    return this.mmsgResults(n, blobs, lengths);
  }

  private mmsgMessages(messages: unknown): [Uint8Array[], Array<Buffer | null>] {
    if (!Array.isArray(messages)) throw invalidArgType('messages', 'an array of [data, address?]', messages);
    const parts: Uint8Array[] = [];
    const blobs: Array<Buffer | null> = [];
    for (const [i, message] of messages.entries()) {
      if (!Array.isArray(message) || message.length < 1 || message.length > 2) {
        throw invalidArgType(`messages[${i}]`, 'an array [data, address?]', message);
      }
      parts.push(checkBytes(message[0], `messages[${i}][0]`));
      blobs.push(message[1] === undefined || message[1] === null ? null : toBlobSync(this._family, message[1]));
    }
    return [parts, blobs];
  }

  /** Sends a batch of datagrams `[data, address?][]` with one system call (Linux); returns how many were sent. */
  sendmmsgSync(messages: Array<[Uint8Array, Address?]>, flags?: number): number {
    this.openFd('sendmmsg');
    if (!M.sendmmsg) throw unavailable('sendmmsg');
    const [parts, blobs] = this.mmsgMessages(messages);
    const f = checkFlags(flags);
    let deadline = -1;
    for (;;) {
      const r = M.sendmmsg(this.openFd('sendmmsg'), parts, blobs, f);
      if (r >= 0) return r;
      deadline = this.waitSync(r, POLLOUT, 'sendmmsg', deadline);
    }
  }

  /** Promise form of sendmmsgSync. */
  sendmmsg(messages: Array<[Uint8Array, Address?]>, flags?: number, options?: OperationOptions): Promise<number> {
    if (this._fd < 0) return Promise.reject(closedError('sendmmsg'));
    if (!M.sendmmsg) return Promise.reject(unavailable('sendmmsg'));
    const sendmmsg = M.sendmmsg;
    const [parts, blobs] = this.mmsgMessages(messages);
    const f = checkFlags(flags) | MSG_DONTWAIT;
    return this.io(this._writers, POLLOUT, 'sendmmsg', options, (fd) => sendmmsg(fd, parts, blobs, f));
  }

  // --- streams and hand-off (lib/stream.ts, lib/sendfile.ts) ----------------------------------

  /** A stream.Duplex over this connected SOCK_STREAM or SOCK_SEQPACKET socket (see SocketStream). */
  toStream(options?: SocketStreamOptions): SocketStream { return toStream(this, options); }
  /** Hands the descriptor to Node as a net.Socket; this Socket is detached. */
  toNetSocket(): import('node:net').Socket { return toNetSocket(this); }
  /** Sends `count` bytes (default: to the end) of `file` from `offset` (Python's sendfile); returns the bytes sent. */
  sendfileSync(file: SendfileSource, offset?: number, count?: number): number { return sendfileSync(this, file, offset, count); }
  /** Promise form of sendfileSync. */
  sendfile(file: SendfileSource, offset?: number, count?: number, options?: SendfileOptions): Promise<number> {
    return sendfile(this, file, offset, count, options, this._ref);
  }
}

/** Creates a socket: the same as `new Socket(family, type, proto)`. */
export function socket(family?: number, type?: number, proto?: number): Socket {
  return new Socket(family, type, proto);
}

/** A pair of connected sockets (AF_UNIX, SOCK_STREAM by default). */
export function socketpair(family?: number, type?: number, proto?: number): [Socket, Socket] {
  const f = checkOptionalInt(family, 'family', C.AF_UNIX);
  const t = checkOptionalInt(type, 'type', C.SOCK_STREAM);
  const p = checkOptionalInt(proto, 'proto', 0);
  const fds = new Int32Array(2);
  check(native.socketpair(f, t & ~TYPE_FLAGS, p, false, fds), 'socketpair');
  let a: Socket | undefined;
  try {
    a = new Socket(f, t, p, fds[0]);
    return [a, new Socket(f, t, p, fds[1])];
  } catch (error) {
    if (a) a.close();
    else native.close(fds[0]);
    native.close(fds[1]);
    throw error;
  }
}

/** A Socket on a duplicate of `fd`; unspecified family, type and proto are read from it. */
export function fromfd(fd: number, family?: number, type?: number, proto?: number): Socket {
  checkInt(fd, 'fd', 0);
  const copy = check(native.dup(fd), 'dup');
  try {
    return new Socket(family, type, proto, copy);
  } catch (error) {
    native.close(copy);
    throw error;
  }
}
