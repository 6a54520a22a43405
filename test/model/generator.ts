// Seeded generator of interleavings: a fixture and 4 to 14 steps mixing Promise and Sync
// operations with closes, shutdowns, aborts, mode changes, dups and detaches. It knows each
// socket's mode, so that no Sync call can wait forever (in blocking mode it gets MSG_DONTWAIT, or
// is not generated); Promise calls may wait forever, since the end of a sequence closes every socket.
import { Rng } from '../differential/generator';
import { FILE_SIZE, isListenerFixture, isStreamFixture, type Fixture, type Mode, type Sequence, type SignalSpec, type Step } from './steps';

const FIXTURES: Fixture[] = ['tcp', 'unix', 'udp', 'unixdgram', 'ltcp', 'lunix'];
const STREAM_SIZES = [0, 1, 100, 1000, 4096, 65536, 300_000, 1 << 20];
const DGRAM_SIZES = [0, 1, 100, 1000, 1500];
const TIMEOUTS = [0.02, 0.05, 0.1];

class SequenceBuilder {
  private readonly steps: Step[] = [];
  private readonly modes = new Map<string, Mode>();
  private clients = 0;
  private dups = 0;

  constructor(private readonly rng: Rng, readonly fixture: Fixture) {
    for (const id of this.initial()) this.modes.set(id, 'blocking');
  }

  private initial(): string[] { return isListenerFixture(this.fixture) ? ['l'] : ['a', 'b']; }
  private live(): string[] { return [...this.modes.keys()]; }
  private mode(on: string): Mode { return this.modes.get(on) ?? 'blocking'; }

  build(): Sequence {
    const count = 4 + this.rng.int(11);
    for (let i = 0; i < count; i++) this.step();
    return { fixture: this.fixture, steps: this.steps };
  }

  private step(): void {
    const r = this.rng.next();
    if (r < 0.12) return this.control();
    if (r < 0.2) return this.modeChange();
    if (isListenerFixture(this.fixture)) return this.listenerOp();
    const on = this.rng.pick(['a', 'b']);
    if (r < 0.55) return this.sendOp(on);
    if (r < 0.9) return this.recvOp(on);
    this.readiness(on);
  }

  private form(_on: string): 'sync' | 'promise' {
    return this.rng.chance(0.6) ? 'promise' : 'sync';
  }

  private signal(form: 'sync' | 'promise'): SignalSpec | undefined {
    if (form === 'sync') return undefined;
    const r = this.rng.next();
    return r < 0.25 ? 'abortable' : r < 0.3 ? 'aborted' : r < 0.34 ? 'bad' : undefined;
  }

  /** Flags for a Sync call: in blocking mode MSG_DONTWAIT, so that it can never wait forever. */
  private flags(on: string, form: 'sync' | 'promise'): string[] | undefined {
    if (form === 'sync' && this.mode(on) === 'blocking') return ['MSG_DONTWAIT'];
    return this.rng.chance(0.08) ? ['MSG_DONTWAIT'] : undefined;
  }

  private push(step: Step): void {
    if (step.signal === undefined) delete step.signal;
    if (step.flags === undefined) delete step.flags;
    this.steps.push(step);
  }

  private sendOp(on: string): void {
    const stream = isStreamFixture(this.fixture);
    const ops = stream ? ['send', 'sendall', 'sendmsg', 'sendfile', 'sendfile', 'sendall'] : ['send', 'sendmsg', 'sendmmsg'];
    if (this.fixture === 'udp') ops.push('sendto');  // a socketpair's peer has no address to send to
    if (this.fixture === 'unix' || this.fixture === 'unixdgram') ops.push('sendFds');
    if (stream) ops.push('write');
    const op = this.rng.pick(ops);
    const form = op === 'write' ? 'promise' : this.form(on);
    const n = this.rng.pick(stream ? STREAM_SIZES : DGRAM_SIZES);
    const fill = this.rng.int(256);
    if (op === 'sendfile') return this.sendfile(on, form);
    if (op === 'write') return this.streamWrite(on, n, fill);
    if (form === 'sync' && this.mode(on) === 'blocking' && op === 'sendall') {
      // a Sync sendall in blocking mode with MSG_DONTWAIT fails on a partial send: keep it small
      return this.push({ op, on, form, n: Math.min(n, 1000), fill, flags: ['MSG_DONTWAIT'] });
    }
    this.push({ op, on, form, n, fill, flags: this.flags(on, form), signal: this.signal(form) });
  }

