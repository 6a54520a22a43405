// Hostile options (issue 20 §3): every Promise form that takes `{ signal }` is given option objects
// that are not objects, signals that are not AbortSignals, signals already aborted or aborted while
// the call waits, and getters that throw, close the socket or count their reads. API.md's rule:
// options are read once; anything but an object or undefined, or a signal that is not an
// AbortSignal, rejects with ERR_INVALID_ARG_TYPE (never a synchronous throw) and leaves the socket
// usable; an abort rejects with an AbortError (name 'AbortError', code 'ABORT_ERR', the reason as
// `cause`). After every case the next operation on the same socket must settle.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bs from '../lib';
import { Tracker, tempDir, within } from './helpers';

/** What a settling call may take at most on loopback, even under valgrind. */
const SETTLE_MS = 3000;

/** One operation under test, on fixtures of its own: `call` starts it, `next` is the plain call after. */
interface Op {
  name: string;
  /** Whether the call waits (nothing to read, nobody connecting) until `feed` is called. */
  waits: boolean;
  setup(track: Tracker): Fixture;
}
interface Fixture {
  call(options: unknown): Promise<unknown>;
  /** Makes a waiting call (or the next one) able to complete. */
  feed(): void;
  /** The socket the options belong to, for getters that close it. */
  sock: bs.Socket;
  /** The plain call after the case (default: `call(undefined)`). */
  next?: () => Promise<unknown>;
}

const dir = tempDir();
let files = 0;

function unixDgramPair(track: Tracker): [bs.Socket, bs.Socket] {
  const pair = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
  track.add(pair);
  return pair;
}

/** A reader on the accepted side of a TCP pair, or on a Unix datagram pair; `feed` sends it a byte. */
function reader(name: string, dgram: boolean, read: (s: bs.Socket, options: unknown) => Promise<unknown>): Op {
  return {
    name, waits: true,
    setup(track) {
      const [writer, sock] = dgram ? unixDgramPair(track) : track.tcpPair(null);
      // the feed fails once the reader is closed (a getter closed it): the peer then has nobody to send to
      const feed = () => { try { writer.sendSync(Buffer.from('x')); } catch { /* the reader is gone */ } };
      return { sock, call: (options) => read(sock, options), feed };
    },
  };
}

function udpPair(track: Tracker): [bs.Socket, bs.Socket] {
  const pair = track.add([bs.socket(bs.AF_INET, bs.SOCK_DGRAM), bs.socket(bs.AF_INET, bs.SOCK_DGRAM)]);
  for (const s of pair) s.bind(['127.0.0.1', 0]);
  return pair as [bs.Socket, bs.Socket];
}

/** A writer on a TCP, Unix datagram or UDP pair; it never waits, its peer drains what it sent. */
function writer(name: string, kind: 'tcp' | 'unix' | 'udp', write: (s: bs.Socket, options: unknown, peer: bs.Socket) => Promise<unknown>): Op {
  return {
    name, waits: false,
    setup(track) {
      const [sock, peer] = kind === 'unix' ? unixDgramPair(track) : kind === 'udp' ? udpPair(track) : track.tcpPair(null);
      peer.setblocking(false);
      const drain = () => { try { for (;;) peer.recvSync(1 << 16); } catch { /* drained */ } };
      return { sock, call: (options) => write(sock, options, peer), feed: drain };
    },
  };
}

