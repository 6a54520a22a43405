// Seeded generator of operation sequences. A small model of each socket (kind, peer, mode, bytes or
// datagrams known to be queued) keeps blocking waits to those that the sequence guarantees will end:
// a wait that cannot end is made non-waiting (MSG_DONTWAIT, or a timeout mode) before it is emitted.
import { UNDEFINED, descriptorCall, methodTemplates, moduleCall } from './calls';
import { PollingSteps } from './polling';
import type { AddressSpec, DataSpec, Step } from './steps';

export class Rng {
  private state: number;
  constructor(seed: number) { this.state = (seed * 0x9e3779b1 + 0x6d2b79f5) >>> 0; }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number { return Math.floor(this.next() * n); }
  pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
  chance(p: number): boolean { return this.next() < p; }
  subset<T>(items: readonly T[], p: number): T[] { return items.filter(() => this.chance(p)); }
}

type Kind = 'stream' | 'dgram' | 'seqpacket' | 'raw';
type Mode = 'blocking' | 'timeout' | 'nonblocking';

/** What the generator knows about a socket. dup/detach aliases share one Model. */
interface Model {
  family: string;
  kind: Kind;
  peer?: string;
  inbox: number;        // bytes (stream) or datagrams known to be queued for reading
  peerGone: boolean;
  shutRd: boolean;
  listening: boolean;
  pendingConns: number;
  closed: boolean;
  tcp: boolean;
}

interface Endpoint { model: Model; mode: Mode }

export const TIMEOUT = 0.1;
/** The timeout of a call left pending while its socket is shut down. */
const PENDING_TIMEOUT = 0.3;
const SEND_FLAGS = ['MSG_DONTWAIT', 'MSG_NOSIGNAL', 'MSG_OOB', 'MSG_MORE', 'MSG_EOR', 'MSG_CONFIRM', 'MSG_DONTROUTE'];
const RECV_FLAGS = ['MSG_PEEK', 'MSG_DONTWAIT', 'MSG_WAITALL', 'MSG_TRUNC', 'MSG_OOB', 'MSG_ERRQUEUE', 'MSG_CMSG_CLOEXEC'];
const SIZES = [0, 1, 2, 63, 64, 65, 255, 256, 1023, 1024, 1025, 4096];
const DGRAM_BOUNDARIES: Record<string, number[]> = {
  AF_INET: [65507, 65508], AF_INET6: [65527, 65528], AF_UNIX: [212959, 212960, 300000],
};
const INT_VALUES = [0, 1, -1, 2, 7, 255, 1024, 4096, 65536, 0x7fffffff, 0x80000000, 0xffffffff, 2 ** 32, 1.5];
/** Options whose value differs from socket to socket or run to run: compared by success and length only. */
export const VOLATILE = new Set(['SO_PEERCRED', 'SO_COOKIE', 'SO_INCOMING_CPU', 'SO_INCOMING_NAPI_ID', 'SO_MEMINFO',
  'SO_PEERSEC', 'SO_PEERGROUPS', 'SO_PEERPIDFD', 'TCP_INFO', 'TCP_CC_INFO', 'SO_NETNS_COOKIE', 'IP_PKTOPTIONS',
  'TCP_FASTOPEN_KEY', 'TCP_SAVED_SYN', 'TCP_REPAIR_WINDOW', 'SO_RESERVE_MEM', 'TCP_ZEROCOPY_RECEIVE']);
/** Names with an option prefix that are not options, or options whose setting would break the run. */
const NOT_OPTIONS = new Set(['IP_DEFAULT_MULTICAST_TTL', 'IP_DEFAULT_MULTICAST_LOOP', 'IP_MAX_MEMBERSHIPS',
  'SO_DETACH_FILTER', 'TCP_REPAIR', 'TCP_REPAIR_QUEUE', 'TCP_REPAIR_OPTIONS', 'TCP_QUEUE_SEQ', 'IP_TRANSPARENT',
  'IPV6_TRANSPARENT', 'SO_BINDTODEVICE', 'SO_BINDTOIFINDEX', 'IP_HDRINCL', 'TCP_ULP']);
/** Not a literal, and a label longer than 63 bytes, which no DNS query can carry: refused without a look-up. */
const NO_SUCH_HOST = `${'x'.repeat(64)}.invalid`;
const LEVEL_OF: Array<[string, string]> = [['SO_', 'SOL_SOCKET'], ['TCP_', 'IPPROTO_TCP'], ['IP_', 'IPPROTO_IP'], ['IPV6_', 'IPPROTO_IPV6'], ['UDP_', 'IPPROTO_UDP']];

