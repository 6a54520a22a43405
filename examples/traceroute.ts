// traceroute: the routers on the way to a host. UDP probes leave with a growing TTL; each router
// where the TTL runs out answers with an ICMP "time exceeded", the host with "port unreachable".
// Two ways to read those answers, as Linux's traceroute has them:
// - as root (Linux or macOS), a raw ICMP socket: the ICMP message quotes our probe's IP and UDP
//   headers, which bsd-sockets/packet decodes to match it;
// - without privileges (Linux), IP_RECVERR on the UDP socket itself: the kernel queues each ICMP
//   error about our datagrams on it, read with recvmsg(..., MSG_ERRQUEUE) as a struct
//   sock_extended_err (decodeExtendedError) whose offender is the router.
//
//   node dist/examples/traceroute.js [-m max_ttl] [-w seconds] [-E] host     (a numeric IPv4 address)
//
// -E takes the IP_RECVERR way even as root; without root it is the only way.
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

/** What answered a probe: who, and whether it was the destination. */
interface Answer { from: string; reached: boolean }

/** Waits up to `seconds` for the next message about a probe to `dstPort`: its answer, 'not ours', or 'timeout'. */
type Listener = (dstPort: number, seconds: number) => Promise<Answer | 'not ours' | 'timeout'>;

/** Sends one probe with `ttl` and waits up to `wait` seconds for `listen` to find its answer. */
async function probe(udp: bs.Socket, listen: Listener, host: string, ttl: number, wait: number): Promise<Hop> {
  const dstPort = BASE_PORT + ttl;
  udp.setsockopt(bs.IPPROTO_IP, bs.IP_TTL, ttl);
  const start = process.hrtime.bigint();
  const deadline = Date.now() + wait * 1000;
  await udp.sendto(Buffer.from('bsd-sockets traceroute'), [host, dstPort]);
  while (Date.now() < deadline) {
    const answer = await listen(dstPort, Math.max(0.001, (deadline - Date.now()) / 1000));
    if (answer === 'timeout') break;
    if (answer !== 'not ours') return { ttl, from: answer.from, ms: Number(process.hrtime.bigint() - start) / 1e6, reached: answer.reached };
  }
  return { ttl, from: null, reached: false };
}

/** The raw way (root): ICMP messages read on a raw socket, matched through the probe header they quote. */
function rawListener(udp: bs.Socket, icmp: bs.Socket): Listener {
  const srcPort = (udp.getsockname() as bs.InetAddress)[1];
  return async (dstPort, seconds) => {
    icmp.settimeout(seconds);
    let received: [Buffer, bs.ReturnedAddress];
    try {
      received = await icmp.recvfrom(65535);
    } catch (error) {
      if (error instanceof bs.TimeoutError) return 'timeout';
      throw error;
    }
    const match = matchReply(received[0], srcPort, dstPort);
    return match ? { from: (received[1] as bs.InetAddress)[0], reached: match.reached } : 'not ours';
  };
}

/**
 * Reads one message of the probe socket's error queue (null when it is empty): the ICMP error's
 * sender and whether it says the destination was reached, if it is about the probe sent to
 * `dstPort` (the kernel gives the probe's destination as the message's address).
 */
export function readQueuedError(udp: bs.Socket, dstPort: number): Answer | 'not ours' | null {
  let message: bs.RecvmsgResult;
  try {
    message = udp.recvmsgSync(512, 512, bs.MSG_ERRQUEUE!);
  } catch (error) {
    if (error instanceof bs.BlockingIOError) return null;
    throw error;
  }
  const [, ancdata, , address] = message;
  if ((address as bs.InetAddress)[1] !== dstPort) return 'not ours';
  for (const [level, type, data] of ancdata) {
    if (level !== bs.IPPROTO_IP || type !== bs.IP_RECVERR) continue;
    const error = pk.decodeExtendedError(data);
    if (error.origin !== bs.SO_EE_ORIGIN_ICMP || error.offender === null) continue;
    if (error.type === pk.ICMP_TIME_EXCEEDED) return { from: error.offender, reached: false };
    if (error.type === pk.ICMP_DEST_UNREACH) return { from: error.offender, reached: true };
  }
  return 'not ours';
}

/** The unprivileged way (Linux): IP_RECVERR on the probe socket, whose queued errors show as EPOLLERR. */
function errorQueueListener(udp: bs.Socket, errors: bs.Epoll): Listener {
  udp.setsockopt(bs.IPPROTO_IP, bs.IP_RECVERR!, 1);
  errors.register(udp, bs.EPOLLERR!);
  return async (dstPort, seconds) => {
    // Wait here: recvmsg with MSG_ERRQUEUE never waits.
    if ((await errors.poll(seconds)).length === 0) return 'timeout';
    for (let answer = readQueuedError(udp, dstPort); answer !== null; answer = readQueuedError(udp, dstPort)) {
      if (answer !== 'not ours') return answer;
    }
    return 'not ours';
  };
}

/** Whether this process may open a raw socket (root; a capability is not looked for). */
export function canUseRaw(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Traces the route to `host`, one probe per TTL, calling `onHop` as each answers: through a raw
 * ICMP socket (`'raw'`, root) or the UDP socket's error queue (`'recverr'`, Linux, no privileges).
 */
export async function traceroute(host: string, maxTtl = 30, wait = 2, onHop: (hop: Hop) => void = () => {},
  mode: 'raw' | 'recverr' = canUseRaw() ? 'raw' : 'recverr'): Promise<Hop[]> {
  using udp = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
  udp.bind(['0.0.0.0', 0]);
  using icmp = mode === 'raw' ? bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_ICMP) : null;
  using errors = mode === 'recverr' ? bs.epoll() : null;
  const listen = icmp ? rawListener(udp, icmp) : errorQueueListener(udp, errors!);
  const hops: Hop[] = [];
  for (let ttl = 1; ttl <= maxTtl; ttl++) {
    const hop = await probe(udp, listen, host, ttl, wait);
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
  let mode: 'raw' | 'recverr' = canUseRaw() ? 'raw' : 'recverr';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-m') maxTtl = Number(argv[++i]);
    else if (argv[i] === '-w') wait = Number(argv[++i]);
    else if (argv[i] === '-E') mode = 'recverr';
    else if (!argv[i].startsWith('-') && host === undefined) host = argv[i];
    else bad = true;
  }
  if (bad || !host || !Number.isInteger(maxTtl) || maxTtl < 1 || maxTtl > 255 || !(wait > 0)) {
    console.error('usage: traceroute [-m max_ttl] [-w seconds] [-E] host');
    return 2;
  }
  if (mode === 'recverr' && bs.IP_RECVERR === undefined) {
    console.error('traceroute: not root, and this system has no IP_RECVERR (Linux only)');
    return 2;
  }
  console.log(`traceroute to ${host}, ${maxTtl} hops max, ${mode === 'raw' ? 'ICMP read on a raw socket' : 'ICMP errors read from the error queue (IP_RECVERR)'}`);
  const hops = await traceroute(host, maxTtl, wait, (hop) => {
    console.log(`${String(hop.ttl).padStart(2)}  ${hop.from ? `${hop.from}  ${hop.ms!.toFixed(3)} ms` : '*'}`);
  }, mode);
  return hops.at(-1)?.reached ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`traceroute: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
