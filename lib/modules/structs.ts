// Typed pack/unpack helpers for the C structs that socket options and ancillary messages carry,
// so that nobody packs a `struct linger` by hand. Byte order is the machine's; every size and
// offset comes from the C headers at build time (native.structLayouts, from sizeof/offsetof of
// the structs listed in native/names/structs.txt), checked against Python in test/structs.test.ts.
import * as os from 'node:os';
import { native } from '../binding/native';
import type { StructLayout } from '../binding/native';
import { unavailable } from '../binding/errors';
import { checkBytes, checkInt, invalidArgType, invalidArgValue, outOfRange } from '../input/validate';

const LITTLE_ENDIAN = os.endianness() === 'LE';
const LINUX = native.buildFeatures.linux;  // the build's headers define Linux's tcp_info
const AF_INET = native.constants.AF_INET;
const AF_INET6 = native.constants.AF_INET6;

/** A field of a struct: where it starts and how wide it is, in bytes. */
interface Field {
  offset: number;
  size: number;
}

/** The layout of `struct name`, or a SocketError (ENOSYS) from `caller` where the platform lacks it. */
function layout(name: string, caller: string): StructLayout {
  const found = native.structLayouts[name];
  if (found === undefined) throw unavailable(caller);
  return found;
}

function field(struct: StructLayout, name: string): Field {
  const found = struct.fields[name];
  if (found === undefined) throw new Error(`native/names/structs.txt lists no field ${name}`);
  return found;
}

function sizeOf(name: string): number | undefined {
  return native.structLayouts[name]?.size;
}

/**
 * The sizes in bytes of the structs these helpers handle on this platform, for the `buflen` of
 * `getsockopt(level, name, buflen)`; a struct the platform lacks has no size (undefined).
 * `tcp_info` is the prefix that {@link unpackTcpInfo} knows; a kernel may return fewer bytes
 * (older) or more (newer; pass a larger buflen to see them).
 */
export const structSizes: Readonly<{
  /** `sizeof(struct linger)` in bytes (SO_LINGER). */
  linger: number;
  /** `sizeof(struct timeval)` in bytes (SO_RCVTIMEO, SO_SNDTIMEO): 16 where `time_t` is 64 bits, 8 on 32-bit ABIs with a 32-bit `time_t`. */
  timeval: number;
  /** `sizeof(struct ip_mreq)` in bytes (IP_ADD_MEMBERSHIP, IP_DROP_MEMBERSHIP). */
  ip_mreq: number;
  /** `sizeof(struct ip_mreqn)` in bytes (Linux; IP_ADD_MEMBERSHIP, IP_MULTICAST_IF); undefined elsewhere. */
  ip_mreqn: number | undefined;
  /** `sizeof(struct ipv6_mreq)` in bytes (IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP). */
  ipv6_mreq: number;
  /** `sizeof(struct ucred)` in bytes (Linux; SO_PEERCRED, SCM_CREDENTIALS); undefined elsewhere. */
  ucred: number | undefined;
  /** `sizeof(struct in_pktinfo)` in bytes (IP_PKTINFO). */
  in_pktinfo: number;
  /** `sizeof(struct in6_pktinfo)` in bytes (IPV6_PKTINFO). */
  in6_pktinfo: number;
  /** Bytes of Linux `struct tcp_info` (TCP_INFO) that {@link unpackTcpInfo} decodes. */
  tcp_info: number;
}> = Object.freeze({
  linger: layout('linger', 'structSizes').size,
  timeval: layout('timeval', 'structSizes').size,
  ip_mreq: layout('ip_mreq', 'structSizes').size,
  ip_mreqn: sizeOf('ip_mreqn'),
  ipv6_mreq: layout('ipv6_mreq', 'structSizes').size,
  ucred: sizeOf('ucred'),
  in_pktinfo: layout('in_pktinfo', 'structSizes').size,
  in6_pktinfo: layout('in6_pktinfo', 'structSizes').size,
  tcp_info: 248,
});

// --- byte helpers in the machine's order ---------------------------------------------------

