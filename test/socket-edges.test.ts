// Edges of Socket's waiting (issue 11): MSG_DONTWAIT, zero-byte reads, deadlines of queued calls,
// descriptors made blocking behind our back, detached buffers, close() with many pending calls,
// explicit undefined constants, Promise forms that reject instead of throwing, very long timeouts.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as bs from '../lib';
import { Tracker, pythonPeer, sleep, tempDir, within } from './helpers';
import { evalInPython, type PyResult } from './python-oracle';

const PY_UDP = "(lambda u: (u.settimeout(0.2), u.bind(('127.0.0.1', 0)), EXPR)[2])(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))";

/** What Python does for EXPR (`u` a bound UDP socket, or a stream socket of a pair) */
function pyUdp(expr: string): PyResult {
  return evalInPython([PY_UDP.replace('EXPR', expr)])[0];
}

function pyPair(expr: string): PyResult {
  return evalInPython([`(lambda p: (EXPR))(socket.socketpair())`.replace('EXPR', expr)])[0];
}

function udp(track: Tracker): bs.Socket {
  const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
  u.bind(['127.0.0.1', 0]);
  return u;
}

/** Fills the send buffer of `a` (non-blocking sends until EAGAIN); returns the bytes queued. */
function fill(a: bs.Socket): number {
  const chunk = Buffer.alloc(65536);
  let total = 0;
  for (;;) {
    try {
      total += a.sendSync(chunk, bs.MSG_DONTWAIT);
    } catch (error) {
      assert.ok(error instanceof bs.BlockingIOError, String(error));
      return total;
    }
  }
}

async function rejects(promise: unknown, check: (error: unknown) => boolean, what: string): Promise<unknown> {
  assert.ok(promise instanceof Promise, `${what} returns a Promise`);
  let error: unknown;
  await (promise as Promise<unknown>).then(
    () => assert.fail(`${what} resolved`),
    (e) => { error = e; });
  assert.ok(check(error), `${what}: ${String(error)}`);
  return error;
}

