// TCP (RFC 9293): flags and the options MSS, window scale, SACK and timestamps.
import { foldSum, internetChecksum, pseudoHeaderSum, sumRange } from './checksum';
import { type Endpoints, type PseudoHeaderSource, endpointBytes } from './transport';
import { HeaderView, checkBounds, checkField, malformed, need } from './view';

const TCP = 6;

/** The TCP flag bits. */
export const TcpFlags = Object.freeze({
  /** No more data from the sender. */
  FIN: 0x01,
  /** Synchronize sequence numbers. */
  SYN: 0x02,
  /** Reset the connection. */
  RST: 0x04,
  /** Push. */
  PSH: 0x08,
  /** The acknowledgment number is significant. */
  ACK: 0x10,
  /** The urgent pointer is significant. */
  URG: 0x20,
  /** ECN echo. */
  ECE: 0x40,
  /** Congestion window reduced. */
  CWR: 0x80,
});

const EOL = 0;
const NOP = 1;
const MSS = 2;
const WINDOW_SCALE = 3;
const SACK_PERMITTED = 4;
const SACK = 5;
const TIMESTAMP = 8;
// The length each known option must have (SACK: 2 + 8n, checked apart).
const FIXED_LENGTH: Record<number, number> = { [MSS]: 4, [WINDOW_SCALE]: 3, [SACK_PERMITTED]: 2, [TIMESTAMP]: 10 };

/** The TCP options, decoded. */
export interface TcpOptions {
  /** Maximum segment size. */
  mss?: number;
  /** Window scale shift count. */
  windowScale?: number;
  /** SACK permitted. */
  sackPermitted?: boolean;
  /** SACK blocks: [left edge, right edge] pairs. */
  sack?: Array<[number, number]>;
  /** Timestamps: the sender's value and the echoed reply. */
  timestamp?: TcpTimestamp;
  /** Any other option, by kind, with its data (a view). */
  other?: TcpOtherOption[];
}

/** The timestamps option. */
export interface TcpTimestamp {
  /** TSval: the sender's clock. */
  value: number;
  /** TSecr: the value echoed back. */
  echo: number;
}

/** An option this module does not decode. */
export interface TcpOtherOption {
  /** Option kind. */
  kind: number;
  /** Its data after kind and length (a view). */
  data: Buffer;
}

/** A decoded TCP header. */
export class TcpHeader extends HeaderView {
  /** Decodes the TCP segment at `offset` (it runs to `end`); returns this object. */
  decode(buffer: Uint8Array, offset = 0, end = buffer.length): this {
    checkBounds(buffer, offset, end, 'tcp');
    need(end, offset, 20, 'tcp.length');
    const headerLength = (buffer[offset + 12] >> 4) * 4;
    if (headerLength < 20 || offset + headerLength > end) throw malformed('tcp.dataOffset', `>= 5 and <= ${Math.min(15, (end - offset) >> 2)}`, headerLength >> 2);
    if (headerLength > 20) walkOptions(buffer, offset + 20, offset + headerLength, null);
    this.attach(buffer, offset, end);
    this.headerLength = headerLength;
    return this;
  }

  /** Source port. */
  get srcPort(): number { return (this.buffer[this.offset] << 8) | this.buffer[this.offset + 1]; }
  /** Destination port. */
  get dstPort(): number { return (this.buffer[this.offset + 2] << 8) | this.buffer[this.offset + 3]; }
  /** Sequence number. */
  get seq(): number { return this.buffer.readUInt32BE(this.offset + 4); }
  /** Acknowledgment number. */
  get ackNumber(): number { return this.buffer.readUInt32BE(this.offset + 8); }
  /** Data offset: the header length in 32-bit words. */
  get dataOffset(): number { return this.buffer[this.offset + 12] >> 4; }
  /** The flag bits (see `TcpFlags`). */
  get flags(): number { return this.buffer[this.offset + 13]; }
  /** FIN. */
  get fin(): boolean { return (this.flags & TcpFlags.FIN) !== 0; }
  /** SYN. */
  get syn(): boolean { return (this.flags & TcpFlags.SYN) !== 0; }
  /** RST. */
  get rst(): boolean { return (this.flags & TcpFlags.RST) !== 0; }
  /** PSH. */
  get psh(): boolean { return (this.flags & TcpFlags.PSH) !== 0; }
  /** ACK. */
  get ack(): boolean { return (this.flags & TcpFlags.ACK) !== 0; }
  /** URG. */
  get urg(): boolean { return (this.flags & TcpFlags.URG) !== 0; }
  /** ECE. */
  get ece(): boolean { return (this.flags & TcpFlags.ECE) !== 0; }
  /** CWR. */
  get cwr(): boolean { return (this.flags & TcpFlags.CWR) !== 0; }
  /** Window. */
  get window(): number { return (this.buffer[this.offset + 14] << 8) | this.buffer[this.offset + 15]; }
  /** The checksum as sent. */
  get checksum(): number { return (this.buffer[this.offset + 16] << 8) | this.buffer[this.offset + 17]; }
  /** Urgent pointer. */
  get urgentPointer(): number { return (this.buffer[this.offset + 18] << 8) | this.buffer[this.offset + 19]; }
  /** The options, decoded. */
  get options(): TcpOptions {
    const options: TcpOptions = {};
    walkOptions(this.buffer, this.offset + 20, this.offset + this.headerLength, options);
    return options;
  }
  /** Whether the checksum is right under the pseudo-header of `ip`, the header the segment came in. */
  verifyChecksum(ip: PseudoHeaderSource): boolean {
    return foldSum(sumRange(this.buffer, this.offset, this.end, ip.pseudoHeaderSum(this.end - this.offset))) === 0xffff;
  }
}

