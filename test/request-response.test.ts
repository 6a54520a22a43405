// Reads that answer a write (issue 13): once the peer's answers are seen to come later than the
// read, the Promise read after a write waits for readiness first instead of making a system call
// that says EAGAIN; a read with a deadline, or one that may not wait, still tries at once. The
// answers must be the same bytes either way. The peer is python3; the system calls are counted by
// strace(1) on a child node that runs the reads (nothing in the library is patched), with marks
// (access() of a path that names the place) to say where in the child's code each call was made.
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bs from '../lib';
import { Tracker, pythonPeer, tempDir } from './helpers';

const PKG = path.resolve(__dirname, '..', 'lib', 'index.js');
const MARKS = '/nonexistent-bsd-sockets-mark/';

/** Whether strace runs here (it needs ptrace, which some containers refuse). */
function straceWorks(): boolean {
  try {
    execFileSync('strace', ['-o', '/dev/null', 'true'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
}

/** Sends `byte` and reads its answer, `count` times; the answers. The traced child runs it too (its source). */
async function roundTrips(s: bs.Socket, byte: string, count: number): Promise<string> {
  const buf = Buffer.alloc(1);
  let answers = '';
  for (let i = 0; i < count; i++) {
    await s.send(Buffer.from(byte));
    const n = await s.recvInto(buf);
    answers += buf.toString('latin1', 0, n);
  }
  return answers;
}

/** What the child does before `body`: connect `s` to the echo peer; `mark(name)`, `roundTrips(s, byte, n)`, `sleep(ms)`. */
const CHILD_PRELUDE = `
const bs = require(process.argv[1]);
const assert = require('node:assert/strict');
const fs = require('node:fs');
const mark = (name) => { try { fs.accessSync(${JSON.stringify(MARKS)} + name); } catch {} };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
  await s.connect(['127.0.0.1', Number(process.argv[2])]);
  s.setsockopt(bs.IPPROTO_TCP, bs.TCP_NODELAY, 1);
  process.stdout.write(s.fd + '\\n');
  const buf = Buffer.alloc(1);
  ${roundTrips.toString()}
`;

/**
 * Runs `body` in a child node traced by strace, against the echo peer on `port`: resolves with
 * the results of the recv system calls on the child's socket and the marks, in the order made
 * (a number is a recv result, -errno on failure; a string is a mark).
 */
async function tracedRecvs(port: number, body: string): Promise<Array<number | string>> {
  const trace = path.join(tempDir(), 'trace');
  const script = `${CHILD_PRELUDE}\n${body}\n  s.close();\n})().catch((e) => { console.error(e); process.exit(1); });`;
  const child = spawn('strace', ['-o', trace, '-e', 'trace=recvfrom,recvmsg,access,faccessat,faccessat2',
    process.execPath, '-e', script, PKG, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // the system calls of the readiness path: the io_uring backend's ring operations make none to count
    env: { ...process.env, BSD_SOCKETS_URING_OPS: '0' },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const [code] = await once(child, 'exit');
  assert.equal(code, 0, `the traced child failed: ${err}`);
  const fd = out.split('\n')[0];
  const events: Array<number | string> = [];
  for (const line of fs.readFileSync(trace, 'utf8').split('\n')) {
    const recv = new RegExp(`^recv(?:from|msg)\\(${fd},.*\\)\\s+=\\s+(-?\\d+)(?: (E[A-Z]+))?`).exec(line);
    if (recv) events.push(recv[2] ? -(bs.errno as Readonly<Record<string, number | undefined>>)[recv[2]]! : Number(recv[1]));
    const marked = new RegExp(`access(?:at2?)?\\(.*"${MARKS}(\\w+)"`).exec(line);
    if (marked) events.push(marked[1]);
  }
  return events;
}

/** The recv results made between two marks. */
function between(events: Array<number | string>, from: string, to: string): Array<number | string> {
  const start = events.indexOf(from);
  const end = events.indexOf(to);
  assert.ok(start >= 0 && end > start, `marks ${from} and ${to} in ${JSON.stringify(events)}`);
  return events.slice(start + 1, end);
}

const EAGAIN = -bs.errno.EAGAIN;

// Echoes each byte it gets, after `delay` seconds while the byte is "s" (slow), at once otherwise.
const SLOW_ECHO = `
import socket, sys, time
l = socket.create_server(('127.0.0.1', 0))
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
try:
    while True:
        b = c.recv(1)
        if not b: break
        if b == b's': time.sleep(0.003)
        c.sendall(b)
except ConnectionResetError:
    pass  # the other end closed with an answer unread: a reset, the end of this peer
`;

describe('reads that answer a write (Promise)', function () {
  this.timeout(20000);
  const track = new Tracker();
  afterEach(() => track.closeAll());
  let traced = false;
  before(() => { traced = straceWorks(); });

  /** Skips, saying why, where strace cannot count the child's system calls. */
  function needStrace(test: Mocha.Context): void {
    if (traced) return;
    console.log('      skipped: strace(1) is missing or may not trace here (ptrace refused)');
    test.skip();
  }

  /** The echo peer, for a traced child to connect to; resolves with the child's recv results and marks. */
  async function traceWithEcho(body: string): Promise<Array<number | string>> {
    const peer = await pythonPeer(SLOW_ECHO);
    try {
      return await tracedRecvs(Number(peer.line), body);
    } finally {
      await peer.done;
    }
  }

  type Peer = Awaited<ReturnType<typeof pythonPeer>>;

  /** Closes the connection; the peer then exits, and its pipes are closed before the next test counts descriptors. */
  async function endPeer(s: bs.Socket, peer: Peer): Promise<void> {
    const closed = once(peer.child, 'close');
    s.close();
    await peer.done;
    await closed;
  }

  async function connectToEcho(): Promise<[bs.Socket, Peer]> {
    const peer = await pythonPeer(SLOW_ECHO);
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    await s.connect(['127.0.0.1', Number(peer.line)]);
    s.setsockopt(bs.IPPROTO_TCP, bs.TCP_NODELAY, 1);
    return [s, peer];
  }

  it('stop trying before the answer once answers come late, and get every answer', async function () {
    needStrace(this);
    const results = await traceWithEcho(`
  mark('start');
  assert.equal(await roundTrips(s, 's', 40), 's'.repeat(40));
  mark('end');`);
    const recvs = between(results, 'start', 'end');
    const misses = recvs.filter((r) => r === EAGAIN).length;
    // Trying first would miss once per round trip (40); awaiting answers misses 2 to start,
    // then one try per 16 awaited answers.
    assert.ok(misses <= 8, `${misses} reads said EAGAIN in 40 slow round trips`);
    assert.equal(recvs.filter((r) => r === 1).length, 40);
  });

  it('go back to trying at once when answers become quick, still getting every answer', async () => {
    const [s, peer] = await connectToEcho();
    try {
      assert.equal(await roundTrips(s, 's', 10), 's'.repeat(10));
      // Quick answers: the peer answers within a millisecond; the reads must stay correct, and a
      // read that finds its answer already there must not be made to wait for a timer.
      assert.equal(await roundTrips(s, 'q', 50), 'q'.repeat(50));
    } finally {
      await endPeer(s, peer);
    }
  });

  it('a read with a deadline tries at once even while answers are awaited', async function () {
    needStrace(this);
    const results = await traceWithEcho(`
  await roundTrips(s, 's', 6);  // answers are now awaited
  // Without a deadline: no system call in the caller's tick.
  await s.send(Buffer.from('s'));
  mark('blocking');
  const awaited = s.recvInto(buf);
  mark('blockingCalled');
  assert.equal(await awaited, 1);
  // With a timeout: the read tries at once (a short deadline must not expire while its answer is
  // already there).
  s.settimeout(5);
  await s.send(Buffer.from('s'));
  await sleep(50);  // the answer is there
  mark('timed');
  const timed = s.recvInto(buf);
  mark('timedCalled');
  assert.equal(await timed, 1);`);
    assert.deepEqual(between(results, 'blocking', 'blockingCalled'), [], 'a blocking-mode read after a write tried at once');
    assert.deepEqual(between(results, 'timed', 'timedCalled'), [1], 'a read with a deadline did not try at once');
  });

  it('an awaited answer can be aborted or cut by close(), and the answer stays for the next read', async function () {
    needStrace(this);
    const results = await traceWithEcho(`
  await roundTrips(s, 's', 6);  // answers are now awaited
  await s.send(Buffer.from('s'));
  const controller = new AbortController();
  mark('abort');
  const aborted = s.recvInto(Buffer.alloc(1), 1, 0, { signal: controller.signal });
  controller.abort();
  await assert.rejects(aborted, (e) => e.name === 'AbortError');
  mark('aborted');
  assert.deepEqual(await s.recv(1), Buffer.from('s'), 'the answer is still there');
  await s.send(Buffer.from('s'));
  const cut = s.recvInto(Buffer.alloc(1));
  s.close();
  await assert.rejects(cut, (e) => e.code === 'EBADF');`);
    assert.deepEqual(between(results, 'abort', 'aborted'), [], 'the aborted read made no system call');
  });

  it('MSG_DONTWAIT after a write still fails at once when nothing is there', async () => {
    const [s, peer] = await connectToEcho();
    try {
      await roundTrips(s, 's', 6);
      await s.send(Buffer.from('s'));
      await assert.rejects(s.recvInto(Buffer.alloc(1), 1, bs.MSG_DONTWAIT), bs.BlockingIOError);
      assert.deepEqual(await s.recv(1), Buffer.from('s'));
    } finally {
      await endPeer(s, peer);
    }
  });
});
