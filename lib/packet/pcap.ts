// Classic libpcap files: a global header, then a 16-byte record header before each packet.
// Written in this machine's byte order with microsecond (or nanosecond) stamps; read in either
// byte order, either resolution. pcapng (pcapng.ts) is written on request and read when found.
import * as fs from 'node:fs';
import * as os from 'node:os';
import { pcapngHeader, pcapngPacketBlock, readPcapng } from './pcapng';
import { checkField, malformed, need } from './view';
import type { PcapFile, PcapOptions } from './capture';

export type { PcapFile, PcapOptions, PcapPacket } from './capture';

/** Link type of Ethernet frames (tcpdump's EN10MB). */
export const LINKTYPE_ETHERNET = 1;
/** Link type of bare IPv4/IPv6 packets. */
export const LINKTYPE_RAW = 101;
/** Link type of Linux "cooked" captures (SLL). */
export const LINKTYPE_LINUX_SLL = 113;

const MAGIC_MICRO = 0xa1b2c3d4;
const MAGIC_NANO = 0xa1b23c4d;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;
const LE = os.endianness() === 'LE';
const PCAPNG_SECTION = 0x0a0d0d0a;  // a section header block's type: the same in both byte orders

/** The 24-byte global header of a pcap file. */
export function pcapFileHeader(options: PcapOptions = {}): Buffer {
  const b = Buffer.alloc(FILE_HEADER);
  const u32 = (v: number, at: number): number => (LE ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const u16 = (v: number, at: number): number => (LE ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at));
  u32(options.nanosecond ? MAGIC_NANO : MAGIC_MICRO, 0);
  u16(2, 4);
  u16(4, 6);
  u32(checkField(options.snaplen ?? 262144, 0xffffffff, 'pcap.snaplen'), 16);
  u32(checkField(options.linktype ?? LINKTYPE_ETHERNET, 0xffffffff, 'pcap.linktype'), 20);
  return b;
}

/** The 16-byte record header of a packet of `capturedLength` bytes (of `originalLength` on the wire) taken at `timestamp` ns. */
export function pcapRecordHeader(timestamp: bigint, capturedLength: number, originalLength = capturedLength, nanosecond = false): Buffer {
  const b = Buffer.alloc(RECORD_HEADER);
  const u32 = (v: number, at: number): number => (LE ? b.writeUInt32LE(v, at) : b.writeUInt32BE(v, at));
  const seconds = timestamp / 1_000_000_000n;
  const fraction = timestamp % 1_000_000_000n;
  u32(checkField(Number(seconds), 0xffffffff, 'pcap.timestamp'), 0);
  u32(Number(nanosecond ? fraction : fraction / 1000n), 4);
  u32(capturedLength, 8);
  u32(checkField(originalLength, 0xffffffff, 'pcap.originalLength'), 12);
  return b;
}

/** Now, in nanoseconds since the epoch. */
function now(): bigint {
  return BigInt(Date.now()) * 1_000_000n + process.hrtime.bigint() % 1_000_000n;
}

/** Writes a pcap file as packets come, with synchronous writes (each record goes out whole). */
export class PcapWriter {
  /** The descriptor written to. */
  readonly fd: number;
  readonly #owned: boolean;
  readonly #snaplen: number;
  readonly #nanosecond: boolean;
  readonly #pcapng: boolean;
  #closed = false;

  /** Creates (or truncates) the file at `path` and writes the global header; given a descriptor number, writes to it and leaves it open on close. */
  constructor(path: string | number, options: PcapOptions = {}) {
    this.#owned = typeof path === 'string';
    this.fd = typeof path === 'string' ? fs.openSync(path, 'w') : path;
    this.#snaplen = options.snaplen ?? 262144;
    this.#nanosecond = options.nanosecond ?? false;
    this.#pcapng = options.format === 'pcapng';
    fs.writeSync(this.fd, this.#pcapng ? pcapngHeader(options) : pcapFileHeader(options));
  }

  /** Appends one packet (cut to the snaplen), stamped `timestamp` ns since the epoch (now by default). */
  write(packet: Uint8Array, timestamp: bigint = now()): void {
    if (this.#closed) throw new Error('PcapWriter: write after close');
    const kept = packet.length > this.#snaplen ? packet.subarray(0, this.#snaplen) : packet;
    if (this.#pcapng) fs.writeSync(this.fd, pcapngPacketBlock(timestamp, kept, packet.length, this.#nanosecond));
    else fs.writevSync(this.fd, [pcapRecordHeader(timestamp, kept.length, packet.length, this.#nanosecond), kept]);
  }

  /** Closes the file if this writer opened it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) fs.closeSync(this.fd);
  }

  /** Closes. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Reads a whole pcap or pcapng file from `data` (its packets are views of `data`). */
export function readPcap(data: Uint8Array): PcapFile {
  const b = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (b.length >= 4 && b.readUInt32LE(0) === PCAPNG_SECTION) return readPcapng(b);
  need(b.length, 0, FILE_HEADER, 'pcap.header');
  const magicLE = b.readUInt32LE(0);
  const magicBE = b.readUInt32BE(0);
  const le = magicLE === MAGIC_MICRO || magicLE === MAGIC_NANO;
  if (!le && magicBE !== MAGIC_MICRO && magicBE !== MAGIC_NANO) throw malformed('pcap.magic', '0xa1b2c3d4 or 0xa1b23c4d in either byte order', `0x${magicBE.toString(16)}`);
  const u32 = (at: number): number => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  const nanosecond = (le ? magicLE : magicBE) === MAGIC_NANO;
  const file: PcapFile = { linktype: u32(20) & 0x0fffffff, snaplen: u32(16), nanosecond, format: 'pcap', packets: [] };
  for (let at = FILE_HEADER; at < b.length;) {
    need(b.length, at, RECORD_HEADER, 'pcap.record');
    const captured = u32(at + 8);
    need(b.length, at + RECORD_HEADER, captured, 'pcap.capturedLength');
    const fraction = BigInt(u32(at + 4));
    file.packets.push({
      timestamp: BigInt(u32(at)) * 1_000_000_000n + (nanosecond ? fraction : fraction * 1000n),
      originalLength: u32(at + 12),
      data: b.subarray(at + RECORD_HEADER, at + RECORD_HEADER + captured),
    });
    at += RECORD_HEADER + captured;
  }
  return file;
}
