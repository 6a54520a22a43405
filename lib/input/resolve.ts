// Names and numbers: getaddrinfo/getnameinfo (native/resolution.cc), the gethostby* family
// (native/hosts.cc), the host name, services and protocols (native/netdb.cc).
// Lookups that may wait come in two forms: `op()` runs the C call on the libuv thread pool and
// returns a Promise, `opSync()` blocks the calling thread, as Python does. Failures become
// GaiError (EAI_*), HostError (h_errno) or SocketError here, in one place.
import { domainToASCII } from 'node:url';
import { native, type Blob, type GaiArgs, type LookupFailure, type NativeAddrInfo, type NativeHostEntry } from '../binding/native';
import { E, GaiError, HostError, SocketError, socketError, check } from '../binding/errors';
import { badPort, checkConstant, checkInt, invalidArgType, invalidArgValue } from './validate';

/** An IPv4 `[host, port]` or IPv6 `[host, port, flowinfo, scopeId]` address, as getaddrinfo returns it. */
export type AddrInfoAddress = [host: string, port: number] | [host: string, port: number, flowinfo: number, scopeId: number];

/** One getaddrinfo result: `[family, type, proto, canonname, address]`. */
export type AddrInfo = [family: number, type: number, proto: number, canonname: string, address: AddrInfoAddress];

/** A gethostbyname_ex/gethostbyaddr result: `[name, aliases, addresses]`. */
export type HostEntry = [name: string, aliases: string[], addresses: string[]];

const C = native.constants;

// EAI_* and h_errno values -> names. Where two EAI names share a value, EAI_NONAME wins.
const gaiNames = new Map<number, string>();
for (const [name, value] of Object.entries(C)) {
  if (name.startsWith('EAI_') && (!gaiNames.has(value) || name === 'EAI_NONAME')) gaiNames.set(value, name);
}
const hostErrorNames = new Map<number, string>();
for (const [name, value] of Object.entries(native.hostErrorNames)) hostErrorNames.set(value, name);

/** The typed error for a failed lookup. */
function lookupError(failure: LookupFailure, syscall: string, address?: unknown): Error {
  if (failure.gai !== undefined) {
    // As Python: EAI_SYSTEM means "look at errno", so it becomes an ordinary OS error.
    if (failure.gai === C.EAI_SYSTEM && failure.errno) return socketError(failure.errno, syscall, address);
    const code = gaiNames.get(failure.gai) ?? 'EAI_UNKNOWN';
    return new GaiError(failure.gai, code, native.gaiStrerror(failure.gai), syscall, address);
  }
  if (failure.herror !== undefined) {
    const code = hostErrorNames.get(failure.herror) ?? 'NO_RECOVERY';
    return new HostError(failure.herror, code, native.hstrerror(failure.herror), syscall, address);
  }
  if (failure.message !== undefined) return new SocketError(E.EINVAL, syscall, address, failure.message);
  return socketError(failure.errno ?? E.EINVAL, syscall, address);
}

function checkNoNul(value: string, name: string): string {
  if (value.includes('\0')) throw invalidArgValue(name, value, 'must be a string without null bytes');
  return value;
}

/** A host name as the resolver wants it: non-ASCII names are IDNA-encoded, as Python does. */
function encodeHost(value: unknown, name: string): string {
  if (typeof value !== 'string') throw invalidArgType(name, 'of type string', value);
  checkNoNul(value, name);
  if (/^[\x00-\x7f]*$/.test(value)) return value;
  const ascii = domainToASCII(value);
  if (ascii === '') throw invalidArgValue(name, value, 'is not a valid host name');
  return ascii;
}

function checkPort(value: unknown, name: string): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw badPort(name, value);
  return value;
}

/** getaddrinfo's arguments; `given` counts those passed, so that an explicit undefined constant is a TypeError. */
function gaiArgs(given: number, host: unknown, port: unknown, family: unknown, type: unknown, proto: unknown, flags: unknown): GaiArgs {
  if (host !== null && typeof host !== 'string') throw invalidArgType('host', 'of type string or null', host);
  const h = host === null ? null : encodeHost(host, 'host');
  let p: string | null;
  if (port === null || port === undefined) p = null;
  else if (typeof port === 'number') p = String(checkPort(port, 'port'));
  else if (typeof port === 'string') p = checkNoNul(port, 'port');
  else throw invalidArgType('port', 'of type number, string or null', port);
  return [h, p, checkConstant(family, 'family', 0, given > 2), checkConstant(type, 'type', 0, given > 3),
    checkConstant(proto, 'proto', 0, given > 4), checkConstant(flags, 'flags', 0, given > 5)];
}

function addrInfoResult(raw: NativeAddrInfo[] | LookupFailure, host: string | null): AddrInfo[] {
  if (!Array.isArray(raw)) throw lookupError(raw, 'getaddrinfo', host ?? undefined);
  return raw.map(([family, type, proto, canonname, blob]) =>
    [family, type, proto, canonname, native.unpack(blob) as AddrInfoAddress]);
}

