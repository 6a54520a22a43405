// ICMP (RFC 792) and ICMPv6 (RFC 4443): echo, and the errors that quote the original packet
// (destination unreachable, time exceeded, packet too big), whose quoted header is decoded.
import { foldSum, internetChecksum, pseudoHeaderSum, sumRange } from './checksum';
import { Ipv4Header } from './ipv4';
import { Ipv6Header } from './ipv6';
import { type Endpoints, type PseudoHeaderSource, endpointBytes } from './transport';
import { HeaderView, checkBounds, checkField, need } from './view';

/** ICMP echo reply. */
export const ICMP_ECHO_REPLY = 0;
/** ICMP destination unreachable. */
export const ICMP_DEST_UNREACH = 3;
/** ICMP echo request. */
export const ICMP_ECHO_REQUEST = 8;
/** ICMP time exceeded. */
export const ICMP_TIME_EXCEEDED = 11;
/** ICMPv6 destination unreachable. */
export const ICMPV6_DEST_UNREACH = 1;
/** ICMPv6 packet too big. */
export const ICMPV6_PACKET_TOO_BIG = 2;
/** ICMPv6 time exceeded. */
export const ICMPV6_TIME_EXCEEDED = 3;
/** ICMPv6 echo request. */
export const ICMPV6_ECHO_REQUEST = 128;
/** ICMPv6 echo reply. */
export const ICMPV6_ECHO_REPLY = 129;

const ICMPV6 = 58;
const V4_ERRORS = new Set([ICMP_DEST_UNREACH, 4, 5, ICMP_TIME_EXCEEDED, 12]);
const V6_ERRORS = new Set([ICMPV6_DEST_UNREACH, ICMPV6_PACKET_TOO_BIG, ICMPV6_TIME_EXCEEDED, 4]);

/** A decoded ICMP or ICMPv6 message. */
export class IcmpHeader extends HeaderView {
  /** Whether this is ICMPv6. */
  v6 = false;
  /** For an error message, the original packet's header it quotes (decoded, its payload cut short); else null. */
  original: Ipv4Header | Ipv6Header | null = null;

  /** Decodes the ICMP (`v6` false) or ICMPv6 message at `offset`, running to `end`; returns this object. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length, v6 = false): this {
    checkBounds(buffer, offset, end, v6 ? 'icmpv6' : 'icmp');
    need(end, offset, 8, v6 ? 'icmpv6.length' : 'icmp.length');
    this.original = null;
    if ((v6 ? V6_ERRORS : V4_ERRORS).has(buffer[offset])) this.original = quoted(buffer, offset + 8, end, v6);
    this.attach(buffer, offset, end);
    this.v6 = v6;
    this.headerLength = 8;
    return this;
  }

  /** Message type. */
  get type(): number { return this.buffer[this.offset]; }
  /** Message code. */
  get code(): number { return this.buffer[this.offset + 1]; }
  /** The checksum as sent. */
  get checksum(): number { return (this.buffer[this.offset + 2] << 8) | this.buffer[this.offset + 3]; }
  /** Echo identifier (bytes 4–5). */
  get id(): number { return (this.buffer[this.offset + 4] << 8) | this.buffer[this.offset + 5]; }
  /** Echo sequence number (bytes 6–7). */
  get seq(): number { return (this.buffer[this.offset + 6] << 8) | this.buffer[this.offset + 7]; }
  /** Bytes 4–7 as one number (the gateway, pointer or MTU of some types). */
  get rest(): number { return this.buffer.readUInt32BE(this.offset + 4); }
  /** The next-hop MTU of "fragmentation needed" (ICMP 3/4) or "packet too big" (ICMPv6 2), else undefined. */
  get mtu(): number | undefined {
    if (this.v6) return this.type === ICMPV6_PACKET_TOO_BIG ? this.rest : undefined;
    return this.type === ICMP_DEST_UNREACH && this.code === 4 ? this.buffer.readUInt16BE(this.offset + 6) : undefined;
  }
  /**
   * Whether the checksum is right: ICMP's over the message, ICMPv6's under the pseudo-header of
   * `ip`, the IPv6 header the message came in (required for ICMPv6).
   */
  verifyChecksum(ip?: PseudoHeaderSource): boolean {
    if (this.v6 && !ip) throw Object.assign(new TypeError('The "ip" argument must be given for an ICMPv6 checksum: it covers a pseudo-header'), { code: 'ERR_MISSING_ARGS' });
    const initial = ip && this.v6 ? ip.pseudoHeaderSum(this.end - this.offset) : 0;
    return foldSum(sumRange(this.buffer, this.offset, this.end, initial)) === 0xffff;
  }
}

function quoted(buffer: Uint8Array, at: number, end: number, v6: boolean): Ipv4Header | Ipv6Header {
  return v6 ? new Ipv6Header().decode(buffer, at, end, { partial: true }) : new Ipv4Header().decode(buffer, at, end, { partial: true });
}

/** Decodes an ICMP (IPv4) message. */
export function decodeIcmp(buffer: Uint8Array, offset = 0, end = buffer.length): IcmpHeader {
  return new IcmpHeader().decode(buffer, offset, end, false);
}

/** Decodes an ICMPv6 message. */
export function decodeIcmpv6(buffer: Uint8Array, offset = 0, end = buffer.length): IcmpHeader {
  return new IcmpHeader().decode(buffer, offset, end, true);
}

/** What `encodeIcmp` and `encodeIcmpv6` write. */
export interface IcmpFields {
  /** Message type. */
  type: number;
  /** Message code (0). */
  code?: number;
  /** Echo identifier (bytes 4–5); ignored when `rest` is given. */
  id?: number;
  /** Echo sequence number (bytes 6–7); ignored when `rest` is given. */
  seq?: number;
  /** Bytes 4–7 as one number (an MTU, a gateway). */
  rest?: number;
}

function encodeMessage(fields: IcmpFields, payload: Uint8Array, family: string): Buffer {
  const b = Buffer.alloc(8 + payload.length);
  b[0] = checkField(fields.type, 0xff, `${family}.type`);
  b[1] = checkField(fields.code ?? 0, 0xff, `${family}.code`);
  if (fields.rest !== undefined) b.writeUInt32BE(checkField(fields.rest, 0xffffffff, `${family}.rest`), 4);
  else {
    b.writeUInt16BE(checkField(fields.id ?? 0, 0xffff, `${family}.id`), 4);
    b.writeUInt16BE(checkField(fields.seq ?? 0, 0xffff, `${family}.seq`), 6);
  }
  b.set(payload, 8);
  return b;
}

/** An ICMP message with its checksum (for an error, `payload` is the original header and 8 bytes). */
export function encodeIcmp(fields: IcmpFields, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const b = encodeMessage(fields, payload, 'icmp');
  b.writeUInt16BE(internetChecksum(b), 2);
  return b;
}

/**
 * An ICMPv6 message. With `ip` its checksum is computed over the IPv6 pseudo-header; without, it
 * is left 0 (a raw ICMPv6 socket has the kernel fill it in).
 */
export function encodeIcmpv6(fields: IcmpFields, payload: Uint8Array = new Uint8Array(0), ip?: Endpoints): Buffer {
  const b = encodeMessage(fields, payload, 'icmpv6');
  if (ip) {
    const [src, dst] = endpointBytes(ip, 'icmpv6');
    b.writeUInt16BE(internetChecksum(b, pseudoHeaderSum(src, dst, ICMPV6, b.length)), 2);
  }
  return b;
}
