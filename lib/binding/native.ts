// The raw binding, typed once: every function the addon registers, with its exact signature. No
// other file re-types it. The conventions every native call follows:
// - A call that can fail returns a result or -errno: a number >= 0 (bytes, a descriptor, a count),
//   or a value (a string, an array) where the result is not a number; a negative number is always
//   -errno. Values too large for a return go into a buffer the caller passes (an address blob, an
//   Int32Array) and the call returns 0 or a count. errors.ts turns -errno into the typed error.
// - inet_pton(3)'s own convention stays: inetPton and inetAton return the bytes written, 0 when
//   the text is no address, -errno on failure.
// - Lookups (getaddrinfo, getnameinfo, gethostby*) return their result, or a LookupFailure: their
//   errors come in several families (EAI_*, h_errno, errno, a message) that cannot share one
//   negative range (glibc's EAI_* codes are themselves negative). resolve.ts makes their errors.
// - Pure value producers cannot fail and return plain values: strerror, gaiStrerror, hstrerror,
//   the tables (constants, errnoNames, structLayouts, buildFeatures). Watcher ref/unref/close
//   cannot fail and return nothing.
// - Native code throws only for programming errors: an argument of the wrong type (TypeError,
//   ERR_INVALID_ARG_TYPE), or a blob that no code of ours made (unpack).
// Addresses travel as "address blobs" (addrBlobSize bytes: uint32 length, then a sockaddr).
import * as path from 'node:path';

const load: (dir: string) => unknown = require('node-gyp-build');

export type Blob = Buffer;

/**
 * A readiness watcher on one descriptor: libuv's (native/watcher.cc) or the addon's own poll
 * thread's (native/pollthread.cc); `backend` says which one `Watcher` is.
 */
export interface NativeWatcher {
  /** Watches for `events` (POLLIN/POLLOUT bits); 0 stops watching. Returns 0 or -errno. */
  start(events: number): number;
  ref(): void;
  unref(): void;
  /** Stops and closes the handle; the descriptor may be closed right after this returns. */
  close(): void;
}

/** A C struct's layout as the headers give it: its size and each listed field's offset and size, in bytes. */
export interface StructLayout {
  size: number;
  fields: Record<string, { offset: number; size: number } | undefined>;
}

/** The switches of native/platform.h this build was compiled with (native/features.cc). */
export interface NativeBuildFeatures {
  accept4: boolean;
  sockFlags: boolean;
  msgNosignal: boolean;
  mmsg: boolean;
  linux: boolean;
  /** recv(2) with MSG_TRUNC returns a message's real length (Linux). */
  recvTruncLength: boolean;
  soNosigpipe: boolean;
  portable: boolean;
  /** uring.cc was compiled in (the kernel may still refuse io_uring). */
  ioUring: boolean;
}

/** A watcher is given its descriptor's FdHandle (which then stops it before closing), or a bare number. */
export type NativeWatcherClass = new (fd: number | NativeFdHandle, onReady: (revents: number) => void) => NativeWatcher;

/**
 * The one owner of a descriptor (native/handle.cc): closes it exactly once, on close(), on garbage
 * collection (then calls `onCollected`) or when the environment ends; stops its bound watcher first.
 */
export interface NativeFdHandle {
  /** The descriptor, or -1 once closed or released. */
  readonly fd: number;
  /** Stops the watcher and closes the descriptor if still owned: 0 or -errno. */
  close(): number;
  /** Stops the watcher and gives the descriptor up without closing it: the descriptor, or -1. */
  release(): number;
  /** The readiness layer's watch of this descriptor (lib/engine/readiness.ts keeps it here). */
  watch?: object;
}

/**
 * A completion-based receive or send on one stream socket through the thread's io_uring
 * (native/uring_ops.cc): one submission in flight at a time, into or from memory of its own.
 */
