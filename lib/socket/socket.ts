// class Socket: one descriptor, the calls of API.md in their Sync and Promise forms, each a short
// method over the engine (wait.ts). Modes follow Python: blocking (timeout null), timeout (t > 0
// seconds), non-blocking (0); fdmode.ts keeps the descriptor's O_NONBLOCK in step. A method checks
// its arguments, then runs the Op that attempts.ts, receives.ts, mmsg.ts or connecting.ts builds
// for it: a Sync form on the thread (Waits.runSync), a Promise form on the event loop (Waits.run).
import { native, type NativeFdHandle } from '../binding/native';
import { EAGAIN, SocketError, check, closedError, socketError, timeoutError, unavailable } from '../binding/errors';
import { fromBlob, newBlob, toBlobSync, type AddressOf, type ReceivedAddressOf, type ReturnedAddressOf } from '../input/address';
import { closeWatch, isWatched, ringOps } from '../engine/readiness';
import { deadlineOf } from '../engine/deadline';
import { Waits, type Op, type Session } from '../engine/wait';
import {
  acceptedByRing, accepting, rejecting, ringKind, sendmsgRing, sendtoRing, sendCall, sendFlags, sending, sendingTo, sendallOp, sendmsgAttempt, sendOp, sendtoAttempt,
  type Caller, type OperationOptions,
} from './attempts';
import { getdefaulttimeout } from './defaults';
import { recvIntoOp, recvfromCall, recvmsgCall, type Receive } from './receives';
import { connectErrno, connectInTurn } from './connecting';
import { MmsgScratch, mmsgMessages, recvmmsgCall, type MmsgTarget } from './mmsg';
import { checkBufsize, checkData, trimmed, trimmedTo } from './views';
import { getOption, optionValue, setOption, socketInfo } from './options';
import { FdMode } from './fdmode';
import { checkAncbufsize, checkAncillary, checkBuffers, type Ancillary, type RecvmsgResult, type RecvmmsgResult } from './messages';
import { checkBoolean, checkConstant, checkFlags, checkInt, checkOptionalInt, checkSize, checkTimeout, readSignal } from '../input/validate';
import { toNetSocket, toStream, type SocketStream, type SocketStreamOptions } from './stream';
import { sendfile, sendfileSync, type SendfileOptions, type SendfileSource } from './sendfile';

const C = native.constants;
const TYPE_FLAGS = (C.SOCK_NONBLOCK ?? 0) | (C.SOCK_CLOEXEC ?? 0);

export { getdefaulttimeout, setdefaulttimeout } from './defaults';
export type { OperationOptions } from './attempts';

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

// A blob that a system call fills with an address; read at once, so one per module suffices.
const addressOut = newBlob();

/**
 * A socket on one descriptor, with Python's methods; see API.md. `F` is its address family's type
 * (`Socket<AF_INET>`, from `socket(AF_INET)`), which types the addresses it takes and returns; a
 * `Socket` (a `Socket<number>`) takes and returns any shape.
 */
