// A seeded fuzzer for the public surface: every exported function and every Socket method (Sync and
// Promise forms) called with random and hostile arguments. Only TypeError, RangeError, SocketError
// (and its subclasses), GaiError, HostError and AbortError may come out; the process survives; no
// descriptor is left open. The loop runs in a child process (so that a crash or a hang is seen and
// reported with the call that caused it) started by the mocha test at the end of this file.
//
// Hostile JavaScript (issue 11 §3): about a third of the calls get arguments whose getters, Proxy
// traps, valueOf and toString run code in the middle of the call: they detach or shrink buffers,
// shrink the array being read, close a socket, start another operation, throw, or force a garbage
// collection (the child runs with --expose-gc). The same assertions hold for those calls.
//
//   FUZZ_SEED=1234 FUZZ_ITERATIONS=200000 npx mocha dist/test/fuzz.test.js   (a longer run)
//
// Traffic stays on the machine: valid addresses are loopback or Unix paths in a temporary
// directory; host names that are not literals have a label longer than 63 bytes, which no DNS
// query can carry ('localhost' is not used: without ::1 in /etc/hosts its AAAA query goes to DNS).
// Checked with strace: no connect or sendto to anything but loopback, Unix and netlink.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

/** A small, fast, seeded PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface FuzzResult {
  seed: number;
  iterations: number;
  calls: number;
  promises: number;
  ms: number;
  outcomes: Record<string, number>;
  /** Errors of a kind that must not come out, with the call that produced them. */
  unexpected: string[];
  /** TypeErrors/RangeErrors without a Node-style `code`: not a failure, but worth a look. */
  uncoded: Record<string, number>;
  hangs: string[];
  fdsBefore: number;
  fdsAfter: number;
  fdsLeaked: string[];
  /** Calls whose arguments ran user code, and the mischief that code did. */
  hostileCalls: number;
  mischief: Record<string, number>;
}

