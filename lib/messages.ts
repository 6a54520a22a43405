// Messages: ancillary data as [level, type, data], descriptor passing (sendFds/recvFds), and the
// argument checks shared by sendmsg/recvmsg/recvmmsg/sendmmsg.
import { isUint8Array } from 'node:util/types';
import { native } from './native';
import { SocketError } from './errors';
import { CMSG_LEN } from './convert';
import { Socket, type OperationOptions } from './socket';
import type { AddressOf, ReceivedAddressOf } from './address';
import { checkBytes, checkInt, checkOptionalInt, invalidArgType } from './validate';

const C = native.constants;

/**
 * One ancillary message: `[cmsg_level, cmsg_type, data]`. recvmsg gives the data as a Buffer;
 * sendmsg takes any Uint8Array (`Ancillary<Uint8Array>`).
 */
export type Ancillary<Data extends Uint8Array = Buffer> = [level: number, type: number, data: Data];
/** What recvmsg returns on a socket of family `F`: `[data, ancdata, msgFlags, address]`. */
export type RecvmsgResult<F extends number = number> =
  [data: Buffer, ancdata: Ancillary[], msgFlags: number, address: ReceivedAddressOf<F>];
/** What recvFds returns on a socket of family `F`: `[data, fds, msgFlags, address]`. */
export type RecvFdsResult<F extends number = number> =
  [data: Buffer, fds: number[], msgFlags: number, address: ReceivedAddressOf<F>];

/** The raw result of native recvmsg: [nbytes, ancdata, msgFlags], or -errno. */
export type NativeRecvmsg = [number, Ancillary[], number] | number;

export interface MessagesNative {
  sendmsg(fd: number, buffers: Uint8Array[], ancdata: Ancillary[] | null, flags: number, blob: Buffer | null): number;
  recvmsg(fd: number, buffers: Uint8Array[], ancbufsize: number, flags: number, blob: Buffer): NativeRecvmsg;
  recvmmsg?(fd: number, buffers: Uint8Array[], blobs: Buffer, lengths: Int32Array, flags: number): number;
  sendmmsg?(fd: number, buffers: Uint8Array[], blobs: Array<Buffer | null>, flags: number): number;
}
export const messagesNative = native as unknown as MessagesNative;

// Getters, Proxies and subclasses run user code whenever a property is read, and may answer
// differently each time (a small buffer first, a big one next; a buffer detached meanwhile). So
// each user value is read exactly once, here, into fresh arrays of checked values, and native code
// sees only those (STYLE.md 13).

/** The elements of the array `value`, each read once, in a fresh array. */
function elementsOf(value: unknown, name: string, expected: string): unknown[] {
  if (!Array.isArray(value)) throw invalidArgType(name, expected, value);
  const length: unknown = value.length;  // a Proxy may say anything
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) throw invalidArgType(name, expected, value);
  const out: unknown[] = [];
  for (let i = 0; i < length; i++) out.push(value[i]);
  return out;
}

/** The buffers of a scatter/gather list, in a fresh array. */
export function checkBuffers(buffers: unknown, name = 'buffers'): Uint8Array[] {
  const items = elementsOf(buffers, name, 'an array of Buffer or Uint8Array');
  for (let i = 0; i < items.length; i++) {
    if (!isUint8Array(items[i])) checkBytes(items[i], `${name}[${i}]`);  // the name is built only to throw
  }
  return items as Uint8Array[];
}

/** Ancillary messages `[level, type, data][]`, in fresh arrays; null for none. */
export function checkAncillary(ancdata: unknown): Ancillary[] | null {
  if (ancdata === undefined || ancdata === null) return null;
  return elementsOf(ancdata, 'ancdata', 'an array of [level, type, data]').map((item, i): Ancillary => {
    const what = `ancdata[${i}]`;
    const parts = elementsOf(item, what, 'an array [level, type, data]');
    if (parts.length !== 3) throw invalidArgType(what, 'an array [level, type, data]', item);
    return [checkInt(parts[0], `${what}[0]`), checkInt(parts[1], `${what}[1]`), checkBytes(parts[2], `${what}[2]`) as Buffer];
  });
}

export function checkAncbufsize(value: unknown): number {
  return checkOptionalInt(value, 'ancbufsize', 0, 0, 1 << 20);
}

/** Linux-only calls elsewhere: a SocketError that says so. */
export function unavailable(name: string): SocketError {
  const enosys = native.errnoNames.ENOSYS ?? native.errnoNames.EOPNOTSUPP;
  return new SocketError(enosys, name, undefined, `${name} is not available in this build for ${process.platform}`);
}

/** The descriptors as C ints, in the machine's byte order. */
function fdsData(fds: unknown): Buffer {
  const list = elementsOf(fds, 'fds', 'an array of file descriptors');
  const ints = Int32Array.from(list, (fd, i) => checkInt(fd, `fds[${i}]`, 0));
  return Buffer.from(ints.buffer);
}

function fdsAncillary(fds: unknown): Ancillary[] {
  return [[C.SOL_SOCKET, C.SCM_RIGHTS, fdsData(fds)]];
}

function receivedFds(ancdata: Ancillary[]): number[] {
  const fds: number[] = [];
  for (const [level, type, data] of ancdata) {
    if (level !== C.SOL_SOCKET || type !== C.SCM_RIGHTS) continue;
    const ints = new Int32Array(Uint8Array.prototype.slice.call(data, 0, data.length - (data.length % 4)).buffer);
    fds.push(...ints);
  }
  return fds;
}

function checkSocket<F extends number>(sock: Socket<F>): Socket<F> {
  if (!((sock as unknown) instanceof Socket)) throw invalidArgType('sock', 'an instance of Socket', sock);
  return sock;
}

function checkMaxfds(maxfds: unknown): number {
  return checkInt(maxfds, 'maxfds', 1, 253);
}

/** Sends `buffers` and the descriptors `fds` (SCM_RIGHTS) on a Unix socket; returns bytes sent. */
export function sendFdsSync<F extends number>(sock: Socket<F>, buffers: Uint8Array[], fds: number[], flags?: number,
  address?: AddressOf<F>): number {
  return checkSocket(sock).sendmsgSync(buffers, fdsAncillary(fds), flags, address);
}

/** Promise form of sendFdsSync. */
export function sendFds<F extends number>(sock: Socket<F>, buffers: Uint8Array[], fds: number[], flags?: number,
  address?: AddressOf<F>, options?: OperationOptions): Promise<number> {
  try {
    return checkSocket(sock).sendmsg(buffers, fdsAncillary(fds), flags, address, options);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Receives up to `bufsize` bytes and up to `maxfds` descriptors: `[data, fds, msgFlags, address]`.
 * The descriptors are new, close-on-exec and the caller's to close. MSG_CTRUNC in msgFlags means
 * more were sent than fitted; the system closed those.
 */
export function recvFdsSync<F extends number>(sock: Socket<F>, bufsize: number, maxfds: number, flags?: number): RecvFdsResult<F> {
  const [data, ancdata, msgFlags, address] = checkSocket(sock).recvmsgSync(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), flags);
  return [data, receivedFds(ancdata), msgFlags, address];
}

/** Promise form of recvFdsSync. */
export async function recvFds<F extends number>(sock: Socket<F>, bufsize: number, maxfds: number, flags?: number,
  options?: OperationOptions): Promise<RecvFdsResult<F>> {
  const [data, ancdata, msgFlags, address] = await checkSocket(sock).recvmsg(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), flags, options);
  return [data, receivedFds(ancdata), msgFlags, address];
}