export class Socket<F extends number = number> {
  /** The descriptor's one owner: closes it on close(), on garbage collection or when the environment ends. */
  private readonly _handle: NativeFdHandle;
  private readonly _family: F;
  private readonly _type: number;
  private readonly _proto: number;
  private _timeout: number | null;
  private readonly _mode: FdMode;
  private _mmsgTarget?: MmsgTarget<F>;
  /** The engine's state of this socket's operations; it also keeps the descriptor (`_fd`). */
  private readonly _waits: Waits;

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
    let timeout = getdefaulttimeout();
    const accepted = acceptedNonblocking;  // read once and cleared: it is meant for this call only
    acceptedNonblocking = undefined;
    let fd: number;
    if (fileno === undefined) {
      const given = arguments.length;
      family = checkConstant(family, 'family', C.AF_INET, given > 0);
      type = checkConstant(type, 'type', C.SOCK_STREAM, given > 1);
      proto = checkConstant(proto, 'proto', 0, given > 2);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      fd = check(native.socket(family, type & ~TYPE_FLAGS, proto, timeout !== null), 'socket');
      this._mode = new FdMode(timeout !== null);
    } else {
      checkInt(fileno, 'fileno', 0);
      [family, type, proto] = socketInfo(fileno, family, type, proto);
      if (C.SOCK_NONBLOCK && (type & C.SOCK_NONBLOCK)) timeout = 0;
      fd = fileno;
      this._mode = accepted === undefined ? FdMode.of(fileno) : new FdMode(accepted);
    }
    this._family = family as F;
    this._type = type & ~TYPE_FLAGS;
    this._proto = proto;
    this._timeout = timeout;
    this._waits = new Waits(fd, this._mode);
    this._mode.apply(fd, timeout, true);  // socket() or accept() set the mode, or FdMode.of has just read it
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
  get fd(): number { return this.fileno(); }
  /** Whether close() or detach() has been called. */
  get closed(): boolean { return this._fd < 0; }
  /** The descriptor, or -1 once closed or detached. */
  fileno(): number {
    this._mode.share();  // whoever has the number may change its flags: see FdMode.force
    return this._fd;
  }

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
    if (fd >= 0) this._mode.release(fd, this._timeout);
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
  [Symbol.dispose](): void { this.close(); }

  /** A new Socket on a duplicate of the descriptor, with the same timeout. */
  dup(): Socket<F> {
    const copy = this.wrap(check(native.dup(this.openFd('dup')), 'dup'));
    this._mode.share();
    copy.settimeout(this._timeout);
    return copy;
  }

  /** Lets pending Promise operations keep the process alive (the default). */
  ref(): this { this._waits.ref = true; return this; }
  /** Pending Promise operations no longer keep the process alive. */
  unref(): this { this._waits.ref = false; return this; }

  private openFd(syscall: string): number {
    return this._waits.fd(syscall);
  }

  /** The descriptor, -1 once closed or detached. */
  private get _fd(): number { return this._waits.descriptor; }
  private set _fd(fd: number) { this._waits.descriptor = fd; }

  // --- plain methods -----------------------------------------------------------------------

  /** Binds to `address` (resolving a host name with a blocking look-up). */
  bind(address: AddressOf<F>): void {
    const blob = toBlobSync(this._family, address, 'bind');  // first: its getters may close this socket
    check(native.bind(this.openFd('bind'), blob), 'bind', address);
  }

  /** Listens for connections; the default backlog is min(SOMAXCONN, 128), as in Python. */
  listen(backlog?: number): void {
    let n = checkOptionalInt(backlog, 'backlog', Math.min(C.SOMAXCONN, 128));
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
    const v = optionValue(value);
    setOption(this.openFd('setsockopt'), level, name, v);
  }

  /** Reads an integer option, or with `buflen` the option's raw bytes (at most buflen of them). */
  getsockopt(level: number, name: number): number;
  getsockopt(level: number, name: number, buflen: number): Buffer;
  getsockopt(level: number, name: number, buflen?: number): number | Buffer {
    checkInt(level, 'level');
    checkInt(name, 'name');
    const size = buflen === undefined ? undefined : checkInt(buflen, 'buflen', 1, 1 << 20);
    return getOption(this.openFd('getsockopt'), level, name, size);
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
    this._mode.apply(this._fd, t);
  }

  /** The timeout in seconds, or null in blocking mode. */
  gettimeout(): number | null { return this._timeout; }

  /** Whether child processes inherit the descriptor (false by default: close-on-exec). */
  setInheritable(flag: boolean): void {
    const inheritable = checkBoolean(flag, 'flag');
    check(native.setCloexec(this.openFd('setInheritable'), !inheritable), 'fcntl');
  }

  /** Whether child processes inherit the descriptor (false when close-on-exec is set, the default). */
  getInheritable(): boolean {
    return (check(native.getFdFlags(this.openFd('getInheritable')), 'fcntl') & 2) === 0;
  }

  // --- the operations, described for the engine (wait.ts) -------------------------------------

