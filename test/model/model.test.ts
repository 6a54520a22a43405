// The model suite's own checks: each rule of the model fails on a record that breaks it and passes
// on one that keeps it, the shrinker keeps abort targets right, and a real run of sequences that
// keep the contract reports nothing.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkDeadlineOrder, checkOutcome, checkTurnOrder, type CallState, type Divergence, type OpRecord } from './contract';
import { without } from './main';
import { Run } from './runner';
import { checkDatagrams, checkStream } from './streams';
import { FILE_SIZE, fileBytes, pattern, type Sequence, type Step } from './steps';

const CALM: CallState = {
  closed: false, mode: 'blocking', t: null, dontwait: false, signal: 'none', shutRd: false, shutWr: false,
  peerGone: false, streamEnded: false, streamDestroyed: false, streamed: false,
};

function record(index: number, step: Step, outcome: OpRecord['outcome'], extra: Partial<OpRecord> = {}): OpRecord {
  return { index, step, on: step.on ?? 'a', call: { ...CALM }, events: new Set(), calledAt: 0, settledAt: 1, epoch: index, outcome, done: true, ...extra };
}

function kinds(out: Divergence[]): string[] { return out.map((d) => d.kind); }

describe('model suite: the model', () => {
  it('allows only EBADF on a closed socket, and no success', () => {
    const ebadf = { cls: 'SocketError', code: 'EBADF', errno: 9, message: 'closed' };
    const closed = { ...CALM, closed: true };
    const out: Divergence[] = [];
    checkOutcome({ ...record(0, { op: 'recv', on: 'a', form: 'promise', n: 1 }, { ok: false, error: ebadf }), call: closed }, out);
    assert.deepEqual(out, []);
    checkOutcome({ ...record(1, { op: 'recv', on: 'a', form: 'promise', n: 1 }, { ok: true, data: Buffer.from('x') }), call: closed }, out);
    checkOutcome({ ...record(2, { op: 'recv', on: 'a', form: 'promise', n: 1 }, { ok: false, error: { ...ebadf, cls: 'TimeoutError', code: 'ETIMEDOUT', errno: 110 } }), call: closed }, out);
    assert.deepEqual(kinds(out), ['recv promise succeeded on a closed socket', 'recv promise unexpected TimeoutError:ETIMEDOUT']);
  });

  it('refuses an AbortError without ABORT_ERR, and a timeout before its time', () => {
    const out: Divergence[] = [];
    const aborted = record(0, { op: 'send', on: 'a', form: 'promise', n: 1 }, { ok: false, error: { cls: 'AbortError', message: 'aborted' } });
    aborted.events.add('aborted');
    checkOutcome(aborted, out);
    const early = record(1, { op: 'recv', on: 'a', form: 'promise', n: 1 },
      { ok: false, error: { cls: 'TimeoutError', code: 'ETIMEDOUT', errno: os.constants.errno.ETIMEDOUT, message: 't' } },
      { call: { ...CALM, mode: 'timeout', t: 0.1 }, calledAt: 0, settledAt: 50 });
    checkOutcome(early, out);
    assert.deepEqual(kinds(out), ['send malformed error', 'recv timed out early']);
  });

  it('sees a Promise operation overtake an earlier one of its direction', () => {
    const first = record(0, { op: 'sendfile', on: 'b', form: 'promise', n: 10 }, { ok: true, n: 10 }, { epoch: 9 });
    const second = record(1, { op: 'sendall', on: 'b', form: 'promise', n: 10 }, { ok: true }, { epoch: 3 });
    const out: Divergence[] = [];
    checkTurnOrder([first, second], out);
    assert.deepEqual(kinds(out), ['sendall overtook sendfile']);
    const inOrder: Divergence[] = [];
    checkTurnOrder([first, { ...second, epoch: 12 }], inOrder);
    assert.deepEqual(inOrder, []);
  });

  it('sees a deadline that was not fixed at the call', () => {
    const timeout = { ok: false as const, error: { cls: 'TimeoutError', code: 'ETIMEDOUT', errno: os.constants.errno.ETIMEDOUT, message: 't' } };
    const first = record(0, { op: 'sendfile', on: 'a', form: 'promise', n: 1 }, timeout, { call: { ...CALM, mode: 'timeout', t: 0.1 }, calledAt: 0, settledAt: 200 });
    const second = record(1, { op: 'recv', on: 'a', form: 'promise', n: 1 }, timeout, { call: { ...CALM, mode: 'timeout', t: 0.15 }, calledAt: 1, settledAt: 151 });
    const out: Divergence[] = [];
    checkDeadlineOrder([first, second], out);
    assert.deepEqual(kinds(out), ['sendfile deadline not fixed at the call']);
    const kept: Divergence[] = [];
    checkDeadlineOrder([{ ...first, settledAt: 101 }, second], kept);
    assert.deepEqual(kept, []);
  });

  it('compares the bytes a peer saw with the writes in turn order', () => {
    const file = record(0, { op: 'sendfile', on: 'b', form: 'promise', n: 4 }, { ok: true, n: 4 });
    const tail = record(1, { op: 'sendall', on: 'b', form: 'promise', n: 3 }, { ok: true });
    const writes = [{ rec: file, bytes: fileBytes(0, 4) }, { rec: tail, bytes: pattern(3, 200) }];
    const good: Divergence[] = [];
    checkStream('b→a', writes, [{ epoch: 1, index: 5, data: Buffer.concat([fileBytes(0, 4), pattern(3, 200)]) }], true, good);
    assert.deepEqual(good, []);
    const swapped: Divergence[] = [];
    checkStream('b→a', writes, [{ epoch: 1, index: 5, data: Buffer.concat([pattern(3, 200), fileBytes(0, 4)]) }], true, swapped);
    assert.deepEqual(kinds(swapped), ['stream b→a bytes differ']);
    const short: Divergence[] = [];
    checkStream('b→a', writes, [{ epoch: 1, index: 5, data: fileBytes(0, 4) }], true, short);
    assert.deepEqual(kinds(short), ['stream b→a bytes lost']);
  });

  it('finds a datagram that was never sent', () => {
    const send = record(0, { op: 'send', on: 'a', form: 'promise', n: 3 }, { ok: true, n: 3 });
    const out: Divergence[] = [];
    checkDatagrams('a→b', [{ rec: send, bytes: pattern(3, 1) }], [{ epoch: 1, index: 2, data: pattern(3, 1) }], true, true, out);
    assert.deepEqual(out, []);
    checkDatagrams('a→b', [{ rec: send, bytes: pattern(3, 1) }], [{ epoch: 1, index: 2, data: pattern(3, 9) }], true, true, out);
    assert.deepEqual(kinds(out), ['datagrams a→b unknown datagram']);
  });
});

