// The bsd-sockets side of the differential suite: the twin of scripts/differential_driver.py.
// Runs each sequence it reads (JSON lines on stdin) against its own sockets and prints one
// normalised result per step, in exactly the driver's format, so that results compare by value.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import * as bsd from '../../lib/index';
import type { AddressSpec, DataSpec, Step } from './steps';

const C = bsd.constants as unknown as Record<string, number | undefined>;
const TMP = fs.mkdtempSync(path.join(os.tmpdir(), 'bsdd-js-'));
const ABSTRACT = Buffer.from(`bsdd-js-${process.pid}-`);
const PREFIXES = ['AF_', 'SOCK_', 'SOL_', 'SO_', 'IPPROTO_', 'IP_', 'IPV6_', 'TCP_', 'UDP_', 'MSG_', 'SHUT_',
  'SCM_', 'AI_', 'NI_', 'EAI_', 'INADDR_', 'ETH_P_', 'PACKET_', 'SOMAXCONN', 'EPOLL'];

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
class NoSocket extends Error {}
class NoConstant extends Error {}

function constantTable(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, value] of Object.entries(C)) {
    if (typeof value === 'number' && PREFIXES.some((p) => name.startsWith(p))) out[name] = value;
  }
  return out;
}

export function fnv(data: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of data) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h;
}

function dataOf(spec: DataSpec): Buffer {
  const block = Buffer.alloc(256);
  for (let i = 0; i < 256; i++) block[i] = (spec.fill + i) & 255;
  return Buffer.alloc(spec.n, block);
}

/** 'sock', or what is wrong with the descriptor a call handed out (0, 1, 2: the process's own). */
const sockTag = (fd: number): Json => (fd > 2 ? 'sock' : 'stdio-fd');

/** The Sync twin of each module function that has one (API.md: anything that can wait). */
const SYNC_NAMES = new Set(['getaddrinfo', 'getnameinfo', 'gethostbyname', 'gethostbynameEx', 'gethostbyaddr', 'getfqdn']);

function encBytes(b: Uint8Array): Json {
  return b.length <= 64 ? { b: Buffer.from(b).toString('hex') } : { len: b.length, fnv: fnv(b) };
}

function constant(name: string): number {
  const value = C[name];
  if (value === undefined) throw new NoConstant(name);
  return value;
}

function flagsOf(names: string[] | undefined): number {
  let value = 0;
  for (const name of names ?? []) value |= constant(name);
  return value;
}

/** The flags argument of a step that may pass an explicit undefined instead (undefFlags). */
function flagsArg(st: Step): number {
  return (st.undefFlags ? undefined : flagsOf(st.flags)) as number;
}

function sent(n: number, spec: { n: number }): Json {
  return n === spec.n || n <= 0 ? n : { partial: true };
}

function errorResult(error: unknown): Json {
  if (error instanceof NoSocket) return { err: 'NoSocket' };
  if (error instanceof NoConstant) return { err: 'NoConstant' };
  if (error instanceof bsd.KeyError) return { err: 'KeyError' };
  const e = error as { name?: string; errno?: number; code?: string; constructor?: { name: string } };
  if (error instanceof bsd.GaiError) return { err: 'GaiError', errno: e.errno!, isOSError: error instanceof bsd.SocketError };
  if (error instanceof bsd.SocketError) return { err: e.constructor!.name, errno: e.errno!, code: e.code! };
  if (error instanceof TypeError || error instanceof RangeError) {
    // without a Node code it is not an argument check: say where it came from
    return e.code ? { err: e.constructor!.name, code: e.code } : { err: e.constructor!.name, code: null, message: String((error as Error).stack).slice(0, 400) };
  }
  return { err: 'Unexpected', message: String((error as Error)?.message ?? error) };
}

class Seq {
  readonly socks = new Map<string, bsd.Socket>();
  readonly dir: string;
  readonly abstract: Buffer;

  constructor(seqId: number) {
    this.dir = path.join(TMP, `s${seqId}`);
    fs.mkdirSync(this.dir);
    this.abstract = Buffer.concat([ABSTRACT, Buffer.from(`${seqId}-`)]);
  }