export interface NativeUringOp {
  /** Submits a receive of up to `length` bytes: 0, or -errno. */
  recv(length: number, flags: number): number;
  /** Copies `length` bytes of `data` from `offset` (at most 1 MiB of them) and submits their send: the count copied, or -errno. */
  send(data: Uint8Array, offset: number, length: number, flags: number): number;
  /** Copies the first `n` bytes of the last receive into `view` at `offset`: n, or -EFAULT. */
  copyTo(view: Uint8Array, offset: number, n: number): number;
  /** Submits a recvmsg of up to `length` bytes and `ancbufsize` bytes of ancillary data (received descriptors close-on-exec): 0, or -errno. */
  recvmsg(length: number, ancbufsize: number, flags: number): number;
  /** The last recvmsg's `[ancdata, msgFlags]`, the sender written to `blob` (once per completion), or -EFAULT. */
  received(blob: Buffer): [ancdata: Array<[number, number, Buffer]>, msgFlags: number] | number;
  /** Copies `parts` (at most 1 MiB in all, else -EMSGSIZE) and submits their sendmsg with `ancdata`, to `blob` or the peer: the count, or -errno. */
  sendmsg(parts: Uint8Array[], ancdata: Array<[number, number, Uint8Array]> | null, flags: number, blob: Buffer | null): number;
  /** Submits a connect to the address in `blob` (copied): 0, or -errno; it completes with 0 or -errno. */
  connect(blob: Buffer): number;
  /**
   * Waits for the listener's accept queue (native/uring_accept.h), arming the multishot accept
   * unless armed: 0, or -errno (the ring does not accept here, or a descriptor is queued already).
   * onComplete(0) then says that `accepted()` has one, onComplete(-errno) that the accept failed.
   */
  accept(nonblock: boolean): number;
  /** The oldest descriptor the ring accepted for this listener, in the mode `nonblock` says, its peer in `blob`: the descriptor, or -errno. */
  accepted(blob: Buffer, nonblock: boolean): number;
  /**
   * Submits the cancellation of what is in flight; its completion still comes (-ECANCELED, or its
   * count). True when nothing was in the kernel (an accept waiting for the queue): cancelled at once, no completion comes.
   */
  cancel(): boolean;
  ref(): void;
  unref(): void;
}

export type NativeUringOpClass = new (handle: NativeFdHandle, onComplete: (res: number) => void) => NativeUringOp;

/** `fresh`: the system call has just made `fd`, so a handle still listed for that number is stale. */
export type NativeFdHandleClass = new (fd: number, fresh: boolean, onCollected?: (fd: number) => void) => NativeFdHandle;

/** An address as `unpack` gives it: the family's shape of API.md, `[family, bytes]` for another family, null for none. */
export type UnpackedAddress =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number, scopeId: number]
  | string
  | Buffer
  | [ifname: string, proto: number, pkttype: number, hatype: number, addr: Buffer]
  | [pid: number, groups: number]
  | [family: number, data: Buffer]
  | null;

/** One ancillary message as native code takes and gives it: `[cmsg_level, cmsg_type, data]`. */
export type NativeAncillary = [level: number, type: number, data: Buffer];

/** What recvmsg returns: `[nbytes, ancdata, msgFlags]` (the address goes into the blob), or -errno. */
export type NativeRecvmsg = [nbytes: number, ancdata: NativeAncillary[], msgFlags: number] | number;

/**
 * How a lookup failed (native/resolver.h): one of `gai` (an EAI_* code, with `errno` for
 * EAI_SYSTEM), `herror` (an h_errno code), `message` (an OSError without errno, as Python raises
 * it), or `errno` alone.
 */
export interface LookupFailure {
  gai?: number;
  errno?: number;
  herror?: number;
  message?: string;
}

/** One getaddrinfo entry: `[family, type, proto, canonname, address blob]`. */
export type NativeAddrInfo = [family: number, type: number, proto: number, canonname: string, blob: Blob];
/** A gethostbyname_ex/gethostbyaddr entry: `[name, aliases, addresses]`. */
export type NativeHostEntry = [name: string, aliases: string[], addresses: string[]];
/** getaddrinfo's arguments: host and port as text or null, then the hints. */
export type GaiArgs = [host: string | null, port: string | null, family: number, type: number, proto: number, flags: number];