describe('model suite: the shrinker', () => {
  it('drops aborts of removed steps and renumbers later targets', () => {
    const seq: Sequence = { fixture: 'tcp', steps: [
      { op: 'recv', on: 'a', form: 'promise', n: 1, signal: 'abortable' },
      { op: 'sleep', ms: 5 },
      { op: 'send', on: 'b', form: 'promise', n: 1, signal: 'abortable' },
      { op: 'abort', target: 0 },
      { op: 'abort', target: 2 },
    ] };
    assert.deepEqual(without(seq, 1, 1).steps.filter((s) => s.op === 'abort').map((s) => s.target), [0, 1]);
    assert.deepEqual(without(seq, 0, 1).steps.filter((s) => s.op === 'abort').map((s) => s.target), [1]);
  });
});

describe('model suite: real runs that keep the contract', function () {
  this.timeout(20_000);
  let dir: string;
  let fileFd: number;
  let dirFd: number;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsdm-test-'));
    fs.writeFileSync(path.join(dir, 'source'), fileBytes(0, FILE_SIZE));
    fileFd = fs.openSync(path.join(dir, 'source'), 'r');
    dirFd = fs.openSync(dir, 'r');
  });

  after(() => {
    fs.closeSync(fileFd);
    fs.closeSync(dirFd);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const good: Sequence[] = [
    { fixture: 'tcp', steps: [
      { op: 'recv', on: 'a', form: 'promise', n: 100 },
      { op: 'sendall', on: 'b', form: 'promise', n: 65536, fill: 3 },
      { op: 'send', on: 'b', form: 'sync', n: 10, fill: 7, flags: ['MSG_DONTWAIT'] },
      { op: 'mode', on: 'a', mode: 'timeout', t: 0.02 },
      { op: 'recvInto', on: 'a', form: 'promise', n: 4096 },
    ] },
    { fixture: 'unixdgram', steps: [
      { op: 'sendmsg', on: 'a', form: 'promise', n: 100, fill: 1 },
      { op: 'recvfrom', on: 'b', form: 'promise', n: 2048 },
      { op: 'close', on: 'b' },
      { op: 'recv', on: 'b', form: 'promise', n: 1 },
    ] },
    { fixture: 'ltcp', steps: [
      { op: 'connect', on: 'c0', form: 'promise' },
      { op: 'accept', on: 'l', form: 'promise' },
      { op: 'mode', on: 'l', mode: 'nonblocking' },
      { op: 'accept', on: 'l', form: 'sync' },
    ] },
  ];
  for (const seq of good) {
    it(`reports nothing for a ${seq.fixture} sequence that keeps the contract`, async () => {
      const out = await new Run(seq, { dir, fileFd, dirFd, unixCount: 0 }, () => undefined).run();
      assert.deepEqual(out, []);
    });
  }
});