const OPS: Op[] = [
  reader('recv', false, (s, o) => s.recv(16, 0, o as bs.OperationOptions)),
  reader('recvInto', false, (s, o) => s.recvInto(Buffer.alloc(16), 16, 0, o as bs.OperationOptions)),
  reader('recvfrom', false, (s, o) => s.recvfrom(16, 0, o as bs.OperationOptions)),
  reader('recvfromInto', false, (s, o) => s.recvfromInto(Buffer.alloc(16), 16, 0, o as bs.OperationOptions)),
  reader('recvmsg', false, (s, o) => s.recvmsg(16, 0, 0, o as bs.OperationOptions)),
  reader('recvmmsg', true, (s, o) => s.recvmmsg([Buffer.alloc(16)], 0, o as bs.OperationOptions)),
  reader('recvFds', true, (s, o) => bs.recvFds(s, 16, 1, 0, o as bs.OperationOptions)),
  writer('send', 'tcp', (s, o) => s.send(Buffer.from('y'), 0, o as bs.OperationOptions)),
  writer('sendall', 'tcp', (s, o) => s.sendall(Buffer.from('y'), 0, o as bs.OperationOptions)),
  writer('sendto', 'udp', (s, o, peer) => s.sendto(Buffer.from('y'), 0, peer.getsockname() as [string, number], o as bs.OperationOptions)),
  writer('sendmsg', 'tcp', (s, o) => s.sendmsg([Buffer.from('y')], [], 0, undefined, o as bs.OperationOptions)),
  writer('sendmmsg', 'unix', (s, o) => s.sendmmsg([[Buffer.from('y')]], 0, o as bs.OperationOptions)),
  writer('sendFds', 'unix', (s, o) => bs.sendFds(s, [Buffer.from('y')], [], 0, undefined, o as bs.OperationOptions)),
  writer('sendfile', 'tcp', (s, o) => {
    const file = path.join(dir, `f${files++}`);
    fs.writeFileSync(file, 'sendfile');
    const fd = fs.openSync(file, 'r');
    return s.sendfile(fd, 0, undefined, o as bs.SendfileOptions).finally(() => fs.closeSync(fd));
  }),
  {
    name: 'accept', waits: true,
    setup(track) {
      const sock = track.add(bs.socket());
      sock.bind(['127.0.0.1', 0]);
      sock.listen();
      const at = sock.getsockname() as [string, number];
      return {
        sock,
        call: (o) => sock.accept(o as bs.OperationOptions).then(([conn]) => { track.add(conn); return conn; }),
        feed: () => { track.add(bs.socket()).connectEx(at); },
      };
    },
  },
  {
    name: 'connect', waits: false,
    setup(track) {
      const listener = track.add(bs.socket());
      listener.bind(['127.0.0.1', 0]);
      listener.listen(8);
      const sock = track.add(bs.socket());
      const to = listener.getsockname() as [string, number];
      const connected = () => { try { sock.getpeername(); return true; } catch { return false; } };
      return {
        sock, call: (o) => sock.connect(to, o as bs.OperationOptions), feed: () => undefined,
        // the call after a connect that succeeded: there is nothing left to connect
        next: () => (connected() ? Promise.resolve() : sock.connect(to)),
      };
    },
  },
];

// --- the hostile options -----------------------------------------------------------------------
interface Case {
  kind: string;
  /** Options for a call on `fx`; `onCall` runs right after the call started (to abort mid-call). */
  make(fx: Fixture): { options: unknown; onCall?: () => void; reads?: () => number };
  expect: 'invalid' | 'rejects' | 'abort' | 'settles' | 'read-once';
  onlyWaiting?: boolean;
}

const REASON = new Error('the reason');

const CASES: Case[] = [
  ...([5, 'x', null, true, 10n, Symbol('o')] as unknown[]).map((options): Case => ({
    kind: `options = ${typeof options === 'symbol' ? 'Symbol' : String(options)}`, make: () => ({ options }), expect: 'invalid',
  })),
  ...([{}, 5, 'x', null, new EventTarget(), { aborted: true }] as unknown[]).map((signal): Case => ({
    kind: `signal = ${signal === null ? 'null' : signal instanceof EventTarget ? 'EventTarget' : JSON.stringify(signal)}`,
    make: () => ({ options: { signal } }), expect: 'invalid',
  })),
  { kind: 'signal getter throws', make: () => ({ options: { get signal(): AbortSignal { throw REASON; } } }), expect: 'rejects' },
  { kind: 'Proxy options throw', make: () => ({ options: new Proxy({}, { get() { throw REASON; } }) }), expect: 'rejects' },
  { kind: 'signal already aborted', make: () => ({ options: { signal: AbortSignal.abort(REASON) } }), expect: 'abort' },
  {
    kind: 'aborted while waiting', onlyWaiting: true, expect: 'abort',
    make: () => {
      const controller = new AbortController();
      return { options: { signal: controller.signal }, onCall: () => setTimeout(() => controller.abort(REASON), 20) };
    },
  },
  {
    kind: 'signal getter closes the socket', expect: 'settles',
    make: (fx) => ({ options: { get signal(): undefined { fx.sock.close(); return undefined; } } }),
  },
  {
    kind: 'options read once', expect: 'read-once',
    make: () => {
      let reads = 0;
      const signal = new AbortController().signal;
      return { options: { get signal(): AbortSignal { reads++; return signal; } }, reads: () => reads };
    },
  },
];

