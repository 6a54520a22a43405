// The extended errors of Linux's socket error queue: with IP_RECVERR (or IPV6_RECVERR) set, an
// ICMP error about a datagram we sent is queued on our socket; recvmsg(..., MSG_ERRQUEUE) gives it
// as a control message holding a `struct sock_extended_err` and, after it, the offender's address.
import * as os from 'node:os';
import { AF_INET, AF_INET6 } from '../binding/constants';
import { ipv4Text, ipv6Text, malformed } from './view';

/*
 * The layout is the kernel's uapi (linux/errqueue.h): fixed-width fields, naturally aligned, no
 * padding, so the same on every architecture, in host byte order. It is not in the build's struct
 * table (native/names/structs.txt), hence these offsets, written once here:
 *   u32 ee_errno; u8 ee_origin, ee_type, ee_code, ee_pad; u32 ee_info; u32 ee_data;
 * SO_EE_OFFENDER(ee) is the struct sockaddr right after it, at sizeof(struct sock_extended_err).
 */
const SIZE = 16;
const LE = os.endianness() === 'LE';

/** One queued error: `struct sock_extended_err` and its offender. */
export interface ExtendedError {
  /** The error number (`EHOSTUNREACH` for a TTL that expired, `ECONNREFUSED` for a closed port…). */
  errno: number;
  /** Where it came from: `SO_EE_ORIGIN_ICMP`, `SO_EE_ORIGIN_ICMP6`, `SO_EE_ORIGIN_LOCAL`… */
  origin: number;
  /** The ICMP (or ICMPv6) type, for an ICMP origin. */
  type: number;
  /** The ICMP (or ICMPv6) code, for an ICMP origin. */
  code: number;
  /** `ee_info`: the next-hop MTU of a "fragmentation needed", for instance. */
  info: number;
  /** `ee_data`. */
  data: number;
  /** Who sent the error (`SO_EE_OFFENDER`): the router or host that sent the ICMP message; null when none is given. */
  offender: string | null;
}

/**
 * Decodes the data of an `IP_RECVERR` or `IPV6_RECVERR` control message (as `recvmsg` gives it with
 * `MSG_ERRQUEUE`). A message too short for the struct or for its offender's address is a
 * `RangeError` naming the field.
 */
export function decodeExtendedError(data: Uint8Array): ExtendedError {
  if (!(data instanceof Uint8Array)) throw new TypeError('sock_extended_err: the data must be a Uint8Array');
  if (data.length < SIZE) throw malformed('sock_extended_err.length', `at least ${SIZE} bytes`, data.length);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return {
    errno: view.getUint32(0, LE),
    origin: data[4],
    type: data[5],
    code: data[6],
    info: view.getUint32(8, LE),
    data: view.getUint32(12, LE),
    offender: offender(data, view),
  };
}

/** The address of the sockaddr after the struct: sin_addr at 4, sin6_addr at 8 (family first, in host order). */
function offender(data: Uint8Array, view: DataView): string | null {
  if (data.length < SIZE + 2) return null;
  const family = view.getUint16(SIZE, LE);
  const [at, length] = family === AF_INET ? [SIZE + 4, 4] : family === AF_INET6 ? [SIZE + 8, 16] : [0, 0];
  if (length === 0) return null;  // AF_UNSPEC: no offender (a local error)
  if (data.length < at + length) throw malformed('sock_extended_err.offender', `at least ${at + length} bytes`, data.length);
  return length === 4 ? ipv4Text(data, at) : ipv6Text(data, at);
}
