// bsd-sockets/packet: packet headers decoded over the caller's Buffer and encoded from plain
// objects, the Internet checksum, libpcap files, and the extended errors of Linux's error queue.
export { internetChecksum, pseudoHeaderSum, transportChecksum, foldSum, sumRange } from './checksum';
export { HeaderView } from './view';
export { EthernetHeader, decodeEthernet, encodeEthernet, ETHERTYPE_IPV4, ETHERTYPE_ARP, ETHERTYPE_IPV6, ETHERTYPE_VLAN, ETHERTYPE_QINQ } from './ethernet';
export type { VlanTag, VlanTagFields, EthernetFields } from './ethernet';
export { ArpHeader, decodeArp, encodeArp, ARP_REQUEST, ARP_REPLY } from './arp';
export type { ArpFields } from './arp';
export { Ipv4Header, decodeIpv4, encodeIpv4 } from './ipv4';
export type { Ipv4Option, Ipv4Fields, DecodeOptions } from './ipv4';
export { Ipv6Header, decodeIpv6, encodeIpv6 } from './ipv6';
export type { Ipv6Extension, Ipv6Fields, Ipv6Fragment } from './ipv6';
export {
  IcmpHeader, decodeIcmp, decodeIcmpv6, encodeIcmp, encodeIcmpv6, ICMP_ECHO_REPLY, ICMP_DEST_UNREACH, ICMP_ECHO_REQUEST,
  ICMP_TIME_EXCEEDED, ICMPV6_DEST_UNREACH, ICMPV6_PACKET_TOO_BIG, ICMPV6_TIME_EXCEEDED, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY,
} from './icmp';
export type { IcmpFields } from './icmp';
export { UdpHeader, decodeUdp, encodeUdp } from './udp';
export type { UdpFields } from './udp';
export { TcpHeader, decodeTcp, encodeTcp, TcpFlags } from './tcp';
export type { TcpOptions, TcpFields, TcpTimestamp, TcpOtherOption } from './tcp';
export type { PseudoHeaderSource, Endpoints } from './transport';
export { PcapWriter, readPcap, pcapFileHeader, pcapRecordHeader, LINKTYPE_ETHERNET, LINKTYPE_RAW, LINKTYPE_LINUX_SLL } from './pcap';
export type { PcapOptions, PcapPacket, PcapFile } from './pcap';
export { decodeExtendedError } from './errqueue';
export type { ExtendedError } from './errqueue';
