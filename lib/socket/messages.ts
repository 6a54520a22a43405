// Messages: ancillary data as [level, type, data], and the argument checks shared by
// sendmsg/recvmsg/recvmmsg/sendmmsg (descriptor passing is fds.ts's).
import { isUint8Array } from 'node:util/types';
import type { ReceivedAddressOf } from '../input/address';
import { checkBytes, checkInt, checkOptionalInt, invalidArgType } from '../input/validate';

/**
 * One ancillary message: `[cmsg_level, cmsg_type, data]`. recvmsg gives the data as a Buffer;
 * sendmsg takes any Uint8Array (`Ancillary<Uint8Array>`).
 */
export type Ancillary<Data extends Uint8Array = Buffer> = [level: number, type: number, data: Data];
/** What recvmsg returns on a socket of family `F`: `[data, ancdata, msgFlags, address]`. */
export type RecvmsgResult<F extends number = number> =
  [data: Buffer, ancdata: Ancillary[], msgFlags: number, address: ReceivedAddressOf<F>];
/** One entry of what recvmmsg returns on a socket of family `F`: `[nbytes, address, msgFlags]`. */
export type RecvmmsgResult<F extends number = number> = [nbytes: number, address: ReceivedAddressOf<F>, msgFlags: number];
/** What recvFds returns on a socket of family `F`: `[data, fds, msgFlags, address]`. */
export type RecvFdsResult<F extends number = number> =
  [data: Buffer, fds: number[], msgFlags: number, address: ReceivedAddressOf<F>];

/** The raw result of native recvmsg: [nbytes, ancdata, msgFlags], or -errno. */
export type { NativeRecvmsg } from '../binding/native';

// Getters, Proxies and subclasses run user code whenever a property is read, and may answer
// differently each time (a small buffer first, a big one next; a buffer detached meanwhile). So
// each user value is read exactly once, here, into fresh arrays of checked values, and native code
// sees only those (STYLE.md 13).

/** The elements of the array `value`, each read once, in a fresh array. */
export function elementsOf(value: unknown, name: string, expected: string): unknown[] {
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
