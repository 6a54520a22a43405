// IPv6 (RFC 8200): the fixed header, then the extension headers skipped to the upper layer.
import type { DecodeOptions } from './ipv4';
import { sumRange } from './checksum';
import { HeaderView, checkBounds, checkField, ipBytes, ipv6Text, malformed, need } from './view';

const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const AUTH = 51;
const DEST_OPTS = 60;
const MOBILITY = 135;
const HIP = 139;
const SHIM6 = 140;
const MAX_EXTENSIONS = 16;

/** One extension header that was skipped. */
export interface Ipv6Extension {
  /** Its type (the next-header value that announced it). */
  type: number;
  /** Where it starts in the buffer. */
  offset: number;
  /** Its length in bytes. */
  length: number;
}

/** The fields of a fragment header. */
export interface Ipv6Fragment {
  /** Fragment offset in bytes. */
  offset: number;
  /** More fragments follow. */
  more: boolean;
  /** Identification. */
  id: number;
}

/** A decoded IPv6 header, with its extension headers skipped. */
export class Ipv6Header extends HeaderView {
  /** The upper-layer protocol after the extension headers (59: no next header). */
  protocol = 0;
  private fragmentAt = -1;

  /** Decodes the IPv6 packet at `offset`; returns this object. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): this {
    checkBounds(buffer, offset, end, 'ipv6');
    need(end, offset, 40, 'ipv6.length');
    if (buffer[offset] >> 4 !== 6) throw malformed('ipv6.version', '6', buffer[offset] >> 4);
    const payloadLength = (buffer[offset + 4] << 8) | buffer[offset + 5];
    if (offset + 40 + payloadLength > end && !options?.partial) throw malformed('ipv6.payloadLength', `<= ${end - offset - 40}`, payloadLength);
    const stop = Math.min(end, offset + 40 + payloadLength);
    let next = buffer[offset + 6];
    let at = offset + 40;
    this.fragmentAt = -1;
    for (let count = 0; isExtension(next); count++) {
      if (count >= MAX_EXTENSIONS) throw malformed('ipv6.extensions', `at most ${MAX_EXTENSIONS}`, count + 1);
      need(stop, at, 8, 'ipv6.extension');
      const length = extensionLength(next, buffer, at);
      need(stop, at, length, 'ipv6.extension');
      if (next === FRAGMENT) this.fragmentAt = at;
      next = buffer[at];
      at += length;
    }
    this.attach(buffer, offset, stop);
    this.headerLength = at - offset;
    this.protocol = next;
    return this;
  }

  /** 6. */
  get version(): number { return this.buffer[this.offset] >> 4; }
  /** Traffic class. */
  get trafficClass(): number { return ((this.buffer[this.offset] & 0x0f) << 4) | (this.buffer[this.offset + 1] >> 4); }
  /** Flow label. */
  get flowLabel(): number { return ((this.buffer[this.offset + 1] & 0x0f) << 16) | (this.buffer[this.offset + 2] << 8) | this.buffer[this.offset + 3]; }
  /** The payload length field (extension headers included). */
  get payloadLengthField(): number { return (this.buffer[this.offset + 4] << 8) | this.buffer[this.offset + 5]; }
  /** The first next-header value (the first extension header, or the upper layer). */
  get nextHeader(): number { return this.buffer[this.offset + 6]; }
  /** Hop limit. */
  get hopLimit(): number { return this.buffer[this.offset + 7]; }
  /** Source address, text. */
  get src(): string { return ipv6Text(this.buffer, this.offset + 8); }
  /** Destination address, text. */
  get dst(): string { return ipv6Text(this.buffer, this.offset + 24); }
  /** Source address bytes (a view). */
  get srcBytes(): Buffer { return this.buffer.subarray(this.offset + 8, this.offset + 24); }
  /** Destination address bytes (a view). */
  get dstBytes(): Buffer { return this.buffer.subarray(this.offset + 24, this.offset + 40); }
  /** The extension headers skipped, in order. */
  get extensions(): Ipv6Extension[] {
    const list: Ipv6Extension[] = [];
    for (let next = this.nextHeader, at = this.offset + 40; isExtension(next);) {
      const length = extensionLength(next, this.buffer, at);
      list.push({ type: next, offset: at, length });
      next = this.buffer[at];
      at += length;
    }
    return list;
  }
  /** The fragment header's fields, or null when the packet is not a fragment. */
  get fragment(): Ipv6Fragment | null {
    const at = this.fragmentAt;
    if (at < 0) return null;
    const word = this.buffer.readUInt16BE(at + 2);
    return { offset: word & 0xfff8, more: (word & 1) === 1, id: this.buffer.readUInt32BE(at + 4) };
  }
  /** The unfolded pseudo-header sum for an upper-layer checksum of `length` bytes (the payload's by default). */
  pseudoHeaderSum(length = this.payloadLength): number {
    return sumRange(this.buffer, this.offset + 8, this.offset + 40, this.protocol + Math.floor(length / 0x10000) + (length % 0x10000));
  }
}

function isExtension(type: number): boolean {
  return type === HOP_BY_HOP || type === ROUTING || type === FRAGMENT || type === AUTH || type === DEST_OPTS ||
    type === MOBILITY || type === HIP || type === SHIM6;
}

function extensionLength(type: number, b: Uint8Array, at: number): number {
  if (type === FRAGMENT) return 8;
  if (type === AUTH) return (b[at + 1] + 2) * 4;
  return (b[at + 1] + 1) * 8;
}

/** Decodes an IPv6 packet. */
export function decodeIpv6(buffer: Uint8Array, offset = 0, end = buffer.length, options?: DecodeOptions): Ipv6Header {
  return new Ipv6Header().decode(buffer, offset, end, options);
}

/** What `encodeIpv6` writes (the payload length is computed). */
export interface Ipv6Fields {
  /** Source address (text or 16 bytes). */
  src: string | Uint8Array;
  /** Destination address. */
  dst: string | Uint8Array;
  /** The next header: the payload's protocol (or the first extension header the payload starts with). */
  nextHeader: number;
  /** Hop limit (64). */
  hopLimit?: number;
  /** Traffic class (0). */
  trafficClass?: number;
  /** Flow label (0). */
  flowLabel?: number;
}

/** An IPv6 packet: the fixed header and `payload`. */
export function encodeIpv6(fields: Ipv6Fields, payload: Uint8Array = new Uint8Array(0)): Buffer {
  if (payload.length > 0xffff) throw malformed('ipv6.payloadLength', '<= 65535', payload.length);
  const b = Buffer.alloc(40 + payload.length);
  const tc = checkField(fields.trafficClass ?? 0, 0xff, 'ipv6.trafficClass');
  b.writeUInt32BE(((6 << 28) | (tc << 20) | checkField(fields.flowLabel ?? 0, 0xfffff, 'ipv6.flowLabel')) >>> 0, 0);
  b.writeUInt16BE(payload.length, 4);
  b[6] = checkField(fields.nextHeader, 0xff, 'ipv6.nextHeader');
  b[7] = checkField(fields.hopLimit ?? 64, 0xff, 'ipv6.hopLimit');
  b.set(ipBytes(fields.src, 16, 'ipv6.src'), 8);
  b.set(ipBytes(fields.dst, 16, 'ipv6.dst'), 24);
  b.set(payload, 40);
  return b;
}