  /**
   * @internal For the modules built on the Socket (sendfile): runs `body` in the writers' turn,
   * taken now, with the deadline of a call made now.
   */
  writeSession<T>(syscall: string, signal: AbortSignal | undefined, body: (session: Session) => Promise<T>): Promise<T> {
    return this._waits.session(this._waits.writers, deadlineOf(this._timeout), signal, syscall, undefined, body);
  }

  /** @internal The Sync twin of writeSession: runs `attempt` (a write) until done or `deadline`. */
  writeSync(syscall: string, attempt: (fd: number) => number, deadline: number): number {
    return this._waits.runSync({ events: C.POLLOUT, syscall, deadline, attempt, nonblocking: this._timeout !== null });
  }

  // --- accept / connect ----------------------------------------------------------------------

  /** Waits for a connection: `[Socket, address]`. The new socket starts with the default timeout. */
  acceptSync(): [Socket<F>, ReturnedAddressOf<F>] {
    const nonblock = getdefaulttimeout() !== null;
    const queued = acceptedByRing(this.openFd('accept'), nonblock, addressOut);
    if (queued >= 0) return this.accepted(queued, nonblock);
    return this.accepted(this._waits.runSync(accepting(this.sync(), this._family, nonblock, addressOut)), nonblock);
  }

  /** Promise form of acceptSync. */
  accept(options?: OperationOptions): Promise<[Socket<F>, ReturnedAddressOf<F>]> {
    return rejecting(() => {
      const caller = this.promised(options);
      this.openFd('accept');
      const nonblock = getdefaulttimeout() !== null;
      return this._waits.run(this._waits.readers, accepting(caller, this._family, nonblock, addressOut), (fd) => this.accepted(fd, nonblock));
    });
  }

  /** An accept's result: a Socket on the new descriptor (whose mode `nonblock` says), and the peer's address. */
  private accepted(fd: number, nonblock: boolean): [Socket<F>, ReturnedAddressOf<F>] {
    acceptedNonblocking = nonblock;
    return [this.wrap(fd), fromBlob(addressOut, this._family)];
  }

  /** A Socket like this one on `fd`, a descriptor just made for it; `fd` is closed if that fails. */
  private wrap(fd: number): Socket<F> {
    try {
      return new Socket(this._family, this._type, this._proto, fd);
    } catch (error) {
      native.close(fd);
      throw error;
    }
  }