/** The constants both sides have; whether we are root; whether /etc/hosts names this host (getfqdn('') without DNS). */
export interface Vocabulary { names: Set<string>; root: boolean; hostnameInHosts?: boolean }

export class Generator {
  private readonly rng: Rng;
  private readonly steps: Step[] = [];
  private readonly ends = new Map<string, Endpoint>();
  private counter = 0;
  private readonly options: Array<[string, string]>;
  private readonly polling: PollingSteps;

  constructor(seed: number, private readonly vocab: Vocabulary) {
    this.rng = new Rng(seed);
    this.polling = new PollingSteps(this.rng, (step) => this.push(step));
    this.options = [...vocab.names].sort().flatMap((name): Array<[string, string]> => {
      if (NOT_OPTIONS.has(name)) return [];
      const level = LEVEL_OF.find(([prefix]) => name.startsWith(prefix));
      return level && vocab.names.has(level[1]) ? [[level[1], name]] : [];
    });
  }

  private has(name: string): boolean { return this.vocab.names.has(name); }
  private push(step: Step): void { this.steps.push(step); }
  private id(): string { return `s${this.counter++}`; }
  private form(): 'sync' | 'promise' { return this.rng.chance(0.5) ? 'sync' : 'promise'; }
  private data(n: number): DataSpec { return { n, fill: this.rng.int(256) }; }

  private newSocket(family: string, type: string, kind: Kind, extra: Partial<Step> = {}): string {
    const id = this.id();
    this.push({ op: 'socket', as: id, family, type, ...extra });
    this.ends.set(id, { model: this.model(family, kind), mode: 'blocking' });
    return id;
  }

  private model(family: string, kind: Kind): Model {
    return { family, kind, inbox: 0, peerGone: false, shutRd: false, listening: false, pendingConns: 0, closed: false,
      tcp: kind === 'stream' && family !== 'AF_UNIX' };
  }

  private link(a: string, b: string): void {
    this.ends.get(a)!.model.peer = b;
    this.ends.get(b)!.model.peer = a;
  }

  generate(): Step[] {
    this.fixture();
    if (this.rng.chance(0.03)) this.orderStep();
    const count = 3 + this.rng.int(10);
    for (let k = 0; k < count; k++) this.randomStep();
    return this.steps;
  }

  // --- fixtures: the sockets a sequence starts from ----------------------------------------
  private fixture(): void {
    const choices: Array<() => void> = [
      () => this.streamPair('AF_INET', '127.0.0.1', 'SOCK_STREAM'),
      () => this.streamPair('AF_INET6', '::1', 'SOCK_STREAM'),
      () => this.dgramPair('AF_INET', '127.0.0.1'),
      () => this.dgramPair('AF_INET6', '::1'),
      () => this.unixPair('SOCK_STREAM'),
      () => this.unixPair('SOCK_SEQPACKET'),
      () => this.unixDgram(),
      () => this.pair(),
      () => this.lone(),
    ];
    if (this.vocab.root) choices.push(() => this.rawOrPacket());
    this.rng.pick(choices)();
  }

  private streamPair(family: string, host: string, type: string, listenAddr?: AddressSpec): void {
    const kind: Kind = type === 'SOCK_STREAM' ? 'stream' : 'seqpacket';
    const l = this.newSocket(family, type, kind);
    if (this.rng.chance(0.3)) this.push({ op: 'setsockopt', id: l, level: 'SOL_SOCKET', name: 'SO_REUSEADDR', value: 1 });
    this.push({ op: 'bind', id: l, addr: listenAddr ?? { inet: host, port: 0 } });
    this.push({ op: 'listen', id: l, ...(this.rng.chance(0.5) ? { backlog: this.rng.pick([0, 1, 5, 128]) } : {}) });
    this.ends.get(l)!.model.listening = true;
    const c = this.newSocket(family, type, kind);
    if (this.rng.chance(0.2)) {
      this.push({ op: 'bind', id: c, addr: family === 'AF_UNIX' ? { unix: 'client', enc: 'str' } : { inet: host, port: 0 } });
    }
    this.push({ op: 'connect', id: c, addr: family === 'AF_UNIX' ? { nameOf: l } : { portOf: l, host }, form: this.form() });
    if (this.rng.chance(0.15)) {
      this.ends.get(l)!.model.pendingConns = 1;
      return;  // left in the backlog: accept() is one of the random steps
    }
    const a = this.id();
    this.push({ op: 'accept', id: l, as: a, form: this.form() });
    this.ends.set(a, { model: this.model(family, kind), mode: 'blocking' });
    this.link(c, a);
  }