function view(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Writes an integer field of 4 or 8 bytes (a C `int`, `long`, `time_t`…) in the machine's order. */
function writeInt(b: Buffer, f: Field, value: number, signed = true): void {
  if (f.size === 8) {
    const v = BigInt(value);
    if (signed) { if (LITTLE_ENDIAN) b.writeBigInt64LE(v, f.offset); else b.writeBigInt64BE(v, f.offset); }
    else if (LITTLE_ENDIAN) b.writeBigUInt64LE(v, f.offset); else b.writeBigUInt64BE(v, f.offset);
  } else if (f.size === 4) {
    if (signed) { if (LITTLE_ENDIAN) b.writeInt32LE(value, f.offset); else b.writeInt32BE(value, f.offset); }
    else if (LITTLE_ENDIAN) b.writeUInt32LE(value, f.offset); else b.writeUInt32BE(value, f.offset);
  } else {
    throw new Error(`no integer field of ${f.size} bytes`);
  }
}

/** Reads an integer field of 4 or 8 bytes in the machine's order (8-byte values exact below 2^53). */
function readInt(b: Buffer, f: Field, signed = true): number {
  if (f.size === 8) {
    if (signed) return Number(LITTLE_ENDIAN ? b.readBigInt64LE(f.offset) : b.readBigInt64BE(f.offset));
    return Number(LITTLE_ENDIAN ? b.readBigUInt64LE(f.offset) : b.readBigUInt64BE(f.offset));
  }
  if (f.size === 4) {
    if (signed) return LITTLE_ENDIAN ? b.readInt32LE(f.offset) : b.readInt32BE(f.offset);
    return LITTLE_ENDIAN ? b.readUInt32LE(f.offset) : b.readUInt32BE(f.offset);
  }
  throw new Error(`no integer field of ${f.size} bytes`);
}

function readU32(b: Buffer, offset: number): number {
  return LITTLE_ENDIAN ? b.readUInt32LE(offset) : b.readUInt32BE(offset);
}

function readU16(b: Buffer, offset: number): number {
  return LITTLE_ENDIAN ? b.readUInt16LE(offset) : b.readUInt16BE(offset);
}

/** A u64 as a number (exact below 2^53, which counters and rates stay under). */
function readU64(b: Buffer, offset: number): number {
  return Number(LITTLE_ENDIAN ? b.readBigUInt64LE(offset) : b.readBigUInt64BE(offset));
}

function checkStruct(buf: unknown, name: string, size: number): Buffer {
  const b = view(checkBytes(buf, 'buf'));
  if (b.length < size) throw outOfRange('buf', `at least ${size} bytes long (sizeof(struct ${name}))`, b.length);
  return b;
}

/** IPv4 text ('' meaning INADDR_ANY) as its 4 bytes in network order. */
function ipv4Bytes(value: unknown, name: string): Buffer {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value === '') return Buffer.alloc(4);
  const out = Buffer.alloc(4);
  if (value.includes('\0') || native.inetPton(AF_INET, value, out) !== 4) {
    throw invalidArgValue(name, value, 'must be an IPv4 address');
  }
  return out;
}

function ipv6Bytes(value: unknown, name: string): Buffer {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  if (value === '') return Buffer.alloc(16);
  const out = Buffer.alloc(16);
  if (value.includes('\0') || native.inetPton(AF_INET6, value, out) !== 16) {
    throw invalidArgValue(name, value, 'must be an IPv6 address');
  }
  return out;
}

function ntop(family: number, b: Buffer, f: Field): string {
  const bytes = b.subarray(f.offset, f.offset + f.size);
  const result = native.inetNtop(family, bytes);
  if (typeof result !== 'string') throw invalidArgValue('buf', bytes, 'does not hold an address');
  return result;
}

// --- struct linger ---------------------------------------------------------------------------

/** `struct linger` (SO_LINGER): `onoff` non-zero lingers on close for up to `linger` seconds. */
export interface Linger {
  /** `l_onoff`: non-zero to linger on close, 0 to close in the background. */
  onoff: number;
  /** `l_linger`: how long close() may wait for unsent data to go out, in seconds. */
  linger: number;
}

