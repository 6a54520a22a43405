// Runs one sequence on real sockets, keeps the model's state beside them (modes, shutdowns,
// closes, what happened to each pending operation), then drains, closes everything and checks the
// records against the contract (contract.ts), the bytes against what was sent (streams.ts) and the
// descriptors against the hygiene rules (hygiene.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bsd from '../../lib/index';
import {
  checkDeadlineOrder, checkOutcome, checkSettledByClose, checkTurnOrder, classify, isZeroRecv, type CallState, type Divergence, type OpRecord,
  type PendingEvent,
} from './contract';
import { diffFds, flagsOf, isCloexec, isNonblocking, linkOf, openFds } from './hygiene';
import { checkDatagrams, checkStream, type Received, type Sent } from './streams';
import {
  fileBytes, isListenerFixture, isRecv, isSend, isStreamFixture, pattern, type Mode, type Sequence, type Step,
} from './steps';

const C = bsd.constants as unknown as Record<string, number>;
const { Socket } = bsd;
type Sock = bsd.Socket;

/** The files a run needs: a temp directory, the sendfile source and a directory sendfile(2) cannot read. */
export interface Context { dir: string; fileFd: number; dirFd: number; unixCount: number }

interface Entry {
  id: string;
  sock: Sock;
  peer?: string;
  mode: Mode;
  t: number | null;
  shutRd: boolean;
  shutWr: boolean;
  closed: boolean;
  link?: string;
  /** A duplicate made blocking shares (and cleared) O_NONBLOCK: the flag no longer follows this Socket's mode. */
  sharedFlags: boolean;
  userFd: boolean;
  /** The toStream() over this socket, made by its first `write`, `end` or `destroy`. */
  stream?: bsd.SocketStream;
  streamEnded: boolean;
  streamDestroyed: boolean;
  streamed: boolean;
}

const MICROTASKS = 40;
const SETTLE_MS = 600;
const DRAIN_MS = 400;
const TCP_QUIET_MS = 40;

async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < MICROTASKS; i++) await null;
}

function immediate(): Promise<void> { return new Promise((resolve) => setImmediate(resolve)); }
function delay(ms: number): Promise<void> { return new Promise((resolve) => setTimeout(resolve, ms)); }

export class Run {
  private readonly entries = new Map<string, Entry>();
  private readonly records: OpRecord[] = [];
  private readonly out: Divergence[] = [];
  private readonly controllers = new Map<number, AbortController>();
  private readonly writes = new Map<string, Sent[]>();
  private readonly reads = new Map<string, Received[]>();
  private readonly extraFds: number[] = [];
  private epoch = 0;
  private accepted = 0;
  private connects: OpRecord[] = [];
  private listenAddress: unknown;

  constructor(private readonly seq: Sequence, private readonly ctx: Context, private readonly progress: (i: number) => void) {}

  async run(): Promise<Divergence[]> {
    const before = openFds();
    try {
      this.setUp();
      for (let i = 0; i < this.seq.steps.length; i++) {
        this.progress(i);
        this.epoch++;
        await this.step(i, this.seq.steps[i]);
        this.epoch++;
        await immediate();
        this.noticeStreamCloses();
        this.watchDescriptors(i);
      }
      this.progress(-1);
      this.noticeStreamCloses();
      const drained = await this.drain();
      await this.closeAll();
      this.check(drained);
    } catch (error) {
      this.out.push({ kind: 'runner error', index: -1, detail: String((error as Error)?.stack ?? error) });
      this.closeQuietly();
    }
    for (const fd of this.extraFds.splice(0)) fs.closeSync(fd);
    // The resolver's files (/etc/hosts …) are glibc's: a name look-up in libuv's threadpool (one an
    // abort left running too) opens and closes them on its own, across sequences.
    const ours = (entry: string): boolean => !/→ \/etc\//.test(entry);
    const diff = diffFds(before, openFds());
    const [leaked, lost] = [diff.leaked.filter(ours), diff.lost.filter(ours)];
    if (leaked.length) this.out.push({ kind: 'descriptor leaked', index: -1, detail: leaked.join(', ') });
    if (lost.length) this.out.push({ kind: 'descriptor closed that was not the sequence\'s', index: -1, detail: lost.join(', ') });
    return this.out;
  }