  private dgramPair(family: string, host: string): void {
    const a = this.newSocket(family, 'SOCK_DGRAM', 'dgram');
    const b = this.newSocket(family, 'SOCK_DGRAM', 'dgram');
    this.push({ op: 'bind', id: a, addr: { inet: host, port: 0 } });
    this.push({ op: 'bind', id: b, addr: { inet: host, port: 0 } });
    if (this.rng.chance(0.7)) this.push({ op: 'connect', id: a, addr: { portOf: b, host }, form: this.form() });
    if (this.rng.chance(0.7)) this.push({ op: 'connect', id: b, addr: { portOf: a, host }, form: this.form() });
    this.link(a, b);
  }

  private unixPath(name: string): AddressSpec {
    const r = this.rng.int(5);
    if (r < 3) return { unix: name, enc: (['str', 'bytes', 'raw8'] as const)[r] };
    return { abstract: name, enc: r === 3 ? 'str' : 'bytes' };
  }

  private unixPair(type: string): void {
    this.streamPair('AF_UNIX', '', type, this.unixPath('listener'));
  }

  private unixDgram(): void {
    const a = this.newSocket('AF_UNIX', 'SOCK_DGRAM', 'dgram');
    const b = this.newSocket('AF_UNIX', 'SOCK_DGRAM', 'dgram');
    this.push({ op: 'bind', id: b, addr: this.unixPath('b') });
    const r = this.rng.int(3);
    if (r === 0) this.push({ op: 'bind', id: a, addr: this.unixPath('a') });
    if (r === 1) this.push({ op: 'bind', id: a, addr: { raw: '' } });  // Linux autobind
    this.push({ op: 'connect', id: a, addr: { nameOf: b }, form: this.form() });
    this.link(a, b);
  }

  private pair(): void {
    const type = this.rng.pick(['SOCK_STREAM', 'SOCK_DGRAM', 'SOCK_SEQPACKET']);
    const kind: Kind = type === 'SOCK_STREAM' ? 'stream' : type === 'SOCK_DGRAM' ? 'dgram' : 'seqpacket';
    const [a, b] = [this.id(), this.id()];
    this.push({ op: 'socketpair', as: [a, b], family: 'AF_UNIX', type });
    this.ends.set(a, { model: this.model('AF_UNIX', kind), mode: 'blocking' });
    this.ends.set(b, { model: this.model('AF_UNIX', kind), mode: 'blocking' });
    this.link(a, b);
  }

  private lone(): void {
    const [family, type, kind] = this.rng.pick([
      ['AF_INET', 'SOCK_STREAM', 'stream'], ['AF_INET', 'SOCK_DGRAM', 'dgram'], ['AF_INET6', 'SOCK_STREAM', 'stream'],
      ['AF_INET6', 'SOCK_DGRAM', 'dgram'], ['AF_UNIX', 'SOCK_STREAM', 'stream'], ['AF_UNIX', 'SOCK_DGRAM', 'dgram'],
      ['AF_UNIX', 'SOCK_SEQPACKET', 'seqpacket']] as const);
    const typeFlags = this.rng.chance(0.2) ? this.rng.subset(['SOCK_NONBLOCK', 'SOCK_CLOEXEC'], 0.5) : [];
    const s = this.newSocket(family, type, kind, typeFlags.length ? { typeFlags } : {});
    if (typeFlags.includes('SOCK_NONBLOCK')) this.ends.get(s)!.mode = 'nonblocking';
    if (this.rng.chance(0.4)) {
      this.push({ op: 'bind', id: s, addr: family === 'AF_UNIX' ? this.unixPath('lone') : this.inetAddress(family) });
    }
  }

  private inetAddress(family: string): AddressSpec {
    const host = family === 'AF_INET' ? this.rng.pick(['127.0.0.1', '', 'localhost', '0.0.0.0']) : this.rng.pick(['::1', '', '::']);
    return { inet: host, port: 0 };
  }

  private rawOrPacket(): void {
    if (this.rng.chance(0.5) && this.has('AF_PACKET')) {
      const s = this.newSocket('AF_PACKET', this.rng.pick(['SOCK_DGRAM', 'SOCK_RAW']), 'raw', { proto: 3, htons: true });  // ETH_P_ALL
      this.push({ op: 'bind', id: s, addr: { packet: 'lo', proto: 3 } });
      return;
    }
    const family = this.rng.pick(['AF_INET', 'AF_INET6']);
    const s = this.newSocket(family, 'SOCK_RAW', 'raw', { proto: this.rng.pick(['IPPROTO_UDP', 'IPPROTO_ICMP', 'IPPROTO_RAW']) });
    this.push({ op: 'bind', id: s, addr: { inet: family === 'AF_INET' ? '127.0.0.1' : '::1', port: 0 } });
  }