/** Packs a `struct linger` for `setsockopt(SOL_SOCKET, SO_LINGER, …)`. `onoff` may be a boolean. */
export function packLinger(value: { onoff: number | boolean; linger: number }): Buffer {
  if (value === null || typeof value !== 'object') throw invalidArgType('value', 'an object { onoff, linger }', value);
  const onoff = typeof value.onoff === 'boolean' ? Number(value.onoff) : checkInt(value.onoff, 'onoff');
  const linger = checkInt(value.linger, 'linger');
  const struct = layout('linger', 'packLinger');
  const b = Buffer.alloc(struct.size);
  writeInt(b, field(struct, 'l_onoff'), onoff);
  writeInt(b, field(struct, 'l_linger'), linger);
  return b;
}

/** Unpacks the `struct linger` that `getsockopt(SOL_SOCKET, SO_LINGER, 8)` returns. */
export function unpackLinger(buf: Uint8Array): Linger {
  const struct = layout('linger', 'unpackLinger');
  const b = checkStruct(buf, 'linger', struct.size);
  return { onoff: readInt(b, field(struct, 'l_onoff')), linger: readInt(b, field(struct, 'l_linger')) };
}

// --- struct timeval --------------------------------------------------------------------------

/**
 * Packs seconds (fractions allowed, >= 0) as a `struct timeval`, e.g. for SO_RCVTIMEO and
 * SO_SNDTIMEO; microseconds are rounded to the nearest.
 */
export function packTimeval(seconds: number): Buffer {
  if (typeof seconds !== 'number') throw invalidArgType('seconds', 'of type number', seconds);
  const struct = layout('timeval', 'packTimeval');
  const secField = field(struct, 'tv_sec');
  const max = secField.size === 8 ? Number.MAX_SAFE_INTEGER : 0x7fffffff;
  if (!Number.isFinite(seconds) || seconds < 0 || seconds > max) {
    throw outOfRange('seconds', `a finite number >= 0 and <= ${max}`, seconds);
  }
  let sec = Math.floor(seconds);
  let usec = Math.round((seconds - sec) * 1e6);
  if (usec >= 1e6) { sec += 1; usec -= 1e6; }
  const b = Buffer.alloc(struct.size);
  writeInt(b, secField, sec);
  writeInt(b, field(struct, 'tv_usec'), usec);
  return b;
}

/** Unpacks a `struct timeval` into seconds (with the microseconds as a fraction). */
export function unpackTimeval(buf: Uint8Array): number {
  const struct = layout('timeval', 'unpackTimeval');
  const b = checkStruct(buf, 'timeval', struct.size);
  return readInt(b, field(struct, 'tv_sec')) + readInt(b, field(struct, 'tv_usec')) / 1e6;
}

// --- multicast memberships -------------------------------------------------------------------

/**
 * Packs a `struct ip_mreq` for IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP: the IPv4 `group` and the
 * address of the local interface to join it on (`'0.0.0.0'` or `''`: let the system choose).
 */
export function packIpMreq(group: string, iface = '0.0.0.0'): Buffer {
  const struct = layout('ip_mreq', 'packIpMreq');
  const b = Buffer.alloc(struct.size);
  ipv4Bytes(group, 'group').copy(b, field(struct, 'imr_multiaddr').offset);
  ipv4Bytes(iface, 'iface').copy(b, field(struct, 'imr_interface').offset);
  return b;
}

/**
 * Packs a `struct ip_mreqn` (Linux) for IP_ADD_MEMBERSHIP or IP_MULTICAST_IF: the `group`, a
 * local `address` and an interface index (0: any); the index wins over the address.
 */
export function packIpMreqn(group: string, address = '0.0.0.0', ifindex = 0): Buffer {
  const struct = layout('ip_mreqn', 'packIpMreqn');
  const b = Buffer.alloc(struct.size);
  ipv4Bytes(group, 'group').copy(b, field(struct, 'imr_multiaddr').offset);
  ipv4Bytes(address, 'address').copy(b, field(struct, 'imr_address').offset);
  writeInt(b, field(struct, 'imr_ifindex'), checkInt(ifindex, 'ifindex', 0));
  return b;
}

