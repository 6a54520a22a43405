// Address text and byte-order conversions, interface names and the CMSG_* sizes, as Python's
// socket module has them (native/inet.cc, interfaces.cc, cmsg.cc). None of these can wait; all
// validate their arguments first.
import * as os from 'node:os';
import { native } from '../binding/native';
import { E, SocketError, check, socketError } from '../binding/errors';
import { checkBytes, checkInt, invalidArgType, invalidArgValue } from '../input/validate';

const AF_INET = native.constants.AF_INET;
const AF_INET6 = native.constants.AF_INET6;
const LITTLE_ENDIAN = os.endianness() === 'LE';

/** A string argument that C will see whole: no NUL characters. */
function checkText(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value;
}

function illegal(syscall: string, text: string): SocketError {
  return new SocketError(E.EINVAL, syscall, text, `illegal IP address string passed to ${syscall}`);
}

/** A packed address of the wrong length: the message says the length expected and the length given. */
function wrongLength(packed: Uint8Array, expected: number, what: string): Error {
  return invalidArgValue('packed', packed, `must be ${expected} bytes long (got ${packed.length} bytes): ${what}`);
}

/** Converts an IPv4 address in any form inet_aton(3) accepts (such as `'127.1'`) to 4 bytes in network order. */
export function inet_aton(text: string): Buffer {
  checkText(text, 'text');
  const out = Buffer.alloc(4);
  if (check(native.inetAton(text, out), 'inet_aton') === 0) throw illegal('inet_aton', text);
  return out;
}

/** Converts 4 bytes in network order to dotted-quad text. */
export function inet_ntoa(packed: Uint8Array): string {
  checkBytes(packed, 'packed');
  if (packed.length !== 4) throw wrongLength(packed, 4, 'packed IP wrong length for inet_ntoa');
  return `${packed[0]}.${packed[1]}.${packed[2]}.${packed[3]}`;
}

/** Converts address text of `family` (`AF_INET` or `AF_INET6`) to its bytes in network order. */
export function inet_pton(family: number, text: string): Buffer {
  checkInt(family, 'family');
  checkText(text, 'text');
  const out = Buffer.alloc(16);
  const result = check(native.inetPton(family, text, out), 'inet_pton');
  if (result === 0) throw illegal('inet_pton', text);
  return out.subarray(0, result);
}

/** Converts the bytes of an address of `family` (4 for `AF_INET`, 16 for `AF_INET6`) to its canonical text. */
export function inet_ntop(family: number, packed: Uint8Array): string {
  checkInt(family, 'family');
  checkBytes(packed, 'packed');
  if (family === AF_INET && packed.length !== 4) throw wrongLength(packed, 4, 'an AF_INET address for inet_ntop');
  if (family === AF_INET6 && packed.length !== 16) throw wrongLength(packed, 16, 'an AF_INET6 address for inet_ntop');
  const result = native.inetNtop(family, packed);
  if (typeof result === 'number') throw socketError(-result, 'inet_ntop');
  return result;
}

function swap16(x: number): number {
  return LITTLE_ENDIAN ? ((x & 0xff) << 8) | (x >>> 8) : x;
}

function swap32(x: number): number {
  return LITTLE_ENDIAN ? (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0 : x;
}

/** Converts a 16-bit integer from host to network byte order. */
export function htons(x: number): number {
  return swap16(checkInt(x, 'x', 0, 0xffff));
}

/** Converts a 16-bit integer from network to host byte order. */
export function ntohs(x: number): number {
  return swap16(checkInt(x, 'x', 0, 0xffff));
}

/** Converts a 32-bit unsigned integer from host to network byte order. */
export function htonl(x: number): number {
  return swap32(checkInt(x, 'x', 0, 0xffffffff));
}

/** Converts a 32-bit unsigned integer from network to host byte order. */
export function ntohl(x: number): number {
  return swap32(checkInt(x, 'x', 0, 0xffffffff));
}

/** Lists the network interfaces as `[index, name]` pairs. */
export function if_nameindex(): Array<[number, string]> {
  const result = native.ifNameindex();
  if (typeof result === 'number') throw socketError(-result, 'if_nameindex');
  return result;
}

/** The index of the network interface called `name`; throws `SocketError` (ENODEV) for an unknown name. */
export function if_nametoindex(name: string): number {
  checkText(name, 'name');
  return check(native.ifNametoindex(name), 'if_nametoindex', name);
}

/** The name of the network interface with index `index`; throws `SocketError` (ENXIO) for an unknown index. */
export function if_indextoname(index: number): string {
  checkInt(index, 'index', 0, 0xffffffff);
  const result = native.ifIndextoname(index);
  if (typeof result === 'number') throw socketError(-result, 'if_indextoname', index);
  return result;
}

/** `CMSG_LEN(length)`: the `cmsg_len` of a control message carrying `length` bytes of data. */
export function CMSG_LEN(length: number): number {
  checkInt(length, 'length', 0, native.cmsgLenMax);
  return check(native.cmsgLen(length), 'CMSG_LEN');
}

/** `CMSG_SPACE(length)`: the buffer space a control message with `length` bytes of data takes, padding included. */
export function CMSG_SPACE(length: number): number {
  checkInt(length, 'length', 0, native.cmsgSpaceMax);
  return check(native.cmsgSpace(length), 'CMSG_SPACE');
}
