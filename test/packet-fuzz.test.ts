// Fuzz: random and mutated bytes to every decoder of bsd-sockets/packet and bsd-sockets/netlink,
// every field read after a decode that succeeds. Only RangeErrors with ERR_OUT_OF_RANGE may come
// out, never another exception; a hang fails by the test's timeout (no upper bound on a single
// input's time: the suite also runs under valgrind). Seeded, so that a failure can be replayed:
// FUZZ_SEED=<n>.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bs from '../lib';
import * as pk from '../lib/packet';
import * as nl from '../lib/netlink';

const ROUNDS = Number(process.env.PACKET_FUZZ_ROUNDS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? (Date.now() % 1e9));

/** A small deterministic PRNG (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Reads every getter and array of a decoded object (and the objects they give), as a caller might. */
function touch(value: unknown, depth = 0): void {
  if (depth > 3 || value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return;
  if (Array.isArray(value) || value instanceof Map) { for (const item of value.values()) touch(item, depth + 1); return; }
  for (let proto = value; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const key of Object.getOwnPropertyNames(proto)) {
      if (key === 'constructor' || key === 'buffer') continue;
      const read = (value as Record<string, unknown>)[key];
      if (typeof read !== 'function') touch(read, depth + 1);
    }
  }
}

const ip4 = { src: '10.0.0.1', dst: '10.0.0.2' };
const ip6 = { src: 'fe80::1', dst: 'ff02::1' };
const udp4 = pk.encodeIpv4({ ...ip4, protocol: 17, options: Buffer.from([0x94, 4, 0, 0]) }, pk.encodeUdp({ srcPort: 1, dstPort: 2 }, Buffer.from('payload'), ip4));
const tcp4 = pk.encodeIpv4({ ...ip4, protocol: 6 }, pk.encodeTcp({ srcPort: 1, dstPort: 2, flags: 0x12, options: { mss: 1460, sackPermitted: true, timestamp: { value: 1, echo: 2 }, windowScale: 7, sack: [[1, 2]] } }, Buffer.from('x'), ip4));
const icmpError = pk.encodeIcmp({ type: pk.ICMP_TIME_EXCEEDED }, udp4.subarray(0, 32));
const udp6 = pk.encodeIpv6({ ...ip6, nextHeader: 0 }, Buffer.concat([Buffer.from([44, 0, 1, 4, 0, 0, 0, 0]), Buffer.from([17, 0, 0, 1, 0, 0, 0, 9]), pk.encodeUdp({ srcPort: 3, dstPort: 4 }, Buffer.from('six'), ip6)]));
const icmp6Error = pk.encodeIcmpv6({ type: pk.ICMPV6_DEST_UNREACH }, udp6.subarray(0, 60), ip6);
const frame = pk.encodeEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_IPV4, vlans: [{ id: 5 }, { id: 6 }] }, udp4);
const arp = pk.encodeArp({ operation: 1, senderHardware: '02:00:00:00:00:01', senderProtocol: '10.0.0.1', targetHardware: '00:00:00:00:00:00', targetProtocol: '10.0.0.2' });
const pcap = Buffer.concat([pk.pcapFileHeader(), pk.pcapRecordHeader(1n, frame.length), frame, pk.pcapRecordHeader(2n, arp.length), arp]);
const pcapng = ((): Buffer => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-fuzz-')), 'seed.pcapng');
  const writer = new pk.PcapWriter(file, { format: 'pcapng', nanosecond: true });
  writer.write(frame, 1n);
  writer.write(arp, 2n);
  writer.close();
  const bytes = fs.readFileSync(file);
  fs.rmSync(path.dirname(file), { recursive: true });
  return bytes;
})();
const link = nl.encodeMessage({ type: 16 }, Buffer.alloc(16), nl.encodeAttributes([[3, 'eth0'], [4, 1500], [1, Buffer.alloc(6)], [18, [[1, 'veth']], nl.NLA_F_NESTED]]));
const address = nl.encodeMessage({ type: 20 }, Buffer.from([2, 24, 0, 0, 1, 0, 0, 0]), nl.encodeAttributes([[2, Buffer.from([10, 0, 0, 1])], [3, 'eth0'], [8, 0x80]]));
const route = nl.encodeMessage({ type: 24 }, Buffer.from([2, 16, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0]), nl.encodeAttributes([[1, Buffer.from([10, 9, 0, 0])], [5, Buffer.from([10, 0, 0, 2])], [4, 3]]));
const neigh = nl.encodeMessage({ type: 28 }, Buffer.from([2, 0, 0, 0, 3, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0]).subarray(0, 12), nl.encodeAttributes([[1, Buffer.from([10, 0, 0, 2])], [2, Buffer.alloc(6)]]));
const family = nl.encodeMessage({ type: 16 }, nl.genlHeader(1), nl.encodeAttributes([[1, Buffer.from([16, 0])], [2, 'nlctrl'], [7, [[1, [[1, 'notify'], [2, 16]]]], nl.NLA_F_NESTED]]));
/** An IP_RECVERR message as the kernel writes it (host byte order): port unreachable from 10.0.0.2. */
const extendedError = ((): Buffer => {
  const b = Buffer.alloc(32);
  const view = new DataView(b.buffer, b.byteOffset, b.length);
  const le = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  view.setUint32(0, 111, le);
  b.set([2, 3, 3], 4);
  view.setUint16(16, bs.AF_INET, le);
  b.set([10, 0, 0, 2], 20);
  return b;
})();
/** An NLMSG_ERROR (EEXIST) quoting only the request's header (NLM_F_CAPPED), with the kernel's extended ACK text. */
const ack = (() => {
  const errno = Buffer.from(new Int32Array([-17]).buffer);  // host order
  const body = Buffer.concat([errno, nl.encodeMessage({ type: 20 }), nl.encodeAttributes([[nl.NLMSGERR_ATTR_MSG, 'File exists']])]);
  return nl.encodeMessage({ type: bs.NLMSG_ERROR!, flags: bs.NLM_F_ACK_TLVS! | bs.NLM_F_CAPPED! }, body);
})();
const each = <T>(m: Buffer, decode: (message: nl.NetlinkMessage) => T): T[] => nl.decodeMessages(m).map(decode);