/**
 * Resolves `host` and `port` to socket addresses, off the event loop thread, as getaddrinfo(3).
 * `host` is a name, a literal address or null; `port` a number, a service name, a numeric string or null.
 */
export async function getaddrinfo(host: string | null, port: number | string | null,
  family?: number, type?: number, proto?: number, flags?: number): Promise<AddrInfo[]> {
  const args = gaiArgs(arguments.length, host, port, family, type, proto, flags);
  return addrInfoResult(await native.getaddrinfoAsync(...args), args[0]);
}

/** The blocking form of {@link getaddrinfo}. */
export function getaddrinfoSync(host: string | null, port: number | string | null,
  family?: number, type?: number, proto?: number, flags?: number): AddrInfo[] {
  const args = gaiArgs(arguments.length, host, port, family, type, proto, flags);
  return addrInfoResult(native.getaddrinfoSync(...args), args[0]);
}

/** An address for getnameinfo: `[host, port]` or `[host, port, flowinfo, scopeId]`, host a numeric literal. */
export type NameInfoAddress = [host: string, port: number, flowinfo?: number, scopeId?: number];

/** Python's way: the numeric host is parsed by getaddrinfo(AI_NUMERICHOST) into one sockaddr. */
function nameInfoBlob(address: unknown, flags: unknown): Blob {
  if (!Array.isArray(address)) throw invalidArgType('address', 'an array [host, port, flowinfo?, scopeId?]', address);
  if (address.length < 2 || address.length > 4) {
    throw invalidArgValue('address', address, 'must be [host, port] or [host, port, flowinfo, scopeId]');
  }
  const [host, port, flowinfo = 0, scopeId = 0] = address as unknown[];
  if (typeof host !== 'string') throw invalidArgType('address[0]', 'of type string', host);
  checkNoNul(host, 'address[0]');
  checkPort(port, 'address[1]');
  checkInt(flowinfo, 'address[2]', 0, 0xfffff);
  checkInt(scopeId, 'address[3]', 0, 0xffffffff);
  checkInt(flags, 'flags');
  const raw = native.getaddrinfoSync(host, String(port), C.AF_UNSPEC, C.SOCK_DGRAM, 0, C.AI_NUMERICHOST);
  if (!Array.isArray(raw)) throw lookupError(raw, 'getnameinfo', address);
  if (raw.length !== 1) {
    throw new SocketError(E.EINVAL, 'getnameinfo', address, 'sockaddr resolved to multiple addresses');
  }
  const [family, , , , blob] = raw[0];
  if (family === C.AF_INET) {
    if (address.length !== 2) throw invalidArgValue('address', address, 'must be [host, port] for an IPv4 address');
    return blob;
  }
  if (family === C.AF_INET6) {
    const [text, portNumber] = native.unpack(blob) as AddrInfoAddress;
    check(native.packInet6(text, portNumber, flowinfo as number, scopeId as number, blob), 'getnameinfo', address);
    return blob;
  }
  throw new SocketError(E.EAFNOSUPPORT, 'getnameinfo', address);
}

function nameInfoResult(raw: [host: string, port: string] | LookupFailure, address: unknown): [string, string] {
  if (!Array.isArray(raw)) throw lookupError(raw, 'getnameinfo', address);
  return raw;
}

/** Translates a numeric address to `[host, port]` (port as a service name or numeric string), as getnameinfo(3), off the event loop thread. */
export async function getnameinfo(address: NameInfoAddress, flags: number): Promise<[host: string, port: string]> {
  const blob = nameInfoBlob(address, flags);
  return nameInfoResult(await native.getnameinfoAsync(blob, flags), address);
}

/** The blocking form of {@link getnameinfo}. */
export function getnameinfoSync(address: NameInfoAddress, flags: number): [host: string, port: string] {
  return nameInfoResult(native.getnameinfoSync(nameInfoBlob(address, flags), flags), address);
}

/** The host name of this machine. */
export function gethostname(): string {
  const result = native.gethostname();
  if (typeof result === 'number') throw socketError(-result, 'gethostname');
  return result;
}

/**
 * Sets this machine's host name (in the caller's UTS namespace), as Python's `socket.sethostname`;
 * `name` is text (UTF-8) or bytes.
 * @throws PermissionError (EPERM) without the privilege; SocketError EINVAL for a name too long; TypeError
 *   (`ERR_INVALID_ARG_VALUE`) for text with a NUL byte (bytes go as given, as in Python).
 */
export function sethostname(name: string | Uint8Array): void {
  let bytes: Uint8Array;
  if (typeof name === 'string') bytes = Buffer.from(checkNoNul(name, 'name'), 'utf8');  // as Python: a NUL is ValueError
  else if (name instanceof Uint8Array) bytes = Buffer.from(name);
  else throw invalidArgType('name', 'of type string or an instance of Buffer or Uint8Array', name);
  check(native.sethostname(bytes), 'sethostname');
}