  // --- fixtures -------------------------------------------------------------------------------

  private add(id: string, sock: Sock, peer?: string): Entry {
    const entry: Entry = { id, sock, peer, mode: 'blocking', t: null, shutRd: false, shutWr: false, closed: false,
      link: linkOf(sock.fd), sharedFlags: false, userFd: false, streamEnded: false, streamDestroyed: false, streamed: false };
    this.entries.set(id, entry);
    return entry;
  }

  private unixPath(): string { return path.join(this.ctx.dir, `u${this.ctx.unixCount++}`); }

  private setUp(): void {
    const f = this.seq.fixture;
    if (f === 'tcp' || f === 'unix' || isListenerFixture(f)) {
      const family = f === 'tcp' || f === 'ltcp' ? C.AF_INET : C.AF_UNIX;
      const l = new Socket(family, C.SOCK_STREAM);
      this.add('l', l);
      l.bind((family === C.AF_INET ? ['127.0.0.1', 0] : this.unixPath()) as never);
      l.listen(isListenerFixture(f) ? 1 : 4);
      this.listenAddress = l.getsockname();
      if (isListenerFixture(f)) return;
      const a = new Socket(family, C.SOCK_STREAM);
      a.connectSync(this.listenAddress as never);
      const [b] = l.acceptSync();
      l.close();
      this.entries.delete('l');
      this.add('a', a, 'b');
      this.add('b', b, 'a');
    } else if (f === 'udp') {
      const a = new Socket(C.AF_INET, C.SOCK_DGRAM);
      const b = new Socket(C.AF_INET, C.SOCK_DGRAM);
      a.bind(['127.0.0.1', 0]);
      b.bind(['127.0.0.1', 0]);
      a.connectSync(b.getsockname() as never);
      b.connectSync(a.getsockname() as never);
      this.add('a', a, 'b');
      this.add('b', b, 'a');
    } else {
      const [a, b] = bsd.socketpair(C.AF_UNIX, C.SOCK_DGRAM);
      this.add('a', a, 'b');
      this.add('b', b, 'a');
    }
  }

