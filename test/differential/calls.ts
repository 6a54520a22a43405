// Generated calls of the module functions (getaddrinfo and friends, inet_*, hton*, if_*, CMSG_*,
// socket/socketpair) and of Socket methods with an explicit `undefined` (Python: None) in one
// argument position. Arguments are encoded for both sides: {u} undefined/None, {b} bytes, {c} a
// constant, {or} constants or-ed together, {t} a tuple, {buf} a fresh buffer, {addr} an AddressSpec.
//
// No DNS, ever: a host is a numeric literal, null, or `localhost` with AF_INET only (an A query that
// /etc/hosts answers; its AAAA query would go to DNS where /etc/hosts lacks ::1). Any other host
// string carries AI_NUMERICHOST; a reverse lookup is of 127.0.0.1 only, or carries NI_NUMERICHOST.
// `undefined` never replaces a host name or the flags that keep a look-up numeric.
import type { Rng } from './generator';
import type { Step } from './steps';

type Arg = unknown;
const U = { u: 1 };
const c = (name: string): Arg => ({ c: name });
const or = (names: string[]): Arg => ({ or: names });
const bytes = (hex: string): Arg => ({ b: hex });

/** Literal hosts: getaddrinfo parses them without any look-up. */
const LITERAL_HOSTS = ['127.0.0.1', '::1', '::ffff:127.0.0.1', null];
const AI_FLAGS = ['AI_PASSIVE', 'AI_CANONNAME', 'AI_NUMERICHOST', 'AI_NUMERICSERV', 'AI_ADDRCONFIG', 'AI_V4MAPPED', 'AI_ALL'];
const NI_FLAGS = ['NI_NUMERICHOST', 'NI_NUMERICSERV', 'NI_NAMEREQD', 'NI_DGRAM', 'NI_NOFQDN'];
const SHORTS = [0, 1, 0x1234, 65535, 65536, -1, 0xffffffff, 2 ** 32, 1.5];
const CMSG_SIZES = [0, 1, 4, 16, -1, 2 ** 31, 2 ** 40, 1.5];

/** A call: its arguments, and the positions where `undefined` may stand (never a host name). */
interface Call { name: string; args: Arg[]; undefinable: number[]; promise?: boolean }

function getaddrinfo(rng: Rng): Call {
  const host = rng.pick([...LITERAL_HOSTS, 'localhost', '256.1.1.1', '', 'not a host', '0x7f.1']);
  const family = host === 'localhost' ? 'AF_INET' : rng.pick(['AF_UNSPEC', 'AF_INET', 'AF_INET6', 'AF_UNIX']);
  const flags = rng.subset(AI_FLAGS, 0.2);
  const numericOnly = host !== 'localhost' && !LITERAL_HOSTS.includes(host);
  if (numericOnly && !flags.includes('AI_NUMERICHOST')) flags.push('AI_NUMERICHOST');
  const port = rng.pick([0, 80, '80', 'http', null, 65535, 65536, -1, 'nosuchservice', 1.5]);
  const args = [host, port, c(family), c(rng.pick(['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_RAW'])),
    rng.pick([0, c('IPPROTO_TCP'), c('IPPROTO_UDP')]), or(flags)];
  // Shorter argument lists take the defaults, which may drop AI_NUMERICHOST or AF_INET: only for literals.
  const length = numericOnly || host === 'localhost' ? 6 : 2 + rng.int(5);
  const undefinable = numericOnly || host === 'localhost' ? [1, 3, 4] : [0, 1, 2, 3, 4, 5];
  return { name: 'getaddrinfo', args: args.slice(0, length), undefinable: undefinable.filter((k) => k < length), promise: true };
}

function getnameinfo(rng: Rng): Call {
  const address = rng.pick<Arg>([{ t: ['127.0.0.1', 80] }, { t: ['::1', 80] }, { t: ['::1', 80, 0, 0] }, { t: ['127.0.0.1', 0] },
    { t: ['127.0.0.1', 70000] }, { t: ['127.0.0.1'] }, 42, { t: ['127.0.0.1', '80'] }, { t: ['::1', 22, 0xfffff + 1, 0] }]);
  const flags = rng.subset(NI_FLAGS, 0.25);
  const reverseOfV6 = JSON.stringify(address).includes('::1');
  if (reverseOfV6 && !flags.includes('NI_NUMERICHOST')) flags.push('NI_NUMERICHOST');
  return { name: 'getnameinfo', args: [address, or(flags)], undefinable: reverseOfV6 ? [0] : [0, 1], promise: true };
}

