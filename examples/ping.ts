// ping: ICMP echo with round-trip times, the ICMP header and checksum built here.
//
//   node dist/examples/ping.js [-c count] [host]        (host: 127.0.0.1 by default, or e.g. ::1)
//
// As root it uses a raw socket (SOCK_RAW); otherwise Linux's unprivileged ICMP datagram socket
// (SOCK_DGRAM + IPPROTO_ICMP), which net.ipv4.ping_group_range must allow for our group.
import * as bs from '../lib';

/** ICMP type of an echo request (IPv4). */
export const ICMP_ECHO = 8;
/** ICMP type of an echo reply (IPv4). */
export const ICMP_ECHOREPLY = 0;
/** ICMPv6 type of an echo request. */
export const ICMP6_ECHO_REQUEST = 128;
/** ICMPv6 type of an echo reply. */
export const ICMP6_ECHO_REPLY = 129;

/** The Internet checksum (RFC 1071) of `data`: the ones' complement of the ones' complement sum of 16-bit words. */
export function inetChecksum(data: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < data.length; i += 2) sum += (data[i] << 8) | data[i + 1];
  if (data.length % 2) sum += data[data.length - 1] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An ICMP (or ICMPv6, `v6`) echo request: type, code 0, checksum, identifier, sequence number and
 * `payload`. For ICMPv6 the kernel computes the checksum (it covers a pseudo-header we don't see).
 */
export function echoRequest(id: number, seq: number, payload: Uint8Array, v6 = false): Buffer {
  const packet = Buffer.alloc(8 + payload.length);
  packet[0] = v6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  packet.writeUInt16BE(id & 0xffff, 4);
  packet.writeUInt16BE(seq & 0xffff, 6);
  packet.set(payload, 8);
  if (!v6) packet.writeUInt16BE(inetChecksum(packet), 2);
  return packet;
}

/** A parsed ICMP echo reply. */
export interface EchoReply {
  type: number;
  id: number;
  seq: number;
  payload: Buffer;
  /** The IPv4 TTL when the packet came with its IP header (raw IPv4 sockets), else undefined. */
  ttl?: number;
}

/**
 * Parses what an ICMP socket received: a raw IPv4 socket gives the IP header first (its length is
 * IHL × 4 bytes), a datagram or ICMPv6 socket only the ICMP message. Returns null if it is not an echo reply.
 */
export function parseEchoReply(packet: Buffer, withIpHeader: boolean, v6 = false): EchoReply | null {
  let ttl: number | undefined;
  let icmp = packet;
  if (withIpHeader) {
    if (packet.length < 20 || packet[0] >> 4 !== 4) return null;
    ttl = packet[8];
    icmp = packet.subarray((packet[0] & 0x0f) * 4);
  }
  if (icmp.length < 8 || icmp[0] !== (v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY) || icmp[1] !== 0) return null;
  return { type: icmp[0], id: icmp.readUInt16BE(4), seq: icmp.readUInt16BE(6), payload: icmp.subarray(8), ttl };
}

/** Opens the ICMP socket this process may use for `family`: raw as root, else the datagram kind. */
export function openIcmpSocket(family: number): { sock: bs.Socket; raw: boolean } {
  const proto = family === bs.AF_INET6 ? bs.IPPROTO_ICMPV6 : bs.IPPROTO_ICMP;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (root) return { sock: bs.socket(family, bs.SOCK_RAW, proto), raw: true };
  return { sock: bs.socket(family, bs.SOCK_DGRAM, proto), raw: false };
}

function usage(): never {
  console.error('usage: ping [-c count] [host]');
  process.exit(2);
}

async function main(argv: string[]): Promise<number> {
  let count = 4;
  let host = '127.0.0.1';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') count = Number(argv[++i]);
    else if (argv[i].startsWith('-')) usage();
    else host = argv[i];
  }
  if (!Number.isInteger(count) || count < 1) usage();
  const v6 = host.includes(':');
  const family = v6 ? bs.AF_INET6 : bs.AF_INET;
  const target = (await bs.getaddrinfo(host, null, family, bs.SOCK_DGRAM))[0][4][0];

  let opened: { sock: bs.Socket; raw: boolean };
  try {
    opened = openIcmpSocket(family);
  } catch (error) {
    if (error instanceof bs.PermissionError) {
      console.error(`ping: ${(error as Error).message}\n` +
        'ping: not root, and net.ipv4.ping_group_range does not include our group ' +
        '(see /proc/sys/net/ipv4/ping_group_range)');
      return 2;
    }
    throw error;
  }
  const { sock, raw } = opened;
  using _ = sock;
  sock.settimeout(1);
  // With a datagram socket the kernel picks the identifier (the socket's "port").
  const id = raw ? process.pid & 0xffff : -1;
  console.log(`PING ${host} (${target}) via a ${raw ? 'raw' : 'datagram'} ICMP${v6 ? 'v6' : ''} socket`);
  const times: number[] = [];
  for (let seq = 1; seq <= count; seq++) {
    const payload = Buffer.alloc(56);
    payload.write(`bsd-sockets ping ${seq}`);
    const start = process.hrtime.bigint();
    await sock.sendto(echoRequest(raw ? id : 0, seq, payload, v6), [target, 0]);
    let reply: EchoReply | null = null;
    try {
      while (!reply) {
        const [packet] = await sock.recvfrom(65535);
        const parsed = parseEchoReply(packet, raw && !v6, v6);
        if (parsed && parsed.seq === seq && (id < 0 || parsed.id === id) && parsed.payload.equals(payload)) reply = parsed;
      }
    } catch (error) {
      if (!(error instanceof bs.TimeoutError)) throw error;
      console.log(`no reply for icmp_seq=${seq}`);
      continue;
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    times.push(ms);
    const ttl = reply.ttl === undefined ? '' : ` ttl=${reply.ttl}`;
    console.log(`${8 + reply.payload.length} bytes from ${target}: icmp_seq=${seq}${ttl} time=${ms.toFixed(3)} ms`);
    if (seq < count) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const loss = Math.round((100 * (count - times.length)) / count);
  console.log(`--- ${host} ping statistics ---`);
  console.log(`${count} packets transmitted, ${times.length} received, ${loss}% packet loss`);
  if (times.length) {
    const avg = times.reduce((a, b) => a + b, 0) / times.length;
    console.log(`rtt min/avg/max = ${Math.min(...times).toFixed(3)}/${avg.toFixed(3)}/${Math.max(...times).toFixed(3)} ms`);
  }
  return times.length === count ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`ping: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
