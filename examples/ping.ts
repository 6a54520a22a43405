// ping: ICMP echo with round-trip times, packets built and read with bsd-sockets/packet.
//
//   node dist/examples/ping.js [-c count] [host]        (host: 127.0.0.1 by default, or e.g. ::1)
//
// As root it uses a raw socket (SOCK_RAW); otherwise Linux's unprivileged ICMP datagram socket
// (SOCK_DGRAM + IPPROTO_ICMP), which net.ipv4.ping_group_range must allow for our group.
import * as fs from 'node:fs';
import * as bs from '../lib';
import * as pk from '../lib/packet';

/** The Internet checksum of `data` (kept for callers of the earlier example: it is `internetChecksum`). */
export const inetChecksum = (data: Uint8Array): number => pk.internetChecksum(data);

/** An ICMP (or ICMPv6, `v6`: checksummed by the kernel) echo request. */
export function echoRequest(id: number, seq: number, payload: Uint8Array, v6 = false): Buffer {
  return v6 ? pk.encodeIcmpv6({ type: pk.ICMPV6_ECHO_REQUEST, id, seq }, payload) : pk.encodeIcmp({ type: pk.ICMP_ECHO_REQUEST, id, seq }, payload);
}

/** A parsed echo reply; `ttl` when the IPv4 header came with it (raw IPv4 sockets). */
export interface EchoReply { type: number; id: number; seq: number; payload: Buffer; ttl?: number }

/** Reads an echo reply (after its IPv4 header when `withIpHeader`); null for anything else, malformed included. */
export function parseEchoReply(packet: Buffer, withIpHeader: boolean, v6 = false): EchoReply | null {
  try {
    const ip = withIpHeader ? pk.decodeIpv4(packet) : null;
    const icmp = new pk.IcmpHeader().decode(packet, ip ? ip.payloadOffset : 0, ip ? ip.end : packet.length, v6);
    if (icmp.type !== (v6 ? pk.ICMPV6_ECHO_REPLY : pk.ICMP_ECHO_REPLY) || icmp.code !== 0) return null;
    return { type: icmp.type, id: icmp.id, seq: icmp.seq, payload: icmp.payload, ttl: ip?.ttl };
  } catch (error) {
    if (error instanceof RangeError) return null;
    throw error;
  }
}

/** Opens the ICMP socket this process may use for `family`: raw as root, else the datagram kind. */
export function openIcmpSocket(family: number): { sock: bs.Socket; raw: boolean } {
  const proto = family === bs.AF_INET6 ? bs.IPPROTO_ICMPV6 : bs.IPPROTO_ICMP;
  const raw = typeof process.getuid === 'function' && process.getuid() === 0;
  return { sock: bs.socket(family, raw ? bs.SOCK_RAW : bs.SOCK_DGRAM, proto), raw };
}

/** Why this process cannot ping here (no raw socket, no ICMP datagram socket for its group), or null. */
export function pingUnavailable(): string | null {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return null;
  if (process.platform !== 'linux') return 'not root, and no unprivileged ICMP sockets here';
  const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
  const gid = process.getgid!();
  return gid >= lo && gid <= hi ? null : `not root, and net.ipv4.ping_group_range (${lo} ${hi}) excludes gid ${gid}`;
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
  const target = (await bs.getaddrinfo(host, null, v6 ? bs.AF_INET6 : bs.AF_INET, bs.SOCK_DGRAM))[0][4][0];
  let opened: { sock: bs.Socket; raw: boolean };
  try {
    opened = openIcmpSocket(v6 ? bs.AF_INET6 : bs.AF_INET);
  } catch (error) {
    if (!(error instanceof bs.PermissionError)) throw error;
    console.error(`ping: ${error.message}\nping: not root, and net.ipv4.ping_group_range (see /proc/sys/net/ipv4/ping_group_range) excludes our group`);
    return 2;
  }
  const { sock, raw } = opened;
  using _ = sock;
  sock.settimeout(1);
  const id = raw ? process.pid & 0xffff : -1;  // a datagram socket's identifier is its "port", the kernel's choice
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
        const parsed = parseEchoReply((await sock.recvfrom(65535))[0], raw && !v6, v6);
        if (parsed && parsed.seq === seq && (id < 0 || parsed.id === id) && parsed.payload.equals(payload)) reply = parsed;
      }
    } catch (error) {
      if (!(error instanceof bs.TimeoutError)) throw error;
      console.log(`no reply for icmp_seq=${seq}`);
      continue;
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    times.push(ms);
    console.log(`${8 + reply.payload.length} bytes from ${target}: icmp_seq=${seq}${reply.ttl === undefined ? '' : ` ttl=${reply.ttl}`} time=${ms.toFixed(3)} ms`);
    if (seq < count) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  console.log(`--- ${host} ping statistics ---`);
  console.log(`${count} packets transmitted, ${times.length} received, ${Math.round((100 * (count - times.length)) / count)}% packet loss`);
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
