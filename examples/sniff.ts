// sniff: a line per frame seen on an interface (Linux, root), and optionally a pcap file that
// tcpdump and Wireshark open: AF_PACKET, SOCK_RAW, ETH_P_ALL, decoded with bsd-sockets/packet.
//
//   node dist/examples/sniff.js [-c count] [-i interface] [-w file.pcap]     (interface: lo)
//
// The protocol given to socket() is in network byte order, as in C: htons(ETH_P_ALL). Addresses
// given to and returned by bind/recvfrom carry it in host order: ['lo', ETH_P_ALL].
import * as bs from '../lib';
import * as pk from '../lib/packet';

const PKTTYPES = ['host', 'broadcast', 'multicast', 'otherhost', 'outgoing'];
const NAMES: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

/** Describes the IP packet at `offset` of `frame`: addresses, protocol, ports for TCP and UDP. */
export function describeIp(frame: Buffer, offset: number, etherType: number): string {
  const ip = etherType === pk.ETHERTYPE_IPV4 ? pk.decodeIpv4(frame, offset) : pk.decodeIpv6(frame, offset);
  const name = NAMES[ip.protocol] ?? `proto ${ip.protocol}`;
  const hops = ip instanceof pk.Ipv4Header ? `ttl ${ip.ttl}` : `hlim ${ip.hopLimit}`;
  const version = ip instanceof pk.Ipv4Header ? 'IPv4' : 'IPv6';
  if (ip.protocol === 6 || ip.protocol === 17) {
    const t = ip.protocol === 6 ? pk.decodeTcp(frame, ip.payloadOffset, ip.end) : pk.decodeUdp(frame, ip.payloadOffset, ip.end);
    return `${version} ${ip.src}:${t.srcPort} > ${ip.dst}:${t.dstPort} ${name} ${hops}`;
  }
  return `${version} ${ip.src} > ${ip.dst} ${name} ${hops}`;
}

/** One line for an Ethernet frame received with `address` (`[ifname, proto, pkttype, hatype, addr]`). */
export function describeFrame(frame: Buffer, address: bs.ReturnedAddress): string {
  const [ifname, , pkttype] = address as [string, number, number, number, Buffer];
  const direction = PKTTYPES[pkttype] ?? `pkttype ${pkttype}`;
  try {
    const eth = pk.decodeEthernet(frame);
    const line = `${ifname} ${direction} ${eth.src} > ${eth.dst} ethertype 0x${eth.etherType.toString(16).padStart(4, '0')} length ${frame.length}`;
    const ip = eth.etherType === pk.ETHERTYPE_IPV4 || eth.etherType === pk.ETHERTYPE_IPV6;
    return ip ? `${line} ${describeIp(frame, eth.payloadOffset, eth.etherType)}` : line;
  } catch (error) {
    if (error instanceof RangeError) return `${ifname} ${direction} malformed frame, ${frame.length} bytes: ${error.message}`;
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  let count = Infinity;
  let ifname = 'lo';
  let file: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-c') count = Number(argv[++i]);
    else if (argv[i] === '-i') ifname = argv[++i];
    else if (argv[i] === '-w') file = argv[++i];
    else {
      console.error('usage: sniff [-c count] [-i interface] [-w file.pcap]');
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
  using pcap = file ? new pk.PcapWriter(file) : undefined;
  console.log(`listening on ${ifname}${file ? `, writing ${file}` : ''}`);
  for (let seen = 0; seen < count; seen++) {
    const [frame, address] = await sock.recvfrom(65535);
    pcap?.write(frame);
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