const TABLE: Array<(rng: Rng) => Call> = [
  getaddrinfo, getaddrinfo, getaddrinfo, getnameinfo, getnameinfo,
  (rng) => ({ name: rng.pick(['gethostbyname', 'gethostbynameEx']), args: [rng.pick(['127.0.0.1', 'localhost'])], undefinable: [], promise: true }),
  () => ({ name: 'gethostbyaddr', args: ['127.0.0.1'], undefinable: [], promise: true }),
  () => ({ name: 'gethostname', args: [], undefinable: [] }),
  (rng) => ({ name: 'getservbyname', args: rng.pick([['http', 'tcp'], ['http'], ['nosuch', 'tcp'], ['domain', 'udp'], ['http', 'xyz']]), undefinable: [1] }),
  (rng) => ({ name: 'getservbyport', args: rng.pick([[80, 'tcp'], [80], [70000], [-1], [53, 'udp'], [1.5]]), undefinable: [0, 1] }),
  (rng) => ({ name: 'getprotobyname', args: [rng.pick(['tcp', 'udp', 'icmp', 'nosuch'])], undefinable: [0] }),
  (rng) => ({ name: 'inet_aton', args: [rng.pick(['127.0.0.1', '1.2.3', '256.0.0.1', '0x7f.1', '', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 x'])], undefinable: [0] }),
  (rng) => ({ name: 'inet_ntoa', args: [bytes(rng.pick(['7f000001', '7f0000', '7f00000101', '']))], undefinable: [0] }),
  (rng) => ({ name: 'inet_pton', args: [c(rng.pick(['AF_INET', 'AF_INET6', 'AF_UNIX'])),
    rng.pick(['127.0.0.1', '::1', '::ffff:1.2.3.4', '1.2.3', '', 'zz', '1::2::3'])], undefinable: [0, 1] }),
  (rng) => ({ name: 'inet_ntop', args: [c(rng.pick(['AF_INET', 'AF_INET6', 'AF_UNIX'])),
    bytes(rng.pick(['7f000001', '00000000000000000000000000000001', '0102030405', '']))], undefinable: [0, 1] }),
  (rng) => ({ name: rng.pick(['htons', 'ntohs', 'htonl', 'ntohl']), args: [rng.pick(SHORTS)], undefinable: [0] }),
  () => ({ name: 'if_nameindex', args: [], undefinable: [] }),
  (rng) => ({ name: 'if_nametoindex', args: [rng.pick(['lo', 'nosuch0', '', 'x'.repeat(20)])], undefinable: [0] }),
  (rng) => ({ name: 'if_indextoname', args: [rng.pick([1, 0, -1, 99999, 2 ** 32, 1.5])], undefinable: [0] }),
  (rng) => ({ name: rng.pick(['CMSG_LEN', 'CMSG_SPACE']), args: [rng.pick(CMSG_SIZES)], undefinable: [0] }),
  (rng) => ({ name: 'socket', args: [c(rng.pick(['AF_INET', 'AF_INET6', 'AF_UNIX'])), c(rng.pick(['SOCK_STREAM', 'SOCK_DGRAM'])), 0],
    undefinable: [0, 1, 2] }),
  (rng) => ({ name: 'socketpair', args: [c('AF_UNIX'), c(rng.pick(['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET'])), 0], undefinable: [0, 1, 2] }),
];

/**
 * getfqdn's names: only ones that /etc/hosts answers both ways, never DNS. '' and '0.0.0.0' (this host's name)
 * only where /etc/hosts names this host; not '::1': /etc/hosts has no reverse entry for it here, so its PTR
 * query goes to DNS (strace shows it).
 */
function getfqdn(rng: Rng, hostnameInHosts: boolean): Call {
  const names = ['localhost', '127.0.0.1', ' localhost ', ...(hostnameInHosts ? ['', '0.0.0.0'] : [])];
  return { name: 'getfqdn', args: rng.chance(0.1) ? [] : [rng.pick(names)], undefinable: [0], promise: true };
}

/**
 * sethostname only with arguments refused before anything is renamed: wrong types, and names longer than the
 * kernel's 64 bytes (EINVAL as root, EPERM without the privilege: both before any change). Never a valid name,
 * never '' (a valid empty name), never bytes with a NUL (Python passes them on: it would rename this machine).
 */
function sethostname(rng: Rng): Call {
  const name = rng.pick<Arg>([5, null, 'x'.repeat(65), 'x'.repeat(300), bytes('78'.repeat(65)), 'é'.repeat(33), { t: ['x'] }, 'a\0b']);
  return { name: 'sethostname', args: [name], undefinable: [0] };
}

/** A module function call, with `undefined` in one allowed position a fifth of the time. */
export function moduleCall(rng: Rng, hostnameInHosts = false): Step {
  const call = rng.chance(0.12) ? (rng.chance(0.6) ? getfqdn(rng, hostnameInHosts) : sethostname(rng)) : rng.pick(TABLE)(rng);
  const args = [...call.args];
  if (call.undefinable.length && rng.chance(0.2)) args[rng.pick(call.undefinable)] = U;
  return { op: 'fn', name: call.name, args, form: call.promise && rng.chance(0.5) ? 'promise' : 'sync' };
}

/**
 * close(fd) and dup(fd) of the socket module, only on descriptors the run owns or that cannot be open: close gets
 * a copy the runner made of a sequence socket's descriptor ({copyOf}), or one it made and closed at once
 * ({closedFd}); dup gets a socket's own fileno() ({fdOf}, -1 once closed) or a copy. The hostile fuzzer once
 * closed mocha's own descriptors with a number it did not own (test/fuzz.test.ts ownedCopy). No number past
 * 32 bits: CPython keeps the low 32 bits of a descriptor (2**40 closes descriptor 0).
 */
export function descriptorCall(rng: Rng, socketIds: string[]): Step {
  const id = socketIds.length ? rng.pick(socketIds) : undefined;
  const name = rng.pick(['close', 'dup']);
  const owned: Arg[] = id === undefined ? [] : [{ copyOf: id }, { closedFd: id }, ...(name === 'dup' ? [{ fdOf: id }, { fdOf: id }] : [])];
  const arg = rng.chance(0.6) && owned.length ? rng.pick(owned) : rng.pick<Arg>([-1, 2 ** 30, 2 ** 31, 1.5, 'x', U, null]);
  return { op: 'fn', name, args: [arg], form: 'sync' };
}

/** Socket method calls with the arguments of a call that cannot wait (the socket is non-blocking first). */
export function methodTemplates(peerAddress: Arg | undefined): Array<{ name: string; args: Arg[]; reads: boolean }> {
  const x = bytes('78');
  return [
    { name: 'send', args: [x, 0], reads: false },
    { name: 'sendall', args: [x, 0], reads: false },
    { name: 'sendto', args: [x, 0, peerAddress ?? { t: ['127.0.0.1', 9] }], reads: false },
    { name: 'sendmsg', args: [[x], [], 0], reads: false },
    { name: 'recv', args: [1, 0], reads: true },
    { name: 'recvInto', args: [{ buf: 4 }, 1, 0], reads: true },
    { name: 'recvfrom', args: [1, 0], reads: true },
    { name: 'recvfromInto', args: [{ buf: 4 }, 1, 0], reads: true },
    { name: 'recvmsg', args: [1, 0, 0], reads: true },
    { name: 'setsockopt', args: [c('SOL_SOCKET'), c('SO_KEEPALIVE'), 1], reads: false },
    { name: 'getsockopt', args: [c('SOL_SOCKET'), c('SO_TYPE')], reads: false },
    { name: 'getsockopt', args: [c('SOL_SOCKET'), c('SO_TYPE'), 4], reads: false },
    { name: 'shutdown', args: [c('SHUT_RDWR')], reads: false },
  ];
}

export const UNDEFINED = U;