  /** Connects to `address`, waiting according to the socket's mode. */
  connectSync(address: AddressOf<F>): void {
    const e = connectErrno(this._waits, this._family, this.sync(), address);
    if (e === -1) throw timeoutError('connect', address);
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  /** Like connectSync, but returns the error number (0 on success) instead of throwing it; a timeout gives EAGAIN, as in Python. */
  connectEx(address: AddressOf<F>): number {
    const e = connectErrno(this._waits, this._family, this.sync(), address);
    return e === -1 ? EAGAIN : e;
  }

  /**
   * Promise form of connectSync: completes through writability and SO_ERROR, in the writers' turn,
   * taken at the call and held through the name look-up and a Unix-backlog retry. The timeout
   * counts from the call, name resolution included.
   */
  async connect(address: AddressOf<F>, options?: OperationOptions): Promise<void> {
    const e = await connectInTurn(this._waits, this._family, this.promised(options), address);
    if (e !== 0) throw socketError(e, 'connect', address);
  }

  // --- sending ------------------------------------------------------------------------------

  /** Sends bytes; returns how many were sent (may be fewer than given). */
  sendSync(data: Uint8Array, flags?: number): number {
    const length = checkData(data, 'data');
    return this._waits.runSync(sendOp(this.sync(), data, length, checkFlags(flags, arguments.length, 1)));
  }

  /**
   * Promise form of sendSync. Rejects with a TypeError (code ERR_INVALID_STATE) if `data`'s buffer
   * is detached or shrunk before the send.
   */
  send(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<number> {
    return rejecting(() => {
      const length = checkData(data, 'data');
      const f = checkFlags(flags, arguments.length, 1);
      return this._waits.run(this._waits.writers, sendOp(this.promised(options), data, length, f));
    });
  }

  /** Sends every byte, retrying partial sends; one deadline covers the whole call. */
  sendallSync(data: Uint8Array, flags?: number): void {
    const length = checkData(data, 'data');
    this._waits.runSync(sendallOp(this.sync(), data, length, checkFlags(flags, arguments.length, 1)));
  }

  /**
   * Promise form of sendallSync. Rejects with a TypeError (code ERR_INVALID_STATE) if `data`'s
   * buffer is detached or shrunk before every byte is sent.
   */
  sendall(data: Uint8Array, flags?: number, options?: OperationOptions): Promise<void> {
    return rejecting(() => {
      const length = checkData(data, 'data');
      const f = checkFlags(flags, arguments.length, 1);
      const caller = this.promised(options);
      this.openFd('send');
      return this._waits.run(this._waits.writers, sendallOp(caller, data, length, f), nothing);
    });
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
    const caller = this.sync();
    const send = sendtoAttempt(caller, data, length, f);
    return this._waits.runSync(sending(caller, 'sendto', f, (fd) => send(fd, blob), address));
  }

  /** Promise form of sendtoSync; a host name is resolved without blocking, within the timeout. */
  sendto(data: Uint8Array, address: AddressOf<F>, options?: OperationOptions): Promise<number>;
  sendto(data: Uint8Array, flags: number, address: AddressOf<F>, options?: OperationOptions): Promise<number>;
  sendto(data: Uint8Array, a: number | AddressOf<F>, b?: AddressOf<F> | OperationOptions, c?: OperationOptions): Promise<number> {
    return rejecting(() => {
      const length = checkData(data, 'data');
      const withFlags = typeof a === 'number';
      const f = withFlags ? checkFlags(a, 2, 1) : 0;
      const address = withFlags ? b : a;
      const caller = this.promised(withFlags ? c : b);
      return sendingTo(this._waits, this._family, sendCall(caller, 'sendto', f, address), sendtoAttempt(caller, data, length, f),
        sendtoRing(caller, data, length, f));
    });
  }

  // --- receiving ----------------------------------------------------------------------------

  /** Receives up to `bufsize` bytes; an empty Buffer means the peer has closed. recvSync(0) returns one at once. */
  recvSync(bufsize: number, flags?: number): Buffer {
    const size = checkBufsize(bufsize);
    const f = checkFlags(flags, arguments.length, 1);
    const buffer = Buffer.allocUnsafe(size);
    return trimmed(buffer, this.recvIntoSync(buffer, 0, f));
  }

  /** Promise form of recvSync. */
  recv(bufsize: number, flags?: number, options?: OperationOptions): Promise<Buffer> {
    return rejecting(() => {
      const buffer = Buffer.allocUnsafe(checkBufsize(bufsize));
      const f = checkFlags(flags, arguments.length, 1);
      const caller = this.promised(options);
      if (buffer.length === 0) return Promise.resolve(buffer).finally(() => this.openFd('recv'));
      // The engine trims: no second Promise per pending recv (an idle connection holds one).
      return this._waits.run(this._waits.readers, recvIntoOp(caller, buffer, buffer.length, f), trimmedTo(buffer));
    });
  }

  /**
   * Receives into `buffer` (its first `nbytes`, or all of it), without copying; returns the count.
   * Zero bytes asked for (an empty buffer) return 0 at once, as in Python.
   */
  recvIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): number {
    const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
    const f = checkFlags(flags, arguments.length, 2);
    if (length === 0) return this.openFd('recv') && 0;  // at once, as in Python
    return this._waits.runSync(recvIntoOp(this.sync(), buffer, length, f));
  }

  /**
   * Promise form of recvIntoSync. The buffer must not be touched until the Promise settles; one
   * detached or shrunk before the data arrives rejects it with a TypeError (code ERR_INVALID_STATE).
   */
  recvInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<number> {
    return rejecting(() => {
      const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
      const f = checkFlags(flags, arguments.length, 2);
      const caller = this.promised(options);
      if (length === 0) return Promise.resolve(this.openFd('recv') && 0);
      return this._waits.run(this._waits.readers, recvIntoOp(caller, buffer, length, f));
    });
  }

  /** Receives a datagram: `[Buffer, sender's address]`. */
  recvfromSync(bufsize: number, flags?: number): [Buffer, ReceivedAddressOf<F>] {
    const buffer = Buffer.allocUnsafe(checkBufsize(bufsize));
    const [n, address] = this.recvfromIntoSync(buffer, 0, checkFlags(flags, arguments.length, 1));
    return [trimmed(buffer, n), address];
  }

  /** Promise form of recvfromSync. */
  async recvfrom(bufsize: number, flags?: number, options?: OperationOptions): Promise<[Buffer, ReceivedAddressOf<F>]> {
    const buffer = Buffer.allocUnsafe(checkBufsize(bufsize));
    const [n, address] = await this.recvfromInto(buffer, 0, checkFlags(flags, arguments.length, 1), options);
    return [trimmed(buffer, n), address];
  }

  /** Receives a datagram into `buffer`: `[count, sender's address]`. Zero bytes wait for a datagram, as in Python. */
  recvfromIntoSync(buffer: Uint8Array, nbytes?: number, flags?: number): [number, ReceivedAddressOf<F>] {
    const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
    const f = checkFlags(flags, arguments.length, 2);
    const call = recvfromCall(this.sync(), this._family, buffer, length, f, addressOut);
    return call.result(this._waits.runSync(call.op));
  }

  /** Promise form of recvfromIntoSync; a buffer detached or shrunk before the data arrives rejects it (ERR_INVALID_STATE). */
  recvfromInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: OperationOptions): Promise<[number, ReceivedAddressOf<F>]> {
    return rejecting(() => {
      const length = checkSize(nbytes, 'nbytes', checkData(buffer, 'buffer'), buffer.length);
      const f = checkFlags(flags, arguments.length, 2);
      const call = recvfromCall(this.promised(options), this._family, buffer, length, f, addressOut);
      return this._waits.run(this._waits.readers, call.op, call.result);
    });
  }

