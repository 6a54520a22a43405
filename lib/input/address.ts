// Socket addresses: validation of the JavaScript shapes (API.md, "Addresses"), name resolution, and
// conversion to and from the native address blobs that system calls take.
import { native } from '../binding/native';
import type { StructLayout } from '../binding/native';
import { SocketError } from '../binding/errors';
import type { AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, AF_UNIX } from '../binding/constants';
import { getaddrinfo, getaddrinfoSync } from './resolve';
import { badPort, checkInt, invalidArgType, invalidArgValue, outOfRange } from './validate';

const C = native.constants;

/** `[host, port]`: host '' is any address, '<broadcast>' the broadcast address. */
export type InetAddress = [host: string, port: number];
/** `[host, port, flowinfo, scopeId]`; `[host, port]` is accepted too. */
export type Inet6Address = [host: string, port: number, flowinfo?: number, scopeId?: number];
/** `[ifname, proto, pkttype?, hatype?, addr?]`, proto in host byte order (Linux). */
export type PacketAddress = [ifname: string, proto: number, pkttype?: number, hatype?: number, addr?: Uint8Array];
/** `[pid, groups]` (Linux). */
export type NetlinkAddress = [pid: number, groups: number];
/** A Unix path, or (Linux) an abstract name: a Buffer or a string starting with '\0'. */
export type UnixAddress = string | Uint8Array;
/** Any address given to a socket call. */
export type Address = InetAddress | Inet6Address | PacketAddress | NetlinkAddress | UnixAddress;
/** An AF_INET address as calls return it. */
export type ReturnedInetAddress = [host: string, port: number];
/** An AF_INET6 address as calls return it: all four fields. */
export type ReturnedInet6Address = [host: string, port: number, flowinfo: number, scopeId: number];
/** An AF_UNIX address as calls return it: a path ('' for an unnamed socket), or an abstract name as a Buffer. */
export type ReturnedUnixAddress = string | Buffer;
/** An AF_PACKET address as calls return it: all five fields. */
export type ReturnedPacketAddress = [ifname: string, proto: number, pkttype: number, hatype: number, addr: Buffer];
/** What calls return: shapes as above; `[family, data]` for other families; `null` where the system gave no address. */
export type ReturnedAddress =
  | ReturnedInetAddress
  | ReturnedInet6Address
  | ReturnedPacketAddress
  | NetlinkAddress
  | [family: number, data: Buffer]
  | ReturnedUnixAddress
  | null;

/**
 * The address that a socket of family `F` takes (bind, connect, sendto…): its family's shape, or
 * any shape when the family is a plain `number`.
 */
export type AddressOf<F extends number> =
  F extends AF_INET ? InetAddress
    : F extends AF_INET6 ? Inet6Address
      : F extends AF_UNIX ? UnixAddress
        : F extends AF_PACKET ? PacketAddress
          : F extends AF_NETLINK ? NetlinkAddress
            : Address;

/** The address that a socket of family `F` returns (getsockname, getpeername, accept). */
export type ReturnedAddressOf<F extends number> =
  F extends AF_INET ? ReturnedInetAddress
    : F extends AF_INET6 ? ReturnedInet6Address
      : F extends AF_UNIX ? ReturnedUnixAddress
        : F extends AF_PACKET ? ReturnedPacketAddress
          : F extends AF_NETLINK ? NetlinkAddress
            : ReturnedAddress;

/**
 * The sender's address that recvfrom, recvmsg and recvmmsg give on a socket of family `F`: `null`
 * where the system gives none, as Python's None: an unnamed Unix sender, a socketpair, a connected
 * stream socket (TCP included).
 */
export type ReceivedAddressOf<F extends number> = ReturnedAddressOf<F> | null;

export function newBlob(): Buffer {
  return Buffer.alloc(native.addrBlobSize);
}

/**
 * The address in a blob that a system call filled. An unnamed Unix peer is '' (API.md); no address
 * at all (addrlen 0, e.g. recvfrom on a connected stream) is null, as Python's None.
 */
export function fromBlob<F extends number>(blob: Buffer, family: F, offset?: number): ReturnedAddressOf<F>;
export function fromBlob(blob: Buffer, _family?: number, offset = 0): ReturnedAddress {
  if (isInet(blob, offset)) return inetFrom(blob, offset);
  const whole = offset === 0 ? blob : blob.subarray(offset, offset + native.addrBlobSize);
  return native.unpack(whole) as ReturnedAddress;
}

// IPv4 senders are the hot case (a UDP receive loop): their sockaddr_in is read here, without a
// native call, at the offsets the build took from the C headers (native.sockaddrIn): sin_family in
// the machine's byte order (one byte after sin_len on macOS and the BSDs, two bytes on Linux), then
// sin_port and sin_addr in network order.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const SOCKADDR = 4;  // the blob's uint32 length comes first (addresses.h)
const SIN = inetOffsets(native.sockaddrIn);