/**
 * The cases issue 19 defect 5 breaks on main ("a bad signal option throws in one method and leaves a
 * turn taken forever in others", "Socket methods silently ignore options of 5, 'x' or null"): op
 * names ('*' = every op) and case kinds. Delete an entry once the engine fix lands.
 */
/** Starts the call; a synchronous throw is a failure of its own (the Promise forms never throw). */
function start(fx: Fixture, options: unknown): Promise<unknown> {
  let promise: Promise<unknown>;
  try {
    promise = fx.call(options);
  } catch (error) {
    throw new assert.AssertionError({ message: `threw synchronously instead of rejecting: ${String(error)}` });
  }
  assert.ok(promise instanceof Promise, 'a Promise form returns a Promise');
  return promise;
}

async function outcome(promise: Promise<unknown>, what: string): Promise<{ value?: unknown; error?: unknown }> {
  return within(promise.then((value) => ({ value }), (error: unknown) => ({ error })), SETTLE_MS, what);
}

async function runCase(op: Op, c: Case, track: Tracker): Promise<void> {
  const fx = op.setup(track);
  const { options, onCall, reads } = c.make(fx);
  if (!op.waits || c.expect === 'read-once' || c.expect === 'settles') fx.feed();
  const promise = start(fx, options);
  onCall?.();
  const got = await outcome(promise, `${op.name} with ${c.kind}`);
  const e = got.error as { name?: string; code?: string; cause?: unknown } | undefined;
  switch (c.expect) {
    case 'invalid':
      assert.ok(e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_ARG_TYPE', `rejects with ERR_INVALID_ARG_TYPE, got ${String(e ?? got.value)}`);
      break;
    case 'rejects':
      assert.ok(e !== undefined, `rejects, got the value ${String(got.value)}`);
      break;
    case 'abort':
      assert.ok(e !== undefined, `rejects with an AbortError, got the value ${String(got.value)}`);
      assert.equal(e.name, 'AbortError');
      assert.equal(e.code, 'ABORT_ERR');
      assert.equal(e.cause, REASON, 'the reason is the cause');
      break;
    case 'read-once':
      assert.equal(e, undefined, `resolves, got ${String(e)}`);
      assert.equal(reads!(), 1, 'the signal option was read once');
      break;
    default:
      break;  // 'settles': either way
  }
  // The next operation on the same socket settles: it completes, or (socket closed) rejects with EBADF.
  if (op.waits) fx.feed();
  const after = await outcome(fx.next ? fx.next() : start(fx, undefined), `the ${op.name} after ${c.kind}`);
  if (fx.sock.closed) {
    assert.equal((after.error as { code?: string })?.code, 'EBADF', `on the closed socket: ${String(after.error ?? after.value)}`);
  } else {
    assert.equal(after.error, undefined, `the next ${op.name} completes: ${String(after.error)}`);
  }
}

describe('hostile options (issue 20 §3)', () => {
  const track = new Tracker().install();

  for (const op of OPS) {
    // recvmmsg and sendmmsg are Linux's, absent from the portable build (scripts/ci-portable.sh).
    const unavailable = (op.name === 'recvmmsg' || op.name === 'sendmmsg') && !bs.features[op.name];
    if (unavailable) console.log(`hostile options: ${op.name} skipped, this build has no ${op.name}`);
    (unavailable ? it.skip : it)(`${op.name}(): bad options reject with ERR_INVALID_ARG_TYPE, aborts with AbortError, the next call settles`, async function () {
      this.timeout(4 * SETTLE_MS + 5000);
      const cases = CASES.filter((c) => op.waits || !c.onlyWaiting);
      // The cases run at once, each on its own sockets: a jammed one costs SETTLE_MS, not SETTLE_MS per case.
      const results = await Promise.all(cases.map((c) => runCase(op, c, track).then(() => null, (error: Error) => ({ c, error }))));
      const unexpected: string[] = [];
      for (const [k, c] of cases.entries()) {
        const failure = results[k];
        if (failure) unexpected.push(`${c.kind}: ${failure.error.message}`);
      }
      assert.deepEqual(unexpected, [], `${op.name}: unexpected failures`);
    });
  }
});
