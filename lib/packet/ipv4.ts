// IPv4 (RFC 791): flags, fragment offset and options.
import { foldSum, internetChecksum, sumRange } from './checksum';
import { HeaderView, checkBounds, checkField, ipBytes, ipv4Text, malformed, need } from './view';

/** One IPv4 option. */
export interface Ipv4Option {
  /** The option type (its copied/class/number byte). */
  type: number;
  /** The option's data after its type and length bytes (empty for EOL/NOP); a view, not a copy. */
  data: Buffer;
}

/** Decoding choices for headers that may arrive cut short. */
export interface DecodeOptions {
  /**
   * Accept a length field larger than the bytes present (the payload is what is there): for the
   * original datagram that an ICMP error quotes, which holds only its first bytes.
   */
  partial?: boolean;
}

/** A decoded IPv4 header. */
export class Ipv4Header extends HeaderView {
  /** Decodes the IPv4 packet at `offset`; returns this object. `end` becomes the total length's end. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): this {
    checkBounds(buffer, offset, end, 'ipv4');
    need(end, offset, 20, 'ipv4.length');
    if (buffer[offset] >> 4 !== 4) throw malformed('ipv4.version', '4', buffer[offset] >> 4);
    const headerLength = (buffer[offset] & 0x0f) * 4;
    if (headerLength < 20 || offset + headerLength > end) throw badIhl(headerLength, offset, end);
    const total = (buffer[offset + 2] << 8) | buffer[offset + 3];
    if (total < headerLength || (offset + total > end && !options?.partial)) throw badTotalLength(total, headerLength, offset, end);
    if (headerLength > 20) walkOptions(buffer, offset + 20, offset + headerLength, null);
    this.attach(buffer, offset, Math.min(end, offset + total));
    this.headerLength = headerLength;
    return this;
  }

  /** 4. */
  get version(): number { return this.buffer[this.offset] >> 4; }
  /** Header length in 32-bit words (5–15). */
  get ihl(): number { return this.buffer[this.offset] & 0x0f; }
  /** The type-of-service byte (DSCP << 2 | ECN). */
  get tos(): number { return this.buffer[this.offset + 1]; }
  /** Differentiated services code point. */
  get dscp(): number { return this.buffer[this.offset + 1] >> 2; }
  /** Explicit congestion notification bits. */
  get ecn(): number { return this.buffer[this.offset + 1] & 3; }
  /** The total length field (header and payload). */
  get totalLength(): number { return (this.buffer[this.offset + 2] << 8) | this.buffer[this.offset + 3]; }
  /** Identification. */
  get id(): number { return (this.buffer[this.offset + 4] << 8) | this.buffer[this.offset + 5]; }
  /** Don't fragment. */
  get df(): boolean { return (this.buffer[this.offset + 6] & 0x40) !== 0; }
  /** More fragments. */
  get mf(): boolean { return (this.buffer[this.offset + 6] & 0x20) !== 0; }
  /** The three flag bits (reserved, DF, MF) as a number 0–7. */
  get flags(): number { return this.buffer[this.offset + 6] >> 5; }
  /** Fragment offset in bytes (the field × 8). */
  get fragmentOffset(): number { return (((this.buffer[this.offset + 6] & 0x1f) << 8) | this.buffer[this.offset + 7]) * 8; }
  /** Time to live. */
  get ttl(): number { return this.buffer[this.offset + 8]; }
  /** The payload's protocol number (1 ICMP, 6 TCP, 17 UDP…). */
  get protocol(): number { return this.buffer[this.offset + 9]; }
  /** The header checksum as sent. */
  get checksum(): number { return (this.buffer[this.offset + 10] << 8) | this.buffer[this.offset + 11]; }
  /** Source address, dotted quad. */
  get src(): string { return ipv4Text(this.buffer, this.offset + 12); }
  /** Destination address, dotted quad. */
  get dst(): string { return ipv4Text(this.buffer, this.offset + 16); }
  /** Source address bytes (a view). */
  get srcBytes(): Buffer { return this.buffer.subarray(this.offset + 12, this.offset + 16); }
  /** Destination address bytes (a view). */
  get dstBytes(): Buffer { return this.buffer.subarray(this.offset + 16, this.offset + 20); }
  /** The options (empty when IHL is 5). */
  get options(): Ipv4Option[] {
    const list: Ipv4Option[] = [];
    walkOptions(this.buffer, this.offset + 20, this.offset + this.headerLength, list);
    return list;
  }
  /** Whether the header checksum is right. */
  get checksumValid(): boolean { return foldSum(sumRange(this.buffer, this.offset, this.offset + this.headerLength)) === 0xffff; }
  /**
   * The unfolded sum of this packet's pseudo-header for an upper-layer checksum of `length` bytes
   * (by default the payload's), read from the buffer without allocating.
   */
  pseudoHeaderSum(length = this.payloadLength): number {
    const b = this.buffer;
    const at = this.offset;
    return ((b[at + 12] << 8) | b[at + 13]) + ((b[at + 14] << 8) | b[at + 15]) + ((b[at + 16] << 8) | b[at + 17]) +
      ((b[at + 18] << 8) | b[at + 19]) + b[at + 9] + length;
  }
}