/** @internal Where sin_family, sin_port and sin_addr are in a layout (exported for tests of other layouts). */
export function inetOffsets(layout: StructLayout): { family: number; familySize: number; port: number; addr: number; size: number } {
  const at = (name: string): { offset: number; size: number } => {
    const field = layout.fields[name];
    if (field === undefined) throw new Error(`the addon's sockaddr_in layout lacks ${name}`);
    return field;
  };
  const family = at('sin_family');
  return { family: family.offset, familySize: family.size, port: at('sin_port').offset, addr: at('sin_addr').offset, size: layout.size };
}

/** @internal The family in a sockaddr at `at`, read as the layout says (exported for tests of other layouts). */
export function familyAt(blob: Uint8Array, at: number, sin = SIN): number {
  const a = blob[at + sin.family];
  if (sin.familySize === 1) return a;
  const b = blob[at + sin.family + 1];
  return LITTLE_ENDIAN ? a | (b << 8) : (a << 8) | b;
}

function isInet(blob: Buffer, offset: number): boolean {
  const length = LITTLE_ENDIAN ? blob.readUInt32LE(offset) : blob.readUInt32BE(offset);
  return length >= SIN.addr + 4 && familyAt(blob, offset + SOCKADDR) === C.AF_INET;
}

// The host string of the last IPv4 address read: a receive loop mostly hears the same senders.
let lastInet = -1;
let lastInetHost = '';

function inetFrom(blob: Buffer, offset: number): [string, number] {
  const a = offset + SOCKADDR + SIN.addr;
  const p = offset + SOCKADDR + SIN.port;
  const bits = ((blob[a] << 24) | (blob[a + 1] << 16) | (blob[a + 2] << 8) | blob[a + 3]) >>> 0;
  if (bits !== lastInet) {
    lastInetHost = `${blob[a]}.${blob[a + 1]}.${blob[a + 2]}.${blob[a + 3]}`;
    lastInet = bits;
  }
  return [lastInetHost, (blob[p] << 8) | blob[p + 1]];
}

// A host that is not a literal address is resolved with getaddrinfo for the socket's family.
function resolveSync(host: string, family: number): string {
  return getaddrinfoSync(host, null, family)[0][4][0];
}

async function resolveAsync(host: string, family: number): Promise<string> {
  return (await getaddrinfo(host, null, family))[0][4][0];
}

function checkPort(port: unknown): number {
  if (typeof port !== 'number') throw invalidArgType('port', 'of type number', port);
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw badPort('Port', port);
  return port;
}

function checkTuple(address: unknown, min: number, max: number, shape: string): unknown[] {
  if (!Array.isArray(address) || address.length < min || address.length > max) {
    throw invalidArgType('address', `an array ${shape}`, address);
  }
  return address;
}

function checkHost(host: unknown): string {
  if (typeof host !== 'string') throw invalidArgType('host', 'of type string', host);
  if (host.includes('\0')) throw invalidArgValue('host', host, 'must not contain null bytes');
  return host;
}

interface Parsed {
  family: number;
  /** Packs into blob; -EINVAL means the host is a name to resolve first. */
  pack(blob: Buffer, host?: string): number;
  host?: string;
}

function parseInet(address: unknown): Parsed {
  const [host, port] = checkTuple(address, 2, 2, '[host, port]');
  const h = checkHost(host);
  const p = checkPort(port);
  return { family: C.AF_INET, host: h, pack: (blob, literal = h) => native.packInet(literal, p, blob) };
}

function parseInet6(address: unknown): Parsed {
  const [host, port, flowinfo = 0, scopeId = 0] = checkTuple(address, 2, 4, '[host, port, flowinfo?, scopeId?]');
  const h = checkHost(host);
  const p = checkPort(port);
  const f = checkInt(flowinfo, 'flowinfo', 0, 0xfffff);
  const s = checkInt(scopeId, 'scopeId', 0, 0xffffffff);
  return { family: C.AF_INET6, host: h, pack: (blob, literal = h) => native.packInet6(literal, p, f, s, blob) };
}

function unixPathBytes(address: unknown): Buffer {
  let bytes: Buffer;
  if (typeof address === 'string') {
    if (address.indexOf('\0', 1) !== -1 && address[0] !== '\0') {
      throw invalidArgValue('address', address, 'must not contain null bytes');
    }
    bytes = Buffer.from(address, 'utf8');
  } else if (address instanceof Uint8Array) {
    bytes = Buffer.from(address.buffer, address.byteOffset, address.byteLength);
  } else {
    throw invalidArgType('address', 'of type string or an instance of Buffer or Uint8Array', address);
  }
  if (bytes.length > native.sunPathMax) throw outOfRange('address', `at most ${native.sunPathMax} bytes long`, address);
  return bytes;
}

function parseUnix(address: unknown): Parsed {
  const bytes = unixPathBytes(address);
  return { family: C.AF_UNIX, pack: (blob) => native.packUnix(bytes, blob) };
}