  /** toStream() makes a non-blocking socket blocking (lib/socket/stream.ts): the generator's modes follow. */
  private streamed(on: string): void {
    if (this.mode(on) === 'nonblocking') this.modes.set(on, 'blocking');
  }

  private streamWrite(on: string, n: number, fill: number): void {
    this.streamed(on);
    this.push({ op: 'write', on, form: 'promise', n, fill });
  }

  private sendfile(on: string, form: 'sync' | 'promise'): void {
    if (form === 'sync' && this.mode(on) === 'blocking') form = 'promise';  // sendfile has no flags: no MSG_DONTWAIT
    const src = this.rng.chance(0.08) ? 'dir' : 'file';
    const off = this.rng.chance(0.5) ? 0 : this.rng.int(FILE_SIZE);
    const n = Math.min(FILE_SIZE - off, this.rng.pick([1, 1000, 65536, 1 << 20, FILE_SIZE]));
    this.push({ op: 'sendfile', on, form, src, off, n, signal: this.signal(form) });
  }

  private recvOp(on: string): void {
    const stream = isStreamFixture(this.fixture);
    const ops = ['recv', 'recvInto', 'recvfrom', 'recvmsg'];
    if (!stream) ops.push('recvmmsg');
    if (this.fixture === 'unix' || this.fixture === 'unixdgram') ops.push('recvFds');
    const op = this.rng.pick(ops);
    const form = this.form(on);
    const n = this.rng.pick(stream ? [0, 1, 100, 4096, 65536] : [0, 1, 100, 2048]);
    this.push({ op, on, form, n, flags: this.flags(on, form), signal: this.signal(form) });
  }

  private readiness(on: string): void {
    this.push({ op: this.rng.pick(['select', 'poll']), on, form: this.form(on) });
  }

  private listenerOp(): void {
    const r = this.rng.next();
    if (r < 0.45) return this.connect();
    const form = this.form('l');
    if (form === 'sync' && this.mode('l') === 'blocking') return this.push({ op: 'accept', on: 'l', form: 'promise' });
    this.push({ op: 'accept', on: 'l', form, signal: this.signal(form) });
  }

  private connect(): void {
    const on = `c${this.clients++}`;
    this.modes.set(on, 'blocking');
    const form = this.rng.chance(0.7) ? 'promise' : 'sync';
    if (form === 'sync') {
      // a Sync connect to a full TCP backlog waits for SYN retries: only with a timeout
      this.push({ op: 'mode', on, mode: 'timeout', t: this.rng.pick(TIMEOUTS) });
      this.modes.set(on, 'timeout');
    }
    const byName = this.fixture === 'ltcp' && this.rng.chance(0.3);
    this.push({ op: 'connect', on, form, byName, signal: this.signal(form) });
  }

  private modeChange(): void {
    const on = this.rng.pick(this.live());
    const mode = this.rng.pick<Mode>(['blocking', 'timeout', 'nonblocking']);
    this.modes.set(on, mode);
    this.push(mode === 'timeout' ? { op: 'mode', on, mode, t: this.rng.pick(TIMEOUTS) } : { op: 'mode', on, mode });
  }

  private control(): void {
    const r = this.rng.next();
    const on = this.rng.pick(this.live());
    const abortable = this.steps.map((s, i) => (s.signal === 'abortable' ? i : -1)).filter((i) => i >= 0);
    if (r < 0.3 && abortable.length) return this.push({ op: 'abort', target: this.rng.pick(abortable) });
    if (r < 0.45) return this.push({ op: 'sleep', ms: this.rng.pick([5, 30, 120, 300]) });
    if (r < 0.6) return this.push({ op: 'shutdown', on, how: this.rng.pick(['SHUT_RD', 'SHUT_WR', 'SHUT_RDWR'] as const) });
    if (r < 0.72) return this.push({ op: 'close', on });
    if (r < 0.8) return this.push({ op: 'detach', on });
    // the writable side of toStream(): end() is shutdown(SHUT_WR) after the writes, destroy() closes
    if (r < 0.86 && isStreamFixture(this.fixture) && on !== 'l') {
      this.streamed(on);
      return this.push({ op: this.rng.pick(['end', 'destroy']), on });
    }
    // dupBlock: another holder of the descriptor clears O_NONBLOCK (a dup set blocking)
    this.push({ op: this.rng.chance(0.5) ? 'dup' : 'dupBlock', on, n: this.dups++ });
  }
}

export function generate(seed: number): Sequence {
  const rng = new Rng(seed);
  return new SequenceBuilder(rng, rng.pick(FIXTURES)).build();
}
