// UDP (RFC 768).
import type { DecodeOptions } from './ipv4';
import { foldSum, internetChecksum, pseudoHeaderSum, sumRange } from './checksum';
import { type Endpoints, type PseudoHeaderSource, endpointBytes } from './transport';
import { HeaderView, checkBounds, checkField, malformed, need } from './view';

const UDP = 17;

/** A decoded UDP header. */
export class UdpHeader extends HeaderView {
  /** Decodes the UDP datagram at `offset`; returns this object. `end` becomes the length field's end. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): this {
    checkBounds(buffer, offset, end, 'udp');
    need(end, offset, 8, 'udp.length');
    const length = (buffer[offset + 4] << 8) | buffer[offset + 5];
    if (length < 8 || (offset + length > end && !options?.partial)) throw badLength(length, offset, end);
    this.attach(buffer, offset, Math.min(end, offset + length));
    this.headerLength = 8;
    return this;
  }

  /** Source port. */
  get srcPort(): number { return (this.buffer[this.offset] << 8) | this.buffer[this.offset + 1]; }
  /** Destination port. */
  get dstPort(): number { return (this.buffer[this.offset + 2] << 8) | this.buffer[this.offset + 3]; }
  /** The length field (header and payload). */
  get length(): number { return (this.buffer[this.offset + 4] << 8) | this.buffer[this.offset + 5]; }
  /** The checksum as sent (0: none, allowed over IPv4 only). */
  get checksum(): number { return (this.buffer[this.offset + 6] << 8) | this.buffer[this.offset + 7]; }
  /**
   * Whether the checksum is right under the pseudo-header of `ip` (the decoded IP header this
   * datagram came in). A zero checksum (none sent) counts as right. Allocates nothing.
   */
  verifyChecksum(ip: PseudoHeaderSource): boolean {
    if (this.checksum === 0) return true;
    return foldSum(sumRange(this.buffer, this.offset, this.end, ip.pseudoHeaderSum(this.end - this.offset))) === 0xffff;
  }
}

function badLength(length: number, offset: number, end: number): RangeError {
  return malformed('udp.length', `>= 8 and <= ${end - offset}`, length);
}

/** Decodes a UDP datagram. */
export function decodeUdp(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): UdpHeader {
  return new UdpHeader().decode(buffer, offset, end, options);
}

/** What `encodeUdp` writes. */
export interface UdpFields {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
}

/**
 * A UDP datagram. With `ip` (the addresses of the IP header it will travel in) the checksum is
 * computed; without, it is 0 (no checksum, IPv4 only).
 */
export function encodeUdp(fields: UdpFields, payload: Uint8Array = new Uint8Array(0), ip?: Endpoints): Buffer {
  const length = 8 + payload.length;
  if (length > 0xffff) throw malformed('udp.length', '<= 65535', length);
  const b = Buffer.alloc(length);
  b.writeUInt16BE(checkField(fields.srcPort, 0xffff, 'udp.srcPort'), 0);
  b.writeUInt16BE(checkField(fields.dstPort, 0xffff, 'udp.dstPort'), 2);
  b.writeUInt16BE(length, 4);
  b.set(payload, 8);
  if (ip) {
    const [src, dst] = endpointBytes(ip, 'udp');
    b.writeUInt16BE(internetChecksum(b, pseudoHeaderSum(src, dst, UDP, length)) || 0xffff, 6);
  }
  return b;
}
