// Descriptor passing over Unix sockets (SCM_RIGHTS): sendFds/recvFds, as Python's send_fds and
// recv_fds, on the public Socket's sendmsg/recvmsg.
import { native } from '../binding/native';
import { CMSG_LEN } from './convert';
import { Socket, type OperationOptions } from '../socket/socket';
import type { AddressOf } from '../input/address';
import { elementsOf, type Ancillary, type RecvFdsResult } from '../socket/messages';
import { checkFlags, checkInt, invalidArgType } from '../input/validate';

const C = native.constants;

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
  return checkInt(maxfds, 'maxfds', 0, 253);  // 0, as Python's recv_fds: no room, MSG_CTRUNC, the kernel closes them
}

/** Sends `buffers` and the descriptors `fds` (SCM_RIGHTS) on a Unix socket; returns bytes sent. */
export function sendFdsSync<F extends number>(sock: Socket<F>, buffers: Uint8Array[], fds: number[], flags?: number,
  address?: AddressOf<F>): number {
  const f = checkFlags(flags, arguments.length, 3);
  return checkSocket(sock).sendmsgSync(buffers, fdsAncillary(fds), f, address);
}

/** Promise form of sendFdsSync. */
export function sendFds<F extends number>(sock: Socket<F>, buffers: Uint8Array[], fds: number[], flags?: number,
  address?: AddressOf<F>, options?: OperationOptions): Promise<number> {
  try {
    const f = checkFlags(flags, arguments.length, 3);
    return checkSocket(sock).sendmsg(buffers, fdsAncillary(fds), f, address, options);
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
  const f = checkFlags(flags, arguments.length, 3);
  const [data, ancdata, msgFlags, address] = checkSocket(sock).recvmsgSync(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), f);
  return [data, receivedFds(ancdata), msgFlags, address];
}

/** Promise form of recvFdsSync. */
export async function recvFds<F extends number>(sock: Socket<F>, bufsize: number, maxfds: number, flags?: number,
  options?: OperationOptions): Promise<RecvFdsResult<F>> {
  const f = checkFlags(flags, arguments.length, 3);
  const [data, ancdata, msgFlags, address] = await checkSocket(sock).recvmsg(bufsize, CMSG_LEN(checkMaxfds(maxfds) * 4), f, options);
  return [data, receivedFds(ancdata), msgFlags, address];
}
