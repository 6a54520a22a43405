// nlmsghdr and nlattr, in the machine's byte order, each padded to 4 bytes (NLMSG_ALIGN, NLA_ALIGN).
import * as os from 'node:os';
import { malformed } from '../packet/view';
import { NLA_F_NESTED, NLA_TYPE_MASK } from './uapi';

const LE = os.endianness() === 'LE';
/** sizeof(struct nlmsghdr). */
export const NLMSG_HDRLEN = 16;
/** sizeof(struct nlattr). */
export const NLA_HDRLEN = 4;

/** Rounds up to a multiple of 4. */
export const align4 = (n: number): number => (n + 3) & ~3;

/** Reads a host-order u16/u32/i32. */
export const readU16 = (b: Buffer, at: number): number => (LE ? b.readUInt16LE(at) : b.readUInt16BE(at));
/** Reads a host-order u32. */
export const readU32 = (b: Buffer, at: number): number => (LE ? b.readUInt32LE(at) : b.readUInt32BE(at));
/** Reads a host-order i32. */
export const readI32 = (b: Buffer, at: number): number => (LE ? b.readInt32LE(at) : b.readInt32BE(at));
/** Writes a host-order u16. */
export const writeU16 = (b: Buffer, v: number, at: number): number => (LE ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
/** Writes a host-order u32. */
export const writeU32 = (b: Buffer, v: number, at: number): number => (LE ? b.writeUInt32LE(v >>> 0, at) : b.writeUInt32BE(v >>> 0, at));

/** A netlink message header's fields. */
export interface NetlinkHeader {
  /** nlmsg_type. */
  type: number;
  /** nlmsg_flags (NLM_F_*). */
  flags?: number;
  /** nlmsg_seq. */
  seq?: number;
  /** nlmsg_pid: the sender's port id (0: the kernel). */
  pid?: number;
}

/** A decoded netlink message. */
export interface NetlinkMessage extends Required<NetlinkHeader> {
  /** What follows the header, up to nlmsg_len: a view of the received buffer. */
  body: Buffer;
}

/** A netlink message: the header (nlmsg_len computed) and `parts` one after another, each padded to 4. */
export function encodeMessage(header: NetlinkHeader, ...parts: Uint8Array[]): Buffer {
  const length = parts.reduce((n, p) => n + align4(p.length), NLMSG_HDRLEN);
  const b = Buffer.alloc(length);
  writeU32(b, length, 0);
  writeU16(b, header.type, 4);
  writeU16(b, header.flags ?? 0, 6);
  writeU32(b, header.seq ?? 0, 8);
  writeU32(b, header.pid ?? 0, 12);
  let at = NLMSG_HDRLEN;
  for (const part of parts) {
    b.set(part, at);
    at += align4(part.length);
  }
  return b;
}

/** The messages of one received datagram. A length that lies is a RangeError naming `nlmsg_len`. */
export function decodeMessages(data: Buffer): NetlinkMessage[] {
  const messages: NetlinkMessage[] = [];
  for (let at = 0; at + NLMSG_HDRLEN <= data.length;) {
    const length = readU32(data, at);
    if (length < NLMSG_HDRLEN || at + length > data.length) throw malformed('nlmsg_len', `>= ${NLMSG_HDRLEN} and <= ${data.length - at}`, length);
    messages.push({ type: readU16(data, at + 4), flags: readU16(data, at + 6), seq: readU32(data, at + 8), pid: readU32(data, at + 12), body: data.subarray(at + NLMSG_HDRLEN, at + length) });
    at += align4(length);
  }
  return messages;
}

/** A decoded attribute. */
export interface NetlinkAttribute {
  /** Its type, without the flag bits. */
  type: number;
  /** Whether NLA_F_NESTED was set. */
  nested: boolean;
  /** Its payload: a view of the received buffer. */
  data: Buffer;
}

/** What an attribute may carry: bytes, a u32, a NUL-terminated string, or nested attributes. */
export type AttributeValue = Uint8Array | number | string | AttributeInput[];

/** An attribute to encode: `[type, value]`, or `[type, value, flags]` to set NLA_F_* bits. */
export type AttributeInput = [type: number, value: AttributeValue, flags?: number];

/** One attribute, padded to 4 bytes; a number is a host-order u32, a string is NUL-terminated, a list is nested. */
export function encodeAttribute(type: number, value: AttributeValue, flags = 0): Buffer {
  const data = typeof value === 'number' ? u32Bytes(value)
    : typeof value === 'string' ? Buffer.from(`${value}\0`)
    : value instanceof Uint8Array ? value
    : encodeAttributes(value);
  const length = NLA_HDRLEN + data.length;
  if (length > 0xffff) throw malformed('nla_len', '<= 65535', length);
  const b = Buffer.alloc(align4(length));
  writeU16(b, length, 0);
  writeU16(b, (type & NLA_TYPE_MASK) | flags, 2);
  b.set(data, NLA_HDRLEN);
  return b;
}

/** Several attributes, one after another. */
export function encodeAttributes(list: readonly AttributeInput[]): Buffer {
  return Buffer.concat(list.map(([type, value, flags]) => encodeAttribute(type, value, flags)));
}

function u32Bytes(value: number): Buffer {
  const b = Buffer.alloc(4);
  writeU32(b, value, 0);
  return b;
}

/** The attributes in `data` from `offset`. A length that lies is a RangeError naming `nla_len`. */
export function decodeAttributes(data: Buffer, offset = 0): NetlinkAttribute[] {
  const list: NetlinkAttribute[] = [];
  for (let at = offset; at + NLA_HDRLEN <= data.length;) {
    const length = readU16(data, at);
    if (length < NLA_HDRLEN || at + length > data.length) throw malformed('nla_len', `>= ${NLA_HDRLEN} and <= ${data.length - at}`, length);
    const raw = readU16(data, at + 2);
    list.push({ type: raw & NLA_TYPE_MASK, nested: (raw & NLA_F_NESTED) !== 0, data: data.subarray(at + NLA_HDRLEN, at + length) });
    at += align4(length);
  }
  return list;
}

/** The attributes by type (the last one wins where a type repeats). */
export function attributeMap(list: readonly NetlinkAttribute[]): Map<number, Buffer> {
  return new Map(list.map((a) => [a.type, a.data]));
}

/** An attribute's payload read as a NUL-terminated string. */
export function attributeString(data: Buffer): string {
  const nul = data.indexOf(0);
  return data.toString('utf8', 0, nul < 0 ? data.length : nul);
}

/** An attribute's payload read as a host-order u32 (RangeError naming `field` if it is shorter). */
export function attributeU32(data: Buffer, field = 'nla_u32'): number {
  if (data.length < 4) throw malformed(field, '4 bytes', data.length);
  return readU32(data, 0);
}