describe('Socket edges (issue 11)', () => {
  const track = new Tracker().install();

  describe('MSG_DONTWAIT in the user flags fails at once, whatever the mode', () => {
    it('Python says BlockingIOError for recv(10, MSG_DONTWAIT) on a blocking socket', () => {
      const py = pyPair('p[0].recv(10, socket.MSG_DONTWAIT)') as { error: string };
      assert.equal(py.error, 'BlockingIOError');
    });

    for (const timeout of [null, 5]) {
      it(`Sync forms, timeout ${timeout}`, () => {
        const [a, b] = track.add(bs.socketpair());
        a.settimeout(timeout);
        const t0 = performance.now();
        assert.throws(() => a.recvSync(10, bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.throws(() => a.recvIntoSync(Buffer.alloc(4), 0, bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.throws(() => a.recvfromSync(10, bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.throws(() => a.recvmsgSync(10, 0, bs.MSG_DONTWAIT), bs.BlockingIOError);
        fill(a);
        assert.throws(() => a.sendSync(Buffer.alloc(10), bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.throws(() => a.sendallSync(Buffer.alloc(10), bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.throws(() => a.sendmsgSync([Buffer.alloc(10)], [], bs.MSG_DONTWAIT), bs.BlockingIOError);
        assert.ok(performance.now() - t0 < 1000);
        b.close();
      });

      it(`Promise forms, timeout ${timeout}`, async () => {
        const [a] = track.add(bs.socketpair());
        a.settimeout(timeout);
        const t0 = performance.now();
        const isEagain = (e: unknown): boolean => e instanceof bs.BlockingIOError && (e as bs.SocketError).code === 'EAGAIN';
        await rejects(within(a.recv(10, bs.MSG_DONTWAIT), 2000), isEagain, 'recv');
        await rejects(within(a.recvInto(Buffer.alloc(4), 0, bs.MSG_DONTWAIT), 2000), isEagain, 'recvInto');
        await rejects(within(a.recvfrom(10, bs.MSG_DONTWAIT), 2000), isEagain, 'recvfrom');
        await rejects(within(a.recvmsg(10, 0, bs.MSG_DONTWAIT), 2000), isEagain, 'recvmsg');
        fill(a);
        await rejects(within(a.send(Buffer.alloc(10), bs.MSG_DONTWAIT), 2000), isEagain, 'send');
        await rejects(within(a.sendall(Buffer.alloc(10), bs.MSG_DONTWAIT), 2000), isEagain, 'sendall');
        await rejects(within(a.sendmsg([Buffer.alloc(10)], [], bs.MSG_DONTWAIT), 2000), isEagain, 'sendmsg');
        assert.ok(performance.now() - t0 < 1000);
      });
    }

    it('a MSG_DONTWAIT read queued behind a pending reader fails at once instead of overtaking it', async () => {
      const [a, b] = track.add(bs.socketpair());
      const first = a.recv(10);
      await rejects(within(a.recv(10, bs.MSG_DONTWAIT), 2000), (e) => e instanceof bs.BlockingIOError, 'queued recv');
      b.sendallSync(Buffer.from('x'));
      assert.equal((await within(first, 2000)).toString(), 'x');
    });
  });

  describe('zero-byte reads, as in Python', () => {
    it('recv(0) and recv_into of an empty buffer return at once, on stream and datagram sockets', async function () {
      this.timeout(30000);  // four python3 processes decide the expected values: slow on a loaded machine
      for (const py of [pyPair('p[0].recv(0)'), pyUdp('u.recv(0)')]) assert.deepEqual(py, { ok: { hex: '' } });
      for (const py of [pyPair('p[0].recv_into(bytearray(0))'), pyUdp('u.recv_into(bytearray(0))')]) assert.deepEqual(py, { ok: 0 });
      const [a] = track.add(bs.socketpair());
      const u = udp(track);
      for (const s of [a, u]) {
        assert.equal(s.recvSync(0).length, 0);
        assert.equal(s.recvIntoSync(Buffer.alloc(0)), 0);
        assert.equal(s.recvIntoSync(new Uint8Array(0), 0), 0);
        assert.equal((await within(s.recv(0), 2000)).length, 0);
        assert.equal(await within(s.recvInto(Buffer.alloc(0)), 2000), 0);
      }
    });

    it('recvfrom(0) and recvfrom_into of an empty buffer wait for a datagram, as in Python', async () => {
      for (const expr of ['u.recvfrom(0)', 'u.recvfrom_into(bytearray(0))']) {
        assert.equal((pyUdp(expr) as { error: string }).error, 'TimeoutError', expr);
      }
      const u = udp(track);
      u.settimeout(0.2);
      assert.throws(() => u.recvfromSync(0), bs.TimeoutError);
      assert.throws(() => u.recvfromIntoSync(Buffer.alloc(0)), bs.TimeoutError);
      await rejects(u.recvfrom(0), (e) => e instanceof bs.TimeoutError, 'recvfrom(0)');
    });
  });

  describe('deadlines are fixed at the call', () => {
    it('three queued recv() with settimeout(0.2) all time out after about 0.2 s', async () => {
      const [a] = track.add(bs.socketpair());
      a.settimeout(0.2);
      const t0 = performance.now();
      const times = await Promise.all([0, 1, 2].map(() => a.recv(10).then(
        () => assert.fail('resolved'),
        (e) => { assert.ok(e instanceof bs.TimeoutError, String(e)); return performance.now() - t0; })));
      for (const t of times) {
        assert.ok(t >= 190, `timed out early: ${times}`);
        assert.ok(t < 380, `a queued call timed out late: ${times.map(Math.round)}`);
      }
    });

    it('a recv queued behind a blocking-mode reader times out by its own deadline', async () => {
      const [a, b] = track.add(bs.socketpair());
      const first = a.recv(10);
      a.settimeout(0.2);
      const t0 = performance.now();
      await rejects(within(a.recv(10), 3000), (e) => e instanceof bs.TimeoutError, 'queued recv');
      assert.ok(performance.now() - t0 >= 190);
      b.sendallSync(Buffer.from('y'));
      assert.equal((await within(first, 2000)).toString(), 'y');
    });

    it('settimeout(30 days) works: a wait does not fail early, Promise and Sync', async function () {
      this.timeout(20000);
      const [a, b] = track.add(bs.socketpair());
      a.settimeout(30 * 86400);
      const pending = a.recv(10);
      await sleep(100);
      b.sendallSync(Buffer.from('late'));
      assert.equal((await within(pending, 5000)).toString(), 'late');
      const listener = track.add(bs.socket());
      listener.bind(['127.0.0.1', 0]);
      listener.listen();
      const port = (listener.getsockname() as bs.InetAddress)[1];
      const peer = await pythonPeer(
        `import socket,time\ns=socket.create_connection(("127.0.0.1", ${port}))\nprint("up")\ntime.sleep(0.3)\ns.send(b"sync")\ntime.sleep(0.2)`);
      const [conn] = track.add(listener.acceptSync());
      conn.settimeout(30 * 86400);
      const t0 = performance.now();
      assert.equal(conn.recvSync(10).toString(), 'sync');
      assert.ok(performance.now() - t0 >= 100, 'the data came before the wait');
      await peer.done;
    });
  });

  describe('a descriptor made blocking behind our back', () => {
    it('await accept() does not block the event loop after a dup cleared O_NONBLOCK', async function () {
      this.timeout(20000);
      const listener = track.add(bs.socket());
      listener.bind(['127.0.0.1', 0]);
      listener.listen();
      const port = (listener.getsockname() as bs.InetAddress)[1];
      const first = listener.accept();
      const c1 = track.add(bs.socket());
      await c1.connect(['127.0.0.1', port]);
      track.add(await first);
      const dup = track.add(listener.dup());
      dup.setblocking(false);
      dup.setblocking(true);  // clears O_NONBLOCK on the shared file description
      let ticks = 0;
      const interval = setInterval(() => { ticks++; }, 10);
      try {
        const peer = await pythonPeer(
          `import socket,time\nprint("up")\ntime.sleep(0.5)\nsocket.create_connection(("127.0.0.1", ${port})).close()`);
        const ticksBefore = ticks;
        const [conn] = track.add(await within(listener.accept(), 10000));
        assert.ok(conn.fd >= 0);
        assert.ok(ticks - ticksBefore >= 10, `the event loop stood still: ${ticks - ticksBefore} ticks`);
        await peer.done;
      } finally {
        clearInterval(interval);
      }
    });
    it('await connect() does not block the event loop after a dup cleared O_NONBLOCK', async function () {
      this.timeout(20000);
      // A listener whose accept queue is full drops our SYN; the kernel retries it after 1 s.
      const peer = await pythonPeer(`import socket,time
l=socket.socket(); l.bind(("127.0.0.1",0)); l.listen(0)
cs=[socket.socket() for i in range(3)]
for c in cs:
    c.setblocking(False)
    try: c.connect(l.getsockname())
    except BlockingIOError: pass
time.sleep(0.1)
print(l.getsockname()[1])
time.sleep(0.3)
l.settimeout(3)
t=time.time()
try:
    while time.time()-t<3: l.accept()
except OSError: pass`);
      const s = track.add(bs.socket());
      s.settimeout(5);
      const dup = track.add(s.dup());
      dup.settimeout(null);  // clears O_NONBLOCK on the shared file description
      let ticks = 0;
      const interval = setInterval(() => { ticks++; }, 10);
      try {
        const t0 = performance.now();
        await s.connect(['127.0.0.1', Number(peer.line)]);
        const ms = performance.now() - t0;
        assert.ok(ticks >= Math.floor(ms / 40), `the event loop stood still: ${ticks} ticks in ${ms.toFixed(0)} ms`);
      } finally {
        clearInterval(interval);
        const closed = new Promise((resolve) => peer.child.once('close', resolve));
        peer.child.kill();
        await closed;
      }
    });
  });

  describe('detached buffers', () => {
    it('a sendall whose buffer is detached mid-send rejects with ERR_INVALID_STATE', async function () {
      this.timeout(10000);
      const [a, b] = track.add(bs.socketpair());
      fill(a);
      const data = new Uint8Array(1 << 20);
      const sending = a.sendall(data);
      await sleep(20);
      structuredClone(data.buffer, { transfer: [data.buffer] });
      const draining = (async () => { while ((await b.recv(65536)).length > 0); })().catch(() => undefined);
      await rejects(within(sending, 5000), (e) => e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_STATE', 'sendall');
      a.close();
      await draining;
    });

    it('queued send and recvInto whose buffer is detached before their turn reject with ERR_INVALID_STATE', async () => {
      const [a, b] = track.add(bs.socketpair());
      const isState = (e: unknown): boolean => e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_STATE';
      const firstRead = a.recv(1);
      const into = new Uint8Array(16);
      const reading = a.recvInto(into);
      structuredClone(into.buffer, { transfer: [into.buffer] });
      b.sendallSync(Buffer.from('zz'));
      await firstRead;
      await rejects(within(reading, 2000), isState, 'recvInto');
      fill(a);
      const firstWrite = a.sendall(Buffer.alloc(10));
      const out = new Uint8Array(16);
      const sending = a.send(out);
      structuredClone(out.buffer, { transfer: [out.buffer] });
      const draining = (async () => { while ((await b.recv(65536)).length > 0); })().catch(() => undefined);
      await firstWrite;
      await rejects(within(sending, 2000), isState, 'send');
      a.close();
      await draining;
    });

    it('Sync forms refuse a buffer detached before the call', () => {
      const [a] = track.add(bs.socketpair());
      const u = new Uint8Array(16);
      structuredClone(u.buffer, { transfer: [u.buffer] });
      const isState = (e: unknown): boolean => e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_STATE';
      assert.throws(() => a.sendSync(u), isState);
      assert.throws(() => a.recvIntoSync(u), isState);
    });
  });

  it('a Promise call with nothing queued tries its system call at once, in the caller\'s tick', async () => {
    const [a, b] = track.add(bs.socketpair());
    b.sendallSync(Buffer.from('now'));
    const into = Buffer.alloc(3);
    const reading = a.recvInto(into);
    assert.equal(into.toString(), 'now');  // written before any microtask ran
    assert.equal(await reading, 3);
    const sent = a.sendall(Buffer.from('back'));
    assert.equal(b.recvSync(10, bs.MSG_DONTWAIT).toString(), 'back');
    await sent;
  });

  it('a sendto that resolves a host name keeps its place before a later sendto', async () => {
    const u = udp(track);
    const sender = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    const port = (u.getsockname() as bs.InetAddress)[1];
    const sends = [sender.sendto(Buffer.from('1'), ['localhost', port]), sender.sendto(Buffer.from('2'), ['127.0.0.1', port])];
    await within(Promise.all(sends), 5000);
    u.settimeout(2);
    assert.deepEqual([u.recvSync(10).toString(), u.recvSync(10).toString()], ['1', '2']);
  });

  it('two queued recvmmsg calls each report their own lengths and senders', async function () {
    if (!bs.features.recvmmsg) this.skip();  // Linux only
    const u = udp(track);
    const [s1, s2] = [udp(track), udp(track)];
    const first = u.recvmmsg([Buffer.alloc(100)]);
    const second = u.recvmmsg([Buffer.alloc(100)]);
    s1.sendtoSync(Buffer.alloc(3), u.getsockname() as bs.InetAddress);
    s2.sendtoSync(Buffer.alloc(7), u.getsockname() as bs.InetAddress);
    const [[r1], [r2]] = await within(Promise.all([first, second]), 2000);
    assert.deepEqual(r1, [3, s1.getsockname(), 0]);
    assert.deepEqual(r2, [7, s2.getsockname(), 0]);
  });

  it('recvmmsg reports each message\'s flags, MSG_TRUNC for a datagram cut to its buffer, as Python\'s recvmsg does (issue 23)', async function () {
    if (!bs.features.recvmmsg) { console.log('      skipped: recvmmsg is not in this build'); this.skip(); }
    const [python] = evalInPython([
      "(lambda a, b: (b.bind(('127.0.0.1', 0)), a.sendto(b'0123456789', b.getsockname()), b.recvmsg(4)[2] & socket.MSG_TRUNC))(socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM))[2]",
    ]);
    assert.ok('ok' in python && python.ok !== 0, 'Python sees MSG_TRUNC');
    const u = udp(track);
    const s = udp(track);
    s.sendtoSync(Buffer.from('0123456789'), u.getsockname() as bs.InetAddress);
    s.sendtoSync(Buffer.from('abc'), u.getsockname() as bs.InetAddress);
    await sleep(20);
    const got = await u.recvmmsg([Buffer.alloc(4), Buffer.alloc(4)]);
    assert.deepEqual(got, [[4, s.getsockname(), bs.MSG_TRUNC], [3, s.getsockname(), 0]]);
    s.sendtoSync(Buffer.from('0123456789'), u.getsockname() as bs.InetAddress);
    assert.deepEqual(u.recvmmsgSync([Buffer.alloc(4)]), [[4, s.getsockname(), bs.MSG_TRUNC]]);
  });

  it('recvmmsg on a stream ends its batch at the end of input: the bytes, then an empty array, never 0-byte entries', async function () {
    if (!bs.features.recvmmsg) { console.log('      skipped: recvmmsg is not in this build'); this.skip(); }
    const [a, b] = track.tcpPair();
    a.sendallSync(Buffer.from('abc'));
    a.shutdown(bs.SHUT_WR);
    await sleep(20);
    const first = b.recvmmsgSync([Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)]);
    assert.deepEqual(first.map((entry) => entry[0]), [3], 'the 3 bytes, and no entry for the end of input');
    assert.deepEqual(await b.recvmmsg([Buffer.alloc(4), Buffer.alloc(4)]), [], 'at the end of input: an empty array');
    assert.deepEqual(b.recvmmsgSync([Buffer.alloc(0), Buffer.alloc(4)]).map((entry) => entry[0]), [0], 'a 0-byte buffer still counts');
  });

  describe('close() with many pending operations', () => {
    // Limits with room for a loaded machine (measured: about 2-10 ms and 100-500 ms); unfixed, 100 000
    // took 5 to 17 s.
    for (const [count, limitMs] of [[1000, 250], [100000, 2500]]) {
      it(`settles ${count} queued recv() quickly (< ${limitMs} ms on the loop) with EBADF`, async function () {
        this.timeout(60000);
        const [a] = track.add(bs.socketpair());
        const pending: Promise<unknown>[] = [];
        let rejected = 0;
        for (let i = 0; i < count; i++) {
          pending.push(a.recv(1).then(() => undefined, (e) => { if ((e as bs.SocketError).code === 'EBADF') rejected++; }));
        }
        await sleep(5);
        const t0 = performance.now();
        a.close();
        await Promise.all(pending);
        const ms = performance.now() - t0;
        assert.equal(rejected, count);
        assert.ok(ms < limitMs, `close() and the settling of ${count} took ${ms.toFixed(1)} ms`);
      });
    }

    it('aborting one of many queued operations leaves the others in order', async () => {
      const [a, b] = track.add(bs.socketpair());
      const ac = new AbortController();
      const r1 = a.recv(1);
      const r2 = a.recv(1, 0, { signal: ac.signal });
      const r3 = a.recv(1);
      ac.abort();
      await rejects(r2, (e) => (e as Error).name === 'AbortError', 'aborted recv');
      b.sendallSync(Buffer.from('12'));
      assert.deepEqual([(await r1).toString(), (await r3).toString()], ['1', '2']);
    });
  });

  describe('constants passed explicitly as undefined', () => {
    const isType = (e: unknown): boolean => e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_ARG_TYPE';
    it('socket(), new Socket(), socketpair() and fromfd() refuse them; omitted arguments get defaults', () => {
      const [a] = track.add(bs.socketpair());
      const fds = fs.readdirSync('/proc/self/fd').length;
      assert.throws(() => bs.socket(undefined as unknown as number), isType);
      assert.throws(() => bs.socket(bs.AF_INET, undefined), isType);
      assert.throws(() => bs.socket(bs.AF_INET, bs.SOCK_STREAM, undefined), isType);
      assert.throws(() => new bs.Socket(undefined as unknown as number), isType);
      assert.throws(() => new bs.Socket(bs.AF_INET, undefined), isType);
      assert.throws(() => bs.socketpair(undefined as unknown as number), isType);
      assert.throws(() => bs.socketpair(bs.AF_UNIX, bs.SOCK_STREAM, undefined), isType);
      assert.throws(() => bs.fromfd(a.fd, undefined as unknown as number), isType);
      assert.throws(() => bs.fromfd(a.fd, bs.AF_UNIX, undefined), isType);
      assert.equal(fs.readdirSync('/proc/self/fd').length, fds);
      const s = track.add(bs.socket());
      assert.deepEqual([s.family, s.type], [bs.AF_INET, bs.SOCK_STREAM]);
      const c = track.add(bs.fromfd(a.fd));
      assert.equal(c.family, bs.AF_UNIX);
      track.add(bs.socketpair());
    });
  });

  it('every Promise method rejects on bad arguments instead of throwing', async () => {
    const [a] = track.add(bs.socketpair());
    const closed = bs.socket();
    closed.close();
    const bad = 'x' as unknown as Uint8Array;
    const isError = (e: unknown): boolean => e instanceof TypeError || e instanceof RangeError || e instanceof bs.SocketError;
    const calls: Array<[string, () => unknown]> = [
      ['accept on a closed socket', () => closed.accept()],
      ['connect', () => a.connect(42 as unknown as string)],
      ['send', () => a.send(bad)],
      ['send flags', () => a.send(Buffer.alloc(1), 'f' as unknown as number)],
      ['sendall', () => a.sendall(bad)],
      ['sendto', () => a.sendto(bad, '/nowhere')],
      ['recv', () => a.recv(-1)],
      ['recvInto', () => a.recvInto(bad)],
      ['recvInto nbytes', () => a.recvInto(Buffer.alloc(1), 5)],
      ['recvfrom', () => a.recvfrom('1' as unknown as number)],
      ['recvfromInto', () => a.recvfromInto(bad)],
      ['sendmsg', () => a.sendmsg(bad as unknown as Uint8Array[])],
      ['recvmsg', () => a.recvmsg(-1)],
      ['recvmmsg', () => a.recvmmsg(bad as unknown as Uint8Array[])],
      ['sendmmsg', () => a.sendmmsg(bad as unknown as Array<[Uint8Array]>)],
    ];
    for (const [what, call] of calls) {
      let result: unknown;
      assert.doesNotThrow(() => { result = call(); }, what);
      await rejects(result, isError, what);
    }
  });

  it('a descriptor that new Socket() refuses is not adopted: a worker\'s teardown spares its reuse', async function () {
    this.timeout(20000);
    const dir = tempDir();
    const file = path.join(dir, 'reused');
    const lib = path.resolve(__dirname, '..', 'lib', 'index.js');
    const code = `
      const fs = require('node:fs');
      const { parentPort } = require('node:worker_threads');
      const bs = require(${JSON.stringify(lib)});
      const probe = fs.openSync(${JSON.stringify(file)}, 'w');
      fs.closeSync(probe);
      let threw = false;
      try { new bs.Socket(bs.AF_INET, bs.SOCK_STREAM, 0, probe); } catch { threw = true; }
      const reused = fs.openSync(${JSON.stringify(file)}, 'r');
      parentPort.postMessage({ threw, probe, reused });`;
    // Node itself would close the worker's fs descriptors at exit unless told not to track them.
    const worker = new Worker(code, { eval: true, trackUnmanagedFds: false });
    // 'exit' may come in the same turn as 'message': listen for both from the start.
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    const result = await new Promise<{ threw: boolean; probe: number; reused: number }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await exited;
    assert.ok(result.threw);
    assert.equal(result.reused, result.probe);
    let open = true;
    try { fs.fstatSync(result.reused); } catch { open = false; }
    if (open) fs.closeSync(result.reused);
    assert.ok(open, 'the worker\'s teardown closed a descriptor that reused the refused number');
  });

  describe('errors name the call and the address', () => {
    it('a sendto that times out on a full Unix datagram receiver names sendto and the path', async () => {
      const dir = tempDir();
      const where = path.join(dir, 'full');
      const receiver = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      receiver.bind(where);
      const sender = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      sender.settimeout(0.05);
      let error: unknown;
      for (let i = 0; i < 10000 && !error; i++) {
        try { sender.sendtoSync(Buffer.alloc(1024), where); } catch (e) { error = e; }
      }
      for (const e of [error, await sender.sendto(Buffer.alloc(1024), where).catch((x: unknown) => x)]) {
        assert.ok(e instanceof bs.TimeoutError, String(e));
        assert.equal(e.syscall, 'sendto');
        assert.equal(e.address, where);
      }
    });
  });
});