/** Packs a `struct ipv6_mreq` for IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP: the IPv6 `group` and an interface index (0: any). */
export function packIpv6Mreq(group: string, ifindex = 0): Buffer {
  const struct = layout('ipv6_mreq', 'packIpv6Mreq');
  const b = Buffer.alloc(struct.size);
  ipv6Bytes(group, 'group').copy(b, field(struct, 'ipv6mr_multiaddr').offset);
  writeInt(b, field(struct, 'ipv6mr_interface'), checkInt(ifindex, 'ifindex', 0, 0xffffffff), false);
  return b;
}

// --- credentials -----------------------------------------------------------------------------

/** `struct ucred` (Linux): SO_PEERCRED and SCM_CREDENTIALS. */
export interface Ucred {
  /** `pid`: the process ID of the peer (or sender). */
  pid: number;
  /** `uid`: the user ID of the peer (or sender). */
  uid: number;
  /** `gid`: the group ID of the peer (or sender). */
  gid: number;
}

/**
 * Unpacks a `struct ucred` (Linux): the `getsockopt(SOL_SOCKET, SO_PEERCRED, 12)` result or the
 * data of an SCM_CREDENTIALS message. macOS has a different `xucred` (LOCAL_PEERCRED) and no
 * ucred: there this throws a `SocketError` (ENOSYS).
 */
export function unpackUcred(buf: Uint8Array): Ucred {
  const struct = layout('ucred', 'unpackUcred');
  const b = checkStruct(buf, 'ucred', struct.size);
  return {
    pid: readInt(b, field(struct, 'pid')),
    uid: readInt(b, field(struct, 'uid'), false),
    gid: readInt(b, field(struct, 'gid'), false),
  };
}

/** Packs a `struct ucred` (Linux), e.g. the data of an SCM_CREDENTIALS message sent with sendmsg. */
export function packUcred(value: Ucred): Buffer {
  const struct = layout('ucred', 'packUcred');
  if (value === null || typeof value !== 'object') throw invalidArgType('value', 'an object { pid, uid, gid }', value);
  const b = Buffer.alloc(struct.size);
  writeInt(b, field(struct, 'pid'), checkInt(value.pid, 'pid', 0));
  writeInt(b, field(struct, 'uid'), checkInt(value.uid, 'uid', 0, 0xffffffff), false);
  writeInt(b, field(struct, 'gid'), checkInt(value.gid, 'gid', 0, 0xffffffff), false);
  return b;
}

// --- packet info -----------------------------------------------------------------------------

/** `struct in_pktinfo` (IP_PKTINFO): the interface a datagram came in on, the local address it was for, its header destination. */
export interface InPktinfo {
  /** ipi_ifindex: the index of the interface the datagram arrived on. */
  ifindex: number;
  /** ipi_spec_dst: the local address the datagram was routed to. */
  specDst: string;
  /** ipi_addr: the destination address in the IP header. */
  addr: string;
}

/** Unpacks the data of an IP_PKTINFO control message (`recvmsg` after `setsockopt(IPPROTO_IP, IP_PKTINFO, 1)`). */
export function unpackInPktinfo(buf: Uint8Array): InPktinfo {
  const struct = layout('in_pktinfo', 'unpackInPktinfo');
  const b = checkStruct(buf, 'in_pktinfo', struct.size);
  return {
    ifindex: readInt(b, field(struct, 'ipi_ifindex')),
    specDst: ntop(AF_INET, b, field(struct, 'ipi_spec_dst')),
    addr: ntop(AF_INET, b, field(struct, 'ipi_addr')),
  };
}

/** `struct in6_pktinfo` (IPV6_PKTINFO): the destination address and the interface index. */
export interface In6Pktinfo {
  /** ipi6_addr: the destination address of the datagram, as text. */
  addr: string;
  /** ipi6_ifindex: the index of the interface the datagram arrived on. */
  ifindex: number;
}

/** Unpacks the data of an IPV6_PKTINFO control message (`recvmsg` after `setsockopt(IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)`). */
export function unpackIn6Pktinfo(buf: Uint8Array): In6Pktinfo {
  const struct = layout('in6_pktinfo', 'unpackIn6Pktinfo');
  const b = checkStruct(buf, 'in6_pktinfo', struct.size);
  return { addr: ntop(AF_INET6, b, field(struct, 'ipi6_addr')), ifindex: readInt(b, field(struct, 'ipi6_ifindex'), false) };
}