async function runFuzz(seed: number, iterations: number, budgetMs: number, progressFile: string): Promise<FuzzResult> {
  const bs = require('../lib') as typeof import('../lib') & Record<string, unknown>;
  const rnd = prng(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-fuzz-'));
  process.chdir(dir);  // a Unix path that is a bare name lands here
  const progress = fs.openSync(progressFile, 'w');
  const openFds = (): string[] => fs.readdirSync('/proc/self/fd').sort();
  const fdsBefore = openFds();
  const C = bs.constants as Record<string, number>;
  const result: FuzzResult = {
    seed, iterations: 0, calls: 0, promises: 0, ms: 0, outcomes: {}, unexpected: [], uncoded: {}, hangs: [],
    fdsBefore: fdsBefore.length, fdsAfter: 0, fdsLeaked: [], hostileCalls: 0, mischief: {},
  };
  class EvilError extends Error {}

  // --- values -----------------------------------------------------------------------------------
  const longLabel = (n: number): string => 'x'.repeat(n);
  const detached = (): Uint8Array => {
    const u = new Uint8Array(16);
    structuredClone(u.buffer, { transfer: [u.buffer] });
    return u;
  };
  const resizable = (): Uint8Array => {
    const ab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(32, { maxByteLength: 64 });
    const u = new Uint8Array(ab);
    (ab as unknown as { resize(n: number): void }).resize(int(64));
    return u;
  };
  class LyingLength extends Uint8Array {
    override get length(): number { return 1 << 30; }
  }
  const numbers = [0, -0, 1, -1, 2, 3, 7, 8, 16, 17, 41, 255, 256, 1023, 1024, 65535, 65536, 0x7fffffff, 0x80000000,
    -0x80000000, 0xffffffff, 2 ** 32, 2 ** 53, -(2 ** 53), Number.MAX_VALUE, Number.MIN_VALUE, 1.5, -1.5, NaN,
    Infinity, -Infinity, 1e-9, 0.001];
  const hostileScalars: Array<() => unknown> = [
    () => pick(numbers), () => undefined, () => null, () => true, () => false, () => '', () => '0', () => '80',
    () => `${'x'.repeat(64)}.abc`, () => 'a\0b', () => longLabel(10000), () => 10n, () => -1n, () => 2n ** 70n, () => Symbol('s'),
    () => ({}), () => [], () => [[[]]], () => () => 1, () => new Date(0), () => /x/, () => new Map(),
    () => Object.create(null), () => ({ valueOf: () => 80, toString: () => '80' }),
    () => ({ get length() { throw new EvilError('getter'); } }),
    () => new Proxy({}, { get() { throw new EvilError('proxy'); } }),
  ];
  const nonNumbers = hostileScalars.slice(1).filter((make) => typeof make() !== 'number');
  const buffers: Array<() => unknown> = [
    () => Buffer.alloc(0), () => Buffer.alloc(int(100)), () => Buffer.alloc(70000), () => new Uint8Array(int(64)),
    () => Buffer.from('hello'), () => detached(), () => resizable(), () => new LyingLength(4),
    () => new Uint8Array(new SharedArrayBuffer(32)), () => Buffer.alloc(64).subarray(60), () => new Uint16Array(8),
    () => new Int8Array(8), () => new Float64Array(2), () => new DataView(new ArrayBuffer(8)), () => new ArrayBuffer(8),
    () => new Uint8ClampedArray(8), () => [1, 2, 3], () => 'string data',
  ];
  const paths = [path.join(dir, 'a.sock'), path.join(dir, 'b.sock'), 'rel.sock', `\0bsd-fuzz-${process.pid}`,
    Buffer.from(`\0bsd-fuzz-buf-${process.pid}`), '', path.join(dir, 'x'.repeat(200)), `${dir}/a\0b`, Buffer.alloc(0),
    Buffer.alloc(108, 0x61), Buffer.alloc(109, 0x61)];
  let listenPort = 1;
  // Every string here is a literal or has a label no DNS query can carry (> 63
  // bytes): whatever getaddrinfo does with it, nothing leaves the machine. (Odd scopes such as
  // '::1%-1' are left to fuzz/address_fuzzer.cc: glibc would send them to DNS.)
  const L = longLabel(64);
  const hosts = ['127.0.0.1', '127.0.0.2', '', '::1', '::', `${L}.test`, longLabel(10000),
    `${longLabel(70)}%lo`, '::1%lo', `::1%${L}`, `::1%9${L}`, `1.2.3${L}`, '127.0.0.1\0', `0x7f.1${L}`,
    '::ffff:127.0.0.1', `fe80::1%%${L}`, `[::1]${L}`, `127.0.0.1${L}`, `<broadcast>${L}`, `${L}.`, `.${L}`];
  // Reverse look-ups (gethostbyaddr, getnameinfo) only of 127.0.0.1, which /etc/hosts names (not
  // always ::1). A partial literal such as '1.2.3' would be a real address elsewhere: none.
  const reverseHosts = ['127.0.0.1', '', longLabel(10000), '127.0.0.1\0', `${L}.x`, `::1%${L}`];
  // Arguments in a host's place: never a string (a path, say) that getaddrinfo would send to DNS.
  const nonString = (): unknown => { for (;;) { const v = anyArg(); if (typeof v !== 'string' && !Array.isArray(v)) return v; } };
  const address = (): unknown => {
    switch (int(8)) {
      case 0: return [pick(hosts), pick([listenPort, 0, 1, 65535, 65536, -1, 1.5, NaN, '80', 2 ** 53])];
      case 1: return [pick(hosts), listenPort, pick([0, 1, 0xfffff, 0x100000, -1]), pick([0, 1, 0xffffffff, 2 ** 32, -1])];
      case 2: return pick(paths);
      case 3: return pick(hostileScalars)();
      case 4: return [pick(hostileScalars)(), pick(hostileScalars)()];
      case 5: return [[pick(hosts), listenPort]];
      case 6: return Array.from({ length: int(8) }, () => pick(hostileScalars)());
      default: return ['127.0.0.1', listenPort];
    }
  };
  const ancillary = (): unknown => {
    const item = (): unknown => {
      switch (int(6)) {
        case 0: return [C.SOL_SOCKET, C.SCM_RIGHTS, Buffer.from(Int32Array.from({ length: int(4) }, () => pick([-1, 0, 1, 2, 999999])).buffer)];
        case 1: return [C.SOL_SOCKET, C.SCM_RIGHTS, Buffer.alloc(int(7))];
        case 2: return [C.SOL_SOCKET, C.SCM_CREDENTIALS ?? 2, Buffer.alloc(pick([0, 4, 12, 13]))];
        case 3: return [pick(numbers), pick(numbers), pick(buffers)()];
        case 4: return [pick(hostileScalars)(), 1];
        default: return pick(hostileScalars)();
      }
    };
    return int(4) === 0 ? pick(hostileScalars)() : Array.from({ length: int(5) }, item);
  };
  const options = (): unknown => {
    const aborted = new AbortController();
    aborted.abort();
    return pick([undefined, {}, null, { signal: aborted.signal }, { signal: new AbortController().signal },
      { signal: 5 }, { signal: {} }, 'opts', { timeout: pick(numbers) }]);
  };
  let pool: InstanceType<typeof bs.Socket>[] = [];
  const fdLike = (): unknown => pick([() => pick(pool), () => pick(pool)?.fd, () => -1, () => 1 << 20, () => 1024,
    () => 1.5, () => NaN, () => ({ fileno: () => pick(pool)?.fd ?? -1 }), () => ({ fileno: () => 'x' }),
    () => ({ fileno: () => { throw new EvilError('fileno'); } }), () => pick(hostileScalars)()])();
  const fdList = (): unknown => (int(6) === 0 ? pick(hostileScalars)() : Array.from({ length: int(4) }, fdLike));
  const anyArg = (): unknown => pick([() => pick(hostileScalars)(), () => pick(buffers)(), address, () => pick(numbers)])();
  const smallTimeout = (): unknown => pick([0, 0.001, -0, -1, NaN, Infinity, '0', 1n, {}, 1e-9]);

  // --- hostile JavaScript: user code that runs in the middle of a call --------------------------
  const gcNow = (globalThis as { gc?: () => void }).gc;
  const noop = (): void => undefined;
  const victims: Uint8Array[] = [];  // buffers handed to recent calls, for mischief to detach
  let quiet = false;  // no mischief while the fuzzer itself prints the arguments
  // Buffer's shared pool backs small Buffers all over Node: never detached.
  const detachable = (u: Uint8Array): boolean => u.buffer instanceof ArrayBuffer && u.buffer.byteLength !== Buffer.poolSize;
  function startOther(): void {
    const s = pick(pool);
    if (!s || s.closed) return;
    switch (int(3)) {
      case 0: s.recvInto(pick(victims) ?? new Uint8Array(16)).catch(noop); break;
      case 1: try { s.sendSync(Buffer.from('m'), C.MSG_DONTWAIT); } catch { /* any outcome */ } break;
      default: s.send(Buffer.from('m')).catch(noop);
    }
  }
  const mischiefs: Record<string, (array?: unknown[]) => void> = {
    detach: () => {
      const u = pick(victims);
      if (u && detachable(u)) try { structuredClone(u.buffer, { transfer: [u.buffer as ArrayBuffer] }); } catch { /* detached already */ }
    },
    resize: () => {
      const ab = pick(victims)?.buffer as unknown as { resizable?: boolean; resize(n: number): void } | undefined;
      if (ab?.resizable) ab.resize(0);
    },
    shrink: (array) => { if (array) array.length = 0; },
    close: () => { pick(pool)?.close(); },
    other: startOther,
    gc: () => gcNow?.(),
    throw: () => { throw new EvilError('mischief'); },
  };
  const mischiefNames = Object.keys(mischiefs);
  function mischief(array?: unknown[]): void {
    if (quiet) return;
    const name = pick(mischiefNames);
    result.mischief[name] = (result.mischief[name] ?? 0) + 1;
    mischiefs[name](array);
  }
  const trapped = <T extends object>(target: T, array?: unknown[]): T => new Proxy(target, {
    get(t, key, receiver) {
      if (int(3) === 0) mischief(array);
      return Reflect.get(t, key, receiver);
    },
  });
  // The same argument, with user code planted where the library will read it.
  function hostile(v: unknown, depth = 0): unknown {
    if (depth > 2) return v;
    if (v instanceof Uint8Array) {
      victims.push(v);
      if (victims.length > 64) victims.shift();
      return int(10) === 0 ? new Proxy(v, {}) : v;
    }
    if (Array.isArray(v)) {
      const items = v.map((x) => hostile(x, depth + 1));
      if (int(2) === 0) return trapped(items, items);
      // A getter (one past the end lengthens the array) that may answer differently on each read:
      // a buffer big enough to overrun anything sized from an earlier answer.
      const i = int(items.length + 1);
      const value = items[i];
      const fickle = int(2) === 0;
      const big = Buffer.alloc(1 << 16, 0x45);
      Object.defineProperty(items, i, {
        enumerable: true, configurable: true,
        get() { mischief(items); return fickle && int(2) === 0 ? big : value; },
      });
      return items;
    }
    if (typeof v === 'number' && int(4) === 0) return { valueOf() { mischief(); return v; }, toString() { mischief(); return String(v); } };
    if (typeof v === 'string' && int(4) === 0) return { toString() { mischief(); return v; } };
    if (v instanceof bs.Socket) {
      if (int(10) !== 0) return v;
      return new Proxy(v, {
        get(t, key) {
          if (int(4) === 0) mischief();
          const x = Reflect.get(t, key, t);
          return typeof x === 'function' ? x.bind(t) : x;
        },
      });
    }
    if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) return trapped(v);
    return v;
  }
  const maybeHostile = (args: unknown[]): [unknown[], boolean] => (int(3) === 0 ? [args.map((a) => hostile(a)), true] : [args, false]);

  // --- the pool of sockets every method is tried on ----------------------------------------------
  function newPool(): void {
    for (const s of pool) s.close();
    pool = [];
    const listener = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    listener.bind(['127.0.0.1', 0]);
    listener.listen(8);
    listenPort = (listener.getsockname() as [string, number])[1];
    const client = bs.socket();
    client.settimeout(1);
    client.connectSync(['127.0.0.1', listenPort]);
    const [served] = listener.acceptSync();
    const udp = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    udp.bind(['127.0.0.1', 0]);
    const udp6 = bs.socket(bs.AF_INET6, bs.SOCK_DGRAM);
    const closed = bs.socket();
    closed.close();
    pool.push(listener, client, served, udp, udp6, closed, ...bs.socketpair(), ...bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM),
      bs.socket(bs.AF_UNIX, bs.SOCK_STREAM), bs.socket(bs.AF_INET6, bs.SOCK_STREAM));
    for (const s of pool) if (!s.closed) s.settimeout(0);
  }

  // --- outcomes -----------------------------------------------------------------------------------
  const adopted: unknown[] = [];
  // Anything a call hands back that owns a descriptor is closed at once.
  function dispose(value: unknown, name: string): void {
    if (value instanceof bs.Socket) { if (!pool.includes(value)) value.close(); return; }
    if (Array.isArray(value)) {
      if (name.startsWith('recvFds') && Array.isArray(value[1])) for (const fd of value[1]) fs.closeSync(fd);
      if (name.startsWith('recvmsg') && Array.isArray(value[1])) {
        for (const [level, type, data] of value[1] as Array<[number, number, Buffer]>) {
          if (level === C.SOL_SOCKET && type === C.SCM_RIGHTS) {
            for (let i = 0; i + 4 <= data.length; i += 4) fs.closeSync(data.readInt32LE(i));
          }
        }
      }
      for (const item of value) if (item instanceof bs.Socket) dispose(item, name);
      return;
    }
    if ((name === 'detach' || name === 'dup') && typeof value === 'number' && value >= 0) fs.closeSync(value);
    if (value && typeof value === 'object' && 'close' in value && name === 'poll') adopted.push(value);
    if (value instanceof bs.Epoll) value.close();  // it owns an epoll descriptor
  }
  const allowed = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError ||
    e instanceof bs.SocketError || e instanceof bs.GaiError || e instanceof bs.HostError || e instanceof EvilError ||
    (e instanceof Error && e.name === 'AbortError');
  function record(name: string, e: unknown, describe: () => string): void {
    const kind = e === undefined ? 'ok' : e instanceof Error ? `${e.constructor.name}${(e as { code?: string }).code ? `:${(e as { code?: string }).code}` : ''}` : `non-error ${typeof e}`;
    result.outcomes[kind] = (result.outcomes[kind] ?? 0) + 1;
    if (e === undefined) return;
    if (!allowed(e)) {
      if (result.unexpected.length < 20) result.unexpected.push(`${describe()} -> ${e instanceof Error ? e.stack : String(e)}`);
    } else if ((e instanceof TypeError || e instanceof RangeError) && !(e as { code?: string }).code) {
      const key = `${name}: ${e.constructor.name}: ${e.message.slice(0, 90)}`;
      result.uncoded[key] = (result.uncoded[key] ?? 0) + 1;
    }
  }
  const show = (v: unknown): string => {
    try {
      if (typeof v === 'string') return v.length > 40 ? `'${v.slice(0, 20)}…'(${v.length})` : JSON.stringify(v);
      if (typeof v === 'bigint') return `${v}n`;
      if (typeof v === 'symbol' || typeof v === 'function') return String(v);
      if (ArrayBuffer.isView(v)) return `${v.constructor.name}(${v.byteLength})`;
      if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
      if (v instanceof bs.Socket) return `Socket(fd ${v.fd})`;
      return String(v);
    } catch { return '<unprintable>'; }
  };

  async function call(name: string, fn: () => unknown, argv: unknown[] = []): Promise<void> {
    result.calls++;
    let value: unknown;
    const describe = (): string => {
      quiet = true;
      try { return `${name}(${argv.map(show).join(', ')})`; } finally { quiet = false; }
    };
    fs.writeSync(progress, `${result.iterations} ${describe()}\n`, 0);
    try {
      value = fn();
    } catch (e) {
      record(name, e, describe);
      return;
    }
    if (value instanceof Promise) {
      result.promises++;
      let timer: NodeJS.Timeout | undefined;
      const hang = Symbol('hang');
      const settled = await Promise.race([
        value.then((v) => ({ v }), (e) => ({ e })),
        new Promise<symbol>((resolve) => { timer = setTimeout(() => resolve(hang), 3000); }),
      ]);
      clearTimeout(timer);
      if (settled === hang) { result.hangs.push(name); return; }
      const s = settled as { v?: unknown; e?: unknown };
      if ('e' in s) { record(name, s.e, describe); return; }
      value = s.v;
    }
    record(name, undefined, describe);
    dispose(value, name);
  }

  // --- what to call -------------------------------------------------------------------------------
  type Gen = () => unknown[];
  const methodArgs: Record<string, Gen> = {
    bind: () => [address()], listen: () => [pick([undefined, 0, -1, 5, 2 ** 31, NaN, 'x'])],
    shutdown: () => [pick([0, 1, 2, 3, -1, NaN, 'x'])], getsockname: () => [], getpeername: () => [],
    setsockopt: () => [pick([C.SOL_SOCKET, C.IPPROTO_TCP, C.IPPROTO_IP, pick(numbers)]), pick([C.SO_RCVBUF, C.SO_LINGER, C.SO_SNDTIMEO, C.TCP_NODELAY, pick(numbers)]), pick([...numbers, true, ...buffers.map((b) => b())])],
    getsockopt: () => [pick([C.SOL_SOCKET, pick(numbers)]), pick([C.SO_TYPE, C.SO_LINGER, C.SO_PEERCRED, pick(numbers)]), pick([undefined, 0, 1, 4, 8, 64, 1 << 20, (1 << 20) + 1, -1, NaN])],
    setblocking: () => [pick([true, false, 0, undefined])], getblocking: () => [], settimeout: () => [smallTimeout()],
    gettimeout: () => [], setInheritable: () => [pick([true, false, 1])], getInheritable: () => [], dup: () => [],
    detach: () => [], close: () => [], fileno: () => [], ref: () => [], unref: () => [],
    acceptSync: () => [], accept: () => [options()],
    connectSync: () => [address()], connectEx: () => [address()], connect: () => [address(), options()],
    sendSync: () => [pick(buffers)(), pick([undefined, 0, C.MSG_OOB, C.MSG_DONTWAIT, pick(numbers)])],
    send: () => [pick(buffers)(), pick([undefined, 0, pick(numbers)]), options()],
    sendallSync: () => [pick(buffers)(), pick([undefined, 0])], sendall: () => [pick(buffers)(), pick([undefined, 0, NaN]), options()],
    sendtoSync: () => (int(2) ? [pick(buffers)(), address()] : [pick(buffers)(), pick(numbers), address()]),
    sendto: () => (int(2) ? [pick(buffers)(), address(), options()] : [pick(buffers)(), pick([0, NaN, 1.5]), address(), options()]),
    recvSync: () => [pick([0, 1, 100, 70000, -1, NaN, 2 ** 31, 'x']), pick([undefined, 0, C.MSG_PEEK, C.MSG_TRUNC, C.MSG_ERRQUEUE, pick(numbers)])],
    recv: () => [pick([0, 1, 100, -1, NaN]), pick([undefined, 0, C.MSG_PEEK, C.MSG_WAITALL]), options()],
    recvIntoSync: () => [pick(buffers)(), pick([undefined, 0, 1, 5, 1000, -1, NaN]), pick([undefined, 0, C.MSG_TRUNC])],
    recvInto: () => [pick(buffers)(), pick([undefined, 0, 1, 1000, -1]), pick([undefined, 0]), options()],
    recvfromSync: () => [pick([0, 100, -1, NaN]), pick([undefined, 0, C.MSG_PEEK])],
    recvfrom: () => [pick([0, 100, -1]), pick([undefined, 0]), options()],
    recvfromIntoSync: () => [pick(buffers)(), pick([undefined, 0, 3, 99999]), pick([undefined, 0])],
    recvfromInto: () => [pick(buffers)(), pick([undefined, 0, 3]), pick([undefined, 0]), options()],
    sendmsgSync: () => [int(5) ? Array.from({ length: int(4) }, () => pick(buffers)()) : pick(hostileScalars)(), ancillary(), pick([undefined, 0, NaN]), pick([undefined, null, address()])],
    sendmsg: () => [int(5) ? Array.from({ length: int(4) }, () => pick(buffers)()) : pick(hostileScalars)(), ancillary(), pick([undefined, 0]), pick([undefined, null, address()]), options()],
    recvmsgSync: () => [pick([0, 1, 100, -1, NaN]), pick([undefined, 0, 1, 16, 24, 1 << 20, (1 << 20) + 1, -1, NaN]), pick([undefined, 0, C.MSG_PEEK, C.MSG_ERRQUEUE])],
    recvmsg: () => [pick([0, 100, -1]), pick([undefined, 0, 1, 24, -1]), pick([undefined, 0]), options()],
    recvmmsgSync: () => [int(5) ? Array.from({ length: int(5) }, () => pick(buffers)()) : pick(hostileScalars)(), pick([undefined, 0, NaN])],
    recvmmsg: () => [int(5) ? Array.from({ length: int(5) }, () => pick(buffers)()) : pick(hostileScalars)(), pick([undefined, 0]), options()],
    sendmmsgSync: () => [int(5) ? Array.from({ length: int(4) }, () => pick([[pick(buffers)()], [pick(buffers)(), address()], pick(hostileScalars)(), []])) : pick(hostileScalars)(), pick([undefined, 0])],
    sendmmsg: () => [int(5) ? Array.from({ length: int(4) }, () => pick([[pick(buffers)()], [pick(buffers)(), address()], []])) : pick(hostileScalars)(), pick([undefined, 0]), options()],
  };
  const sock = (): InstanceType<typeof bs.Socket> => pick(pool);
  /** A dup of an open pool socket's descriptor: the fuzzer's own to close. */
  const ownedCopies: Array<[fd: number, inode: number]> = [];
  const ownedCopy = (): number => {
    const s = sock();
    if (!s || s.closed) return -1;
    const fd = bs.dup(s.fd);
    ownedCopies.push([fd, fs.fstatSync(fd).ino]);
    return fd;
  };
  /** Closes the copies a call did not close (hostile arguments may have replaced them), still the same socket. */
  function closeOwnedCopies(): void {
    for (const [fd, inode] of ownedCopies.splice(0)) {
      try {
        if (fs.fstatSync(fd).ino === inode) fs.closeSync(fd);
      } catch { /* closed by the call */ }
    }
  }
  const fnArgs: Record<string, Gen> = {
    socket: () => [pick([C.AF_INET, C.AF_INET6, C.AF_UNIX, pick(numbers), anyArg()]), pick([C.SOCK_STREAM, C.SOCK_DGRAM, C.SOCK_STREAM | (C.SOCK_NONBLOCK ?? 0), pick(numbers)]), pick([0, pick(numbers)])],
    Socket: () => [pick([C.AF_INET, C.AF_UNIX, anyArg()]), pick([C.SOCK_STREAM, anyArg()]), pick([undefined, 0, anyArg()]), pick([undefined, -1, 1.5, NaN, 1 << 20, 'x', 2 ** 32])],
    socketpair: () => [pick([undefined, C.AF_UNIX, C.AF_INET, anyArg()]), pick([undefined, C.SOCK_DGRAM, C.SOCK_SEQPACKET, anyArg()]), pick([undefined, 0, anyArg()])],
    fromfd: () => [pick([sock().fd, -1, 0, 1 << 20, NaN, anyArg()]), pick([undefined, C.AF_INET, anyArg()]), pick([undefined, anyArg()]), pick([undefined, anyArg()])],
    createConnection: () => [pick([['127.0.0.1', listenPort], ['::1', listenPort], address()]), pick([undefined, { timeout: pick([0.001, 0, -1, NaN]) }, { sourceAddress: address(), timeout: 0.5 }, anyArg()])],
    createConnectionSync: () => [pick([['127.0.0.1', listenPort], ['::1', 1], address()]), pick([undefined, { timeout: pick([0.001, 0, -1, NaN]) }, { sourceAddress: address(), timeout: 0.5 }, anyArg()])],
    createServer: () => [pick([['127.0.0.1', 0], address()]), pick([undefined, { backlog: pick(numbers) }, { family: pick(numbers) }, { reusePort: 'x' }, { dualstackIpv6: true }, anyArg()])],
    setdefaulttimeout: () => [smallTimeout()],
    sendFds: () => [pick([sock(), anyArg()]), pick([[Buffer.from('x')], [], anyArg()]), pick([[0], [sock().fd], [-1], [1 << 20], [1.5], anyArg(), Array(300).fill(0)]), pick([undefined, 0]), pick([undefined, address()]), options()],
    sendFdsSync: () => [pick([sock(), anyArg()]), pick([[Buffer.from('x')], [], anyArg()]), pick([[0], [sock().fd], [-1], [1 << 20], anyArg()]), pick([undefined, 0]), pick([undefined, address()])],
    recvFds: () => [pick([sock(), anyArg()]), pick([0, 10, -1, anyArg()]), pick([1, 0, 3, 253, 254, -1, NaN, anyArg()]), pick([undefined, 0]), options()],
    recvFdsSync: () => [pick([sock(), anyArg()]), pick([0, 10, -1, anyArg()]), pick([1, 0, 3, 253, 254, -1, NaN, anyArg()]), pick([undefined, 0])],
    // Infinity, like null, means "wait forever" to select: not generated.
    select: () => [fdList(), fdList(), fdList(), pick([0, 0.001, -0, -1, NaN, '0', 1n, {}, 1e-9])],
    selectSync: () => [fdList(), fdList(), fdList(), pick([0, 0.001, -0, -1, NaN, '0', 1n, {}, 1e-9])],
    getaddrinfo: () => [pick([...hosts, null, nonString()]), pick([null, 80, 'http', 'nosuchservice', -1, 65536, 1.5, anyArg()]), pick([0, C.AF_INET, C.AF_INET6, anyArg()]), pick([0, C.SOCK_STREAM, anyArg()]), pick([0, anyArg()]), pick([0, C.AI_NUMERICHOST, C.AI_CANONNAME, -1, anyArg()])],
    getaddrinfoSync: () => fnArgs.getaddrinfo(),
    getnameinfo: () => [pick([['127.0.0.1', 80], ['127.0.0.1', 0, 0, 0], ['127.0.0.1', 70000], [pick(reverseHosts), pick([80, -1, 1.5])],
      [nonString(), 80], ['127.0.0.1', nonString()], nonString(), [pick(reverseHosts), 80, nonString(), nonString()]]),
    pick([0, C.NI_NUMERICHOST, C.NI_NAMEREQD, C.NI_NUMERICSERV, -1, anyArg()])],
    getnameinfoSync: () => fnArgs.getnameinfo(),
    gethostbyname: () => [pick([...hosts, nonString()])], gethostbynameSync: () => [pick([...hosts, nonString()])],
    gethostbynameEx: () => [pick([...hosts, nonString()])], gethostbynameExSync: () => [pick([...hosts, nonString()])],
    gethostbyaddr: () => [pick([...reverseHosts, nonString()])],
    gethostbyaddrSync: () => [pick([...reverseHosts, nonString()])],
    getservbyname: () => [pick(['http', 'nosuch', '', longLabel(10000), 'a\0b', anyArg()]), pick([undefined, null, 'tcp', 'udp', 'x\0', anyArg()])],
    getservbyport: () => [pick([80, 0, -1, 65536, NaN, anyArg()]), pick([undefined, null, 'tcp', anyArg()])],
    getprotobyname: () => [pick(['tcp', 'nosuch', '', 'a\0b', anyArg()])],
    inet_pton: () => [pick([C.AF_INET, C.AF_INET6, C.AF_UNIX, anyArg()]), pick([...hosts, anyArg()])],
    inet_ntop: () => [pick([C.AF_INET, C.AF_INET6, anyArg()]), pick(buffers)()],
    if_nametoindex: () => [pick(['lo', '', longLabel(10000), 'lo\0', anyArg()])],
    if_indextoname: () => [pick([1, 0, -1, 2 ** 32, NaN, anyArg()])],
    // The process's own descriptors (stdio, libuv's epoll and signal pipes, mocha's) and this
    // machine's name are not the fuzzer's: close() and dup() get only descriptors it owns, or ones
    // that cannot be open, and sethostname() only arguments refused before the system call.
    close: () => [pick([ownedCopy, () => -1, () => 1 << 30, () => pick(nonNumbers)()])()],
    dup: () => [pick([() => sock().fd, () => -1, () => 1 << 30, () => pick(nonNumbers)()])()],
    sethostname: () => [pick(nonNumbers.filter((make) => { const v = make(); return typeof v !== 'string'; }))()],
  };
  // Calls that may wait without a timeout, or may reach other machines, get safe generators above;
  // every other export gets random arguments.
  const exportsToCall = Object.entries(bs).filter(([name, v]) => typeof v === 'function' &&
    !/Error$/.test(name) && !['Poller', 'SocketError', 'GaiError', 'HostError'].includes(name) &&
    (name[0] === name[0].toLowerCase() || name === 'Socket') &&
    !['poll'].includes(name)) as Array<[string, (...a: unknown[]) => unknown]>;
  const methods = Object.keys(methodArgs);
  const prototypeMethods = Object.getOwnPropertyNames(bs.Socket.prototype).filter((m) => {
    const d = Object.getOwnPropertyDescriptor(bs.Socket.prototype, m);
    return m !== 'constructor' && typeof d?.value === 'function';
  });
  // TypeScript's private methods are on the prototype too: listed (for a look), never called.
  const untested = prototypeMethods.filter((m) => !(m in methodArgs));
  const missing = methods.filter((m) => !prototypeMethods.includes(m));

  function resetModes(): void {
    bs.setdefaulttimeout(0);
    for (const s of pool) if (!s.closed) s.settimeout(0);
  }

  // A poller over the pool, with random (mostly hostile) registrations; only zero timeouts.
  async function pollerRound(): Promise<void> {
    const p = bs.poll();
    for (let i = int(4); i > 0; i--) await call('Poller.register', () => p.register(hostile(fdLike()) as number, hostile(pick([undefined, 1, 4, 0xffff, -1, NaN, anyArg()])) as number));
    await call('Poller.modify', () => p.modify(hostile(fdLike()) as number, hostile(pick([1, 4, NaN])) as number));
    await call('Poller.pollSync', () => p.pollSync(pick([0, -0, NaN, 'x', 1n]) as number));
    await call('Poller.poll', () => p.poll(pick([0, 1, NaN]) as number));
    await call('Poller.unregister', () => p.unregister(hostile(fdLike()) as number));
  }

  // A pending recvInto whose buffer is detached or shrunk before the data arrives: the kernel must
  // never write into memory the buffer no longer has.
  async function pendingBufferRound(): Promise<void> {
    const [a, b] = bs.socketpair();
    try {
      a.settimeout(2);
      const shrink = int(2) === 0;
      let target: Uint8Array;
      if (shrink) {
        const ab = new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(4096, { maxByteLength: 4096 });
        target = new Uint8Array(ab);
      } else {
        target = new Uint8Array(4096);
      }
      const pending = a.recvInto(target);
      await new Promise((r) => setImmediate(r));
      if (shrink) (target.buffer as unknown as { resize(n: number): void }).resize(8);
      else structuredClone(target.buffer, { transfer: [target.buffer as ArrayBuffer] });
      b.sendallSync(Buffer.alloc(4096, 7));
      await call('recvInto(pending, detached/shrunk)', () => pending);
    } finally {
      a.close();
      b.close();
    }
  }

  // --- the loop -------------------------------------------------------------------------------------
  const started = Date.now();
  newPool();
  resetModes();
  let i = 0;
  for (; i < iterations && Date.now() - started < budgetMs; i++) {
    result.iterations = i + 1;
    if (i % 250 === 249) newPool();
    const roll = int(100);
    if (roll < 55) {
      const s = sock();
      const m = pick(methods);
      const [args, evil] = maybeHostile(methodArgs[m]());
      if (evil) result.hostileCalls++;
      await call(m, () => (s as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...args), args);
      if (m === 'close' || m === 'detach') { pool[pool.indexOf(s)] = (() => { const x = bs.socket(); x.settimeout(0); return x; })(); }
    } else if (roll < 95) {
      const [name, fn] = pick(exportsToCall);
      const [args, evil] = maybeHostile((fnArgs[name] ?? (() => Array.from({ length: int(5) }, anyArg)))());
      if (evil) result.hostileCalls++;
      await call(name, () => (name === 'Socket' ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args)), args);
      closeOwnedCopies();
    } else if (roll < 98) {
      await pollerRound();
    } else {
      await pendingBufferRound();
    }
    resetModes();
    // Calls that must fail because of an argument are also tried on a closed socket.
    if (roll % 10 === 0) {
      const closedSock = pool.find((s) => s.closed);
      const m = pick(methods);
      if (closedSock) await call(`closed.${m}`, () => (closedSock as unknown as Record<string, (...a: unknown[]) => unknown>)[m](...methodArgs[m]()));
    }
  }
  for (const s of pool) s.close();
  for (const p of adopted) (p as { close(): void }).close();
  bs.setdefaulttimeout(null);
  await new Promise((r) => setTimeout(r, 50));
  result.ms = Date.now() - started;
  const after = openFds();
  fs.closeSync(progress);
  result.fdsAfter = after.length;
  const links = (list: string[]): string[] => list.map((fd) => { try { return `${fd} -> ${fs.readlinkSync(`/proc/self/fd/${fd}`)}`; } catch { return fd; } });
  if (after.length !== fdsBefore.length) {
    result.fdsLeaked = [...links(after.filter((fd) => !fdsBefore.includes(fd))), ...fdsBefore.filter((fd) => !after.includes(fd)).map((fd) => `${fd} closed`)];
  }
  Object.assign(result, { untested, missing });
  process.chdir(os.tmpdir());
  fs.rmSync(dir, { recursive: true, force: true });
  return result;
}