  /** A client socket, made when a step first names it. */
  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      const family = this.seq.fixture === 'ltcp' ? C.AF_INET : C.AF_UNIX;
      e = this.add(id, new Socket(family, C.SOCK_STREAM));
    }
    return e;
  }

  // --- the model's bookkeeping ------------------------------------------------------------------

  private pendingOn(id: string): OpRecord[] { return this.records.filter((r) => !r.done && r.on === id); }

  private mark(id: string | undefined, event: PendingEvent): void {
    if (id === undefined) return;
    for (const r of this.pendingOn(id)) r.events.add(event);
  }

  private callState(e: Entry, step: Step): CallState {
    const peer = e.peer ? this.entries.get(e.peer) : undefined;
    return {
      closed: e.closed, mode: e.mode, t: e.t, dontwait: (step.flags ?? []).includes('MSG_DONTWAIT'),
      signal: step.signal ?? 'none', shutRd: e.shutRd, shutWr: e.shutWr,
      peerGone: !!peer && (peer.closed || peer.shutRd || peer.shutWr || peer.streamed),
      streamEnded: e.streamEnded, streamDestroyed: e.streamDestroyed, streamed: e.streamed,
    };
  }

  private settle(rec: OpRecord, outcome: OpRecord['outcome']): void {
    rec.outcome = outcome;
    rec.settledAt = performance.now();
    rec.epoch = this.epoch;
    rec.done = true;
  }

  // --- steps ----------------------------------------------------------------------------------

  private async step(i: number, step: Step): Promise<void> {
    switch (step.op) {
      case 'close': return this.close(i, step.on!);
      case 'shutdown': return this.shutdown(step);
      case 'mode': return this.setMode(step);
      case 'detach': return this.detach(i, step.on!);
      case 'dup': case 'dupBlock': return this.dup(step);
      case 'abort': this.abort(step.target!); return;
      case 'end': return this.endStream(step.on!);
      case 'destroy': return this.destroyStream(i, step.on!);
      case 'sleep': await delay(step.ms ?? 10); return;
      default: return this.operation(i, step);
    }
  }

  private async close(i: number, id: string): Promise<void> {
    const e = this.entry(id);
    const pending = this.pendingOn(id).filter((r) => r.step.form === 'promise' && r.step.op !== 'write');
    this.mark(id, 'closed');
    this.mark(e.peer, 'peerGone');
    e.closed = true;
    try { e.sock.close(); } catch (error) { this.controlError('close', i, error); }
    await flushMicrotasks();
    for (const r of pending) checkSettledByClose(r, i, this.out);
  }

  /** The entry's toStream(), made once; its errors are recorded by the writes that see them. */
  private streamOf(e: Entry): bsd.SocketStream | Error {
    if (!e.stream) {
      try {
        e.stream = e.sock.toStream();
      } catch (error) {
        return error as Error;  // closed: toStream() refuses, as the contract says for every method
      }
      e.stream.on('error', () => undefined);
      // A stream reads from the start, as net.Socket does (issue 19 #13): what it reads was received.
      const sender = e.peer;
      // Each chunk is an epoch of its own: a Promise read that settles after it (in call order, behind the
      // stream's read in the turn) must sort after it, whatever its index.
      e.stream.on('data', (chunk: Buffer) => {
        this.received(sender, { epoch: ++this.epoch, index: Infinity, data: Buffer.from(chunk) });
        this.epoch++;
      });
      e.streamed = true;
      // from now on an error may destroy the stream and close the socket between two steps
      this.mark(e.id, 'streamed');
      this.mark(e.peer, 'peerGone');
      if (e.mode === 'nonblocking') { e.mode = 'blocking'; e.t = null; }  // toStream() makes it blocking
    }
    return e.stream;
  }

  private endStream(id: string): void {
    const e = this.entry(id);
    const stream = this.streamOf(e);
    if (stream instanceof Error) return;
    stream.end();
    e.streamEnded = true;
    this.mark(e.id, 'shutWr');  // the SHUT_WR comes once the stream's own writes are done, whatever else is pending
    this.mark(e.peer, 'peerGone');
  }

  /** destroy() closes the socket (no keepOpen): pending operations settle as after close(). */
  private async destroyStream(i: number, id: string): Promise<void> {
    const e = this.entry(id);
    const stream = this.streamOf(e);
    if (stream instanceof Error) return;
    const pending = this.pendingOn(id).filter((r) => r.step.form === 'promise' && r.step.op !== 'write');
    this.mark(id, 'destroyed');
    this.mark(id, 'closed');
    this.mark(e.peer, 'peerGone');
    e.streamDestroyed = true;
    stream.destroy();
    e.closed = e.sock.closed;
    await flushMicrotasks();
    for (const r of pending) checkSettledByClose(r, i, this.out);
  }

  private shutdown(step: Step): void {
    const e = this.entry(step.on!);
    try { e.sock.shutdown(C[step.how!]); } catch { return; }
    if (step.how !== 'SHUT_WR') { e.shutRd = true; this.mark(e.id, 'shutRd'); }
    if (step.how !== 'SHUT_RD') { e.shutWr = true; this.mark(e.id, 'shutWr'); }
    this.mark(e.peer, 'peerGone');
  }

  private setMode(step: Step): void {
    const e = this.entry(step.on!);
    try {
      if (step.mode === 'timeout') e.sock.settimeout(step.t!);
      else e.sock.setblocking(step.mode === 'blocking');
    } catch {
      return;  // closed: EBADF, as the contract says for every method
    }
    e.mode = step.mode!;
    e.t = step.mode === 'timeout' ? step.t! : step.mode === 'nonblocking' ? 0 : null;
    this.mark(e.id, 'mode');
  }

  private async detach(i: number, id: string): Promise<void> {
    const e = this.entry(id);
    const pending = this.pendingOn(id).filter((r) => r.step.form === 'promise' && r.step.op !== 'write');
    let fd: number;
    try { fd = e.sock.detach(); } catch (error) { this.controlError('detach', i, error); return; }
    this.mark(id, 'detached');
    this.mark(e.peer, 'peerGone');
    if (fd < 0) return;
    e.closed = true;
    const flags = flagsOf(fd);
    if (flags !== undefined && !e.sharedFlags && isNonblocking(flags) !== (e.mode !== 'blocking')) {
      this.out.push({ kind: 'detach() gave a descriptor whose O_NONBLOCK is not the mode', index: i,
        detail: `mode ${e.mode}, O_NONBLOCK ${isNonblocking(flags)}` });
    }
    if (fd > 2) fs.closeSync(fd);
    await flushMicrotasks();
    for (const r of pending) checkSettledByClose(r, i, this.out);
  }

  private dup(step: Step): void {
    const e = this.entry(step.on!);
    let copy: Sock;
    try { copy = e.sock.dup(); } catch { return; }
    const d = this.add(`d${step.n}`, copy);
    d.mode = e.mode;
    d.t = e.t;
    if (step.op === 'dupBlock') {
      copy.setblocking(true);
      d.mode = 'blocking';
      d.t = null;
      e.sharedFlags = d.sharedFlags = true;
      this.mark(e.id, 'dupBlock');
    } else {
      e.sharedFlags = d.sharedFlags = true;
    }
  }

  private abort(target: number): void {
    const controller = this.controllers.get(target);
    if (!controller) return;
    const rec = this.records.find((r) => r.index === target);
    if (rec && !rec.done) rec.events.add('aborted');
    controller.abort();
  }

  private controlError(op: string, i: number, error: unknown): void {
    const info = classify(error);
    this.out.push({ kind: `${op} threw`, index: i, detail: `${info.cls}:${info.code} ${info.message}` });
  }

  private options(i: number, step: Step): { signal?: unknown } | undefined {
    if (step.form !== 'promise' || !step.signal) return undefined;
    if (step.signal === 'bad') return { signal: {} };
    const controller = new AbortController();
    this.controllers.set(i, controller);
    if (step.signal === 'aborted') controller.abort();
    return { signal: controller.signal };
  }

  private async operation(i: number, step: Step): Promise<void> {
    const e = this.entry(step.on!);
    const rec: OpRecord = {
      index: i, step, on: e.id, call: this.callState(e, step), events: new Set(), calledAt: performance.now(), done: false,
      stream: isSend(step.op) ? e.id : isRecv(step.op) ? e.peer : undefined,
    };
    this.records.push(rec);
    if (step.op === 'connect') this.connects.push(rec);
    const flags = (step.flags ?? []).reduce((f, name) => f | C[name], 0);
    const call = this.invoke(e, step, flags, this.options(i, step), rec);
    if (step.form === 'sync') {
      this.epoch++;
      try {
        this.settle(rec, { ok: true, ...call() as object });
      } catch (error) {
        this.settle(rec, { ok: false, error: classify(error) });
      }
      this.epoch++;
      return;
    }
    let promise: unknown;
    try {
      promise = call();
    } catch (error) {
      this.out.push({ kind: `Promise ${step.op} threw synchronously`, index: i, detail: classify(error).message });
      this.settle(rec, { ok: false, error: classify(error) });
      return;
    }
    if (!(promise instanceof Promise)) {
      this.out.push({ kind: `Promise ${step.op} returned no Promise`, index: i, detail: typeof promise });
      rec.done = true;
      return;
    }
    promise.then((value) => this.settle(rec, { ok: true, ...value as object }),
      (error) => this.settle(rec, { ok: false, error: classify(error) }));
  }

  /**
   * The call of one operation, as a function returning the outcome's fields (or a Promise of
   * them); it also records what was sent and received for the byte checks.
   */
  private invoke(e: Entry, step: Step, flags: number, options: { signal?: unknown } | undefined, rec: OpRecord): () => unknown {
    const s = e.sock as Sock & Record<string, (...args: unknown[]) => unknown>;
    const sync = step.form === 'sync';
    const opts = options as bsd.OperationOptions | undefined;
    const n = step.n ?? 0;
    const data = pattern(n, step.fill ?? 0);
    const wrote = (bytes: Buffer, part?: number) => this.sent(rec, bytes, part);
    const then = <T>(value: unknown, map: (v: T) => object) => (value instanceof Promise ? value.then((v: T) => map(v)) : map(value as T));
    switch (step.op) {
      case 'send': wrote(data); return () => then(sync ? s.sendSync(data, flags) : s.send(data, flags, opts), (k: number) => ({ n: k }));
      case 'sendall': wrote(data); return () => then(sync ? s.sendallSync(data, flags) : s.sendall(data, flags, opts), () => ({}));
      case 'sendto': {
        wrote(data);
        const to = this.entries.get(e.peer!)!.sock;
        const address = this.peerName(to);
        return () => then(sync ? s.sendtoSync(data, flags, address as never) : s.sendto(data, flags, address as never, opts), (k: number) => ({ n: k }));
      }
      case 'sendmsg': {
        wrote(data);
        const bufs = [data.subarray(0, n >> 1), data.subarray(n >> 1)];
        return () => then(sync ? s.sendmsgSync(bufs, [], flags) : s.sendmsg(bufs, [], flags, undefined, opts), (k: number) => ({ n: k }));
      }
      case 'sendmmsg': {
        const messages = [0, 1, 2].slice(0, 1 + (n % 3)).map((j) => pattern(n, (step.fill ?? 0) + j * 50));
        messages.forEach((m, j) => wrote(m, j));
        const list = messages.map((m): [Uint8Array] => [m]);
        return () => then(sync ? s.sendmmsgSync(list, flags) : s.sendmmsg(list, flags, opts), (k: number) => ({ n: k }));
      }
      case 'sendFds': {
        wrote(data);
        const fd = fs.openSync('/dev/null', 'r');
        this.extraFds.push(fd);
        return () => then(sync ? bsd.sendFdsSync(e.sock, [data], [fd], flags) : bsd.sendFds(e.sock, [data], [fd], flags, undefined, opts),
          (k: number) => ({ n: k }));
      }
      case 'write': {
        wrote(data);
        const stream = this.streamOf(e);
        if (stream instanceof Error) return () => Promise.reject(stream);  // toStream() of a closed socket: its EBADF
        return () => new Promise((resolve, reject) => {
          stream.write(data, (error) => (error ? reject(error) : resolve({ n })));
        });
      }
      case 'sendfile': {
        const src = step.src === 'dir' ? this.ctx.dirFd : this.ctx.fileFd;
        if (step.src !== 'dir') wrote(fileBytes(step.off!, n));
        return () => then(sync ? s.sendfileSync(src, step.off, n) : s.sendfile(src, step.off, n, opts as never), (k: number) => ({ n: k }));
      }
      case 'recv': return () => then(sync ? s.recvSync(n, flags) : s.recv(n, flags, opts), (b: Buffer) => this.got(rec, b));
      case 'recvInto': {
        const buffer = Buffer.alloc(n);
        return () => then(sync ? s.recvIntoSync(buffer, n, flags) : s.recvInto(buffer, n, flags, opts),
          (k: number) => this.got(rec, buffer.subarray(0, k)));
      }
      case 'recvfrom': return () => then(sync ? s.recvfromSync(n, flags) : s.recvfrom(n, flags, opts), ([b]: [Buffer]) => this.got(rec, b));
      case 'recvmsg': return () => then(sync ? s.recvmsgSync(n, 0, flags) : s.recvmsg(n, 0, flags, opts), ([b]: [Buffer]) => this.got(rec, b));
      case 'recvFds': return () => then(sync ? bsd.recvFdsSync(e.sock, n, 4, flags) : bsd.recvFds(e.sock, n, 4, flags, opts),
        ([b, fds]: [Buffer, number[]]) => this.gotFds(rec, b, fds));
      case 'recvmmsg': {
        const buffers = [Buffer.alloc(2048), Buffer.alloc(2048)];
        return () => then(sync ? s.recvmmsgSync(buffers, flags) : s.recvmmsg(buffers, flags, opts),
          (list: Array<[number]> | undefined) => (Array.isArray(list)
            ? this.gotDatagrams(rec, list.map(([k], j) => buffers[j].subarray(0, k))) : { value: String(list) }));
      }
      case 'accept': return () => then(sync ? s.acceptSync() : s.accept(opts), ([client]: [Sock]) => this.adopt(rec, client));
      case 'connect': {
        const address = step.byName ? ['localhost', (this.listenAddress as [string, number])[1]] : this.listenAddress;
        return () => then(sync ? s.connectSync(address as never) : s.connect(address as never, opts), () => ({}));
      }
      case 'select': return () => then(sync ? bsd.selectSync([e.sock], [e.sock], [], 0) : bsd.select([e.sock], [e.sock], [], 0),
        ([r, w]: [unknown[], unknown[]]) => ({ value: [r.length, w.length] }));
      case 'poll': {
        return () => {
          const poller = bsd.poll();
          try {
            poller.register(e.sock);  // a plain method: a closed socket throws EBADF here
          } catch (error) {
            if (sync) throw error;
            return Promise.reject(error);
          }
          return then(sync ? poller.pollSync(0) : poller.poll(0), (events: unknown) => ({ value: events }));
        };
      }
      default: throw new Error(`unknown op ${step.op}`);
    }
  }

  private peerName(to: Sock): unknown {
    try { return to.getsockname(); } catch { return ['127.0.0.1', 9]; }
  }

  private sent(rec: OpRecord, bytes: Buffer, part?: number): void {
    const list = this.writes.get(rec.on) ?? [];
    list.push({ rec, bytes, part });
    this.writes.set(rec.on, list);
  }

  private received(stream: string | undefined, r: Received): void {
    if (stream === undefined) return;
    const list = this.reads.get(stream) ?? [];
    list.push(r);
    this.reads.set(stream, list);
  }

  private got(rec: OpRecord, data: Buffer): object {
    if (isZeroRecv(rec.step)) return { data };  // nothing was read
    this.received(rec.stream, { rec, epoch: this.epoch, index: rec.index, data: Buffer.from(data) });
    return { data };
  }

  private gotDatagrams(rec: OpRecord, datagrams: Buffer[]): object {
    for (const d of datagrams) this.received(rec.stream, { rec, epoch: this.epoch, index: rec.index, data: Buffer.from(d) });
    return { datagrams };
  }

  private gotFds(rec: OpRecord, data: Buffer, fds: number[]): object {
    for (const fd of fds) {
      const flags = flagsOf(fd);
      if (fd <= 2) this.out.push({ kind: 'recvFds gave fd 0, 1 or 2', index: rec.index, detail: `fd ${fd}` });
      else if (flags !== undefined && !isCloexec(flags)) this.out.push({ kind: 'received descriptor without close-on-exec', index: rec.index, detail: `fd ${fd}` });
      if (fd > 2) fs.closeSync(fd);
    }
    return this.got(rec, data);
  }

  private adopt(rec: OpRecord, client: Sock): object {
    this.accepted++;
    const fd = client.fd;
    if (fd <= 2) {
      this.out.push({ kind: 'accept gave a Socket on fd 0, 1 or 2', index: rec.index, detail: `fd ${fd}` });
      client.detach();  // closing it would close the process's stdio
      return { fd };
    }
    const e = this.add(`x${this.accepted}`, client);
    e.mode = client.gettimeout() === null ? 'blocking' : client.gettimeout() === 0 ? 'nonblocking' : 'timeout';
    e.t = client.gettimeout();
    return { fd };
  }

  // --- after every step -------------------------------------------------------------------------

  /** A toStream() destroyed by an error closes its socket by itself: the model follows. */
  private noticeStreamCloses(): void {
    for (const e of this.entries.values()) {
      if (e.closed || !e.streamed || !e.sock.closed) continue;
      e.closed = true;
      this.mark(e.id, 'closed');
      this.mark(e.peer, 'peerGone');
    }
  }

  /** Each live Socket still owns the descriptor it had (nobody closed it under it), never 0-2, O_NONBLOCK as its mode says, close-on-exec. */
  private watchDescriptors(i: number): void {
    for (const e of this.entries.values()) {
      if (e.closed || e.sock.fd < 0) continue;
      const fd = e.sock.fd;
      if (fd <= 2 && !e.userFd) this.out.push({ kind: 'a Socket on fd 0, 1 or 2', index: i, detail: `${e.id} on fd ${fd}` });
      const link = linkOf(fd);
      if (link !== e.link) {
        this.out.push({ kind: 'a Socket\'s descriptor was closed or reused under it', index: i, detail: `${e.id} fd ${fd}: ${e.link} → ${link}` });
        e.link = link;
      }
      const flags = flagsOf(fd);
      if (flags === undefined) continue;
      if (!isCloexec(flags)) this.out.push({ kind: 'descriptor without close-on-exec', index: i, detail: `${e.id} fd ${fd}` });
      if (e.mode !== 'blocking' && !e.sharedFlags && !isNonblocking(flags)) {
        this.out.push({ kind: 'O_NONBLOCK clear in a non-blocking mode', index: i, detail: `${e.id} mode ${e.mode}` });
      }
    }
  }

  // --- the end of a sequence --------------------------------------------------------------------

  private pendingWrites(): boolean {
    return this.records.some((r) => !r.done && isSend(r.step.op));
  }

  /** Reads what is left in each direction (while no Promise receive waits there) until every write settled. */
  private async drain(): Promise<Set<string>> {
    const drained = new Set<string>();
    if (isListenerFixture(this.seq.fixture)) return drained;
    const stopAt = performance.now() + DRAIN_MS;
    const scratch = Buffer.alloc(1 << 20);
    // loopback TCP may deliver a moment after send() returned: three empty passes in a row end it
    const isTcp = this.seq.fixture === 'tcp';
    let lastData = performance.now();
    const skipped = new Set<string>();
    for (let quietPasses = 0; ;) {
      const quiet = !this.pendingWrites();
      let empty = true;
      for (const sender of ['a', 'b']) {
        const receiver = this.entries.get(this.entries.get(sender)!.peer!)!;
        if (receiver.closed) continue;
        if (this.pendingOn(receiver.id).some((r) => isRecv(r.step.op))) { skipped.add(sender); continue; }
        // a receive that was waiting settled: what it left behind has not been read yet
        if (skipped.delete(sender)) empty = false;
        for (let reads = 0; reads < 64; reads++) {
          let k: number;
          try { k = receiver.sock.recvIntoSync(scratch, scratch.length, C.MSG_DONTWAIT); } catch { break; }
          if (k === 0 && (isStreamFixture(this.seq.fixture) || receiver.shutRd)) break;
          empty = false;
          this.received(sender, { epoch: ++this.epoch, index: Infinity, data: Buffer.from(scratch.subarray(0, k)) });
        }
      }
      if (!empty) lastData = performance.now();
      // TCP on a loaded machine may hold bytes in the sender's queue for a while after a window update
      const settled = !isTcp || (performance.now() - lastData >= TCP_QUIET_MS && !this.tcpSenderHolds());
      quietPasses = quiet && empty && settled ? quietPasses + 1 : quiet && empty ? quietPasses : 0;
      const timedOut = performance.now() > stopAt;
      if (quietPasses >= 3 || timedOut) {
        for (const sender of ['a', 'b']) {
          const receiver = this.entries.get(this.entries.get(sender)!.peer!)!;
          const writesDone = !this.records.some((r) => !r.done && r.on === sender && isSend(r.step.op));
          // a closed sender may have reset the connection (TCP, unread data) or purged the datagrams it sent
          // and data reaching a TCP socket shut for reading resets the connection (RFC 1122 4.2.2.13)
          const senderOpen = !this.entries.get(sender)!.closed && !(this.seq.fixture === 'tcp' && this.entries.get(sender)!.shutRd);
          if (!timedOut && writesDone && senderOpen && !receiver.closed && !receiver.shutRd && !this.pendingOn(receiver.id).some((r) => isRecv(r.step.op))) drained.add(sender);
        }
        return drained;
      }
      this.epoch++;
      await (empty ? delay(1) : immediate());
    }
  }

  /**
   * Whether a TCP sender still holds bytes (not sent, or sent and not acknowledged): after a zero
   * window the kernel sends them when its persist timer fires, which may be long after the
   * receiver read everything that had arrived. Those bytes are late, not lost.
   */
  private tcpSenderHolds(): boolean {
    for (const sender of ['a', 'b']) {
      const e = this.entries.get(sender)!;
      if (e.closed || e.sock.closed) continue;
      try {
        const info = bsd.unpackTcpInfo(e.sock.getsockopt(C.IPPROTO_TCP, C.TCP_INFO!, 256));
        if (info.unacked > 0 || (info.notsent_bytes ?? 0) > 0) return true;
      } catch { /* shut down or reset: nothing held */ }
    }
    return false;
  }

  private async closeAll(): Promise<void> {
    for (const e of this.entries.values()) {
      if (e.closed) continue;
      this.mark(e.id, 'closed');
      this.mark(e.peer, 'peerGone');
      e.closed = true;
      try { e.sock.close(); } catch (error) { this.controlError('close', -1, error); }
    }
    await flushMicrotasks();
    const stopAt = performance.now() + SETTLE_MS;
    while (this.records.some((r) => !r.done) && performance.now() < stopAt) await delay(5);
    for (const r of this.records) {
      if (!r.done) this.out.push({ kind: `${r.step.op} ${r.step.form} never settled`, index: r.index, detail: 'pending after every socket was closed' });
    }
  }

  private closeQuietly(): void {
    for (const e of this.entries.values()) {
      try { e.sock.close(); } catch { /* closing what is left after a runner error */ }
    }
  }

  private check(drained: Set<string>): void {
    for (const rec of this.records) checkOutcome(rec, this.out);
    checkTurnOrder(this.records, this.out);
    checkDeadlineOrder(this.records, this.out);
    const f = this.seq.fixture;
    if (isListenerFixture(f)) {
      const made = this.connects.filter((r) => r.outcome?.ok || (r.outcome && !r.outcome.ok && r.outcome.error.cls === 'BlockingIOError' && r.outcome.error.code === 'EINPROGRESS')).length;
      const possible = this.connects.length;
      if (this.accepted > possible) {
        this.out.push({ kind: 'accept yielded a connection nobody made', index: -1, detail: `${this.accepted} accepted, ${possible} connect calls (${made} succeeded)` });
      }
      return;
    }
    for (const sender of ['a', 'b']) {
      const writes = this.writes.get(sender) ?? [];
      const reads = this.reads.get(sender) ?? [];
      const name = `${sender}→${this.entries.get(sender)!.peer}`;
      if (isStreamFixture(f)) checkStream(name, writes, reads, drained.has(sender), this.out);
      else checkDatagrams(name, writes, reads, drained.has(sender), f === 'unixdgram', this.out);
    }
  }
}
