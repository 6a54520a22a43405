// traceroute: the routers on the way to a host (Linux or macOS, root). UDP probes leave with a
// growing TTL; the ICMP "time exceeded" each router sends back quotes our probe's IP and UDP
// headers, which bsd-sockets/packet decodes to match it. "Port unreachable" means arrival.
//
//   node dist/examples/traceroute.js [-m max_ttl] [-w seconds] host       (a numeric IPv4 address)
import * as bs from '../lib';
import * as pk from '../lib/packet';

const BASE_PORT = 33434;

/** What answered a probe. */
export interface Hop {
  /** The TTL the probe left with. */
  ttl: number;
  /** Who sent the ICMP message, or null when nothing came back in time. */
  from: string | null;
  /** Round-trip time in milliseconds. */
  ms?: number;
  /** Whether it was the destination (port unreachable). */
  reached: boolean;
}

/**
 * Reads an ICMP message (with its IPv4 header, as a raw socket gives it): whether it answers the
 * probe sent from `srcPort` to `dstPort`, and if so, whether the destination sent it.
 */
export function matchReply(packet: Buffer, srcPort: number, dstPort: number): { reached: boolean } | null {
  try {
    const ip = pk.decodeIpv4(packet);
    const icmp = pk.decodeIcmp(packet, ip.payloadOffset, ip.end);
    const original = icmp.original;
    if (!original || original.protocol !== 17) return null;
    const probe = pk.decodeUdp(packet, original.payloadOffset, original.end, { partial: true });
    if (probe.srcPort !== srcPort || probe.dstPort !== dstPort) return null;
    if (icmp.type === pk.ICMP_TIME_EXCEEDED) return { reached: false };
    return icmp.type === pk.ICMP_DEST_UNREACH ? { reached: true } : null;
  } catch (error) {
    if (error instanceof RangeError) return null;  // not a packet we can read: not ours
    throw error;
  }
}

/** Sends one probe with `ttl` and waits up to `wait` seconds for its answer. */
async function probe(udp: bs.Socket, icmp: bs.Socket, host: string, ttl: number, wait: number): Promise<Hop> {
  const srcPort = (udp.getsockname() as bs.InetAddress)[1];
  const dstPort = BASE_PORT + ttl;
  udp.setsockopt(bs.IPPROTO_IP, bs.IP_TTL, ttl);
  const start = process.hrtime.bigint();
  const deadline = Date.now() + wait * 1000;
  await udp.sendto(Buffer.from('bsd-sockets traceroute'), [host, dstPort]);
  while (Date.now() < deadline) {
    icmp.settimeout(Math.max(0.001, (deadline - Date.now()) / 1000));
    let received: [Buffer, bs.ReturnedAddress];
    try {
      received = await icmp.recvfrom(65535);
    } catch (error) {
      if (error instanceof bs.TimeoutError) break;
      throw error;
    }
    const match = matchReply(received[0], srcPort, dstPort);
    if (match) return { ttl, from: (received[1] as bs.InetAddress)[0], ms: Number(process.hrtime.bigint() - start) / 1e6, reached: match.reached };
  }
  return { ttl, from: null, reached: false };
}

/** Traces the route to `host`, one probe per TTL, calling `onHop` as each answers. */
export async function traceroute(host: string, maxTtl = 30, wait = 2, onHop: (hop: Hop) => void = () => {}): Promise<Hop[]> {
  using icmp = bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_ICMP);
  using udp = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
  udp.bind(['0.0.0.0', 0]);
  const hops: Hop[] = [];
  for (let ttl = 1; ttl <= maxTtl; ttl++) {
    const hop = await probe(udp, icmp, host, ttl, wait);
    hops.push(hop);
    onHop(hop);
    if (hop.reached) break;
  }
  return hops;
}

async function main(argv: string[]): Promise<number> {
  let maxTtl = 30;
  let wait = 2;
  let host: string | undefined;
  let bad = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-m') maxTtl = Number(argv[++i]);
    else if (argv[i] === '-w') wait = Number(argv[++i]);
    else if (!argv[i].startsWith('-') && host === undefined) host = argv[i];
    else bad = true;
  }
  if (bad || !host || !Number.isInteger(maxTtl) || maxTtl < 1 || maxTtl > 255 || !(wait > 0)) {
    console.error('usage: traceroute [-m max_ttl] [-w seconds] host');
    return 2;
  }
  console.log(`traceroute to ${host}, ${maxTtl} hops max`);
  const hops = await traceroute(host, maxTtl, wait, (hop) => {
    console.log(`${String(hop.ttl).padStart(2)}  ${hop.from ? `${hop.from}  ${hop.ms!.toFixed(3)} ms` : '*'}`);
  });
  return hops.at(-1)?.reached ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`traceroute: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
