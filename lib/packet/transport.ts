// What UDP, TCP and ICMPv6 checksums need of the IP header under them.
import { ipBytes } from './view';

/** The IP header under a segment, for its pseudo-header checksum: a decoded header, or addresses. */
export interface PseudoHeaderSource {
  /** The unfolded pseudo-header sum of the upper layer's protocol and `length`. */
  pseudoHeaderSum(length?: number): number;
}

/** Source and destination given by hand (text or bytes), both IPv4 or both IPv6. */
export interface Endpoints {
  /** Source address. */
  src: string | Uint8Array;
  /** Destination address. */
  dst: string | Uint8Array;
}

/** The two addresses of `endpoints` as bytes, 4 or 16 each, chosen by the form of `src`. */
export function endpointBytes(endpoints: Endpoints, field: string): [Uint8Array, Uint8Array] {
  const v6 = typeof endpoints.src === 'string' ? endpoints.src.includes(':') : endpoints.src.length === 16;
  const size = v6 ? 16 : 4;
  return [ipBytes(endpoints.src, size, `${field}.src`), ipBytes(endpoints.dst, size, `${field}.dst`)];
}