if (process.env.BSD_FUZZ_CHILD) {
  const seed = Number(process.env.FUZZ_SEED);
  const iterations = Number(process.env.FUZZ_ITERATIONS);
  const budget = Number(process.env.FUZZ_BUDGET_MS);
  process.on('warning', () => undefined);
  runFuzz(seed, iterations, budget, process.env.BSD_FUZZ_PROGRESS!).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }, (e) => {
    process.stderr.write(`fuzzer harness error: ${e?.stack ?? e}\n`);
    process.exit(3);
  });
} else if (typeof describe === 'function') {
  describe('fuzz: hostile arguments to every export and Socket method', () => {
    it('only typed errors come out, the process survives, no descriptor leaks', async function () {
      const iterations = Number(process.env.FUZZ_ITERATIONS ?? 100000);
      const budgetMs = Number(process.env.FUZZ_BUDGET_MS ?? 30000);
      const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : (Date.now() % 0x7fffffff);
      this.timeout(budgetMs + 60000);
      console.log(`      fuzz seed ${seed} (repeat with FUZZ_SEED=${seed}), up to ${iterations} iterations`);
      const progress = path.join(os.tmpdir(), `bsd-fuzz-progress-${process.pid}`);
      const child = spawn(process.execPath, ['--expose-gc', __filename], {
        env: { ...process.env, BSD_FUZZ_CHILD: '1', FUZZ_SEED: String(seed), FUZZ_ITERATIONS: String(iterations),
          FUZZ_BUDGET_MS: String(budgetMs), BSD_FUZZ_PROGRESS: progress },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => { out += d; });
      child.stderr.on('data', (d) => { err += d; });
      const killer = setTimeout(() => child.kill('SIGKILL'), budgetMs + 45000);
      const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      clearTimeout(killer);
      let last = '';
      try { last = fs.readFileSync(progress, 'utf8').split('\n')[0]; fs.rmSync(progress); } catch { /* none */ }
      if (code !== 0) {
        throw new Error(`the fuzzed process died (code ${code}, signal ${signal}) at iteration/call "${last}" with seed ${seed}\n${err.slice(-4000)}`);
      }
      const r = JSON.parse(out.trim().split('\n').pop()!) as FuzzResult & { untested: string[]; missing: string[] };
      const top = Object.entries(r.outcomes).sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`      ${r.iterations} iterations, ${r.calls} calls (${r.promises} Promise forms) in ${r.ms} ms; outcomes: ${top}`);
      const mischief = Object.entries(r.mischief).map(([k, v]) => `${k} ${v}`).join(', ');
      console.log(`      ${r.hostileCalls} calls with hostile arguments; user code in mid-call did: ${mischief}`);
      const uncoded = Object.entries(r.uncoded);
      if (uncoded.length) console.log(`      TypeError/RangeError without a code (${uncoded.length} kinds):\n${uncoded.slice(0, 15).map(([k, v]) => `        ${v}× ${k}`).join('\n')}`);
      console.log(`      Socket prototype methods not fuzzed (private helpers): ${r.untested.join(', ')}`);
      assert.deepEqual(r.missing, [], 'API methods missing from Socket');
      if (r.unexpected.length) throw new Error(`errors of an unexpected kind (seed ${seed}):\n${r.unexpected.join('\n')}`);
      if (r.hangs.length) throw new Error(`Promises that did not settle within 3 s (seed ${seed}): ${r.hangs.join(', ')}`);
      if (r.fdsAfter !== r.fdsBefore) throw new Error(`descriptors: ${r.fdsBefore} before, ${r.fdsAfter} after (seed ${seed}): ${r.fdsLeaked.join('; ')}`);
      if (r.iterations < Math.min(iterations, 2000)) throw new Error(`only ${r.iterations} iterations ran in the time budget`);
      if (r.calls < r.iterations) throw new Error('fewer calls than iterations');
      if (r.hostileCalls < r.iterations / 5) throw new Error(`only ${r.hostileCalls} calls had hostile arguments`);
      for (const kind of ['detach', 'shrink', 'close', 'other', 'gc']) {
        if (!r.mischief[kind]) throw new Error(`no hostile getter ever did "${kind}" in mid-call`);
      }
    });
  });
}