function hostByNameResult(raw: string | LookupFailure, name: string): string {
  if (typeof raw !== 'string') throw lookupError(raw, 'gethostbyname', name);
  return raw;
}

/** Resolves `name` to one IPv4 address in text form ('' gives `'0.0.0.0'`), off the event loop thread; failures are `GaiError`. */
export async function gethostbyname(name: string): Promise<string> {
  const host = encodeHost(name, 'name');
  return hostByNameResult(await native.gethostbynameAsync(host), host);
}

/** The blocking form of {@link gethostbyname}. */
export function gethostbynameSync(name: string): string {
  const host = encodeHost(name, 'name');
  return hostByNameResult(native.gethostbynameSync(host), host);
}

function hostEntryResult(raw: NativeHostEntry | LookupFailure, syscall: string, name: string): HostEntry {
  if (!Array.isArray(raw)) throw lookupError(raw, syscall, name);
  return raw;
}

/** Resolves `name` to `[name, aliases, IPv4 addresses]`, off the event loop thread; failures are `HostError` (or `GaiError`). */
export async function gethostbynameEx(name: string): Promise<HostEntry> {
  const host = encodeHost(name, 'name');
  return hostEntryResult(await native.gethostbynameExAsync(host), 'gethostbyname', host);
}

/** The blocking form of {@link gethostbynameEx}. */
export function gethostbynameExSync(name: string): HostEntry {
  const host = encodeHost(name, 'name');
  return hostEntryResult(native.gethostbynameExSync(host), 'gethostbyname', host);
}

/** Looks up the host entry `[name, aliases, addresses]` of an address (IPv4 or IPv6, or a name, which is resolved first), off the event loop thread. */
export async function gethostbyaddr(ip: string): Promise<HostEntry> {
  const host = encodeHost(ip, 'ip');
  return hostEntryResult(await native.gethostbyaddrAsync(host), 'gethostbyaddr', host);
}

/** The blocking form of {@link gethostbyaddr}. */
export function gethostbyaddrSync(ip: string): HostEntry {
  const host = encodeHost(ip, 'ip');
  return hostEntryResult(native.gethostbyaddrSync(host), 'gethostbyaddr', host);
}

/** Python's choice in getfqdn(): the first of name and aliases that has a dot, else the name. */
function fullyQualified(entry: HostEntry): string {
  const [hostname, aliases] = entry;
  return [hostname, ...aliases].find((n) => n.includes('.')) ?? hostname;
}

/** getfqdn's name: the host's own name for '', '0.0.0.0' and '::', as Python's. */
function fqdnQuery(name: unknown): string {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  const trimmed = name.trim();
  return trimmed === '' || trimmed === '0.0.0.0' || trimmed === '::' ? gethostname() : trimmed;
}

/**
 * A fully qualified domain name for `name` (this host if empty), as Python's `socket.getfqdn`:
 * gethostbyaddr(name)'s name or the first alias with a dot; `name` itself if the lookup fails.
 */
export async function getfqdn(name = ''): Promise<string> {
  const query = fqdnQuery(name);
  try {
    return fullyQualified(await gethostbyaddr(query));
  } catch (error) {
    if (error instanceof SocketError) return query;
    throw error;
  }
}

/** The blocking form of {@link getfqdn}. */
export function getfqdnSync(name = ''): string {
  const query = fqdnQuery(name);
  try {
    return fullyQualified(gethostbyaddrSync(query));
  } catch (error) {
    if (error instanceof SocketError) return query;
    throw error;
  }
}

function optionalProto(proto: unknown): string | null {
  if (proto === undefined || proto === null) return null;
  if (typeof proto !== 'string') throw invalidArgType('proto', 'of type string', proto);
  return checkNoNul(proto, 'proto');
}

/** The port number of service `name` (for protocol `proto`, such as `'tcp'`, if given), from the services database. */
export function getservbyname(name: string, proto?: string | null): number {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  checkNoNul(name, 'name');
  const result = native.getservbyname(name, optionalProto(proto));
  if (result < 0) throw new SocketError(E.ENOENT, 'getservbyname', name, 'service/proto not found');
  return result;
}

/** The service name of `port` (for protocol `proto`, if given), from the services database. */
export function getservbyport(port: number, proto?: string | null): string {
  checkPort(port, 'port');
  const result = native.getservbyport(port, optionalProto(proto));
  if (typeof result === 'number') throw new SocketError(E.ENOENT, 'getservbyport', port, 'port/proto not found');
  return result;
}

/** The number of protocol `name` (such as `'tcp'`), from the protocols database, for `socket()`'s `proto`. */
export function getprotobyname(name: string): number {
  if (typeof name !== 'string') throw invalidArgType('name', 'of type string', name);
  checkNoNul(name, 'name');
  const result = native.getprotobyname(name);
  if (result < 0) throw new SocketError(E.ENOENT, 'getprotobyname', name, 'protocol not found');
  return result;
}