// --- struct tcp_info (Linux) -------------------------------------------------------------------

/**
 * Linux `struct tcp_info` (TCP_INFO), with the C field names less their `tcpi_` prefix. Times are
 * in microseconds (rto, ato, rtt, rttvar, …) or milliseconds (last_*), as the kernel gives them.
 * Fields after the first 104 bytes arrived in later kernels; a field the returned prefix does
 * not cover is absent (undefined). 64-bit counters are numbers, exact below 2^53.
 */
export interface TcpInfo {
  /** tcpi_state: the TCP state (the kernel's TCP_ESTABLISHED = 1, TCP_SYN_SENT = 2, …, TCP_LISTEN = 10). */
  state: number;
  /** tcpi_ca_state: the congestion-control state (0 Open, 1 Disorder, 2 CWR, 3 Recovery, 4 Loss). */
  ca_state: number;
  /** tcpi_retransmits: consecutive retransmission timeouts of the current unacknowledged data. */
  retransmits: number;
  /** tcpi_probes: unanswered zero-window or keepalive probes sent. */
  probes: number;
  /** tcpi_backoff: the exponential backoff shift applied to the retransmission timeout. */
  backoff: number;
  /** tcpi_options: negotiated options, a TCPI_OPT_* bitmask (1 TIMESTAMPS, 2 SACK, 4 WSCALE, 8 ECN, 16 ECN_SEEN, 32 SYN_DATA, 64 USEC_TS). */
  options: number;
  /** tcpi_snd_wscale: the window scale shift the peer advertised (applied to the send window); 4-bit field. */
  snd_wscale: number;
  /** tcpi_rcv_wscale: the window scale shift this side advertised (applied to the receive window); 4-bit field. */
  rcv_wscale: number;
  /** tcpi_delivery_rate_app_limited: 1 if `delivery_rate` was measured while the application limited sending; 1-bit field. */
  delivery_rate_app_limited: number;
  /** tcpi_fastopen_client_fail: why TCP Fast Open failed on the client (0 unspecified, 1 no cookie, 2 SYN data not acked, 3 SYN retransmitted); 2-bit field. */
  fastopen_client_fail: number;
  /** tcpi_rto: the retransmission timeout, in microseconds. */
  rto: number;
  /** tcpi_ato: the delayed-ACK timeout, in microseconds. */
  ato: number;
  /** tcpi_snd_mss: the current sending maximum segment size, in bytes. */
  snd_mss: number;
  /** tcpi_rcv_mss: the estimated maximum segment size the peer sends, in bytes. */
  rcv_mss: number;
  /** tcpi_unacked: segments sent and not yet acknowledged (on a listening socket: the accept queue length). */
  unacked: number;
  /** tcpi_sacked: segments selectively acknowledged by SACK (on a listening socket: the backlog limit). */
  sacked: number;
  /** tcpi_lost: segments in flight considered lost. */
  lost: number;
  /** tcpi_retrans: retransmitted segments still in flight. */
  retrans: number;
  /** tcpi_fackets: forward-acknowledged segments; always 0 since Linux 4.15. */
  fackets: number;
  /** tcpi_last_data_sent: time since data was last sent, in milliseconds. */
  last_data_sent: number;
  /** tcpi_last_ack_sent: time since an ACK was last sent, in milliseconds; not maintained by Linux (always 0). */
  last_ack_sent: number;
  /** tcpi_last_data_recv: time since data was last received, in milliseconds. */
  last_data_recv: number;
  /** tcpi_last_ack_recv: time since an ACK was last received, in milliseconds. */
  last_ack_recv: number;
  /** tcpi_pmtu: the path MTU, in bytes. */
  pmtu: number;
  /** tcpi_rcv_ssthresh: the receive slow-start threshold (current window clamp), in bytes. */
  rcv_ssthresh: number;
  /** tcpi_rtt: the smoothed round-trip time, in microseconds. */
  rtt: number;
  /** tcpi_rttvar: the round-trip time mean deviation, in microseconds. */
  rttvar: number;
  /** tcpi_snd_ssthresh: the slow-start threshold, in segments (a huge value means not yet set). */
  snd_ssthresh: number;
  /** tcpi_snd_cwnd: the congestion window, in segments. */
  snd_cwnd: number;
  /** tcpi_advmss: the maximum segment size advertised to the peer, in bytes. */
  advmss: number;
  /** tcpi_reordering: the reordering degree the sender tolerates before fast retransmit, in segments. */
  reordering: number;
  /** tcpi_rcv_rtt: the receiver-side round-trip time estimate, in microseconds. */
  rcv_rtt: number;
  /** tcpi_rcv_space: the receive-buffer autotuning estimate of data received per RTT, in bytes. */
  rcv_space: number;
  /** tcpi_total_retrans: segments retransmitted over the life of the connection. */
  total_retrans: number;
  /** tcpi_pacing_rate: the current pacing rate, in bytes per second. */
  pacing_rate?: number;
  /** tcpi_max_pacing_rate: the SO_MAX_PACING_RATE limit, in bytes per second (all ones: unlimited). */
  max_pacing_rate?: number;
  /** tcpi_bytes_acked: bytes acknowledged by the peer (RFC 4898 tcpEStatsAppHCThruOctetsAcked). */
  bytes_acked?: number;
  /** tcpi_bytes_received: bytes received and acknowledged (RFC 4898 tcpEStatsAppHCThruOctetsReceived). */
  bytes_received?: number;
  /** tcpi_segs_out: segments sent, retransmissions included (RFC 4898 tcpEStatsPerfSegsOut). */
  segs_out?: number;
  /** tcpi_segs_in: segments received (RFC 4898 tcpEStatsPerfSegsIn). */
  segs_in?: number;
  /** tcpi_notsent_bytes: bytes in the send queue not yet sent. */
  notsent_bytes?: number;
  /** tcpi_min_rtt: the minimum round-trip time observed (windowed), in microseconds. */
  min_rtt?: number;
  /** tcpi_data_segs_in: segments received that carried data (RFC 4898 tcpEStatsDataSegsIn). */
  data_segs_in?: number;
  /** tcpi_data_segs_out: segments sent that carried data (RFC 4898 tcpEStatsDataSegsOut). */
  data_segs_out?: number;
  /** tcpi_delivery_rate: the most recent delivery rate estimate, in bytes per second. */
  delivery_rate?: number;
  /** tcpi_busy_time: time spent with data in flight, in microseconds. */
  busy_time?: number;
  /** tcpi_rwnd_limited: time sending was limited by the peer's receive window, in microseconds. */
  rwnd_limited?: number;
  /** tcpi_sndbuf_limited: time sending was limited by the send buffer, in microseconds. */
  sndbuf_limited?: number;
  /** tcpi_delivered: data segments delivered to the peer, retransmissions included. */
  delivered?: number;
  /** tcpi_delivered_ce: delivered data segments that the peer reported as ECN CE-marked. */
  delivered_ce?: number;
  /** tcpi_bytes_sent: data bytes sent, retransmissions included (RFC 4898 tcpEStatsPerfHCDataOctetsOut). */
  bytes_sent?: number;
  /** tcpi_bytes_retrans: data bytes retransmitted (RFC 4898 tcpEStatsPerfOctetsRetrans). */
  bytes_retrans?: number;
  /** tcpi_dsack_dups: duplicate segments reported by D-SACK (RFC 4898 tcpEStatsStackDSACKDups). */
  dsack_dups?: number;
  /** tcpi_reord_seen: reordering events detected. */
  reord_seen?: number;
  /** tcpi_rcv_ooopack: out-of-order packets received. */
  rcv_ooopack?: number;
  /** tcpi_snd_wnd: the peer's advertised receive window after scaling, in bytes. */
  snd_wnd?: number;
  /** tcpi_rcv_wnd: the receive window this side advertised after scaling, in bytes. */
  rcv_wnd?: number;
  /** tcpi_rehash: times the flow hash was changed (PLB or timeout-triggered path changes). */
  rehash?: number;
  /** tcpi_total_rto: retransmission timeouts over the life of the connection. */
  total_rto?: number;
  /** tcpi_total_rto_recoveries: recovery episodes begun by a retransmission timeout. */
  total_rto_recoveries?: number;
  /** tcpi_total_rto_time: total time spent in recoveries begun by a retransmission timeout, in milliseconds. */
  total_rto_time?: number;
}

