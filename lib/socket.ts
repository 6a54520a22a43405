// class Socket: one descriptor, the calls of API.md in their Sync and Promise forms.
//
// Modes follow Python: blocking (timeout null), timeout (t > 0 seconds), non-blocking (0). The
// descriptor is O_NONBLOCK in the last two, and in blocking mode once a Promise accept/connect has
// needed it; Sync calls then wait in poll() themselves, so every mode behaves the same either way.
// Promise send/recv calls pass MSG_DONTWAIT and never block the event loop. How a call waits (its
// deadline, its turn, the retry on EAGAIN) is wait.ts's; each method here is one attempt over it.
import { native, type NativeFdHandle } from './native';
import {
  EAGAIN, EINPROGRESS, SocketError, TimeoutError, check, closedError, hideInternalFrames, socketError, timeoutError,
  unavailable,
} from './errors';
import {
  fromBlob, newBlob, packAddress, toBlobAsync, toBlobSync, type AddressOf, type ReceivedAddressOf, type ReturnedAddressOf,
} from './address';
import type { AF_INET, AF_UNIX } from './constants';
import { closeWatch, isWatched } from './readiness';
import { EndOfInput, Waits, type Op, type Session } from './wait';
import { deadlineOf } from './deadline';
import {
  checkAncbufsize, checkAncillary, checkBuffers,
  type Ancillary, type NativeRecvmsg, type RecvmsgResult, type RecvmmsgResult,
} from './messages';
import {
  checkBoolean, checkBytes, checkConstant, checkFlags, checkInt, checkOptionalInt, checkSize, checkTimeout, invalidArgType, readSignal,
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
  /** Aborts the operation when signalled: the Promise rejects with an AbortError whose `cause` is the signal's reason. */
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

// A Socket's FdHandle closes the descriptor of a socket dropped without close() when it is
// collected, and then calls this.
function warnUnclosed(fd: number): void {
  process.emitWarning(`Closing socket file descriptor ${fd} on garbage collection`, {
    type: 'Warning',
    code: 'BSD_SOCKETS_UNCLOSED',
    detail: 'Close sockets explicitly with close() or a `using` declaration.',
  });
}

// Set by accept just before it wraps the new descriptor, whose blocking mode it chose itself:
// saves the constructor an fcntl() per connection.
let acceptedNonblocking: boolean | undefined;

// Blobs that a system call fills with an address; read at once, so one per module suffices.
const addressOut = newBlob();
const intOut = new Int32Array(3);

/**
 * A socket on one descriptor, with Python's methods; see API.md. `F` is its address family's type
 * (`Socket<AF_INET>`, from `socket(AF_INET)`), which types the addresses it takes and returns; a
 * `Socket` (a `Socket<number>`) takes and returns any shape.
 */
export class Socket<F extends number = number> {
  private _fd: number;
  /** The descriptor's one owner: closes it on close(), on garbage collection or when the environment ends. */
  private readonly _handle: NativeFdHandle;
  private readonly _family: F;
  private readonly _type: number;
  private readonly _proto: number;
  private _timeout: number | null;
  private _fdNonblocking: boolean;
  private _forcedNonblocking = false;
  private readonly _waits = new Waits({ fd: (syscall) => this.openFd(syscall), nonblocking: (fd) => this.makeNonblocking(fd) });

  /**
   * Creates a socket, or (with `fileno`) wraps an existing descriptor without duplicating it;
   * family, type and proto left undefined are then read from the descriptor. Without `fileno`, an
   * argument passed explicitly as `undefined` (a constant this platform lacks) is a TypeError.
   * Types: `new Socket(AF_INET6)` is a `Socket<AF_INET6>`; `new Socket()` is a `Socket` (any
   * family's shapes), where `socket()` gives a `Socket<AF_INET>`.
   */
  constructor();
  constructor(family: F, type?: number, proto?: number);
  constructor(family: F | undefined, type: number | undefined, proto: number | undefined, fileno: number);
  constructor(family?: number, type?: number, proto?: number, fileno?: number) {
    let timeout = defaultTimeout;
    const accepted = acceptedNonblocking;  // read once and cleared: it is meant for this call only
    acceptedNonblocking = undefined;
    if (fileno === undefined) {
      const given = arguments.length;
      family = checkConstant(family, 'family', C.AF_INET, given > 0);
      type = checkConstant(type, 'type', C.SOCK_STREAM, given > 1);
      proto = checkConstant(proto, 'proto', 0, given > 2);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      this._fd = check(native.socket(family, type & ~TYPE_FLAGS, proto, timeout !== null), 'socket');
      this._fdNonblocking = timeout !== null;
    } else {
      checkInt(fileno, 'fileno', 0);
      if (family === undefined || type === undefined || proto === undefined) {
        check(native.socketInfo(fileno, intOut), 'getsockopt');
      }
      family = checkOptionalInt(family, 'family', intOut[0]);
      type = checkOptionalInt(type, 'type', intOut[1]);
      proto = checkOptionalInt(proto, 'proto', intOut[2]);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      this._fd = fileno;
      this._fdNonblocking = accepted ?? (check(native.getFdFlags(fileno), 'fcntl') & 1) !== 0;
    }
    this._family = family as F;
    this._type = type & ~TYPE_FLAGS;
    this._proto = proto;
    this._timeout = timeout;
    this.applyFdMode();
    // Only now that nothing can throw: an adopted number that we then refused would be closed
    // by the handle long after it was reused. `fresh`: socket() or accept() has just made it.
    this._handle = new native.FdHandle(this._fd, fileno === undefined || accepted !== undefined, warnUnclosed);
  }

  /** The address family, e.g. AF_INET. */
  get family(): F { return this._family; }
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

  /** Closes the descriptor; pending Promise operations reject with EBADF (one error for all queued ones). Idempotent. */
  close(): void {
    const fd = this.release('close');
    if (fd < 0) return;
    const r = this._handle.close();
    if (r < 0 && r !== -native.errnoNames.ECONNRESET) throw socketError(-r, 'close');
  }

  /** Gives up the descriptor without closing it and returns it (the socket is then closed). */
  detach(): number {
    const fd = this.release('detach');
    if (fd >= 0) this._handle.release();
    if (fd >= 0 && this._forcedNonblocking) native.setNonblocking(fd, this._timeout !== null);
    return fd;
  }

  private release(syscall: string): number {
    const fd = this._fd;
    if (fd < 0) return -1;
    this._fd = -1;
    // One error for every pending call, built only if there is one (a stack costs microseconds).
    let error: SocketError | undefined;
    const makeError = (): SocketError => (error ??= closedError(syscall));
    this._waits.close(makeError);  // first: the queued must not be handed the turn the waiting one leaves
    if (isWatched(fd)) closeWatch(fd, makeError);
    return fd;
  }

  /** Closes the socket, as close() does, at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** A new Socket on a duplicate of the descriptor, with the same timeout. */
  dup(): Socket<F> {
    const fd = check(native.dup(this.openFd('dup')), 'dup');
    let copy: Socket<F>;
    try {
      copy = new Socket(this._family, this._type, this._proto, fd);
    } catch (error) {
      native.close(fd);
      throw error;
    }
    copy.settimeout(this._timeout);
    return copy;
  }

  /** Lets pending Promise operations keep the process alive (the default). */
  ref(): this {
    this._waits.ref = true;
    return this;
  }

  /** Pending Promise operations no longer keep the process alive. */
  unref(): this {
    this._waits.ref = false;
    return this;
  }

  private openFd(syscall: string): number {
    const fd = this._fd;
    if (fd < 0) throw closedError(syscall);
    return fd;
  }

  // --- plain methods -----------------------------------------------------------------------

  /** Binds to `address` (resolving a host name with a blocking look-up). */
  bind(address: AddressOf<F>): void {
    const blob = toBlobSync(this._family, address, 'bind');  // first: its getters may close this socket
    check(native.bind(this.openFd('bind'), blob), 'bind', address);
  }

  /** Listens for connections; the default backlog is min(SOMAXCONN, 128), as in Python. */
  listen(backlog?: number): void {
    let n = checkOptionalInt(backlog, 'backlog', Math.min(SOMAXCONN, 128));
    if (n < 0) n = 0;
    check(native.listen(this.openFd('listen'), n), 'listen');
  }

  /** Shuts down reading (SHUT_RD), writing (SHUT_WR) or both (SHUT_RDWR). */
  shutdown(how: number): void {
    const h = checkInt(how, 'how');
    check(native.shutdown(this.openFd('shutdown'), h), 'shutdown');
  }

  /** The socket's own address. */
  getsockname(): ReturnedAddressOf<F> {
    check(native.getsockname(this.openFd('getsockname'), addressOut), 'getsockname');
    return fromBlob(addressOut, this._family);
  }

  /** The connected peer's address. */
  getpeername(): ReturnedAddressOf<F> {
    check(native.getpeername(this.openFd('getpeername'), addressOut), 'getpeername');
    return fromBlob(addressOut, this._family);
  }

  /** Sets an option: an integer (booleans as 1/0) or raw bytes for struct-valued options. */
  setsockopt(level: number, name: number, value: number | boolean | Uint8Array): void {
    checkInt(level, 'level');
    checkInt(name, 'name');
    if (value instanceof Uint8Array) {
      check(native.setsockoptBytes(this.openFd('setsockopt'), level, name, value), 'setsockopt');
      return;
    }
    let n: number;
    if (typeof value === 'boolean') n = value ? 1 : 0;
    else if (typeof value === 'number') n = checkInt(value, 'value', -0x80000000, 0xffffffff) | 0;
    else throw invalidArgType('value', 'of type number or boolean, or an instance of Buffer or Uint8Array', value);
    check(native.setsockoptInt(this.openFd('setsockopt'), level, name, n), 'setsockopt');
  }

  /** Reads an integer option, or with `buflen` the option's raw bytes (at most buflen of them). */
  getsockopt(level: number, name: number): number;
  getsockopt(level: number, name: number, buflen: number): Buffer;
  getsockopt(level: number, name: number, buflen?: number): number | Buffer {
    checkInt(level, 'level');
    checkInt(name, 'name');
    if (buflen === undefined) {
      check(native.getsockoptInt(this.openFd('getsockopt'), level, name, intOut), 'getsockopt');
      return intOut[0];
    }
    const into = Buffer.alloc(checkInt(buflen, 'buflen', 1, 1 << 20));
    const n = check(native.getsockoptBytes(this.openFd('getsockopt'), level, name, into), 'getsockopt');
    return into.subarray(0, n);
  }

  /** setblocking(false) is settimeout(0); setblocking(true) is settimeout(null). */
  setblocking(flag: boolean): void {
    const blocking = checkBoolean(flag, 'flag');
    this.openFd('setblocking');
    this.settimeout(blocking ? null : 0);
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
    const inheritable = checkBoolean(flag, 'flag');
    check(native.setCloexec(this.openFd('setInheritable'), !inheritable), 'fcntl');
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

  /**
   * Promise accept/connect cannot ask for MSG_DONTWAIT: they need an O_NONBLOCK descriptor. A
   * duplicate shares the flag and may have cleared it, so it is checked (one fcntl) before each call.
   */
  private makeNonblocking(fd: number): number {
    const r = native.setNonblocking(fd, true);
    if (r === 0 && !this._fdNonblocking) {
      this._forcedNonblocking = true;
      this._fdNonblocking = true;
    }
    return r;
  }

  // --- the operations, described for the engine (wait.ts) -------------------------------------

  /** A receive: waits for POLLIN, gives 0 bytes at the end of input. */
  private receiving(syscall: string, flags: number, signal: AbortSignal | undefined, attempt: (fd: number) => number): Op {
    return { events: POLLIN, syscall, deadline: deadlineOf(this._timeout, flags), signal, attempt, atEnd: EndOfInput.RECEIVE };
  }

  /**
   * The flags of a Sync send's system call: in timeout mode, MSG_DONTWAIT too, so that it never
   * blocks past its deadline when another holder of the descriptor cleared O_NONBLOCK. (A Sync
   * receive polls first instead, as CPython's; a send tries first, since a Unix socket may poll
   * unwritable while a small message still fits.)
   */
  private syncSendFlags(flags: number): number {
    return this._timeout === null ? flags : flags | MSG_DONTWAIT;
  }

  /** A send: waits for POLLOUT. */
  private sending(syscall: string, flags: number, signal: AbortSignal | undefined, attempt: (fd: number) => number, address?: unknown): Op {
    return { events: POLLOUT, syscall, deadline: deadlineOf(this._timeout, flags), signal, attempt, address };
  }

  /**
   * A send to an address that may need a name look-up first: the look-up is a phase of the
   * operation, in the writers' turn taken at the call (it keeps its place in the order of calls).
   */
  private sendingTo(syscall: string, flags: number, signal: AbortSignal | undefined, address: unknown,
    attempt: (fd: number, blob: Buffer) => number): Promise<number> {
    const to = destination(this._family, address, syscall);
    if (!to.lookup) {
      this.openFd(syscall);  // a name is looked up first, then the descriptor checked
      const blob = to.blob!;
      return this._waits.run(this._waits.writers, this.sending(syscall, flags, signal, (fd) => attempt(fd, blob), address));
    }
    return this._waits.session(this._waits.writers, deadlineOf(this._timeout, flags), signal, syscall, address, async (session) => {
      const blob = await session.wait(to.lookup!);
      return session.run(POLLOUT, (fd) => attempt(fd, blob));
    });
  }

  /**
   * @internal For the modules built on the Socket (sendfile): runs `body` in the writers' turn,
   * taken now, with the deadline of a call made now.
   */
  writeSession<T>(syscall: string, signal: AbortSignal | undefined, body: (session: Session) => Promise<T>): Promise<T> {
    return this._waits.session(this._waits.writers, deadlineOf(this._timeout), signal, syscall, undefined, body);
  }

  /** @internal The Sync twin of writeSession: runs `attempt` (a write) until done or `deadline`. */
  writeSync(syscall: string, attempt: (fd: number) => number, deadline: number): number {
    return this._waits.runSync({ events: POLLOUT, syscall, deadline, attempt, nonblocking: this._timeout !== null });
  }

  // --- accept / connect ----------------------------------------------------------------------

  /** An accept: the new descriptor is made non-blocking when the default timeout asks for it. */
  private accepting(signal: AbortSignal | undefined, promise: boolean, nonblock: boolean): Op {
    return {
      events: POLLIN, syscall: 'accept', deadline: deadlineOf(this._timeout), signal, atEnd: EndOfInput.ACCEPT,
      nonblocking: promise, attempt: (s) => native.accept(s, addressOut, nonblock),
    };
  }

  /** Waits for a connection: `[Socket, address]`. The new socket starts with the default timeout. */
  acceptSync(): [Socket<F>, ReturnedAddressOf<F>] {
    const nonblock = defaultTimeout !== null;
    const fd = this._waits.runSync(this.accepting(undefined, false, nonblock));
    return [this.adopt(fd, nonblock), fromBlob(addressOut, this._family)];
  }

  /** Promise form of acceptSync. */
  accept(options?: OperationOptions): Promise<[Socket<F>, ReturnedAddressOf<F>]> {
    try {
      const signal = readSignal(options);
      this.openFd('accept');
      const nonblock = defaultTimeout !== null;
      return this._waits.run(this._waits.readers, this.accepting(signal, true, nonblock),
        (fd): [Socket<F>, ReturnedAddressOf<F>] => [this.adopt(fd, nonblock), fromBlob(addressOut, this._family)]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  private adopt(fd: number, nonblock: boolean): Socket<F> {
    acceptedNonblocking = nonblock;
    try {
      return new Socket(this._family, this._type, this._proto, fd);
    } catch (error) {
      native.close(fd);
      throw error;
    }
  }

  /** The pending error of a connect that was in progress: 0 or a positive errno. */
  private connectError(fd: number): number {
    const r = native.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR, intOut);
    return r < 0 ? -r : intOut[0];
  }

  /**
   * The end of a connect that was in progress. In blocking mode the kernel's own wait would have
   * marked the socket connected; a second connect() does that here (returning 0 or EISCONN, both
   * fine), so that a later connect fails with EISCONN as in Python.
   */
  private connectDone(fd: number, blob: Buffer): number {
    const e = this.connectError(fd);
    if (e === 0 && this._timeout === null) native.connect(fd, blob);
    return e;
  }

  /**
   * The attempts of one connect: connect(), then (after writability) SO_ERROR. They give 0 or a
   * positive errno, or -EINPROGRESS to wait. Only EINPROGRESS means "in progress": a Unix socket's
   * EAGAIN (a full backlog) means nothing happened, and is reported as it is, as in Python.
   */
  private connectAttempt(blob: Buffer): (fd: number) => number {
    let started = false;
    return (fd) => {
      if (started) return this.connectDone(fd, blob);
      started = true;
      const r = native.connect(fd, blob);
      return r === -EINPROGRESS || r === 0 ? r : -r;
    };
  }

  /**
   * Returns 0 or the errno of a failed connect (shared by connectSync and connectEx); a wait that
   * outlasts the timeout gives -1; non-blocking mode gives EINPROGRESS.
   */
  private connectErrno(address: AddressOf<F>): number {
    const deadline = deadlineOf(this._timeout);
    const attempt = this.connectAttempt(toBlobSync(this._family, address, 'connect'));
    this.openFd('connect');
    try {
      return this._waits.runSync({ events: POLLOUT, syscall: 'connect', deadline, attempt, address });
    } catch (error) {
      if (error instanceof TimeoutError) return -1;
      if (error instanceof SocketError) return error.errno;
      throw error;
    }
  }

  /** Connects to `address`, waiting according to the socket's mode. */
  connectSync(address: AddressOf<F>): void {
    const e = this.connectErrno(address);
    if (e === -1) throw timeoutError('connect', address);
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  /** Like connectSync, but returns the error number (0 on success) instead of throwing it; a timeout gives EAGAIN, as in Python. */
  connectEx(address: AddressOf<F>): number {
    const e = this.connectErrno(address);
    return e === -1 ? EAGAIN : e;
  }

  /**
   * Promise form of connectSync: completes through writability and SO_ERROR, in the writers' turn,
   * taken at the call and held through the name look-up and a Unix-backlog retry. The timeout
   * counts from the call, name resolution included.
   */
  async connect(address: AddressOf<F>, options?: OperationOptions): Promise<void> {
    const signal = readSignal(options);
    const deadline = deadlineOf(this._timeout);
    const to = destination(this._family, address, 'connect');
    if (!to.lookup) this.openFd('connect');  // a name is looked up first, then the descriptor checked
    const e = await this._waits.session(this._waits.writers, deadline, signal, 'connect', address, async (session) => {
      const blob = to.lookup ? await session.wait(to.lookup) : to.blob!;
      const first = await session.run(POLLOUT, this.connectAttempt(blob), { nonblocking: true });
      if (first !== EAGAIN || this._family !== C.AF_UNIX || deadline !== Infinity) return first;
      return this.retryFullBacklog(session, blob);
    });
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  /**
   * A blocking-mode Unix connect to a full backlog: no readiness event tells when there is room,
   * so it retries on a short back-off, still in the writers' turn: 0 or a positive errno.
   */
  private async retryFullBacklog(session: Session, blob: Buffer): Promise<number> {
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      await session.sleep(delay);
      const r = native.connect(session.fd(), blob);
      if (r !== -EAGAIN) return -r;
    }
  }

  // --- sending ------------------------------------------------------------------------------

  /** Sends bytes; returns how many were sent (may be fewer than given). */
  sendSync(data: Uint8Array, flags?: number): number {
    const length = checkData(data, 'data');
    const f = checkFlags(flags, arguments.length, 1);
    return this._waits.runSync(this.sending('send', f, undefined, (fd) => native.send(fd, data, 0, length, this.syncSendFlags(f))));
  }

  /**
   * Promise form of sendSync. Rejects with a TypeError (code ERR_INVALID_STATE) if `data`'s buffer
   * is detached or shrunk before the send.
   */
  send(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<number> {
    try {
      const length = checkData(data, 'data');
      const f = checkFlags(flags, arguments.length, 1);
      const dontwait = f | MSG_DONTWAIT;
      return this._waits.run(this._waits.writers, this.sending('send', f, readSignal(options),
        (fd) => native.send(fd, data, 0, attached(data, length, 'data'), dontwait)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends every byte, retrying partial sends; one deadline covers the whole call. */
  sendallSync(data: Uint8Array, flags?: number): void {
    const length = checkData(data, 'data');
    const f = checkFlags(flags, arguments.length, 1);
    this._waits.runSync(this.sending('send', f, undefined, sendAll(data, length, this.syncSendFlags(f))));
  }

  /**
   * Promise form of sendallSync. Rejects with a TypeError (code ERR_INVALID_STATE) if `data`'s
   * buffer is detached or shrunk before every byte is sent.
   */
  sendall(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<void> {
    try {
      const length = checkData(data, 'data');
      const f = checkFlags(flags, arguments.length, 1);
      const signal = readSignal(options);
      this.openFd('send');
      return this._waits.run(this._waits.writers, this.sending('send', f, signal, sendAll(data, length, f | MSG_DONTWAIT)), nothing);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Sends a datagram to `address`: sendtoSync(data, address) or sendtoSync(data, flags, address). */
  sendtoSync(data: Uint8Array, address: AddressOf<F>): number;
  sendtoSync(data: Uint8Array, flags: number, address: AddressOf<F>): number;
  sendtoSync(data: Uint8Array, flagsOrAddress: number | AddressOf<F>, maybeAddress?: AddressOf<F>): number {
    const length = checkData(data, 'data');
    const withFlags = arguments.length > 2;
    const f = withFlags ? checkFlags(flagsOrAddress, 2, 1) : 0;
    const address = withFlags ? maybeAddress : flagsOrAddress;
    const blob = toBlobSync(this._family, address, 'sendto');
    this.openFd('sendto');
    return this._waits.runSync(this.sending('sendto', f, undefined, (fd) => native.sendto(fd, data, 0, length, this.syncSendFlags(f), blob), address));
  }

  /** Promise form of sendtoSync; a host name is resolved without blocking, within the timeout. */
  sendto(data: Uint8Array, address: AddressOf<F>, options?: OperationOptions): Promise<number>;
  sendto(data: Uint8Array, flags: number, address: AddressOf<F>, options?: OperationOptions): Promise<number>;
  sendto(data: Uint8Array, a: number | AddressOf<F>, b?: AddressOf<F> | OperationOptions, c?: OperationOptions): Promise<number> {
    try {
      const length = checkData(data, 'data');
      const withFlags = typeof a === 'number';
      const f = withFlags ? checkFlags(a, 2, 1) : 0;
      const address = withFlags ? b : a;
      const signal = readSignal(withFlags ? c : b);
      const dontwait = f | MSG_DONTWAIT;
      return this.sendingTo('sendto', f, signal, address,
        (fd, blob) => native.sendto(fd, data, 0, attached(data, length, 'data'), dontwait, blob));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // --- receiving ----------------------------------------------------------------------------

  private static checkBufsize(bufsize: unknown): number {
    return checkInt(bufsize, 'bufsize', 0);
  }

  private static trimmed(buffer: Buffer, n: number): Buffer {
    return n === buffer.length ? buffer : buffer.subarray(0, n);
  }

  /** Receives up to `bufsize` bytes; an empty Buffer means the peer has closed. recvSync(0) returns one at once. */
  recvSync(bufsize: number, flags?: number): Buffer {
    const size = Socket.checkBufsize(bufsize);
    const f = checkFlags(flags, arguments.length, 1);
    const buffer = Buffer.allocUnsafe(size);
    return Socket.trimmed(buffer, this.recvIntoSync(buffer, 0, f));
  }

  /** Promise form of recvSync. */
  recv(bufsize: number, flags?: number, options?: OperationOptions): Promise<Buffer> {
    let buffer: Buffer;
    let f: number;
    try {
      buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
      f = checkFlags(flags, arguments.length, 1);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.recvInto(buffer, 0, f, options).then((n) => Socket.trimmed(buffer, n));
  }

  /**
   * Receives into `buffer` (its first `nbytes`, or all of it), without copying; returns the count.
   * Zero bytes asked for (an empty buffer) return 0 at once, as in Python.
   */
  recvIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): number {
    const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
    const f = checkFlags(flags, arguments.length, 2);
    if (length === 0) return this.openFd('recv') && 0;  // at once, as in Python
    return this._waits.runSync(this.receiving('recv', f, undefined, (fd) => native.recv(fd, buffer, 0, length, f)));
  }

  /**
   * Promise form of recvIntoSync. The buffer must not be touched until the Promise settles; one
   * detached or shrunk before the data arrives rejects it with a TypeError (code ERR_INVALID_STATE).
   */
  recvInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<number> {
    try {
      const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
      const f = checkFlags(flags, arguments.length, 2);
      const signal = readSignal(options);
      if (length === 0) return Promise.resolve(this.openFd('recv') && 0);
      const dontwait = f | MSG_DONTWAIT;
      return this._waits.run(this._waits.readers, this.receiving('recv', f, signal,
        (fd) => native.recv(fd, buffer, 0, attached(buffer, length, 'buffer'), dontwait)));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Receives a datagram: `[Buffer, sender's address]`. */
  recvfromSync(bufsize: number, flags?: number): [Buffer, ReceivedAddressOf<F>] {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const [n, address] = this.recvfromIntoSync(buffer, 0, checkFlags(flags, arguments.length, 1));
    return [Socket.trimmed(buffer, n), address];
  }

  /** Promise form of recvfromSync. */
  async recvfrom(bufsize: number, flags?: number, options?: OperationOptions): Promise<[Buffer, ReceivedAddressOf<F>]> {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const [n, address] = await this.recvfromInto(buffer, 0, checkFlags(flags, arguments.length, 1), options);
    return [Socket.trimmed(buffer, n), address];
  }

  /** Receives a datagram into `buffer`: `[count, sender's address]`. Zero bytes wait for a datagram, as in Python. */
  recvfromIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): [number, ReceivedAddressOf<F>] {
    const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
    const f = checkFlags(flags, arguments.length, 2);
    let address = null as ReceivedAddressOf<F>;  // stays null when the wait ends with no datagram (end of input)
    const n = this._waits.runSync(this.receiving('recvfrom', f, undefined, (fd) => {
      const r = native.recvfrom(fd, buffer, 0, length, f, addressOut);
      if (r >= 0) address = fromBlob(addressOut, this._family);
      return r;
    }));
    return [n, address];
  }

  /** Promise form of recvfromIntoSync; a buffer detached or shrunk before the data arrives rejects it (ERR_INVALID_STATE). */
  recvfromInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<[number, ReceivedAddressOf<F>]> {
    try {
      const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
      const f = checkFlags(flags, arguments.length, 2);
      const signal = readSignal(options);
      const dontwait = f | MSG_DONTWAIT;
      let address = null as ReceivedAddressOf<F>;  // stays null when the wait ends with no datagram (end of input)
      return this._waits.run(this._waits.readers, this.receiving('recvfrom', f, signal, (fd) => {
        const r = native.recvfrom(fd, buffer, 0, attached(buffer, length, 'buffer'), dontwait, addressOut);
        if (r >= 0) address = fromBlob(addressOut, this._family);
        return r;
      }), (n): [number, ReceivedAddressOf<F>] => [n, address]);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  // --- messages -----------------------------------------------------------------------------

  private messageAddress(address: AddressOf<F> | undefined): Buffer | null {
    return address === undefined || address === null ? null : toBlobSync(this._family, address, 'sendmsg');
  }

  /** Sends the concatenation of `buffers` with ancillary data `[level, type, data][]`; returns bytes sent. */
  sendmsgSync(buffers: Uint8Array[], ancdata?: Ancillary<Uint8Array>[] | null, flags?: number, address?: AddressOf<F>): number {
    const parts = checkBuffers(buffers);
    const anc = checkAncillary(ancdata);
    const f = checkFlags(flags, arguments.length, 2);
    this.openFd('sendmsg');
    const blob = this.messageAddress(address);
    return this._waits.runSync(this.sending('sendmsg', f, undefined, (fd) => native.sendmsg(fd, parts, anc, this.syncSendFlags(f), blob), address));
  }

  /** Promise form of sendmsgSync. */
  sendmsg(buffers: Uint8Array[], ancdata?: Ancillary<Uint8Array>[] | null, flags?: number, address?: AddressOf<F>,
    options?: OperationOptions): Promise<number> {
    try {
      const parts = checkBuffers(buffers);
      const anc = checkAncillary(ancdata);
      const f = checkFlags(flags, arguments.length, 2);
      const signal = readSignal(options);
      this.openFd('sendmsg');
      const dontwait = f | MSG_DONTWAIT;
      if (address === undefined || address === null) {
        return this._waits.run(this._waits.writers, this.sending('sendmsg', f, signal, (fd) => native.sendmsg(fd, parts, anc, dontwait, null)));
      }
      return this.sendingTo('sendmsg', f, signal, address, (fd, blob) => native.sendmsg(fd, parts, anc, dontwait, blob));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Receives up to `bufsize` bytes and up to `ancbufsize` bytes of ancillary data: `[data, ancdata, msgFlags, address]`. */
  recvmsgSync(bufsize: number, ancbufsize?: number, flags?: number): RecvmsgResult<F> {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags, arguments.length, 2);
    let result!: RecvmsgResult<F>;
    this._waits.runSync(this.receiving('recvmsg', f, undefined, (fd) => {
      const r = native.recvmsg(fd, [buffer], anc, f, addressOut);
      if (typeof r === 'number') return r;
      result = this.recvmsgResult(buffer, r);
      return r[0];
    }));
    return result ?? [Buffer.alloc(0), [], 0, null];  // the wait ended at the end of input: 0 bytes
  }

  /** Promise form of recvmsgSync. */
  async recvmsg(bufsize: number, ancbufsize?: number, flags?: number, options?: OperationOptions): Promise<RecvmsgResult<F>> {
    const buffer = Buffer.allocUnsafe(Socket.checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags, arguments.length, 2);
    const signal = readSignal(options);
    const dontwait = f | MSG_DONTWAIT;
    let result!: RecvmsgResult<F>;
    await this._waits.run(this._waits.readers, this.receiving('recvmsg', f, signal, (fd) => {
      const r = native.recvmsg(fd, [buffer], anc, dontwait, addressOut);
      if (typeof r === 'number') return r;
      result = this.recvmsgResult(buffer, r);
      return r[0];
    }));
    return result ?? [Buffer.alloc(0), [], 0, null];  // the wait ended at the end of input: 0 bytes
  }

  private recvmsgResult(buffer: Buffer, [n, ancdata, msgFlags]: Exclude<NativeRecvmsg, number>): RecvmsgResult<F> {
    return [Socket.trimmed(buffer, Math.min(n, buffer.length)), ancdata, msgFlags, fromBlob(addressOut, this._family)];
  }

  private _mmsgBlobs?: Buffer;
  private _mmsgResults?: Int32Array;

  /** Address blobs and [length, msgFlags] pairs for a batch of `count`, shared by calls (read inside the call's turn). */
  private mmsgScratch(count: number): [Buffer, Int32Array] {
    if (!this._mmsgResults || this._mmsgResults.length < 2 * count) {
      this._mmsgBlobs = Buffer.alloc(count * native.addrBlobSize);
      this._mmsgResults = new Int32Array(2 * count);
    }
    return [this._mmsgBlobs!, this._mmsgResults];
  }

  /**
   * The batch as entries. On a stream, recvmmsg(2) counts the end of input once per buffer left
   * (0 bytes into a buffer that had room): the batch ends before the first of them, as a loop of
   * recvmsg calls would.
   */
  private mmsgResults(n: number, parts: Uint8Array[], blobs: Buffer, results: Int32Array): RecvmmsgResult<F>[] {
    const size = native.addrBlobSize;
    const out: RecvmmsgResult<F>[] = [];
    for (let i = 0; i < n; i++) {
      if (this._type === C.SOCK_STREAM && results[2 * i] === 0 && parts[i].length > 0) break;
      out.push([results[2 * i], fromBlob(blobs, this._family, i * size), results[2 * i + 1]]);
    }
    return out;
  }

  /** One recvmmsg call that reads its results at once, before any other call can reuse the scratch. */
  private mmsgAttempt(recvmmsg: NonNullable<typeof native.recvmmsg>, parts: Uint8Array[], flags: number,
    done: (results: RecvmmsgResult<F>[]) => void): (fd: number) => number {
    return (fd) => {
      const [blobs, results] = this.mmsgScratch(parts.length);
      const r = recvmmsg(fd, parts, blobs, results, flags);
      if (r >= 0) done(this.mmsgResults(r, parts, blobs, results));
      return r;
    };
  }

  /**
   * Receives a batch of datagrams with one system call (Linux), one into each of `buffers`:
   * `[nbytes, address, msgFlags][]`, as many entries as datagrams arrived (at least one); msgFlags
   * carries MSG_TRUNC for a datagram cut to its buffer, as recvmsg's does.
   */
  recvmmsgSync(buffers: Uint8Array[], flags?: number): RecvmmsgResult<F>[] {
    this.openFd('recvmmsg');
    if (!native.recvmmsg) throw unavailable('recvmmsg');
    const parts = checkBuffers(buffers);
    const f = checkFlags(flags, arguments.length, 1);
    let results: RecvmmsgResult<F>[] = [];  // none at the end of input
    this._waits.runSync(this.receiving('recvmmsg', f, undefined,
      this.mmsgAttempt(native.recvmmsg, parts, f | MSG_WAITFORONE, (out) => { results = out; })));
    return results;
  }

  /** Promise form of recvmmsgSync. */
  async recvmmsg(buffers: Uint8Array[], flags?: number, options?: OperationOptions): Promise<RecvmmsgResult<F>[]> {
    this.openFd('recvmmsg');
    if (!native.recvmmsg) throw unavailable('recvmmsg');
    const parts = checkBuffers(buffers);
    const f = checkFlags(flags, arguments.length, 1);
    const signal = readSignal(options);
    let results: RecvmmsgResult<F>[] = [];  // none at the end of input
    await this._waits.run(this._waits.readers, this.receiving('recvmmsg', f, signal,
      this.mmsgAttempt(native.recvmmsg, parts, f | MSG_DONTWAIT, (out) => { results = out; })));
    return results;
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
      const address: unknown = message[1];
      blobs.push(address === undefined || address === null ? null : toBlobSync(this._family, address, 'sendmmsg'));
    }
    return [parts, blobs];
  }

  /** Sends a batch of datagrams `[data, address?][]` with one system call (Linux); returns how many were sent. */
  sendmmsgSync(messages: Array<[data: Uint8Array, address?: AddressOf<F>]>, flags?: number): number {
    this.openFd('sendmmsg');
    if (!native.sendmmsg) throw unavailable('sendmmsg');
    const sendmmsg = native.sendmmsg;
    const [parts, blobs] = this.mmsgMessages(messages);
    const f = checkFlags(flags, arguments.length, 1);
    return this._waits.runSync(this.sending('sendmmsg', f, undefined, (fd) => sendmmsg(fd, parts, blobs, this.syncSendFlags(f))));
  }

  /** Promise form of sendmmsgSync. */
  sendmmsg(messages: Array<[data: Uint8Array, address?: AddressOf<F>]>, flags?: number, options?: OperationOptions): Promise<number> {
    try {
      this.openFd('sendmmsg');
      if (!native.sendmmsg) throw unavailable('sendmmsg');
      const sendmmsg = native.sendmmsg;
      const [parts, blobs] = this.mmsgMessages(messages);
      const f = checkFlags(flags, arguments.length, 1);
      const signal = readSignal(options);
      const dontwait = f | MSG_DONTWAIT;
      return this._waits.run(this._waits.writers, this.sending('sendmmsg', f, signal, (fd) => sendmmsg(fd, parts, blobs, dontwait)));
    } catch (error) {
      return Promise.reject(error);
    }
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
    return sendfile(this, file, offset, count, options);
  }
}

function nothing(): void {}

/**
 * `view`'s length, refusing a view whose buffer has been detached (TypeError, code
 * ERR_INVALID_STATE): a detached view reads as empty and would otherwise pass for one.
 */
function checkData(view: unknown, name: string): number {
  const length = checkBytes(view, name).length;
  if (length === 0 && isDetached(view as Uint8Array)) throw invalidState(name);
  return length;
}

function isDetached(view: Uint8Array): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (buffer.byteLength !== 0) return false;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

// The intrinsic getter: a subclass's own `byteLength` would run user code after the descriptor was taken.
const byteLengthOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')!.get!;

/** Returns `length` while `view` still has that many bytes; throws ERR_INVALID_STATE once its buffer was detached or shrunk. */
function attached(view: Uint8Array, length: number, name: string): number {
  if ((byteLengthOf.call(view) as number) < length) throw invalidState(name);
  return length;
}

function invalidState(name: string): TypeError {
  const error = new TypeError(`Invalid state: the buffer of "${name}" was detached or shrunk during the operation`);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_STATE', enumerable: true, writable: true, configurable: true });
  hideInternalFrames(error);
  return error;
}

/** An attempt of sendall: sends from where the last one stopped until every byte is gone or it would block. */
function sendAll(data: Uint8Array, length: number, flags: number): (fd: number) => number {
  let offset = 0;
  return (fd) => {
    do {  // at least one send, as Python: sendall(b'') still reports EPIPE, ENOTCONN ...
      const r = native.send(fd, data, offset, attached(data, length, 'data') - offset, flags);
      if (r < 0) return r;
      offset += r;
    } while (offset < length);
    return offset;
  };
}

/**
 * Where a Promise call sends to: the address blob at once for a literal address; for a host name,
 * the `lookup` that gives it, awaited as a phase of the call so that it keeps its place in the order.
 */
interface Destination {
  blob?: Buffer;
  lookup?: Promise<Buffer>;
}

function destination(family: number, address: unknown, syscall: string): Destination {
  const packed = packAddress(family, address, syscall);
  if (Buffer.isBuffer(packed)) return { blob: packed };
  const lookup = toBlobAsync(family, address, syscall);
  lookup.catch(() => undefined);  // awaited in the call's turn; never "unhandled" if the call ends before
  return { lookup };
}

/**
 * Creates a socket: the same as `new Socket(family, type, proto)`; `socket()` is a
 * `Socket<AF_INET>`. A family this platform may lack (`AF_PACKET`, `AF_NETLINK`: typed
 * `… | undefined`) is given checked (`if (AF_PACKET !== undefined)`) or asserted (`AF_PACKET!`);
 * an undefined one is refused with a TypeError.
 */
export function socket(): Socket<AF_INET>;
export function socket<F extends number>(family: F, type?: number, proto?: number): Socket<F>;
export function socket(...args: [family?: number, type?: number, proto?: number]): Socket {
  return new Socket(...(args as [number]));
}

/** A pair of connected sockets (AF_UNIX, SOCK_STREAM by default). */
export function socketpair(): [Socket<AF_UNIX>, Socket<AF_UNIX>];
export function socketpair<F extends number>(family: F, type?: number, proto?: number): [Socket<F>, Socket<F>];
export function socketpair(family?: number, type?: number, proto?: number): [Socket, Socket] {
  const given = arguments.length;
  const f = checkConstant(family, 'family', C.AF_UNIX, given > 0);
  const t = checkConstant(type, 'type', C.SOCK_STREAM, given > 1);
  const p = checkConstant(proto, 'proto', 0, given > 2);
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

/**
 * A Socket on a duplicate of `fd`; family, type and proto that are omitted are read from it (one
 * passed explicitly as undefined is a TypeError).
 */
export function fromfd(fd: number): Socket;
export function fromfd<F extends number>(fd: number, family: F, type?: number, proto?: number): Socket<F>;
export function fromfd(fd: number, family?: number, type?: number, proto?: number): Socket {
  checkInt(fd, 'fd', 0);
  const given = arguments.length;
  for (const [value, name, index] of [[family, 'family', 1], [type, 'type', 2], [proto, 'proto', 3]] as const) {
    if (value === undefined && given > index) checkConstant(value, name, 0, true);
  }
  const copy = check(native.dup(fd), 'dup');
  try {
    return new Socket(family, type, proto, copy);
  } catch (error) {
    native.close(copy);
    throw error;
  }
}
