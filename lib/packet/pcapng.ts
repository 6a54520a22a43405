// pcapng (the IETF draft "PCAP Next Generation Dump File Format"), as far as a capture of one
// interface needs: a section header block, one interface description block (with if_tsresol) and
// enhanced packet blocks. Written in this machine's byte order; read in either, other blocks skipped.
import * as os from 'node:os';
import type { PcapFile, PcapOptions, PcapPacket } from './capture';
import { checkField, malformed, need } from './view';

const SHB = 0x0a0d0d0a;
const IDB = 1;
const EPB = 6;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IF_TSRESOL = 9;
const LE = os.endianness() === 'LE';

const pad4 = (n: number): number => (n + 3) & ~3;

/** A block of `type` around `body` (already padded to 4): type, total length, body, total length. */
function block(type: number, body: Buffer): Buffer {
  const b = Buffer.alloc(12 + body.length);
  const u32 = (v: number, at: number): number => (LE ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  u32(type, 0);
  u32(b.length, 4);
  body.copy(b, 8);
  u32(b.length, b.length - 4);
  return b;
}

/** A body of `size` bytes with host-order writers. */
function body(size: number): { b: Buffer; u16(v: number, at: number): void; u32(v: number, at: number): void } {
  const b = Buffer.alloc(size);
  return {
    b,
    u16: (v, at) => { if (LE) b.writeUInt16LE(v, at); else b.writeUInt16BE(v, at); },
    u32: (v, at) => { if (LE) b.writeUInt32LE(v, at); else b.writeUInt32BE(v, at); },
  };
}

/** The section header and the one interface's description that open a pcapng file. */
export function pcapngHeader(options: PcapOptions = {}): Buffer {
  const shb = body(16);
  shb.u32(BYTE_ORDER_MAGIC, 0);
  shb.u16(1, 4);  // version 1.0
  shb.b.fill(0xff, 8, 16);  // section length: not given
  const idb = body(20);
  idb.u16(checkField(options.linktype ?? 1, 0xffff, 'pcapng.linktype'), 0);  // 1: LINKTYPE_ETHERNET
  idb.u32(checkField(options.snaplen ?? 262144, 0xffffffff, 'pcapng.snaplen'), 4);
  idb.u16(IF_TSRESOL, 8);
  idb.u16(1, 10);
  idb.b[12] = options.nanosecond ? 9 : 6;  // 10^-9 or 10^-6 s; then padding, then opt_endofopt
  return Buffer.concat([block(SHB, shb.b), block(IDB, idb.b)]);
}

/** An enhanced packet block for interface 0: `captured` (what was kept) of a packet of `originalLength` bytes, at `timestamp` ns. */
export function pcapngPacketBlock(timestamp: bigint, captured: Uint8Array, originalLength: number, nanosecond: boolean): Buffer {
  const epb = body(20 + pad4(captured.length));
  const units = nanosecond ? timestamp : timestamp / 1000n;
  epb.u32(Number(units >> 32n) >>> 0, 4);
  epb.u32(Number(units & 0xffffffffn), 8);
  epb.u32(captured.length, 12);
  epb.u32(checkField(originalLength, 0xffffffff, 'pcapng.originalLength'), 16);
  epb.b.set(captured, 20);
  return block(EPB, epb.b);
}

/** Nanoseconds per if_tsresol unit, as a fraction [multiply, divide]: 10^-n or 2^-n seconds. */
function resolution(tsresol: number): [bigint, bigint] {
  const n = BigInt(tsresol & 0x7f);
  const perSecond = tsresol & 0x80 ? 2n ** n : 10n ** n;
  return [1_000_000_000n, perSecond];
}

/** Reads a whole pcapng file (the first interface's link type and snaplen; every enhanced packet block). */
export function readPcapng(b: Buffer): PcapFile {
  need(b.length, 0, 28, 'pcapng.header');
  const magic = b.readUInt32LE(8);
  if (magic !== BYTE_ORDER_MAGIC && b.readUInt32BE(8) !== BYTE_ORDER_MAGIC) throw malformed('pcapng.byteOrder', '0x1a2b3c4d in either byte order', `0x${magic.toString(16)}`);
  const le = magic === BYTE_ORDER_MAGIC;
  const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const u16 = (at: number): number => (le ? b.readUInt16LE(at) : b.readUInt16BE(at));
  const file: PcapFile = { linktype: -1, snaplen: 0, nanosecond: false, format: 'pcapng', packets: [] };
  let scale: [bigint, bigint] = resolution(6);
  for (let at = 0; at < b.length;) {
    need(b.length, at, 12, 'pcapng.block');
    const type = u32(at);
    const length = u32(at + 4);
    if (length < 12 || length % 4 !== 0 || at + length > b.length) throw malformed('pcapng.blockLength', `a multiple of 4, >= 12 and <= ${b.length - at}`, length);
    if (type === IDB && file.linktype < 0) scale = readInterface(b, at, length, u16, u32, file);
    if (type === EPB) file.packets.push(readPacket(b, at, length, u32, scale));
    at += length;
  }
  if (file.linktype < 0) throw malformed('pcapng.interface', 'an interface description block', 'none');
  return file;
}

/** Fills the file's link type, snaplen and resolution from an interface description block. */
function readInterface(b: Buffer, at: number, length: number, u16: (at: number) => number, u32: (at: number) => number, file: PcapFile): [bigint, bigint] {
  need(at + length - 4, at + 8, 8, 'pcapng.interface');
  file.linktype = u16(at + 8);
  file.snaplen = u32(at + 12);
  let tsresol = 6;
  for (let option = at + 16; option + 4 <= at + length - 4;) {
    const code = u16(option);
    const size = u16(option + 2);
    if (code === 0) break;
    need(at + length - 4, option + 4, size, 'pcapng.option');
    if (code === IF_TSRESOL && size >= 1) tsresol = b[option + 4];
    option += 4 + pad4(size);
  }
  file.nanosecond = tsresol === 9;
  return resolution(tsresol);
}

/** One enhanced packet block: its stamp in ns, its lengths, and a view of its data. */
function readPacket(b: Buffer, at: number, length: number, u32: (at: number) => number, [multiply, divide]: [bigint, bigint]): PcapPacket {
  need(at + length - 4, at + 8, 20, 'pcapng.packet');
  const captured = u32(at + 20);
  need(at + length - 4, at + 28, captured, 'pcapng.capturedLength');
  const units = (BigInt(u32(at + 12)) << 32n) | BigInt(u32(at + 16));
  return { timestamp: (units * multiply) / divide, originalLength: u32(at + 24), data: b.subarray(at + 28, at + 28 + captured) };
}