// The errors of decode(), apart so that decode() stays small enough for the JIT to inline.
function badIhl(headerLength: number, offset: number, end: number): RangeError {
  return malformed('ipv4.ihl', `>= 5 and <= ${Math.min(15, (end - offset) >> 2)}`, headerLength >> 2);
}

function badTotalLength(total: number, headerLength: number, offset: number, end: number): RangeError {
  return malformed('ipv4.totalLength', `>= ${headerLength} and <= ${end - offset}`, total);
}

/** Checks the option list of [start, end) and, given a list, fills it. */
function walkOptions(b: Buffer | Uint8Array, start: number, end: number, list: Ipv4Option[] | null): void {
  for (let at = start; at < end;) {
    const type = b[at];
    if (type === 0 || type === 1) {  // end of list, no-operation: one byte
      list?.push({ type, data: Buffer.alloc(0) });
      if (type === 0) return;
      at += 1;
      continue;
    }
    if (at + 2 > end || b[at + 1] < 2 || at + b[at + 1] > end) throw malformed('ipv4.options', `an option length >= 2 that fits in the header`, at + 1 < end ? b[at + 1] : 'none');
    list?.push({ type, data: Buffer.from(b.buffer, b.byteOffset + at + 2, b[at + 1] - 2) });
    at += b[at + 1];
  }
}

/** Decodes an IPv4 packet. */
export function decodeIpv4(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): Ipv4Header {
  return new Ipv4Header().decode(buffer, offset, end, options);
}

/** What `encodeIpv4` writes. Lengths and the header checksum are computed. */
export interface Ipv4Fields {
  /** Source address (text or 4 bytes). */
  src: string | Uint8Array;
  /** Destination address. */
  dst: string | Uint8Array;
  /** The payload's protocol number. */
  protocol: number;
  /** Time to live (64). */
  ttl?: number;
  /** Identification (0). */
  id?: number;
  /** Type of service byte (0). */
  tos?: number;
  /** Don't fragment (false). */
  df?: boolean;
  /** More fragments (false). */
  mf?: boolean;
  /** Fragment offset in bytes, a multiple of 8 (0). */
  fragmentOffset?: number;
  /** Raw option bytes, padded here to a multiple of 4 with end-of-list bytes. */
  options?: Uint8Array;
}

/** An IPv4 packet: header (checksum computed) and `payload`. */
export function encodeIpv4(fields: Ipv4Fields, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const options = fields.options ?? new Uint8Array(0);
  const headerLength = 20 + ((options.length + 3) & ~3);
  if (headerLength > 60) throw malformed('ipv4.options', '<= 40 bytes', options.length);
  const total = headerLength + payload.length;
  if (total > 0xffff) throw malformed('ipv4.totalLength', '<= 65535', total);
  const fragment = checkField(fields.fragmentOffset ?? 0, 0xfff8, 'ipv4.fragmentOffset');
  if (fragment % 8) throw malformed('ipv4.fragmentOffset', 'a multiple of 8', fragment);
  const b = Buffer.alloc(total);
  b[0] = 0x40 | (headerLength >> 2);
  b[1] = checkField(fields.tos ?? 0, 0xff, 'ipv4.tos');
  b.writeUInt16BE(total, 2);
  b.writeUInt16BE(checkField(fields.id ?? 0, 0xffff, 'ipv4.id'), 4);
  b.writeUInt16BE((fields.df ? 0x4000 : 0) | (fields.mf ? 0x2000 : 0) | (fragment >> 3), 6);
  b[8] = checkField(fields.ttl ?? 64, 0xff, 'ipv4.ttl');
  b[9] = checkField(fields.protocol, 0xff, 'ipv4.protocol');
  b.set(ipBytes(fields.src, 4, 'ipv4.src'), 12);
  b.set(ipBytes(fields.dst, 4, 'ipv4.dst'), 16);
  b.set(options, 20);
  b.writeUInt16BE(internetChecksum(b.subarray(0, headerLength)), 10);
  b.set(payload, headerLength);
  return b;
}