function parsePacket(address: unknown): Parsed {
  const [ifname, proto, pkttype = 0, hatype = 0, addr = Buffer.alloc(0)] =
    checkTuple(address, 2, 5, '[ifname, proto, pkttype?, hatype?, addr?]');
  if (typeof ifname !== 'string') throw invalidArgType('ifname', 'of type string', ifname);
  const p = checkInt(proto, 'proto', 0, 0xffff);
  const t = checkInt(pkttype, 'pkttype', 0, 0xff);
  const h = checkInt(hatype, 'hatype', 0, 0xffff);
  if (!(addr instanceof Uint8Array)) throw invalidArgType('addr', 'an instance of Buffer or Uint8Array', addr);
  if (addr.length > 8) throw outOfRange('addr', 'at most 8 bytes long', addr.length);
  return { family: C.AF_PACKET, pack: (blob) => native.packPacket!(ifname, p, t, h, addr, blob) };
}

function parseNetlink(address: unknown): Parsed {
  const [pid, groups] = checkTuple(address, 2, 2, '[pid, groups]');
  const p = checkInt(pid, 'pid', 0, 0xffffffff);
  const g = checkInt(groups, 'groups', 0, 0xffffffff);
  return { family: C.AF_NETLINK, pack: (blob) => native.packNetlink!(p, g, blob) };
}

function parse(family: number, address: unknown, syscall: string): Parsed {
  switch (family) {
    case C.AF_INET: return parseInet(address);
    case C.AF_INET6: return parseInet6(address);
    case C.AF_UNIX: return parseUnix(address);
    default:
      if (family === C.AF_PACKET && native.packPacket) return parsePacket(address);
      if (family === C.AF_NETLINK && native.packNetlink) return parseNetlink(address);
      throw new SocketError(native.errnoNames.EAFNOSUPPORT, syscall, address,
        `${syscall}: addresses of family ${family} are not supported`);
  }
}

/** An address that cannot be packed (an unknown interface: ENODEV) fails as the call that was given it. */
function packFailed(result: number, syscall: string, address: unknown): SocketError {
  return new SocketError(-result, syscall, address);
}

// Literal addresses repeat (sendto in a loop): keep their packed blobs. Bounded, cleared when full.
const cache = new Map<string, Buffer>();
const CACHE_LIMIT = 512;

// The key keeps the shape (JSON quotes strings and brackets arrays): 'h 80' and ['h 80'] must not
// find the blob of ['h', 80], or a cache hit would skip the validation of a wrong shape.
function cacheKey(family: number, address: unknown): string | undefined {
  if (Array.isArray(address) && address.length <= 4 && typeof address[0] === 'string' &&
      address.slice(1).every((n) => Number.isInteger(n))) {
    return `${family} ${JSON.stringify(address)}`;
  }
  if (typeof address === 'string') return `${family} ${JSON.stringify(address)}`;
  return undefined;
}

// The last literal [host, port] packed; compared by value, so a reused, changed array is safe.
const last: { family: number; host: unknown; port: unknown; blob?: Buffer } = { family: -1, host: undefined, port: undefined };

function remember(key: string | undefined, blob: Buffer, family: number, address: unknown): Buffer {
  if (Array.isArray(address) && address.length === 2 && typeof address[1] === 'number') {
    last.family = family;
    last.host = address[0];
    last.port = address[1];
    last.blob = blob;
  }
  if (key !== undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, blob);
  }
  return blob;
}

/** An address whose host is a name: pack it once the name is resolved to a literal. */
export interface NamedAddress {
  host: string;
  finish(literal: string): Buffer;
}

/**
 * Validates `address` for `family` and packs it if it is cached or literal; a host name comes back
 * as a NamedAddress to resolve. A blob returned must not be modified (it may be cached). Errors
 * name `syscall`, the call the address was given to.
 */
export function packAddress(family: number, address: unknown, syscall: string): Buffer | NamedAddress {
  // The same [host, port] as last time (a sendto loop): no key to build.
  if (Array.isArray(address) && address.length === 2 && family === last.family &&
      address[0] === last.host && address[1] === last.port) return last.blob!;
  const key = cacheKey(family, address);
  const cached = key === undefined ? undefined : cache.get(key);
  if (cached) return cached;
  const parsed = parse(family, address, syscall);
  const blob = newBlob();
  const r = parsed.pack(blob);
  if (r === -native.errnoNames.EINVAL && parsed.host !== undefined) {
    return {
      host: parsed.host,
      finish(literal: string): Buffer {  // names are resolved anew each time, as Python does
        const again = parsed.pack(blob, literal);
        if (again < 0) throw packFailed(again, syscall, address);
        return blob;
      },
    };
  }
  if (r < 0) throw packFailed(r, syscall, address);
  return remember(key, blob, family, address);
}

/** Validates and packs `address`, resolving a host name with a blocking getaddrinfo. */
export function toBlobSync(family: number, address: unknown, syscall: string): Buffer {
  const packed = packAddress(family, address, syscall);
  return Buffer.isBuffer(packed) ? packed : packed.finish(resolveSync(packed.host, family));
}

/** As toBlobSync, but a host name is resolved without blocking the event loop. */
export async function toBlobAsync(family: number, address: unknown, syscall: string): Promise<Buffer> {
  const packed = packAddress(family, address, syscall);
  return Buffer.isBuffer(packed) ? packed : packed.finish(await resolveAsync(packed.host, family));
}