  // --- messages -----------------------------------------------------------------------------

  /** Sends the concatenation of `buffers` with ancillary data `[level, type, data][]`; returns bytes sent. */
  sendmsgSync(buffers: Uint8Array[], ancdata?: Ancillary<Uint8Array>[] | null, flags?: number, address?: AddressOf<F>): number {
    const parts = checkBuffers(buffers);
    const anc = checkAncillary(ancdata);
    const f = checkFlags(flags, arguments.length, 2);
    this.openFd('sendmsg');
    const blob = address === undefined || address === null ? null : toBlobSync(this._family, address, 'sendmsg');
    const caller = this.sync();
    const send = sendmsgAttempt(caller, parts, anc, f);
    return this._waits.runSync(sending(caller, 'sendmsg', f, (fd) => send(fd, blob), address));
  }

  /** Promise form of sendmsgSync. */
  sendmsg(buffers: Uint8Array[], ancdata?: Ancillary<Uint8Array>[] | null, flags?: number, address?: AddressOf<F>,
    options?: OperationOptions): Promise<number> {
    return rejecting(() => {
      const parts = checkBuffers(buffers);
      const anc = checkAncillary(ancdata);
      const f = checkFlags(flags, arguments.length, 2);
      const caller = this.promised(options);
      this.openFd('sendmsg');
      const send = sendmsgAttempt(caller, parts, anc, f);
      const ring = sendmsgRing(caller, parts, anc, f);
      if (address === undefined || address === null) {
        return this._waits.run(this._waits.writers, sending(caller, 'sendmsg', f, (fd) => send(fd, null), undefined, ring?.(null)));
      }
      return sendingTo(this._waits, this._family, sendCall(caller, 'sendmsg', f, address), send, ring);
    });
  }

  /** Receives up to `bufsize` bytes and up to `ancbufsize` bytes of ancillary data: `[data, ancdata, msgFlags, address]`. */
  recvmsgSync(bufsize: number, ancbufsize?: number, flags?: number): RecvmsgResult<F> {
    const buffer = Buffer.allocUnsafe(checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags, arguments.length, 2);
    const call = recvmsgCall(this.sync(), this._family, buffer, anc, f, addressOut);
    return call.result(this._waits.runSync(call.op));
  }

