// The Internet checksum (RFC 1071) and the pseudo-headers of UDP, TCP and ICMPv6 (RFC 768, 793,
// 8200 §8.1). Sums are kept unfolded in a double: 2^53 / 0xffff words is far beyond any packet.
import { malformed } from './view';

/**
 * The unfolded sum of `data`'s 16-bit big-endian words in [start, end), added to `sum` (an odd last
 * byte counts as its word's high byte). High and low bytes are summed apart, sixteen bytes a step, in
 * small integers that cannot overflow within a 64 KiB stretch; sum = high × 256 + low exactly.
 */
export function sumRange(data: Uint8Array, start: number, end: number, sum = 0): number {
  let i = start;
  const even = end - ((end - start) & 1);
  while (i < even) {
    const stop = Math.min(even, i + 65536);
    let high = 0;
    let low = 0;
    for (; i + 15 < stop; i += 16) {
      high = (high + data[i] + data[i + 2] + data[i + 4] + data[i + 6] + data[i + 8] + data[i + 10] + data[i + 12] + data[i + 14]) | 0;
      low = (low + data[i + 1] + data[i + 3] + data[i + 5] + data[i + 7] + data[i + 9] + data[i + 11] + data[i + 13] + data[i + 15]) | 0;
    }
    for (; i < stop; i += 2) {
      high = (high + data[i]) | 0;
      low = (low + data[i + 1]) | 0;
    }
    sum += high * 256 + low;
  }
  if (i < end) sum += data[i] << 8;
  return sum;
}

/** Folds a sum into 16 bits (end-around carry). */
export function foldSum(sum: number): number {
  while (sum > 0xffff) {
    const high = Math.floor(sum / 0x10000);
    sum = sum - high * 0x10000 + high;  // not sum % 0x10000: on a double, % is a call to fmod
  }
  return sum;
}

/**
 * The Internet checksum of `data` (one buffer, or several taken as one run of bytes): the ones'
 * complement of the ones' complement sum of its 16-bit words. A buffer with a checksum field
 * already filled in sums to 0 when the checksum is right.
 */
export function internetChecksum(data: Uint8Array | readonly Uint8Array[], initial = 0): number {
  return ~foldSum(sumOf(data, initial)) & 0xffff;
}

function sumOf(data: Uint8Array | readonly Uint8Array[], initial: number): number {
  if (data instanceof Uint8Array) return sumRange(data, 0, data.length, initial);
  let sum = initial;
  let carry = -1;  // the odd byte left over from the previous buffer
  for (const part of data) {
    let start = 0;
    if (carry >= 0 && part.length > 0) {
      sum += (carry << 8) | part[0];
      carry = -1;
      start = 1;
    }
    const even = start + ((part.length - start) & ~1);
    sum = sumRange(part, start, even, sum);
    if (even < part.length) carry = part[even];
  }
  if (carry >= 0) sum += carry << 8;
  return sum;
}

/**
 * The unfolded sum of the pseudo-header of an upper-layer checksum: source and destination
 * (4 bytes each for IPv4, 16 for IPv6), the protocol number and the upper-layer length.
 */
export function pseudoHeaderSum(src: Uint8Array, dst: Uint8Array, protocol: number, length: number): number {
  if (src.length !== dst.length || (src.length !== 4 && src.length !== 16)) {
    throw malformed('pseudoHeader.address', '4 bytes (IPv4) or 16 bytes (IPv6), both the same', `${src.length} and ${dst.length}`);
  }
  let sum = sumRange(src, 0, src.length, 0);
  sum = sumRange(dst, 0, dst.length, sum);
  return sum + protocol + Math.floor(length / 0x10000) + (length % 0x10000);
}

/**
 * The checksum of a UDP, TCP or ICMPv6 `segment` (header and payload; its checksum field 0 to
 * compute one, filled in to verify one: then the result is 0) under the IPv4 or IPv6
 * pseudo-header of `src`, `dst` and `protocol`.
 */
export function transportChecksum(src: Uint8Array, dst: Uint8Array, protocol: number, segment: Uint8Array | readonly Uint8Array[]): number {
  const length = segment instanceof Uint8Array ? segment.length : segment.reduce((n, p) => n + p.length, 0);
  return internetChecksum(segment, pseudoHeaderSum(src, dst, protocol, length));
}