  // --- random steps ---------------------------------------------------------------------------
  private live(): string[] {
    return [...this.ends.keys()].filter((id) => !this.ends.get(id)!.model.closed);
  }

  private randomStep(): void {
    const ids = this.live();
    const all = [...this.ends.keys()];
    if (all.length === 0) return;
    const id = ids.length && this.rng.chance(0.95) ? this.rng.pick(ids) : this.rng.pick(all);
    const r = this.rng.int(150);
    if (r >= 132) this.issue22Step();
    else if (r >= 100) this.newCallStep(id, r - 100);
    else if (r < 22) this.sendStep(id);
    else if (r < 46) this.recvStep(id);
    else if (r < 54) this.modeStep(id);
    else if (r < 64) this.optionStep(id);
    else if (r < 68) this.push({ op: this.rng.pick(['getsockname', 'getpeername', 'gettimeout', 'getblocking', 'fileno']), id });
    else if (r < 72) this.shutdownStep(id);
    else if (r < 76) this.closeStep(id);
    else if (r < 80) this.copyStep(id);
    else if (r < 84) this.parallelStep(id);
    else if (r < 88) this.acceptStep(id);
    else if (r < 94) this.addressStep(id);
    else this.timeoutValueStep(id);
  }

  // --- the calls of issue 20 part 2: module functions, undefined, sendfile, descriptors, mmsg -----
  private newCallStep(id: string, r: number): void {
    if (r < 8) this.push(moduleCall(this.rng, this.vocab.hostnameInHosts));
    else if (r < 13) this.undefinedStep(id);
    else if (r < 18) this.sendfileStep(id);
    else if (r < 23) this.fdsStep(id);
    else if (r < 29) this.mmsgStep(id);
    else this.pendingShutdownStep(id);
  }

  // --- issue 22's names: close(fd), dup(fd), has_ipv6, epoll, selectors (getfqdn, sethostname: moduleCall) ---
  private issue22Step(): void {
    const r = this.rng.int(18);
    if (r < 3) this.push(descriptorCall(this.rng, [...this.ends.keys()]));
    else if (r < 4) this.push({ op: 'attr', name: 'has_ipv6' });
    else this.polling.burst(() => [...this.ends.entries()].map(([id, e]) => ({ id, closed: e.model.closed, raw: e.model.kind === 'raw' })));
  }

  private setMode(id: string, mode: Mode): void {
    const end = this.ends.get(id)!;
    if (end.mode === mode) return;
    this.push(mode === 'timeout' ? { op: 'mode', id, mode, timeout: TIMEOUT } : { op: 'mode', id, mode });
    end.mode = mode;
  }

  /** Makes a receive that might wait forever bounded: a timeout unless the model knows it returns. */
  private boundReceive(id: string, willReturn: boolean): void {
    if (this.ends.get(id)!.mode === 'blocking' && !willReturn) this.setMode(id, 'timeout');
  }

  /** A Socket method with `undefined` (Python: None) in one argument position, on a non-blocking socket. */
  private undefinedStep(id: string): void {
    const m = this.ends.get(id)!.model;
    const template = this.rng.pick(methodTemplates(m.peer ? { addr: { nameOf: m.peer } } : undefined));
    const args = [...template.args];
    args[this.rng.int(args.length)] = UNDEFINED;
    this.setMode(id, 'nonblocking');
    this.push({ op: 'method', id, name: template.name, args, form: this.form() });
    if (template.reads) m.inbox = Math.max(0, m.inbox - 1);
    if (template.name === 'shutdown') this.ends.get(id)!.model.shutRd = true;
  }

  private peerOf(id: string): Endpoint | undefined {
    const m = this.ends.get(id)!.model;
    return m.peer ? this.ends.get(m.peer) : undefined;
  }

  /**
   * One time in ten, flags passed as an explicit undefined (Python: None): a TypeError on both sides, as API.md
   * requires. Only where the step would not wait with flags 0 (the model bounded it already, or it sends).
   */
  private maybeUndefinedFlags(step: Step): Step {
    if (this.rng.chance(0.1) && !step.flags?.includes('MSG_DONTWAIT')) {
      step.undefFlags = true;
      step.flags = [];
    }
    return step;
  }

