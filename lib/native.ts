// The raw binding, typed. Every system-call wrapper returns a result >= 0 or -errno; see errors.ts.
// Addresses travel as "address blobs" (addrBlobSize bytes: uint32 length, then a sockaddr).
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-var-requires
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
  soNosigpipe: boolean;
  portable: boolean;
}

export type NativeWatcherClass = new (fd: number, onReady: (revents: number) => void) => NativeWatcher;

export interface Native {
  // errors.cc
  strerror(errno: number): string;
  // constants.cc (generated from native/names/errno.txt): every errno name the platform defines, aliases included
  errnoNames: Record<string, number>;
  // addresses.cc
  addrBlobSize: number;
  sunPathMax: number;
  packInet(host: string, port: number, blob: Blob): number;
  packInet6(host: string, port: number, flowinfo: number, scopeId: number, blob: Blob): number;
  packUnix(path: Uint8Array, blob: Blob): number;
  packPacket?(ifname: string, proto: number, pkttype: number, hatype: number, addr: Uint8Array, blob: Blob): number;
  packNetlink?(pid: number, groups: number, blob: Blob): number;
  unpack(blob: Blob): unknown;
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
  /** Takes ownership of a descriptor from elsewhere (closed if the environment ends while open). */
  adoptFd(fd: number): number;
  /** Gives up ownership (detach). */
  disownFd(fd: number): number;
  // options.cc
  setsockoptInt(fd: number, level: number, name: number, value: number): number;
  setsockoptBytes(fd: number, level: number, name: number, value: Uint8Array): number;
  getsockoptInt(fd: number, level: number, name: number, out: Int32Array): number;
  getsockoptBytes(fd: number, level: number, name: number, into: Uint8Array): number;
  // constants.cc (generated from native/names/*.txt)
  constants: Record<string, number>;
  /** sizeof and offsetof of the structs in native/names/structs.txt; a struct the platform lacks is absent. */
  structLayouts: Record<string, StructLayout | undefined>;
  // inet.cc
  inetPton(family: number, text: string, out: Uint8Array): number;
  inetNtop(family: number, bytes: Uint8Array): string | number;
  // features.cc
  buildFeatures: Readonly<NativeBuildFeatures>;
  // watcher.cc, pollthread.cc
  Watcher: NativeWatcherClass;
  UvWatcher: NativeWatcherClass;
  /** Absent where there is neither epoll nor kqueue. */
  ThreadWatcher?: NativeWatcherClass;
  /** Starts the environment's poll thread (else the first ThreadWatcher start() does). 0 | -errno */
  startPollThread?(): number;
  // the rest (select.cc, messages.cc, resolution.cc) is typed where it is used
  [name: string]: unknown;
}

// BSD_SOCKETS_ADDON names another build of the addon (the sanitizer build, for one).
const override = process.env.BSD_SOCKETS_ADDON;
// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native = (override ? require(path.resolve(override)) : load(path.join(__dirname, '..', '..'))) as Native;

/**
 * Where readiness comes from: libuv's loop, or the addon's own poll thread under Bun (whose
 * Node-API has no libuv functions) and Deno (whose uv_poll stand-in sometimes never reports a
 * ready descriptor: Promise operations hung in about one run in three of scripts/runtime-check.mjs).
 * BSD_SOCKETS_BACKEND=thread forces the poll thread, =libuv the loop. Decided here, before any
 * watcher exists.
 */
export const backend: 'libuv' | 'thread' = chooseBackend();

/** Whether the runtime's libuv loop can be trusted with our watchers (Node's own). */
function hasOwnLoop(): boolean {
  return process.versions.bun === undefined && !('Deno' in globalThis);
}

function chooseBackend(): 'libuv' | 'thread' {
  const forced = process.env.BSD_SOCKETS_BACKEND;
  const wanted = forced === 'thread' || forced === 'libuv' ? forced : hasOwnLoop() ? 'libuv' : 'thread';
  if (wanted === 'thread' && native.ThreadWatcher) {
    native.Watcher = native.ThreadWatcher;
    native.startPollThread!(); // now, as libuv's loop exists before any watcher; start() reports a failure
    return 'thread';
  }
  return 'libuv';
}