  /** The sequence's epoll objects and selectors (issue 22), by the generator's ids. */
  readonly eps = new Map<string, bsd.Epoll>();
  readonly sels = new Map<string, bsd.BaseSelector>();
  /** Copies of sequence sockets' descriptors made for close(fd)/dup(fd), [fd, inode]: the run's own to close. */
  private readonly owned: Array<[number, number]> = [];

  close(): void {
    for (const k of this.sels.values()) k.close();
    for (const ep of this.eps.values()) ep.close();
    for (const [fd, ino] of this.owned) {
      try {
        if (fs.fstatSync(fd).ino === ino) fs.closeSync(fd);  // still the copy: the step did not close it
      } catch { /* closed by the step */ }
    }
    for (const s of this.socks.values()) {
      try { s.close(); } catch { /* closing is best effort here */ }
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  sock(id: string): bsd.Socket {
    const s = this.socks.get(id);
    if (!s) throw new NoSocket(id);
    return s;
  }

  // --- addresses --------------------------------------------------------------------------
  address(spec: AddressSpec): unknown {
    if ('raw' in spec) return this.raw(spec.raw);
    if ('inet' in spec) return [spec.inet, spec.port];
    if ('portOf' in spec) return [spec.host, (this.sock(spec.portOf).getsockname() as [string, number])[1]];
    if ('nameOf' in spec) return this.sock(spec.nameOf).getsockname();
    if ('unix' in spec) {
      const p = path.join(this.dir, spec.unix);
      if (spec.enc === 'str') return p;
      if (spec.enc === 'bytes') return Buffer.from(p);
      return Buffer.concat([Buffer.from(p), Buffer.from([0xff])]);
    }
    if ('abstract' in spec) {
      const name = Buffer.concat([Buffer.from([0]), this.abstract, Buffer.from(spec.abstract)]);
      return spec.enc === 'bytes' ? name : name.toString('latin1');
    }
    if ('packet' in spec) return [spec.packet, spec.proto];
    throw new Error('bad address spec');
  }

  raw(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.raw(v));
    if (value && typeof value === 'object' && 'b' in value) return Buffer.from((value as { b: string }).b, 'hex');
    return value;
  }

  normAddress(addr: unknown): Json {
    if (addr === null || addr === undefined) return null;
    if (Array.isArray(addr)) {
      if (addr.length >= 2 && typeof addr[0] === 'string' && typeof addr[1] === 'number' && addr.length !== 5) {
        return [addr[0], this.normPort(addr[1]), ...addr.slice(2)];
      }
      return addr.map((a) => (Buffer.isBuffer(a) ? encBytes(a) : a));
    }
    if (typeof addr === 'string') return this.normPath(Buffer.from(addr, 'utf8'), 'str');
    if (Buffer.isBuffer(addr)) return this.normPath(addr, 'bytes');
    return `unexpected ${typeof addr}`;
  }

  normPath(raw: Buffer, kind: string): Json {
    const abs = Buffer.concat([Buffer.from([0]), this.abstract]);
    if (raw.subarray(0, abs.length).equals(abs)) return { [kind]: '@' + raw.subarray(abs.length).toString('latin1') };
    if (raw[0] === 0 && raw.length === 6) return { [kind]: '@autobind' };
    const dir = Buffer.from(this.dir);
    if (raw.subarray(0, dir.length).equals(dir)) raw = Buffer.concat([Buffer.from('$T'), raw.subarray(dir.length)]);
    return { [kind]: raw.toString('latin1') };
  }

  normPort(port: number): Json {
    if (port === 0) return 0;
    for (const [id, s] of this.socks) {
      if (s.closed || (s.family !== C.AF_INET && s.family !== C.AF_INET6)) continue;
      try {
        const name = s.getsockname() as [string, number];
        if (name[1] === port) return '@' + id;
      } catch { /* unbound or failing: not this one */ }
    }
    return '@other';
  }

  // --- steps --------------------------------------------------------------------------------
  async run(step: Step): Promise<[Json, number]> {
    const start = performance.now();
    let result: Json;
    try {
      result = (await this.execute(step)) ?? null;
    } catch (error) {
      result = errorResult(error);
    }
    return [result, performance.now() - start];
  }

  private execute(st: Step): Json | undefined | Promise<Json | undefined> {
    const method = (this as unknown as Record<string, (st: Step) => Json | undefined | Promise<Json | undefined>>)[`op_${st.op}`];
    return method.call(this, st);
  }

  op_socket(st: Step): Json {
    let type = constant(st.type!);
    for (const flag of st.typeFlags ?? []) type |= constant(flag);
    let proto = typeof st.proto === 'string' ? constant(st.proto) : st.proto ?? 0;
    if (st.htons) proto = bsd.htons(proto);
    this.socks.set(st.as as string, bsd.socket(constant(st.family!), type, proto));
    return 'sock';
  }

  op_socketpair(st: Step): Json {
    const [a, b] = bsd.socketpair(constant(st.family!), constant(st.type!));
    const [ia, ib] = st.as as string[];
    this.socks.set(ia, a);
    this.socks.set(ib, b);
    return 'sock';
  }

  op_bind(st: Step): undefined {
    this.sock(st.id!).bind(this.address(st.addr!) as bsd.Address);
    return undefined;
  }

  op_listen(st: Step): undefined {
    this.sock(st.id!).listen(st.backlog);
    return undefined;
  }

  async op_connect(st: Step): Promise<undefined> {
    const s = this.sock(st.id!);
    const addr = this.address(st.addr!) as bsd.Address;
    if (st.form === 'sync') s.connectSync(addr);
    else await s.connect(addr);
    return undefined;
  }

  op_connectEx(st: Step): Json {
    const e = this.sock(st.id!).connectEx(this.address(st.addr!) as bsd.Address);
    return { errno: e };
  }

  async op_accept(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const [conn, addr] = st.form === 'sync' ? s.acceptSync() : await s.accept();
    const tag = sockTag(conn.fd);
    if (tag === 'sock') this.socks.set(st.as as string, conn);
    else conn.detach();  // the runner's own stdin/stdout/stderr: never closed by the sequence (issue 19 defect 1)
    return [tag, this.normAddress(addr)];
  }

  op_close(st: Step): undefined {
    this.sock(st.id!).close();
    return undefined;
  }

  op_shutdown(st: Step): undefined {
    this.sock(st.id!).shutdown(constant(st.how!));
    return undefined;
  }

  op_dup(st: Step): Json {
    this.socks.set(st.as as string, this.sock(st.id!).dup());
    return 'sock';
  }

  op_detachFromfd(st: Step): Json {
    const s = this.sock(st.id!);
    const [family, type] = [s.family, s.type];
    const fd = s.detach();
    try {
      const args = st.family ? [constant(st.family), constant(st.type!)] : [family, type];
      this.socks.set(st.as as string, bsd.fromfd(fd, args[0], args[1]));
    } finally {
      fs.closeSync(fd);
    }
    return 'sock';
  }

  op_mode(st: Step): undefined {
    const s = this.sock(st.id!);
    if (st.mode === 'blocking') s.settimeout(null);
    else if (st.mode === 'nonblocking') s.setblocking(false);
    else s.settimeout(st.timeout ?? 0.1);
    return undefined;
  }

  op_settimeout(st: Step): undefined {
    this.sock(st.id!).settimeout(st.value as number | null);
    return undefined;
  }

  op_gettimeout(st: Step): Json {
    return this.sock(st.id!).gettimeout();
  }

  op_getblocking(st: Step): Json {
    return this.sock(st.id!).getblocking();
  }

  op_fileno(st: Step): Json {
    return this.sock(st.id!).fileno() >= 0;
  }

  async op_send(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const data = dataOf(st.data!);
    const f = flagsOf(st.flags);
    return sent(st.form === 'sync' ? s.sendSync(data, f) : await s.send(data, f), st.data!);
  }

  async op_sendall(st: Step): Promise<undefined> {
    const s = this.sock(st.id!);
    const data = dataOf(st.data!);
    const f = flagsOf(st.flags);
    if (st.form === 'sync') s.sendallSync(data, f);
    else await s.sendall(data, f);
    return undefined;
  }

  async op_sendto(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const data = dataOf(st.data!);
    const addr = this.address(st.addr!) as bsd.Address;
    let n: number;
    if (st.flags === undefined) n = st.form === 'sync' ? s.sendtoSync(data, addr) : await s.sendto(data, addr);
    else n = st.form === 'sync' ? s.sendtoSync(data, flagsOf(st.flags), addr) : await s.sendto(data, flagsOf(st.flags), addr);
    return sent(n, st.data!);
  }

  async op_recv(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const f = flagsOf(st.flags);
    return encBytes(st.form === 'sync' ? s.recvSync(st.n!, f) : await s.recv(st.n!, f));
  }

  private intoBuffer(st: Step): [Buffer, Buffer] {
    const buf = Buffer.alloc(st.size!, 0xee);
    return [buf, buf.subarray(st.off ?? 0)];
  }

  async op_recvInto(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const [buf, view] = this.intoBuffer(st);
    // no flags: the argument is left out (explicit undefined for flags is a TypeError, API.md)
    const args: [Buffer, number | undefined, number?] = st.flags?.length ? [view, st.nbytes, flagsOf(st.flags)] : [view, st.nbytes];
    const n = st.form === 'sync' ? s.recvIntoSync(...args) : await s.recvInto(...args);
    return [n, encBytes(buf)];
  }

  async op_recvfrom(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const f = flagsOf(st.flags);
    const [data, addr] = st.form === 'sync' ? s.recvfromSync(st.n!, f) : await s.recvfrom(st.n!, f);
    return [encBytes(data), this.normAddress(addr)];
  }

  async op_recvfromInto(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const [buf, view] = this.intoBuffer(st);
    const args: [Buffer, number | undefined, number?] = st.flags?.length ? [view, st.nbytes, flagsOf(st.flags)] : [view, st.nbytes];
    const [n, addr] = st.form === 'sync' ? s.recvfromIntoSync(...args) : await s.recvfromInto(...args);
    return [n, this.normAddress(addr), encBytes(buf)];
  }

  async op_sendmsg(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const bufs = st.bufs!.map(dataOf);
    const anc = (st.anc as string[][] | undefined ?? []).map(([lv, ty, hex]) => [constant(lv), constant(ty), Buffer.from(hex, 'hex')] as bsd.Ancillary);
    const addr = st.addr ? this.address(st.addr) as bsd.Address : undefined;
    const f = flagsOf(st.flags);
    const n = st.form === 'sync' ? s.sendmsgSync(bufs, anc, f, addr) : await s.sendmsg(bufs, anc, f, addr);
    return sent(n, { n: st.bufs!.reduce((sum, d) => sum + d.n, 0) });
  }

  async op_recvmsg(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const anc = (st.anc as number | undefined) ?? 0;
    const f = flagsOf(st.flags);
    const [data, ancdata, msgFlags, addr] = st.form === 'sync' ? s.recvmsgSync(st.n!, anc, f) : await s.recvmsg(st.n!, anc, f);
    return [encBytes(data), ancdata.map(([lv, ty, d]) => [lv, ty, d.length]), msgFlags, this.normAddress(addr)];
  }

  op_getsockname(st: Step): Json {
    return this.normAddress(this.sock(st.id!).getsockname());
  }

  op_getpeername(st: Step): Json {
    return this.normAddress(this.sock(st.id!).getpeername());
  }

  op_setsockopt(st: Step): undefined {
    const v = st.value;
    const value = v !== null && typeof v === 'object' ? Buffer.from((v as { b: string }).b, 'hex') : v as number;
    this.sock(st.id!).setsockopt(constant(st.level!), constant(st.name!), value);
    return undefined;
  }

  op_getsockopt(st: Step): Json {
    const s = this.sock(st.id!);
    const [level, name] = [constant(st.level!), constant(st.name!)];
    if (st.buflen === undefined) {
      const v = s.getsockopt(level, name);
      return st.volatile ? '<volatile>' : v;
    }
    const v = s.getsockopt(level, name, st.buflen);
    return st.volatile ? { len: v.length } : encBytes(v);
  }

  // --- module functions, explicit undefined, and the calls Python has in its socket module -----
  /** A generated argument: {u} is undefined (Python's None), {b} bytes, {c} a constant, {t} a tuple, {buf} a buffer. */
  value(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (v === null || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    if ('u' in o) return undefined;
    if ('b' in o) return Buffer.from(o.b as string, 'hex');
    if ('c' in o) return constant(o.c as string);
    if ('or' in o) return flagsOf(o.or as string[]);
    if ('t' in o) return (o.t as unknown[]).map((x) => this.value(x));
    if ('buf' in o) return Buffer.alloc(o.buf as number, 0xee);
    if ('addr' in o) return this.address(o.addr as AddressSpec);
    if ('fdOf' in o) return this.sock(o.fdOf as string).fileno();
    if ('sock' in o) return this.sock(o.sock as string);
    if ('epfd' in o) return this.epollOf(o.epfd as string).fileno();
    if ('copyOf' in o) return this.ownedCopy(o.copyOf as string);
    if ('closedFd' in o) {
      const fd = this.ownedCopy(o.closedFd as string);
      fs.closeSync(fd);  // a number that was the run's own and is closed now (nothing runs in between)
      return fd;
    }
    return v;
  }

  /** A copy of a sequence socket's descriptor, made here with dup(2) and closed at the end if the step did not. */
  ownedCopy(id: string): number {
    const fd = bsd.dup(this.sock(id).fileno());
    this.owned.push([fd, fs.fstatSync(fd).ino]);
    return fd;
  }

  normValue(v: unknown): Json {
    if (v === undefined || v === null) return null;
    if (Buffer.isBuffer(v) || v instanceof Uint8Array) return encBytes(v);
    if (v instanceof bsd.Socket) {
      v.close();
      return 'sock';
    }
    if (Array.isArray(v)) {
      if (v.length >= 2 && typeof v[0] === 'string' && typeof v[1] === 'number') return this.normAddress(v);
      return v.map((x) => this.normValue(x));
    }
    return v as Json;
  }

  async op_fn(st: Step): Promise<Json> {
    const lib = bsd as unknown as Record<string, (...args: unknown[]) => unknown>;
    const name = st.form === 'sync' && SYNC_NAMES.has(st.name!) ? `${st.name}Sync` : st.name!;
    const result = await lib[name](...(st.args as unknown[]).map((a) => this.value(a)));
    if (st.name === 'dup') return this.newDescriptor(result as number);
    return this.normValue(result);
  }

  /** dup(fd)'s result: 'fd', closed here (never 0, 1 or 2: the process's own, as sockTag says). */
  newDescriptor(fd: number): Json {
    if (fd > 2) fs.closeSync(fd);
    return fd > 2 ? 'fd' : 'stdio-fd';
  }

  // --- epoll and selectors (issue 22) ------------------------------------------------------------
  epollOf(id: string): bsd.Epoll {
    const ep = this.eps.get(id);
    if (!ep) throw new NoSocket(id);
    return ep;
  }

  /** A descriptor as the id of the sequence socket or epoll object that has it now, else 'other'. */
  idOf(fd: number): string {
    for (const [id, s] of this.socks) if (!s.closed && s.fd === fd) return id;
    for (const [id, ep] of this.eps) if (!ep.closed && ep.fileno() === fd) return id;
    return 'other';
  }

  /** Ready pairs with their descriptors as ids, in a fixed order. */
  readyList(pairs: Array<[unknown, number]>, first: (item: unknown) => Json): Json {
    const out = pairs.map(([item, events]) => [first(item), events] as Json[]);
    return out.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
  }

  op_epoll(st: Step): Json {
    this.eps.set(st.as as string, bsd.epoll(...(st.args as unknown[]).map((a) => this.value(a)) as [number?, number?]));
    return 'epoll';
  }

  /** epoll.fromfd of a copy of another epoll object's descriptor: the new object owns the copy. */
  op_epFromfd(st: Step): Json {
    const copy = bsd.dup(this.epollOf(st.id!).fileno());
    this.eps.set(st.as as string, bsd.epoll.fromfd(copy));
    return 'epoll';
  }

  async op_ep(st: Step): Promise<Json> {
    const args = (st.args as unknown[]).map((a) => this.value(a));
    if (st.name === 'fromfd') {
      bsd.epoll.fromfd(args[0] as number).close();
      return 'epoll';
    }
    const ep = this.epollOf(st.id!);
    if (st.name === 'closed') return ep.closed;
    if (st.name === 'fileno') return ep.fileno() >= 0;
    if (st.name === 'poll') {
      const [timeout, max] = args as [number, number];
      const ready = st.form === 'sync' ? ep.pollSync(timeout, max) : await ep.poll(timeout, max);
      return this.readyList(ready, (fd) => this.idOf(fd as number));
    }
    const method = (ep as unknown as Record<string, (...a: unknown[]) => unknown>)[st.name!];
    return this.normValue(method.apply(ep, args));
  }

  op_selector(st: Step): Json {
    const make = (bsd as unknown as Record<string, new () => bsd.BaseSelector>)[st.name!];
    this.sels.set(st.as as string, new make());
    return 'selector';
  }

  /** A file object as given: the id of the Socket, or {fd: id} for a number. */
  fileobjOf(fileobj: unknown): Json {
    if (typeof fileobj === 'number') return { fd: this.idOf(fileobj) };
    for (const [id, s] of this.socks) if (s === fileobj) return id;
    return 'unknown';
  }

  keyOf(key: bsd.SelectorKey): Json {
    return [this.fileobjOf(key.fileobj), this.idOf(key.fd), key.events, this.normValue(key.data)];
  }

  async op_sel(st: Step): Promise<Json> {
    const k = this.sels.get(st.id!);
    if (!k) throw new NoSocket(st.id!);
    const args = (st.args as unknown[]).map((a) => this.value(a));
    if (st.name === 'select') {
      const ready = st.form === 'sync' ? k.selectSync(args[0] as number) : await k.select(args[0] as number);
      return this.readyList(ready, (key) => this.keyOf(key as bsd.SelectorKey));
    }
    if (st.name === 'getMap') return k.getMap()?.size ?? null;
    if (st.name === 'fileno') return k.fileno() >= 0;
    if (st.name === 'close') return this.normValue(k.close());
    const method = (k as unknown as Record<string, (...a: unknown[]) => bsd.SelectorKey>)[st.name!];
    return this.keyOf(method.apply(k, args));
  }

  /** A module attribute that is a value (has_ipv6). */
  op_attr(st: Step): Json {
    return (bsd as unknown as Record<string, Json>)[st.name!];
  }

  async op_method(st: Step): Promise<Json> {
    const s = this.sock(st.id!) as unknown as Record<string, (...args: unknown[]) => unknown>;
    const args = (st.args as unknown[]).map((a) => this.value(a));
    const name = st.form === 'sync' ? `${st.name}Sync` : st.name!;
    const result = await (typeof s[name] === 'function' ? s[name](...args) : s[st.name!](...args));
    return this.normValue([result, ...args.filter((a) => Buffer.isBuffer(a))]);
  }

  private files = 0;
  /** A parallel step's sendfile files, opened before its first call: the open must not delay the call. */
  private readonly opened = new WeakMap<Step, fs.promises.FileHandle>();

  private openFile(st: Step): Promise<fs.promises.FileHandle> {
    return fs.promises.open(this.writeFile(st.file!), 'r');
  }

  private writeFile(spec: DataSpec): string {
    const file = path.join(this.dir, `file${this.files++}`);
    fs.writeFileSync(file, dataOf(spec));
    return file;
  }

  /** [bytes sent, the 4 bytes at the file's position afterwards] (sendfile seeks there, as Python's does). */
  async op_sendfile(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const handle = this.opened.get(st) ?? await this.openFile(st);
    try {
      const source = st.handle ? handle : handle.fd;
      const n = st.form === 'sync' ? s.sendfileSync(source, st.offset, st.count) : await s.sendfile(source, st.offset, st.count);
      const next = Buffer.alloc(4);
      const { bytesRead } = await handle.read(next, 0, 4, null);
      return [n, next.subarray(0, bytesRead).toString('hex')];
    } finally {
      await handle.close();
    }
  }

  async op_sendFds(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const fds = Array.from({ length: st.nfds! }, () => fs.openSync(os.devNull, 'r'));
    try {
      const bufs = st.bufs!.map(dataOf);
      const f = flagsArg(st);
      const addr = st.addr ? this.address(st.addr) as bsd.Address : undefined;
      const n = st.form === 'sync' ? bsd.sendFdsSync(s, bufs, fds, f, addr) : await bsd.sendFds(s, bufs, fds, f, addr);
      return sent(n, { n: st.bufs!.reduce((sum, d) => sum + d.n, 0) });
    } finally {
      for (const fd of fds) fs.closeSync(fd);
    }
  }

  async op_recvFds(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const f = flagsArg(st);
    const [data, fds, msgFlags, addr] = st.form === 'sync' ? bsd.recvFdsSync(s, st.n!, st.maxfds!, f) : await bsd.recvFds(s, st.n!, st.maxfds!, f);
    const above = fds.every((fd) => fd > 2);
    for (const fd of fds) fs.closeSync(fd);
    return [encBytes(data), fds.length, above, msgFlags, this.normAddress(addr)];
  }

  async op_sendmmsg(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const addr = st.addr ? this.address(st.addr) as bsd.Address : undefined;
    const messages = st.msgs!.map((d): [Buffer, bsd.Address?] => (addr === undefined ? [dataOf(d)] : [dataOf(d), addr]));
    const f = flagsArg(st);
    return st.form === 'sync' ? s.sendmmsgSync(messages, f) : await s.sendmmsg(messages, f);
  }

  async op_recvmmsg(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const bufs = st.sizes!.map((n) => Buffer.alloc(n, 0xee));
    const f = flagsArg(st);
    const out = st.form === 'sync' ? s.recvmmsgSync(bufs, f) : await s.recvmmsg(bufs, f);
    if (!Array.isArray(out)) return { notArray: String(out) };
    const entries = out as unknown as Array<[number, unknown, number?]>;
    return [entries.map(([n, addr, msgFlags]) => [n, this.normAddress(addr), msgFlags ?? null]),
      bufs.slice(0, entries.length).map((b) => encBytes(b))];
  }

  /** Receives until n bytes or the end of the stream: their length and SHA-1. */
  async op_recvAll(st: Step): Promise<Json> {
    const s = this.sock(st.id!);
    const digest = createHash('sha1');
    let got = 0;
    while (got < st.n!) {
      const b = await s.recv(Math.min(65536, st.n! - got));
      if (b.length === 0) break;
      digest.update(b);
      got += b.length;
    }
    return { len: got, sha1: digest.digest('hex') };
  }

  async op_sleep(st: Step): Promise<undefined> {
    await new Promise((resolve) => setTimeout(resolve, st.ms));
    return undefined;
  }

  async op_parallel(st: Step): Promise<Json> {
    const steps = st.steps!.map((sub): Step => ({ ...sub, form: 'promise' }));
    // Files first: a sendfile that awaited its open would be called after the steps queued behind it.
    for (const sub of steps) if (sub.op === 'sendfile') this.opened.set(sub, await this.openFile(sub));
    const pending: Array<Promise<[Json, number]>> = [];
    for (const sub of steps) {
      pending.push(this.run(sub));
      await new Promise((resolve) => setTimeout(resolve, 5));  // start order = queue order, as in the driver
    }
    return (await Promise.all(pending)).map(([r, ms]) => ({ r, ms: Math.round(ms * 10) / 10 }));
  }
}

/** A Promise call still pending after this is reported as hung (a Sync call that hangs is killed by main.ts). */
const PROMISE_HANG_MS = 1200;

function hangAfter(ms: number): Promise<null> {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
}

async function main(): Promise<void> {
  const write = (value: unknown) => fs.writeSync(1, JSON.stringify(value) + '\n');
  write({ hello: constantTable() });
  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const request = JSON.parse(line) as { seq: number; steps: Step[] };
    const seq = new Seq(request.seq);
    try {
      for (let k = 0; k < request.steps.length; k++) {
        const outcome = await Promise.race([seq.run(request.steps[k]), hangAfter(PROMISE_HANG_MS)]);
        if (!outcome) {
          write({ i: k, r: { hang: true }, ms: PROMISE_HANG_MS });
          break;  // closing the sockets (finally) settles the pending Promise
        }
        write({ i: k, r: outcome[0], ms: Math.round(outcome[1] * 10) / 10 });
      }
    } finally {
      seq.close();
    }
    write({ done: request.seq });
  }
  fs.rmSync(TMP, { recursive: true, force: true });
}

if (require.main === module) void main();