type FieldType = 'u8' | 'u16' | 'u32' | 'u64';

/**
 * The documented Linux layout of `struct tcp_info` after its first 8 one-byte fields (two of which
 * hold bitfields): `[name, offset, type]`. Exported for tests that compare it with the C headers.
 */
export const tcpInfoLayout: ReadonlyArray<readonly [keyof TcpInfo, number, FieldType]> = Object.freeze(((): Array<[keyof TcpInfo, number, FieldType]> => {
  const out: Array<[keyof TcpInfo, number, FieldType]> = [];
  let offset = 0;
  const add = (type: FieldType, ...names: Array<keyof TcpInfo>): void => {
    const size = { u8: 1, u16: 2, u32: 4, u64: 8 }[type];
    for (const name of names) {
      offset = Math.ceil(offset / size) * size;
      out.push([name, offset, type]);
      offset += size;
    }
  };
  add('u8', 'state', 'ca_state', 'retransmits', 'probes', 'backoff', 'options');
  offset = 8;  // the two bitfield bytes: snd_wscale:4, rcv_wscale:4; delivery_rate_app_limited:1, fastopen_client_fail:2
  add('u32', 'rto', 'ato', 'snd_mss', 'rcv_mss', 'unacked', 'sacked', 'lost', 'retrans', 'fackets',
    'last_data_sent', 'last_ack_sent', 'last_data_recv', 'last_ack_recv',
    'pmtu', 'rcv_ssthresh', 'rtt', 'rttvar', 'snd_ssthresh', 'snd_cwnd', 'advmss', 'reordering',
    'rcv_rtt', 'rcv_space', 'total_retrans');
  add('u64', 'pacing_rate', 'max_pacing_rate', 'bytes_acked', 'bytes_received');
  add('u32', 'segs_out', 'segs_in', 'notsent_bytes', 'min_rtt', 'data_segs_in', 'data_segs_out');
  add('u64', 'delivery_rate', 'busy_time', 'rwnd_limited', 'sndbuf_limited');
  add('u32', 'delivered', 'delivered_ce');
  add('u64', 'bytes_sent', 'bytes_retrans');
  add('u32', 'dsack_dups', 'reord_seen', 'rcv_ooopack', 'snd_wnd', 'rcv_wnd', 'rehash');
  add('u16', 'total_rto', 'total_rto_recoveries');
  add('u32', 'total_rto_time');
  return out;
})());

