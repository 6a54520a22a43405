// sniff: print a line per frame seen on an interface (Linux, root): AF_PACKET, SOCK_RAW, ETH_P_ALL.
//
//   node dist/examples/sniff.js [-c count] [-i interface]        (interface: lo by default)
//
// The protocol given to socket() is in network byte order, as in C: htons(ETH_P_ALL). Addresses
// given to and returned by bind/recvfrom carry it in host order: ['lo', ETH_P_ALL].
import * as bs from '../lib';

const PKTTYPES = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'];
const IP_PROTOCOLS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

function mac(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(':');
}

/** Describes an IPv4 packet: addresses, protocol and, for TCP/UDP, the ports. */
export function describeIpv4(ip: Buffer): string {
  if (ip.length < 20 || ip[0] >> 4 !== 4) return 'IPv4 (truncated)';
  const ihl = (ip[0] & 0x0f) * 4;
  const proto = ip[9];
  const src = bs.inet_ntoa(ip.subarray(12, 16));
  const dst = bs.inet_ntoa(ip.subarray(16, 20));
  const name = IP_PROTOCOLS[proto] ?? `proto ${proto}`;
  if ((proto === 6 || proto === 17) && ip.length >= ihl + 4) {
    return `IPv4 ${src}:${ip.readUInt16BE(ihl)} > ${dst}:${ip.readUInt16BE(ihl + 2)} ${name} ttl ${ip[8]}`;
  }
  return `IPv4 ${src} > ${dst} ${name} ttl ${ip[8]}`;
}

/** One line for an Ethernet frame received with `address` (`[ifname, proto, pkttype, hatype, addr]`). */
export function describeFrame(frame: Buffer, address: bs.ReturnedAddress): string {
  const [ifname, , pkttype] = address as [string, number, number, number, Buffer];
  const direction = PKTTYPES[pkttype] ?? `pkttype ${pkttype}`;
  if (frame.length < 14) return `${ifname} ${direction} runt frame, ${frame.length} bytes`;
  const ethertype = frame.readUInt16BE(12);
  let line = `${ifname} ${direction} ${mac(frame.subarray(6, 12))} > ${mac(frame.subarray(0, 6))} ` +
    `ethertype 0x${ethertype.toString(16).padStart(4, '0')} length ${frame.length}`;
  if (ethertype === bs.ETH_P_IP) line += ` ${describeIpv4(frame.subarray(14))}`;
  else if (ethertype === bs.ETH_P_IPV6 && frame.length >= 54) {
    line += ` IPv6 ${bs.inet_ntop(bs.AF_INET6, frame.subarray(22, 38))} > ${bs.inet_ntop(bs.AF_INET6, frame.subarray(38, 54))} next header ${frame[20]}`;
  }
  return line;
}

async function main(argv: string[]): Promise<number> {
  let count = Infinity;
  let ifname = 'lo';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') count = Number(argv[++i]);
    else if (argv[i] === '-i') ifname = argv[++i];
    else {
      console.error('usage: sniff [-c count] [-i interface]');
      return 2;
    }
  }
  if (process.platform !== 'linux') {
    console.error('sniff: AF_PACKET is Linux-only');
    return 2;
  }
  if (!(count >= 1)) {
    console.error('sniff: count must be >= 1');
    return 2;
  }
  using sock = bs.socket(bs.AF_PACKET!, bs.SOCK_RAW, bs.htons(bs.ETH_P_ALL!));
  sock.bind([ifname, bs.ETH_P_ALL!]);
  console.log(`listening on ${ifname}`);
  for (let seen = 0; seen < count; seen++) {
    const [frame, address] = await sock.recvfrom(65535);
    console.log(describeFrame(frame, address));
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`sniff: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