  /** Promise form of recvmsgSync. */
  async recvmsg(bufsize: number, ancbufsize?: number, flags?: number, options?: OperationOptions): Promise<RecvmsgResult<F>> {
    const buffer = Buffer.allocUnsafe(checkBufsize(bufsize));
    const anc = checkAncbufsize(ancbufsize);
    const f = checkFlags(flags, arguments.length, 2);
    const call = recvmsgCall(this.promised(options), this._family, buffer, anc, f, addressOut);
    return this._waits.run(this._waits.readers, call.op, call.result);
  }

  /**
   * Receives a batch of datagrams with one system call (Linux), one into each of `buffers`:
   * `[nbytes, address, msgFlags][]`, as many entries as datagrams arrived (at least one); msgFlags
   * carries MSG_TRUNC for a datagram cut to its buffer, as recvmsg's does.
   */
  recvmmsgSync(buffers: Uint8Array[], flags?: number): RecvmmsgResult<F>[] {
    const call = this.recvmmsgCall(buffers, flags, arguments.length, false);
    return call.result(this._waits.runSync(call.op));
  }

  /** Promise form of recvmmsgSync. */
  async recvmmsg(buffers: Uint8Array[], flags?: number, options?: OperationOptions): Promise<RecvmmsgResult<F>[]> {
    const call = this.recvmmsgCall(buffers, flags, arguments.length, true, options);
    return this._waits.run(this._waits.readers, call.op, call.result);
  }

  private recvmmsgCall(buffers: Uint8Array[], flags: number | undefined, given: number, promise: boolean,
    options?: OperationOptions): Receive<RecvmmsgResult<F>[]> {
    const parts = checkBuffers(buffers);
    const f = checkFlags(flags, given, 1);
    const caller = promise ? this.promised(options) : this.sync();
    this.openFd('recvmmsg');  // after the arguments, as Python checks them
    if (!native.recvmmsg) throw unavailable('recvmmsg');
    const target = this._mmsgTarget ??= { scratch: new MmsgScratch(), family: this._family, stream: this._type === C.SOCK_STREAM };
    return recvmmsgCall(caller, native.recvmmsg, target, parts, f);
  }

  /** Sends a batch of datagrams `[data, address?][]` with one system call (Linux); returns how many were sent. */
  sendmmsgSync(messages: Array<[data: Uint8Array, address?: AddressOf<F>]>, flags?: number): number {
    return this._waits.runSync(this.sendmmsgOp(messages, flags, arguments.length, false));
  }

  /** Promise form of sendmmsgSync. */
  sendmmsg(messages: Array<[data: Uint8Array, address?: AddressOf<F>]>, flags?: number, options?: OperationOptions): Promise<number> {
    return rejecting(() => this._waits.run(this._waits.writers, this.sendmmsgOp(messages, flags, arguments.length, true, options)));
  }

  private sendmmsgOp(messages: Array<[Uint8Array, AddressOf<F>?]>, flags: number | undefined, given: number, promise: boolean,
    options?: OperationOptions): Op {
    const [parts, blobs] = mmsgMessages(messages, this._family);
    const f = checkFlags(flags, given, 1);
    const caller = promise ? this.promised(options) : this.sync();
    this.openFd('sendmmsg');  // after the arguments, as Python checks them
    if (!native.sendmmsg) throw unavailable('sendmmsg');
    const sendmmsg = native.sendmmsg;
    const callFlags = sendFlags(caller, f);
    return sending(caller, 'sendmmsg', f, (fd) => sendmmsg(fd, parts, blobs, callFlags));
  }

  /** A Sync call being made now: the socket's timeout now. */
  private sync(): Caller {
    return { timeout: this._timeout, promise: false };
  }

  /** A Promise call being made now: the socket's timeout now, and the signal of its `options`. */
  private promised(options: unknown): Caller {
    return { timeout: this._timeout, promise: true, signal: readSignal(options), ring: ringOps ? ringKind(this._family, this._type) : undefined };
  }

  // --- streams and hand-off (lib/socket/stream.ts, lib/socket/sendfile.ts) ----------------------------------

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