/**
 * Unpacks what `getsockopt(IPPROTO_TCP, TCP_INFO, structSizes.tcp_info)` returned on Linux: every
 * field the returned prefix covers. macOS has a different `tcp_connection_info`; there this
 * throws a `SocketError` (ENOSYS).
 */
export function unpackTcpInfo(buf: Uint8Array): TcpInfo {
  if (!LINUX) throw unavailable('unpackTcpInfo');
  const b = checkStruct(buf, 'tcp_info', 104);
  const wscale = b[6];
  const bits = b[7];
  const info: Record<string, number> = {};
  for (const [name, offset, type] of tcpInfoLayout) {
    const size = { u8: 1, u16: 2, u32: 4, u64: 8 }[type];
    if (offset + size > b.length) break;
    info[name] = type === 'u8' ? b[offset] : type === 'u16' ? readU16(b, offset)
      : type === 'u32' ? readU32(b, offset) : readU64(b, offset);
  }
  // GCC allocates bitfields from the least significant bit on little-endian targets, from the
  // most significant on big-endian ones.
  if (LITTLE_ENDIAN) {
    info.snd_wscale = wscale & 0x0f;
    info.rcv_wscale = wscale >> 4;
    info.delivery_rate_app_limited = bits & 1;
    info.fastopen_client_fail = (bits >> 1) & 3;
  } else {
    info.snd_wscale = wscale >> 4;
    info.rcv_wscale = wscale & 0x0f;
    info.delivery_rate_app_limited = bits >> 7;
    info.fastopen_client_fail = (bits >> 5) & 3;
  }
  return info as unknown as TcpInfo;
}