  /** sendfile of a small file, from an offset, a count: bounded so that it never fills the peer. */
  private sendfileStep(id: string): void {
    const end = this.ends.get(id)!;
    const peer = this.peerOf(id);
    const size = this.rng.pick([0, 1, 100, 4096, 65536]);
    const step: Step = { op: 'sendfile', id, file: this.data(size), form: this.form(), handle: this.rng.chance(0.5) };
    if (this.rng.chance(0.5)) step.offset = this.rng.pick([0, 1, 50, size, size + 1, -1]);
    if (this.rng.chance(0.5)) step.count = this.rng.pick([0, 1, 10, size, size + 10, -1]);
    if (end.mode === 'blocking' && (peer?.model.inbox ?? 0) + size > 100_000) this.setMode(id, 'timeout');
    this.push(step);
    if (peer) peer.model.inbox += end.model.kind === 'stream' ? size : 1;
  }

  /** sendFds of descriptors on /dev/null, or recvFds (Unix sockets; others for their errors). */
  private fdsStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    const flags = this.flagsFor(['MSG_DONTWAIT', 'MSG_PEEK', 'MSG_CMSG_CLOEXEC'], 0.1);
    if (this.rng.chance(0.5)) {
      const bufs = Array.from({ length: this.rng.int(3) }, () => this.data(this.rng.pick([0, 1, 5])));
      const step: Step = { op: 'sendFds', id, bufs, nfds: this.rng.pick([0, 1, 3]), flags: flags.filter((f) => f === 'MSG_DONTWAIT'), form: this.form() };
      this.maybeUndefinedFlags(step);
      if (m.peer && m.kind === 'dgram' && this.rng.chance(0.5)) step.addr = { nameOf: m.peer };
      this.push(step);
      const peer = this.peerOf(id);
      const total = bufs.reduce((sum, d) => sum + d.n, 0);
      if (peer) peer.model.inbox += m.kind === 'stream' ? total : 1;
      return;
    }
    const ends = m.kind === 'stream' && (m.peerGone || m.shutRd);
    if (!flags.includes('MSG_DONTWAIT')) this.boundReceive(id, m.inbox > 0 || ends);
    const step: Step = { op: 'recvFds', id, n: this.rng.pick([0, 1, 16, 1024]), maxfds: this.rng.pick([0, 1, 3, 8]), flags, form: this.form() };
    this.push(this.maybeUndefinedFlags(step));
    if (!flags.includes('MSG_PEEK')) m.inbox = Math.max(0, m.inbox - (m.kind === 'stream' ? 1024 : 1));
  }

  /** sendmmsg / recvmmsg, which the driver compares with repeated sendto / recvmsg. */
  private mmsgStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    const flags = this.flagsFor(['MSG_DONTWAIT', 'MSG_TRUNC'], 0.15);
    if (this.rng.chance(0.5)) {
      const msgs = Array.from({ length: this.rng.int(5) }, () => this.data(this.rng.pick([0, 1, 10, 100])));
      const peer = this.peerOf(id);
      if (end.mode === 'blocking' && (peer?.model.inbox ?? 0) + msgs.length > 8 && m.kind !== 'stream') this.setMode(id, 'timeout');
      const step: Step = { op: 'sendmmsg', id, msgs, flags: flags.filter((f) => f === 'MSG_DONTWAIT'), form: this.form() };
      this.maybeUndefinedFlags(step);
      if (m.peer && m.kind === 'dgram' && this.rng.chance(0.5)) step.addr = { nameOf: m.peer };
      this.push(step);
      if (peer) peer.model.inbox += m.kind === 'stream' ? msgs.reduce((sum, d) => sum + d.n, 0) : msgs.length;
      return;
    }
    if (m.kind === 'raw') return;
    const sizes = Array.from({ length: 1 + this.rng.int(4) }, () => this.rng.pick([0, 1, 10, 100, 1024]));
    const ends = m.kind === 'stream' && (m.peerGone || m.shutRd);
    if (!flags.includes('MSG_DONTWAIT')) this.boundReceive(id, m.inbox > 0 || ends);
    this.push(this.maybeUndefinedFlags({ op: 'recvmmsg', id, sizes, flags, form: this.form() }));
    m.inbox = m.kind === 'stream' ? Math.max(0, m.inbox - sizes.reduce((a, b) => a + b, 0)) : Math.max(0, m.inbox - sizes.length);
  }

  /** accept() pending on a listener, or a receive pending on a socket, when that socket is shut down. */
  private pendingShutdownStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    if (m.kind === 'raw') return;
    const waiter: Step = m.listening
      ? { op: 'accept', id, as: this.id() }
      : { op: 'recv', id, n: 16, flags: [] };
    if (m.inbox > 0 && !m.listening) return;  // it would not be pending
    // A blocking wait that the shutdown does not end is a hang on both sides: only on Unix listeners, which it ends.
    // Otherwise a timeout long enough that the shutdown, 5 ms later, comes first even on a loaded machine.
    if (m.listening && m.family === 'AF_UNIX' && this.rng.chance(0.5)) this.setMode(id, 'blocking');
    else {
      this.push({ op: 'mode', id, mode: 'timeout', timeout: PENDING_TIMEOUT });
      end.mode = 'timeout';
    }
    const how = this.rng.pick(['SHUT_RD', 'SHUT_RDWR', 'SHUT_WR']);
    this.push({ op: 'parallel', steps: [waiter, { op: 'shutdown', id, how }] });
    if (how !== 'SHUT_WR') m.shutRd = true;
    if (how !== 'SHUT_RD') {
      const pm = this.peerModel(m);
      if (pm) pm.peerGone = true;
    }
  }

  /** Call order across kinds of writes (issue 19 defect 2): a 4 MiB sendfile, then a sendall, the peer reading all. */
  private orderStep(): void {
    const pair = [...this.ends.entries()].find(([, e]) => e.model.kind === 'stream' && e.model.peer && !e.model.listening);
    if (!pair) return;
    const [id, end] = pair;
    const peerId = end.model.peer!;
    this.setMode(id, 'blocking');
    this.setMode(peerId, 'blocking');
    const size = 4 << 20;
    const trailer = 7;
    this.push({ op: 'parallel', steps: [
      { op: 'sendfile', id, file: this.data(size), handle: this.rng.chance(0.5) },
      { op: 'sendall', id, data: this.data(trailer), flags: [] },
      { op: 'recvAll', id: peerId, n: size + trailer },
    ] });
  }

  private flagsFor(list: string[], p: number): string[] {
    return this.rng.subset(list.filter((f) => this.has(f)), p);
  }

  private sizeFor(end: Endpoint): number {
    if (end.model.kind !== 'stream' && this.rng.chance(0.1)) return this.rng.pick(DGRAM_BOUNDARIES[end.model.family] ?? [70000]);
    return this.rng.pick(SIZES);
  }

  /** A send that would wait in blocking mode only when the peer's queue could be full. */
  private sendStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    const n = this.sizeFor(end);
    const flags = this.flagsFor(SEND_FLAGS, 0.12);
    const peer = m.peer ? this.ends.get(m.peer) : undefined;  // may be gone: then nothing is queued anywhere
    const queued = peer ? peer.model.inbox : 0;
    const mightFill = m.kind === 'stream' ? queued + n > 100_000 : queued >= 8;
    if (end.mode === 'blocking' && mightFill && !flags.includes('MSG_DONTWAIT')) flags.push('MSG_DONTWAIT');
    const op = this.rng.pick(m.kind === 'stream' ? ['send', 'sendall', 'sendmsg'] : ['send', 'sendall', 'sendto', 'sendmsg', 'sendto']);
    const step: Step = { op, id, data: this.data(n), flags, form: this.form() };
    if (op === 'sendall' && end.mode !== 'blocking' && n > 65536) step.data!.n = 65536;
    if (op === 'sendto') {
      step.addr = m.peer ? { nameOf: m.peer } : { inet: '127.0.0.1', port: 9 };
      if (!flags.length && this.rng.chance(0.5)) delete step.flags;
    }
    if (op === 'sendmsg') {
      delete step.data;
      const parts = this.rng.int(4);
      step.bufs = Array.from({ length: parts }, () => this.data(this.rng.pick([0, 1, 7, 100, 1024])));
      if (m.peer && m.kind === 'dgram' && this.rng.chance(0.5)) step.addr = { nameOf: m.peer };
    }
    this.push(step);
    const total = step.data ? step.data.n : step.bufs!.reduce((s, d) => s + d.n, 0);
    if (peer && !flags.includes('MSG_OOB')) peer.model.inbox += m.kind === 'stream' ? total : 1;
  }

  /** Waits in blocking mode only when the model knows the call returns (data queued, or end of stream). */
  private recvStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    if (m.kind === 'raw') return;  // a raw or packet socket reads every host's loopback traffic: not reproducible
    const op = this.rng.pick(['recv', 'recv', 'recvInto', 'recvfrom', 'recvfromInto', 'recvmsg']);
    let flags = this.flagsFor(RECV_FLAGS, 0.1);
    const n = this.rng.pick([0, 1, 2, 64, 1024, 4096, 65536, Math.max(0, m.inbox - 1), m.inbox, m.inbox + 1]);
    const ends = m.kind === 'stream' && (m.peerGone || m.shutRd || (!m.peer && !m.listening));
    const wholeDone = m.kind === 'stream' ? m.inbox >= n || ends : m.inbox > 0;
    const willReturn = flags.includes('MSG_WAITALL') ? wholeDone : m.inbox > 0 || ends;
    if (end.mode === 'blocking' && !willReturn && !flags.includes('MSG_DONTWAIT')) {
      if (this.rng.chance(0.5)) flags.push('MSG_DONTWAIT');
      else {
        this.push({ op: 'mode', id, mode: 'timeout', timeout: TIMEOUT });
        end.mode = 'timeout';
      }
    }
    if (flags.includes('MSG_ERRQUEUE') && end.mode === 'blocking') flags = flags.filter((f) => f !== 'MSG_ERRQUEUE');
    const step: Step = { op, id, flags, form: this.form() };
    if (op === 'recv' || op === 'recvfrom') step.n = n;
    else if (op === 'recvmsg') {
      step.n = n;
      step.anc = this.rng.pick([0, 0, 16, 64]);
    } else {
      step.size = Math.min(n, 70000);
      step.off = this.rng.chance(0.3) ? this.rng.int(step.size + 2) : 0;
      if (this.rng.chance(0.5)) step.nbytes = this.rng.pick([0, 1, Math.max(0, step.size - step.off), step.size - step.off + 1]);
    }
    this.push(step);
    if (!flags.includes('MSG_PEEK') && !flags.includes('MSG_OOB') && !flags.includes('MSG_ERRQUEUE')) {
      m.inbox = m.kind === 'stream' ? Math.max(0, m.inbox - n) : Math.max(0, m.inbox - 1);
    }
  }

  private modeStep(id: string): void {
    const end = this.ends.get(id)!;
    const mode = this.rng.pick(['blocking', 'timeout', 'nonblocking'] as const);
    this.push(mode === 'timeout' ? { op: 'mode', id, mode, timeout: TIMEOUT } : { op: 'mode', id, mode });
    end.mode = mode;
  }

  private timeoutValueStep(id: string): void {
    const value = this.rng.pick([0, 0.001, 1e-9, -1, 30 * 24 * 3600, 1e9, null]);
    this.push({ op: 'settimeout', id, value });
    const end = this.ends.get(id)!;
    if (value === 0) end.mode = 'nonblocking';
    else if (value === null) end.mode = 'blocking';
    else if (typeof value === 'number' && value > 0) end.mode = value > 1 ? 'blocking' : 'timeout';  // huge: waits as if forever
  }

  private optionStep(id: string): void {
    if (!this.options.length) return;
    const [level, name] = this.rng.pick(this.options);
    const volatile = VOLATILE.has(name) ? { volatile: true } : {};
    const r = this.rng.int(4);
    if (r === 0) this.push({ op: 'getsockopt', id, level, name, ...volatile });
    else if (r === 1) this.push({ op: 'getsockopt', id, level, name, buflen: this.rng.pick([1, 4, 8, 16, 64, 256, 1024, 1025, 0, -1]), ...volatile });
    else if (r === 2) {
      this.push({ op: 'setsockopt', id, level, name, value: this.rng.pick(INT_VALUES) });
      this.push({ op: 'getsockopt', id, level, name, ...volatile });
    } else {
      const bytes = this.rng.pick(['', '01', '01000000', '0100000000000000', '01000000000000000000000000000000', 'ffffffff']);
      this.push({ op: 'setsockopt', id, level, name, value: { b: bytes } });
      this.push({ op: 'getsockopt', id, level, name, buflen: 16, ...volatile });
    }
  }

  private shutdownStep(id: string): void {
    const how = this.rng.pick(['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR']);
    this.push({ op: 'shutdown', id, how });
    const m = this.ends.get(id)!.model;
    if (how !== 'SHUT_WR') m.shutRd = true;
    if (how !== 'SHUT_RD') {
      const pm = this.peerModel(m);
      if (pm) pm.peerGone = true;
    }
  }

  /** close(), or a reset: SO_LINGER {on, 0} then close() sends RST on TCP. */
  private closeStep(id: string): void {
    const m = this.ends.get(id)!.model;
    if (m.tcp && this.rng.chance(0.4)) {
      this.push({ op: 'setsockopt', id, level: 'SOL_SOCKET', name: 'SO_LINGER', value: { b: '0100000000000000' } });
    }
    this.push({ op: 'close', id });
    const aliases = [...this.ends.values()].filter((e) => e.model === m).length;
    if (aliases <= 1) {
      m.closed = true;
      const pm = this.peerModel(m);
      if (pm) pm.peerGone = true;
    } else {
      this.rename(id, [...this.ends.entries()].find(([other, e]) => other !== id && e.model === m)![0]);
    }
  }

  private peerModel(m: Model): Model | undefined {
    return m.peer ? this.ends.get(m.peer)?.model : undefined;
  }

  /** `from` is gone (detached or closed alias): links to it now go to `to`. */
  private rename(from: string, to: string): void {
    this.ends.delete(from);
    for (const e of this.ends.values()) if (e.model.peer === from) e.model.peer = to;
  }

  private copyStep(id: string): void {
    const end = this.ends.get(id)!;
    const as = this.id();
    if (this.rng.chance(0.5)) {
      this.push({ op: 'dup', id, as });
      this.ends.set(as, { model: end.model, mode: end.mode });
    } else {
      this.push({ op: 'detachFromfd', id, as });
      this.ends.set(as, { model: end.model, mode: end.mode === 'timeout' ? 'blocking' : end.mode });
      this.rename(id, as);
    }
  }

  /** Several Promise operations queued on one socket: each timeout counts from its own call. */
  private parallelStep(id: string): void {
    const end = this.ends.get(id)!;
    if (end.model.kind === 'raw') return;
    if (end.mode !== 'timeout') {
      this.push({ op: 'mode', id, mode: 'timeout', timeout: TIMEOUT });
      end.mode = 'timeout';
    }
    const count = 3 + this.rng.int(2);
    const steps: Step[] = Array.from({ length: count }, () => ({ op: 'recv', id, n: this.rng.pick([0, 1, 100]), flags: [] }));
    this.push({ op: 'parallel', steps });
    end.model.inbox = 0;
  }

  private acceptStep(id: string): void {
    const end = this.ends.get(id)!;
    const m = end.model;
    if (end.mode === 'blocking' && m.pendingConns === 0) {
      this.push({ op: 'mode', id, mode: 'timeout', timeout: TIMEOUT });
      end.mode = 'timeout';
    }
    const as = this.id();
    this.push({ op: 'accept', id, as, form: this.form() });
    if (m.pendingConns > 0 && m.listening) {
      m.pendingConns--;
      this.ends.set(as, { model: this.model(m.family, m.kind), mode: 'blocking' });
      const client = [...this.ends.entries()].find(([, e]) => e.model !== m && e.model.family === m.family && !e.model.peer && !e.model.listening);
      if (client) this.link(client[0], as);
    }
  }

  /** bind/connect/listen in odd states and with odd addresses (bad ports, wrong shapes, in use). */
  private addressStep(id: string): void {
    const m = this.ends.get(id)!.model;
    const inet = m.family === 'AF_INET' || m.family === 'AF_INET6';
    const host = m.family === 'AF_INET6' ? '::1' : '127.0.0.1';
    const others = [...this.ends.keys()].filter((o) => o !== id);
    const other = others.length ? this.rng.pick(others) : id;
    const addrs: AddressSpec[] = inet
      ? [{ inet: host, port: 0 }, { portOf: other, host }, { raw: [host, 70000] }, { raw: [host, -1] }, { raw: [host] },
        { raw: 42 }, { raw: [host, '80'] }, { raw: [NO_SUCH_HOST, 80] }, { nameOf: other }, { raw: ['127.0.0.1', 1] }]
      : [this.unixPath('x'), { nameOf: other }, { raw: '/nonexistent/dir/sock' }, { raw: 'x'.repeat(200) }, { raw: 42 },
        { raw: { b: '' } }, { raw: '' }, { raw: [host, 80] }];
    const addr = this.rng.pick(addrs);
    const op = this.rng.pick(['bind', 'connect', 'connectEx', 'listen']);
    if (op === 'listen') {
      this.push({ op, id, backlog: this.rng.pick([-1, 0, 1, 65536]) });
      return;
    }
    // a blocking connect to an address that is neither listening nor refusing (datagram, in the backlog) could wait
    if (op === 'connect' && this.ends.get(id)!.mode === 'blocking' && m.kind !== 'dgram') {
      this.push({ op: 'mode', id, mode: 'timeout', timeout: TIMEOUT });
      this.ends.get(id)!.mode = 'timeout';
    }
    this.push({ op, id, addr, ...(op === 'connect' ? { form: this.form() } : {}) });
  }
}

export function generate(seed: number, vocab: Vocabulary): Step[] {
  return new Generator(seed, vocab).generate();
}