/** Checks the options in [start, end) and, given an object, fills it. */
function walkOptions(b: Uint8Array, start: number, end: number, out: TcpOptions | null): void {
  for (let at = start; at < end;) {
    const kind = b[at];
    if (kind === EOL) return;
    if (kind === NOP) { at++; continue; }
    const length = at + 1 < end ? b[at + 1] : -1;
    const fixed = FIXED_LENGTH[kind];
    const fits = length >= 2 && at + length <= end;
    const right = fixed !== undefined ? length === fixed : kind === SACK ? length >= 10 && (length - 2) % 8 === 0 : true;
    if (!fits || !right) throw malformed('tcp.options', `a well-formed option of kind ${kind}`, `length ${length}`);
    if (out) readOption(b, at, kind, length, out);
    at += length;
  }
}

function readOption(b: Uint8Array, at: number, kind: number, length: number, out: TcpOptions): void {
  const view = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (kind === MSS) out.mss = view.readUInt16BE(at + 2);
  else if (kind === WINDOW_SCALE) out.windowScale = b[at + 2];
  else if (kind === SACK_PERMITTED) out.sackPermitted = true;
  else if (kind === TIMESTAMP) out.timestamp = { value: view.readUInt32BE(at + 2), echo: view.readUInt32BE(at + 6) };
  else if (kind === SACK) {
    out.sack = [];
    for (let i = at + 2; i < at + length; i += 8) out.sack.push([view.readUInt32BE(i), view.readUInt32BE(i + 4)]);
  } else (out.other ??= []).push({ kind, data: view.subarray(at + 2, at + length) });
}

/** Decodes a TCP segment. */
export function decodeTcp(buffer: Uint8Array, offset = 0, end = buffer.length): TcpHeader {
  return new TcpHeader().decode(buffer, offset, end);
}

/** What `encodeTcp` writes. */
export interface TcpFields {
  /** Source port. */
  srcPort: number;
  /** Destination port. */
  dstPort: number;
  /** Sequence number (0). */
  seq?: number;
  /** Acknowledgment number (0). */
  ackNumber?: number;
  /** Flag bits, an OR of `TcpFlags` (0). */
  flags?: number;
  /** Window (65535). */
  window?: number;
  /** Urgent pointer (0). */
  urgentPointer?: number;
  /** Options to encode (MSS, window scale, SACK permitted, SACK, timestamps), padded with NOPs/EOL. */
  options?: Omit<TcpOptions, 'other'>;
}

function encodeOptions(options: Omit<TcpOptions, 'other'>): Buffer {
  const parts: number[] = [];
  const u16 = (v: number, f: string): number[] => { checkField(v, 0xffff, f); return [v >> 8, v & 0xff]; };
  const u32 = (v: number, f: string): number[] => { checkField(v, 0xffffffff, f); return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]; };
  if (options.mss !== undefined) parts.push(MSS, 4, ...u16(options.mss, 'tcp.options.mss'));
  if (options.sackPermitted) parts.push(SACK_PERMITTED, 2);
  if (options.timestamp) parts.push(TIMESTAMP, 10, ...u32(options.timestamp.value, 'tcp.options.timestamp'), ...u32(options.timestamp.echo, 'tcp.options.timestamp'));
  if (options.windowScale !== undefined) parts.push(NOP, WINDOW_SCALE, 3, checkField(options.windowScale, 14, 'tcp.options.windowScale'));
  if (options.sack?.length) {
    parts.push(NOP, NOP, SACK, 2 + 8 * options.sack.length);
    for (const [left, right] of options.sack) parts.push(...u32(left, 'tcp.options.sack'), ...u32(right, 'tcp.options.sack'));
  }
  while (parts.length % 4) parts.push(EOL);
  if (parts.length > 40) throw malformed('tcp.options', '<= 40 bytes', parts.length);
  return Buffer.from(parts);
}

/** A TCP segment; with `ip` (the addresses it will travel between) its checksum is computed. */
export function encodeTcp(fields: TcpFields, payload: Uint8Array = new Uint8Array(0), ip?: Endpoints): Buffer {
  const options = encodeOptions(fields.options ?? {});
  const headerLength = 20 + options.length;
  const b = Buffer.alloc(headerLength + payload.length);
  b.writeUInt16BE(checkField(fields.srcPort, 0xffff, 'tcp.srcPort'), 0);
  b.writeUInt16BE(checkField(fields.dstPort, 0xffff, 'tcp.dstPort'), 2);
  b.writeUInt32BE(checkField(fields.seq ?? 0, 0xffffffff, 'tcp.seq'), 4);
  b.writeUInt32BE(checkField(fields.ackNumber ?? 0, 0xffffffff, 'tcp.ackNumber'), 8);
  b[12] = (headerLength >> 2) << 4;
  b[13] = checkField(fields.flags ?? 0, 0xff, 'tcp.flags');
  b.writeUInt16BE(checkField(fields.window ?? 65535, 0xffff, 'tcp.window'), 14);
  b.writeUInt16BE(checkField(fields.urgentPointer ?? 0, 0xffff, 'tcp.urgentPointer'), 18);
  b.set(options, 20);
  b.set(payload, headerLength);
  if (ip) {
    const [src, dst] = endpointBytes(ip, 'tcp');
    b.writeUInt16BE(internetChecksum(b, pseudoHeaderSum(src, dst, TCP, b.length)), 16);
  }
  return b;
}
