// Messages: ancillary data as [level, type, data], descriptor passing (sendFds/recvFds), and the
// argument checks shared by sendmsg/recvmsg/recvmmsg/sendmmsg.
import { native } from './native';
import { SocketError } from './errors';
import { CMSG_LEN } from './convert';
import { Socket, type OperationOptions } from './socket';
import type { Address, ReturnedAddress } from './address';
import { checkBytes, checkInt, checkOptionalInt, invalidArgType } from './validate';

const C = native.constants;

/** One ancillary message: `[cmsg_level, cmsg_type, data]`. */
export type Ancillary = [level: number, type: number, data: Buffer];
/** What recvmsg returns: `[data, ancdata, msgFlags, address]`. */
export type RecvmsgResult = [data: Buffer, ancdata: Ancillary[], msgFlags: number, address: ReturnedAddress];
/** What recvFds returns: `[data, fds, msgFlags, address]`. */
export type RecvFdsResult = [data: Buffer, fds: number[], msgFlags: number, address: ReturnedAddress];

/** The raw result of native recvmsg: [nbytes, ancdata, msgFlags], or -errno. */
export type NativeRecvmsg = [number, Ancillary[], number] | number;

export interface MessagesNative {
  sendmsg(fd: number, buffers: Uint8Array[], ancdata: Ancillary[] | null, flags: number, blob: Buffer | null): number;
  recvmsg(fd: number, buffers: Uint8Array[], ancbufsize: number, flags: number, blob: Buffer): NativeRecvmsg;
  recvmmsg?(fd: number, buffers: Uint8Array[], blobs: Buffer, lengths: Int32Array, flags: number): number;
  sendmmsg?(fd: number, buffers: Uint8Array[], blobs: Array<Buffer | null>, flags: number): number;
}
export const messagesNative = native as unknown as MessagesNative;

export function checkBuffers(buffers: unknown, name = 'buffers'): Uint8Array[] {
  if (!Array.isArray(buffers)) throw invalidArgType(name, 'an array of Buffer or Uint8Array', buffers);
  for (let i = 0; i < buffers.length; i++) {
    if (!(buffers[i] instanceof Uint8Array)) checkBytes(buffers[i], `${name}[${i}]`);  // throws
  }
  return buffers as Uint8Array[];
}

export function checkAncillary(ancdata: unknown): Ancillary[] | null {
  if (ancdata === undefined || ancdata === null) return null;
  if (!Array.isArray(ancdata)) throw invalidArgType('ancdata', 'an array of [level, type, data]', ancdata);
  for (const [i, item] of ancdata.entries()) {
    if (!Array.isArray(item) || item.length !== 3) throw invalidArgType(`ancdata[${i}]`, 'an array [level, type, data]', item);
    checkInt(item[0], `ancdata[${i}][0]`);
    checkInt(item[1], `ancdata[${i}][1]`);
    checkBytes(item[2], `ancdata[${i}][2]`);
  }
  return ancdata as Ancillary[];
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
  if (!Array.isArray(fds)) throw invalidArgType('fds', 'an array of file descriptors', fds);
  const ints = Int32Array.from(fds, (fd, i) => checkInt(fd, `fds[${i}]`, 0));
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

function checkSocket(sock: unknown): Socket {
  if (!(sock instanceof Socket)) throw invalidArgType('sock', 'an instance of Socket', sock);
  return sock;
}

function checkMaxfds(maxfds: unknown): number {
  return checkInt(maxfds, 'maxfds', 1, 253);
}

/** Sends `buffers` and the descriptors `fds` (SCM_RIGHTS) on a Unix socket; returns bytes sent. */
export function sendFdsSync(sock: Socket, buffers: Uint8Array[], fds: number[], flags?: number, address?: Address): number {
  return checkSocket(sock).sendmsgSync(buffers, fdsAncillary(fds), flags, address);
}

/** Promise form of sendFdsSync. */
export function sendFds(sock: Socket, buffers: Uint8Array[], fds: number[], flags?: number, address?: Address,
  options?: OperationOptions): Promise<number> {
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
export function recvFdsSync(sock: Socket, bufsize: number, maxfds: number, flags?: number): RecvFdsResult {
  const [data, ancdata, msgFlags, address] = checkSocket(sock).recvmsgSync(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), flags);
  return [data, receivedFds(ancdata), msgFlags, address];
}

/** Promise form of recvFdsSync. */
export async function recvFds(sock: Socket, bufsize: number, maxfds: number, flags?: number,
  options?: OperationOptions): Promise<RecvFdsResult> {
  const [data, ancdata, msgFlags, address] = await checkSocket(sock).recvmsg(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), flags, options);
  return [data, receivedFds(ancdata), msgFlags, address];
}