const DECODERS: Array<[string, Buffer, (b: Buffer) => unknown]> = [
  ['decodeEthernet', frame, (b) => pk.decodeEthernet(b)],
  ['decodeArp', arp, (b) => pk.decodeArp(b)],
  ['decodeIpv4', udp4, (b) => pk.decodeIpv4(b)],
  ['decodeIpv4 partial', icmpError.subarray(8), (b) => pk.decodeIpv4(b, 0, b.length, { partial: true })],
  ['decodeIpv6', udp6, (b) => pk.decodeIpv6(b)],
  ['decodeIcmp', icmpError, (b) => pk.decodeIcmp(b)],
  ['decodeIcmpv6', icmp6Error, (b) => pk.decodeIcmpv6(b)],
  ['decodeUdp', udp4.subarray(24), (b) => pk.decodeUdp(b)],
  ['decodeTcp', tcp4.subarray(20), (b) => pk.decodeTcp(b)],
  ['readPcap', pcap, (b) => pk.readPcap(b)],
  ['readPcap pcapng', pcapng, (b) => pk.readPcap(b)],
  ['decodeExtendedError', extendedError, (b) => pk.decodeExtendedError(b)],
  ['decodeMessages', Buffer.concat([link, address]), (b) => nl.decodeMessages(b)],
  ['decodeAttributes', link.subarray(32), (b) => nl.decodeAttributes(b)],
  ['decodeLink', link, (b) => each(b, nl.decodeLink)],
  ['decodeAddress', address, (b) => each(b, nl.decodeAddress)],
  ['decodeRoute', route, (b) => each(b, nl.decodeRoute)],
  ['decodeNeighbour', neigh, (b) => each(b, nl.decodeNeighbour)],
  ['decodeFamily', family, (b) => each(b, nl.decodeFamily)],
  ['ackError', ack, (b) => each(b, (m) => nl.ackError(m, 'fuzz'))],
];

/** A mutation of `seed`: flipped bytes, a cut, a tail of garbage, or pure noise. */
function mutate(seed: Buffer, next: () => number): Buffer {
  const pick = next();
  if (pick < 0.1) return Buffer.from(Array.from({ length: Math.floor(next() * 128) }, () => Math.floor(next() * 256)));
  const b = Buffer.from(seed);
  if (pick < 0.3) return b.subarray(0, Math.floor(next() * b.length));
  const flips = 1 + Math.floor(next() * 4);
  for (let i = 0; i < flips && b.length; i++) b[Math.floor(next() * b.length)] = next() < 0.3 ? [0, 0xff, 1, 0x7f][Math.floor(next() * 4)] : Math.floor(next() * 256);
  return pick < 0.4 ? Buffer.concat([b, Buffer.alloc(Math.floor(next() * 40), Math.floor(next() * 256))]) : b;
}

describe(`packet and netlink decoders under fuzzing (seed ${SEED}, ${ROUNDS} inputs each)`, function () {
  this.timeout(120000);
  for (const [name, seed, decode] of DECODERS) {
    it(`${name}: only typed RangeErrors`, () => {
      touch(decode(Buffer.from(seed)));  // the seed itself decodes
      const next = random(SEED ^ name.length * 7919);
      let rejected = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const input = mutate(seed, next);
        try {
          touch(decode(input));
        } catch (error) {
          if (!(error instanceof RangeError) || (error as { code?: string }).code !== 'ERR_OUT_OF_RANGE') {
            assert.fail(`${name} threw ${(error as Error)?.stack ?? error} for ${input.toString('hex')}`);
          }
          rejected++;
        }
      }
      assert.ok(rejected > 0, 'some mutations were rejected (the fuzzer reaches the checks)');
    });
  }
});
