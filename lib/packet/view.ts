// What every decoded header shares: the caller's buffer, where the header starts, how long it is
// and where its protocol's data ends. Fields are read from the buffer when asked for (no copy).
// Buffer is imported, not the global: the global is a getter, called on every use in a hot loop.
import { Buffer } from 'node:buffer';
import { inet_ntop, inet_pton } from '../modules/convert';
import { AF_INET, AF_INET6 } from '../binding/constants';
import { outOfRange } from '../input/validate';

/** A `RangeError` with `code: 'ERR_OUT_OF_RANGE'` naming the malformed `field`. */
export function malformed(field: string, range: string, actual: unknown): RangeError {
  return outOfRange(field, range, actual);
}

/** Throws unless `buffer` holds `length` bytes from `offset` up to `end`. */
export function need(end: number, offset: number, length: number, field: string): void {
  if (offset + length > end) throw tooShort(end, offset, length, field);
}

function tooShort(end: number, offset: number, length: number, field: string): RangeError {
  return malformed(field, `at least ${length} bytes`, end - offset);
}

/** Where the decoding starts and ends in a buffer; checked before any byte is read. */
export function checkBounds(buffer: Uint8Array, offset: number, end: number, protocol: string): void {
  // One test on the path taken for every frame; which bound is wrong is worked out apart, when one is.
  if (!(buffer instanceof Uint8Array) || !(Number.isInteger(offset) && offset >= 0 && offset <= end && Number.isInteger(end) && end <= buffer.length)) {
    throw badBounds(buffer, offset, end, protocol);
  }
}

function badBounds(buffer: Uint8Array, offset: number, end: number, protocol: string): Error {
  if (!(buffer instanceof Uint8Array)) return new TypeError(`${protocol}: the buffer must be a Uint8Array`);
  if (!Number.isInteger(offset) || offset < 0 || offset > buffer.length) return malformed(`${protocol}.offset`, `>= 0 and <= ${buffer.length}`, offset);
  return malformed(`${protocol}.end`, `>= ${offset} and <= ${buffer.length}`, end);
}

/** A decoded header: a window on the caller's buffer. */
export abstract class HeaderView {
  /** The buffer decoded (the caller's own, never copied). */
  buffer: Buffer = EMPTY;
  /** Where the header starts in `buffer`. */
  offset = 0;
  /** The header's length in bytes (options and extension headers included). */
  headerLength = 0;
  /** Where this protocol's data ends in `buffer` (its length field, or the end of what was given). */
  end = 0;

  /** Where the payload starts in `buffer`. */
  get payloadOffset(): number { return this.offset + this.headerLength; }
  /** The payload's length in bytes. */
  get payloadLength(): number { return this.end - this.offset - this.headerLength; }
  /** The payload: a view of the caller's buffer, not a copy. */
  get payload(): Buffer { return this.buffer.subarray(this.offset + this.headerLength, this.end); }

  protected attach(buffer: Uint8Array, offset: number, end: number): void {
    this.buffer = Buffer.isBuffer(buffer) ? buffer : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.offset = offset;
    this.end = end;
  }
}

const EMPTY = Buffer.alloc(0);

/** `aa:bb:cc:dd:ee:ff` of six bytes at `offset`. */
export function macText(b: Uint8Array, offset: number, length = 6): string {
  let text = '';
  for (let i = 0; i < length; i++) text += (i ? ':' : '') + HEX[b[offset + i]];
  return text;
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Six bytes of a MAC address given as `aa:bb:cc:dd:ee:ff` (or `-`/no separators) or as bytes. */
export function macBytes(mac: string | Uint8Array, field: string): Uint8Array {
  if (typeof mac !== 'string') {
    if (mac.length !== 6) throw malformed(field, '6 bytes', mac.length);
    return mac;
  }
  const hex = mac.replace(/[:-]/g, '');
  if (!/^[0-9a-fA-F]{12}$/.test(hex)) throw malformed(field, 'a MAC address like 02:00:00:00:00:01', mac);
  return Buffer.from(hex, 'hex');
}

/** The dotted quad of four bytes at `offset`. */
export function ipv4Text(b: Uint8Array, offset: number): string {
  return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
}

/** The text form of the 16 bytes at `offset`. */
export function ipv6Text(b: Uint8Array, offset: number): string {
  return inet_ntop(AF_INET6, b.subarray(offset, offset + 16));
}

/** The bytes of an IPv4 (4) or IPv6 (16) address given as text or bytes. */
export function ipBytes(address: string | Uint8Array, size: 4 | 16, field: string): Uint8Array {
  if (typeof address !== 'string') {
    if (address.length !== size) throw malformed(field, `${size} bytes`, address.length);
    return address;
  }
  try {
    return inet_pton(size === 4 ? AF_INET : AF_INET6, address);
  } catch {
    throw malformed(field, size === 4 ? 'an IPv4 address' : 'an IPv6 address', address);
  }
}

/** Throws unless `value` is an integer in 0..max. */
export function checkField(value: number, max: number, field: string): number {
  if (!Number.isInteger(value) || value < 0 || value > max) throw malformed(field, `an integer >= 0 and <= ${max}`, value);
  return value;
}