export interface Native {
  // errors.cc
  strerror(errno: number): string;
  // constants.cc (generated from native/names/errno.txt): every errno name the platform defines, aliases included
  errnoNames: Record<string, number>;
  // addresses.cc: each pack* fills the blob and returns 0 or -errno
  addrBlobSize: number;
  sunPathMax: number;
  /** Where this platform's sockaddr_in keeps sin_family, sin_port and sin_addr. */
  sockaddrIn: StructLayout;
  packInet(host: string, port: number, blob: Blob): number;
  packInet6(host: string, port: number, flowinfo: number, scopeId: number, blob: Blob): number;
  packUnix(path: Uint8Array, blob: Blob): number;
  packPacket?(ifname: string, proto: number, pkttype: number, hatype: number, addr: Uint8Array, blob: Blob): number;
  packNetlink?(pid: number, groups: number, blob: Blob): number;
  /** The address in a blob; throws a TypeError for a blob no code of ours made (a programming error). */
  unpack(blob: Blob): UnpackedAddress;
  // sockets.cc
  socket(family: number, type: number, proto: number, nonblock: boolean): number;
  socketpair(family: number, type: number, proto: number, nonblock: boolean, out: Int32Array): number;
  close(fd: number): number;
  bind(fd: number, blob: Blob): number;
  connect(fd: number, blob: Blob): number;
  listen(fd: number, backlog: number): number;
  accept(fd: number, blob: Blob, nonblock: boolean): number;
  shutdown(fd: number, how: number): number;
  getsockname(fd: number, blob: Blob): number;
  getpeername(fd: number, blob: Blob): number;
  send(fd: number, data: Uint8Array, offset: number, length: number, flags: number): number;
  sendto(fd: number, data: Uint8Array, offset: number, length: number, flags: number, blob: Blob): number;
  recv(fd: number, into: Uint8Array, offset: number, length: number, flags: number): number;
  recvfrom(fd: number, into: Uint8Array, offset: number, length: number, flags: number, blob: Blob): number;
  setNonblocking(fd: number, on: boolean): number;
  setCloexec(fd: number, on: boolean): number;
  /** bit 0: O_NONBLOCK, bit 1: FD_CLOEXEC */
  getFdFlags(fd: number): number;
  dup(fd: number): number;
  waitFd(fd: number, events: number, timeoutMs: number): number;
  socketInfo(fd: number, out: Int32Array): number;
  // handle.cc
  FdHandle: NativeFdHandleClass;
  /** The handle that owns `fd` in this environment, if any. */
  handleOf(fd: number): NativeFdHandle | undefined;
  // options.cc
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  setsockoptBytes(fd: number, level: number, name: number, value: Uint8Array): number;
  getsockoptInt(fd: number, level: number, name: number, out: Int32Array): number;
  getsockoptBytes(fd: number, level: number, name: number, into: Uint8Array): number;
  // messages.cc
  sendmsg(fd: number, buffers: Uint8Array[], ancdata: ReadonlyArray<readonly [number, number, Uint8Array]> | null,
    flags: number, blob: Blob | null): number;
  recvmsg(fd: number, buffers: Uint8Array[], ancbufsize: number, flags: number, blob: Blob): NativeRecvmsg;
  /**
   * Linux: fills `results[2i]` (length), `results[2i + 1]` (msg_flags) and the i-th blob of `blobs`
   * (count * addrBlobSize bytes); returns the count or -errno.
   */
  recvmmsg?(fd: number, buffers: Uint8Array[], blobs: Buffer, results: Int32Array, flags: number): number;
  /** Linux: messages sent, or -errno. */
  sendmmsg?(fd: number, buffers: Uint8Array[], blobs: Array<Blob | null>, flags: number): number;
  // sendfile.cc
  /** sendfile(2) of `count` bytes from `offset`: bytes sent, 0 at end of file, or -errno (-ENOSYS: no sendfile here). */
  sendfile(socketFd: number, fileFd: number, offset: number, count: number): number;
  /** lseek(fd, offset, SEEK_SET): 0 or -errno. */
  seekFile(fd: number, offset: number): number;
  // select.cc: revents[i] receives the revents of fds[i]; returns the count ready, or -errno
  pollFds(fds: Int32Array, events: Int32Array, revents: Int32Array, timeoutMs: number): number;
  // epoll.cc (Linux only): a close-on-exec epoll fd; epoll_ctl; epoll_wait filling out[2i] = fd,
  // out[2i+1] = events (int32 bits); each returns 0, a descriptor or a count, or -errno
  epollCreate?(): number;
  epollCtl?(epfd: number, op: number, fd: number, events: number): number;
  epollWait?(epfd: number, out: Int32Array, maxevents: number, timeoutMs: number): number;
  // kqueue.cc (where <sys/event.h> exists): a kevent is six doubles, ident, filter, flags, fflags,
  // data, udata; control applies `changes` and fills `out` with up to maxevents, returning the count or -errno
  kqueueCreate?(): number;
  kqueueControl?(kq: number, changes: Float64Array, out: Float64Array, maxevents: number, timeoutMs: number): number;
  // resolution.cc, hosts.cc (the result, or how the lookup failed)
  getaddrinfoSync(...args: GaiArgs): NativeAddrInfo[] | LookupFailure;
  getaddrinfoAsync(...args: GaiArgs): Promise<NativeAddrInfo[] | LookupFailure>;
  getnameinfoSync(blob: Blob, flags: number): [host: string, port: string] | LookupFailure;
  getnameinfoAsync(blob: Blob, flags: number): Promise<[host: string, port: string] | LookupFailure>;
  gethostbynameSync(name: string): string | LookupFailure;
  gethostbynameAsync(name: string): Promise<string | LookupFailure>;
  gethostbynameExSync(name: string): NativeHostEntry | LookupFailure;
  gethostbynameExAsync(name: string): Promise<NativeHostEntry | LookupFailure>;
  gethostbyaddrSync(ip: string): NativeHostEntry | LookupFailure;
  gethostbyaddrAsync(ip: string): Promise<NativeHostEntry | LookupFailure>;
  gaiStrerror(code: number): string;
  hstrerror(code: number): string;
  /** HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY, NO_DATA and their values. */
  hostErrorNames: Record<string, number>;
  // netdb.cc
  gethostname(): string | number;
  /** sethostname(2) with the name's bytes: 0 or -errno. */
  sethostname(name: Uint8Array): number;
  /** The port in host order, or -ENOENT for an unknown service. */
  getservbyname(name: string, proto: string | null): number;
  /** The service name, or -ENOENT for an unknown port. */
  getservbyport(port: number, proto: string | null): string | number;
  /** The protocol number, or -ENOENT for an unknown protocol. */
  getprotobyname(name: string): number;
  // inet.cc
  inetAton(text: string, out: Uint8Array): number;
  inetPton(family: number, text: string, out: Uint8Array): number;
  inetNtop(family: number, bytes: Uint8Array): string | number;
  // interfaces.cc
  ifNameindex(): Array<[index: number, name: string]> | number;
  ifNametoindex(name: string): number;
  ifIndextoname(index: number): string | number;
  // cmsg.cc: CMSG_LEN(n) / CMSG_SPACE(n), or -ERANGE for n above cmsgLenMax / cmsgSpaceMax
  cmsgLen(length: number): number;
  cmsgSpace(length: number): number;
  cmsgLenMax: number;
  cmsgSpaceMax: number;
  // constants.cc (generated from native/names/*.txt)
  constants: Record<string, number>;
  /** sizeof and offsetof of the structs in native/names/structs.txt; a struct the platform lacks is absent. */
  structLayouts: Record<string, StructLayout | undefined>;
  // features.cc
  buildFeatures: Readonly<NativeBuildFeatures>;
  /** The most buffers one sendmsg takes (sysconf(_SC_IOV_MAX), else IOV_MAX). */
  iovMax: number;
  // watcher.cc, pollthread.cc
  Watcher: NativeWatcherClass;
  UvWatcher: NativeWatcherClass;
  /** Absent where there is neither epoll nor kqueue. */
  ThreadWatcher?: NativeWatcherClass;
  /** Starts the environment's poll thread (else the first ThreadWatcher start() does). 0 | -errno */
  startPollThread?(): number;
  // uring.cc: absent off Linux, in the portable build and under Deno
  UringWatcher?: NativeWatcherClass;
  /** Opens the environment's io_uring (the probe): 0, or -errno where the kernel refuses it. */
  startUring?(): number;
  UringOp?: NativeUringOpClass;
  /**
   * A try of accept on a listener the ring accepts for: the oldest descriptor queued (its peer in
   * `blob`), -EAGAIN when none is and a multishot accept is armed, -ENOENT when none is and none is
   * armed (`stop`: an armed one is stopped first, for a Sync accept).
   */
  uringAccepted?(fd: number, blob: Buffer, nonblock: boolean, stop: boolean): number;
  /** Whether the environment's ring is open and the kernel has what UringOp needs (receive, send, cancel, timed waits). */
  uringSocketOps?(): boolean;
  /** While the ring's completions are being delivered, how many the current batch holds; 0 otherwise. */
  uringBatch?(): number;
  /** What the environment's ring has done: io_uring_enter calls, entries submitted, completions reaped. */
  uringCounters?(): { enters: number; submitted: number; reaped: number };
}

// BSD_SOCKETS_ADDON names another build of the addon (the sanitizer build, for one).
const override = process.env.BSD_SOCKETS_ADDON;
export const native = (override ? require(path.resolve(override)) : load(path.join(__dirname, '..', '..', '..'))) as Native;
