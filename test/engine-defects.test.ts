// Issue 19, defects 1–10: each test failed before its fix (see the issue for the causes).
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { pbkdf2 } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import * as bs from '../lib';
import { native } from '../lib/binding/native';
import { Tracker, runPythonScript, tempDir, within } from './helpers';

const O_NONBLOCK_BIT = 1;  // native.getFdFlags: bit 0 is O_NONBLOCK, bit 1 FD_CLOEXEC

/** The errno Python's blocking accept() raises on a Unix listener that was shut down. */
function pythonAcceptOnShutListener(dir: string): number {
  return Number(runPythonScript(`
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(); s.shutdown(socket.SHUT_RDWR)
try:
    s.accept(); print(0)
except OSError as e:
    print(e.errno)
`, [path.join(dir, 'py.sock')]).trim());
}

/** Settles to 'pending' if `promise` has not settled after a short wait (a bound from below on how long we look). */
async function stateAfter(promise: Promise<unknown>, ms: number): Promise<'pending' | 'resolved' | 'rejected'> {
  let state: 'pending' | 'resolved' | 'rejected' = 'pending';
  promise.then(() => { state = 'resolved'; }, () => { state = 'rejected'; });
  await new Promise((resolve) => setTimeout(resolve, ms));
  return state;
}

function bigFile(dir: string, name: string, size: number, fill: number): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, Buffer.alloc(size, fill));
  return file;
}

/** Reads from `sock` until end of stream. */
async function readAll(sock: bs.Socket): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (;;) {
    const chunk = await sock.recv(1 << 16);
    if (chunk.length === 0) return Buffer.concat(parts);
    parts.push(chunk);
  }
}

function isNonblocking(fd: number): boolean {
  return (native.getFdFlags(fd) & O_NONBLOCK_BIT) !== 0;
}

/** A Unix listener in `dir`, and a client connected to it but not yet accepted. */
function unixListener(track: Tracker, dir: string): bs.Socket {
  const listener = track.add(new bs.Socket(bs.AF_UNIX));
  listener.bind(path.join(dir, `l${Math.random().toString(36).slice(2)}.sock`));
  listener.listen();
  return listener;
}

describe('issue 19 defects', function () {
  this.timeout(20000);
  const track = new Tracker().install();
  let dir: string;
  before(() => { dir = tempDir(); });

  describe('1: accept never wraps a descriptor the call did not make', () => {
    it('a pending accept() on a Unix listener shut down rejects as Python does', async () => {
      const expected = pythonAcceptOnShutListener(dir);
      assert.ok(expected > 0, 'Python raises here');
      const listener = unixListener(track, dir);
      const pending = listener.accept();
      await new Promise((resolve) => setTimeout(resolve, 20));
      listener.shutdown(bs.SHUT_RDWR);
      await assert.rejects(within(pending, 5000, 'accept'), (error: bs.SocketError) => {
        assert.ok(error instanceof bs.SocketError);
        assert.equal(error.errno, expected);
        return true;
      });
    });

    it('acceptSync with a timeout on a Unix listener shut down throws, and hands out no socket', () => {
      const listener = unixListener(track, dir);
      listener.settimeout(0.3);
      listener.shutdown(bs.SHUT_RDWR);
      assert.throws(() => track.add(listener.acceptSync()), bs.SocketError);
      assert.ok(fs.fstatSync(0), 'stdin is still open');
    });
  });

  describe('2, 4: sendfile keeps its place in the writers\' order, with its deadline fixed at the call', () => {
    it('a sendall() called after a Promise sendfile() goes after it', async () => {
      const [a, b] = track.add(bs.socketpair());
      const file = bigFile(dir, 'four.bin', 4 << 20, 0x61);
      const fd = fs.openSync(file, 'r');
      track.defer(() => fs.closeSync(fd));
      const reading = readAll(b);
      const sending = a.sendfile(fd);
      const trailing = a.sendall(Buffer.from('TRAILER'));
      assert.equal(await sending, 4 << 20);
      await trailing;
      a.shutdown(bs.SHUT_WR);
      const got = await reading;
      assert.equal(got.length, (4 << 20) + 7);
      assert.equal(got.subarray(0, 7).toString(), 'aaaaaaa');
      assert.equal(got.subarray(4 << 20).toString(), 'TRAILER');
    });

    it('an abort settles a sendfile() that waits behind earlier writes', async () => {
      const [a] = track.add(bs.socketpair());
      const file = bigFile(dir, 'small.bin', 1000, 0x62);
      const stuck = a.sendall(Buffer.alloc(8 << 20));  // nobody reads: it waits until close
      stuck.catch(() => undefined);
      const controller = new AbortController();
      const fd = fs.openSync(file, 'r');
      track.defer(() => fs.closeSync(fd));
      const sending = a.sendfile(fd, 0, undefined, { signal: controller.signal });
      controller.abort();
      assert.equal(await stateAfter(sending, 50), 'rejected');
      await assert.rejects(sending, { name: 'AbortError' });
    });

    it('the timeout of sendfile() counts from the call, not from its first wait', async () => {
      const [a] = track.add(bs.socketpair());
      const file = bigFile(dir, 'late.bin', 4 << 20, 0x63);
      const fd = fs.openSync(file, 'r');
      track.defer(() => fs.closeSync(fd));
      a.settimeout(0.3);
      const stuck = a.sendall(Buffer.alloc(8 << 20));
      const sending = a.sendfile(fd);
      a.settimeout(null);  // later calls block; the two made above keep their deadlines
      await assert.rejects(stuck, bs.TimeoutError);
      await assert.rejects(within(sending, 5000, 'sendfile'), bs.TimeoutError);
    });
  });

  describe('3, 8: sendfile and the blocking mode', () => {
    it('a blocking socket stays blocking for detach() after a Promise sendfile()', async () => {
      const [a, b] = track.add(bs.socketpair());
      const file = bigFile(dir, 'tiny.bin', 100, 0x64);
      const fd = fs.openSync(file, 'r');
      track.defer(() => fs.closeSync(fd));
      assert.equal(await a.sendfile(fd), 100);
      assert.equal((await b.recv(1000)).length, 100);
      const raw = a.detach();
      track.defer(() => native.close(raw));
      assert.equal(isNonblocking(raw), false);
    });

    it('a Promise sendfile() never blocks the event loop, even after a dup() made the descriptor blocking', async () => {
      // The peer is another process that reads 1 MiB, then waits for word from our event loop
      // (or gives up after 10 s and reads on): if sendfile(2) blocked the loop, no word comes.
      const [a, b] = track.add(bs.socketpair());
      const file = bigFile(dir, 'eight.bin', 8 << 20, 0x65);
      const fd = fs.openSync(file, 'r');
      track.defer(() => fs.closeSync(fd));
      const peerFd = b.detach();
      const child = spawn('python3', ['-u', '-c', `
import socket, sys, select
s = socket.socket(fileno=3)
got = 0
while got < (1 << 20): got += len(s.recv(1 << 16))
sys.stdout.write('paused\\n')
ready, _, _ = select.select([sys.stdin], [], [], 10)
sys.stdout.write('woken\\n' if ready else 'gave-up\\n')
while True:
    d = s.recv(1 << 16)
    if not d: break
    got += len(d)
sys.stdout.write('%d\\n' % got)
`], { stdio: ['pipe', 'pipe', 'inherit', peerFd] });
      native.close(peerFd);
      child.stdin!.on('error', () => undefined);  // the child may have given up and gone
      let out = '';
      child.stdout!.on('data', (d) => {
        out += d;
        if (out.includes('paused') && !child.stdin!.writableEnded) setTimeout(() => child.stdin!.end('go\n'), 50);
      });
      const exited = new Promise((resolve) => child.on('exit', resolve));
      const sending = a.sendfile(fd);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const copy = a.dup();
      copy.setblocking(true);  // clears O_NONBLOCK on the shared open file description
      copy.close();
      assert.equal(await sending, 8 << 20);
      a.close();
      await exited;
      assert.deepEqual(out.trim().split('\n'), ['paused', 'woken', String(8 << 20)]);
    });
  });

  describe('5: options are read once, by one function, for every Promise form', () => {
    const bad: Array<[string, () => unknown]> = [
      ['5', () => 5], ["'x'", () => 'x'], ['null', () => null], ['{ signal: {} }', () => ({ signal: {} })],
      ['{ signal: 5 }', () => ({ signal: 5 })],
    ];
    type Call = (s: bs.Socket, options: unknown) => Promise<unknown>;
    const readers: Array<[string, Call]> = [
      ['recv', (s, o) => s.recv(10, 0, o as bs.OperationOptions)],
      ['recvInto', (s, o) => s.recvInto(Buffer.alloc(10), 0, 0, o as bs.OperationOptions)],
      ['recvfrom', (s, o) => s.recvfrom(10, 0, o as bs.OperationOptions)],
      ['recvfromInto', (s, o) => s.recvfromInto(Buffer.alloc(10), 0, 0, o as bs.OperationOptions)],
      ['recvmsg', (s, o) => s.recvmsg(10, 0, 0, o as bs.OperationOptions)],
      ['recvmmsg', (s, o) => s.recvmmsg([Buffer.alloc(10)], 0, o as bs.OperationOptions)],
      ['recvFds', (s, o) => bs.recvFds(s, 10, 1, 0, o as bs.OperationOptions)],
    ];
    const writers: Array<[string, Call]> = [
      ['send', (s, o) => s.send(Buffer.from('x'), 0, o as bs.OperationOptions)],
      ['sendall', (s, o) => s.sendall(Buffer.from('x'), 0, o as bs.OperationOptions)],
      ['sendmsg', (s, o) => s.sendmsg([Buffer.from('x')], [], 0, undefined, o as bs.OperationOptions)],
      ['sendFds', (s, o) => bs.sendFds(s, [Buffer.from('x')], [], 0, undefined, o as bs.OperationOptions)],
      ['sendmmsg', (s, o) => s.sendmmsg([[Buffer.from('x')]], 0, o as bs.OperationOptions)],
    ];

    async function expectInvalid(promiseOf: () => unknown, what: string): Promise<void> {
      let result: unknown;
      assert.doesNotThrow(() => { result = promiseOf(); }, `${what} throws synchronously`);
      assert.ok(result instanceof Promise, `${what} returns a Promise`);
      await assert.rejects(result as Promise<unknown>, { code: 'ERR_INVALID_ARG_TYPE', name: 'TypeError' }, what);
    }

    for (const [name, call] of [...readers, ...writers]) {
      it(`${name} rejects bad options with ERR_INVALID_ARG_TYPE and stays usable`, async function () {
        if (name.includes('mmsg') && !native.recvmmsg) this.skip();
        const [a, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
        for (const [label, options] of bad) await expectInvalid(() => call(a, options()), `${name}(${label})`);
        const throwing = Object.defineProperty({}, 'signal', { get() { throw new RangeError('getter'); } });
        await assert.rejects(Promise.resolve().then(() => call(a, throwing)), RangeError);
        // the turn is free: a good call settles
        b.sendSync(Buffer.from('y'));
        await within(Promise.resolve(call(a, {})), 5000, `${name} after bad options`);
      });
    }

    it('accept rejects bad options and a later accept() settles', async () => {
      const listener = unixListener(track, dir);
      for (const [label, options] of bad) await expectInvalid(() => listener.accept(options() as bs.OperationOptions), `accept(${label})`);
      const client = track.add(new bs.Socket(bs.AF_UNIX));
      client.connectSync(listener.getsockname() as string);
      track.add(await within(listener.accept({}), 5000, 'accept'));
    });

    it('connect, sendto and sendfile reject bad options', async () => {
      const listener = unixListener(track, dir);
      const target = listener.getsockname() as string;
      const [a] = track.add(bs.socketpair());
      const fd = fs.openSync(bigFile(dir, 'opt.bin', 10, 0x66), 'r');
      track.defer(() => fs.closeSync(fd));
      const u = track.add(new bs.Socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      for (const [label, options] of bad) {
        const client = track.add(new bs.Socket(bs.AF_UNIX));
        await expectInvalid(() => client.connect(target, options() as bs.OperationOptions), `connect(${label})`);
        await expectInvalid(() => u.sendto(Buffer.from('x'), target, options() as bs.OperationOptions), `sendto(${label})`);
        await expectInvalid(() => a.sendfile(fd, 0, undefined, options() as bs.SendfileOptions), `sendfile(${label})`);
      }
      const client = track.add(new bs.Socket(bs.AF_UNIX));
      await within(client.connect(target, {}), 5000, 'connect');
    });

    it('select and poll reject null options as the Socket methods do', async () => {
      await expectInvalid(() => bs.select([], [], [], 0, null as unknown as undefined), 'select(null)');
      const p = bs.poll();
      await expectInvalid(() => p.poll(0, null as unknown as undefined), 'poll(null)');
    });
  });

  describe('explicit undefined flags are a TypeError', () => {
    it('every flags argument refuses undefined passed explicitly', async () => {
      const [a, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
      const u = undefined as unknown as number;
      assert.throws(() => a.sendSync(Buffer.from('x'), u), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => a.recvSync(1, u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(a.send(Buffer.from('x'), u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(a.recv(1, u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(a.recvInto(Buffer.alloc(1), 0, u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(a.recvmsg(1, 0, u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(a.sendall(Buffer.from('x'), u), { code: 'ERR_INVALID_ARG_TYPE' });
      await assert.rejects(bs.recvFds(a, 1, 1, u), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => bs.sendFdsSync(a, [Buffer.from('x')], [], u), { code: 'ERR_INVALID_ARG_TYPE' });
      assert.throws(() => bs.poll().register(a, u), { code: 'ERR_INVALID_ARG_TYPE' });
      // omitted, they take the default
      assert.equal(b.sendSync(Buffer.from('x')), 1);
      assert.equal((await a.recv(1)).length, 1);
    });
  });

  describe('6: close() settles an operation waiting for a name look-up', () => {
    it('a sendto() to "localhost" rejects with EBADF at close(), before the look-up returns', async () => {
      // Keep every thread of libuv's pool busy, so that the look-up waits.
      let busyDone = 0;
      const busy = Array.from({ length: 4 }, () => new Promise<void>((resolve) => {
        pbkdf2('x', 'y', 1_000_000, 32, 'sha256', () => { busyDone++; resolve(); });
      }));
      const u = track.add(new bs.Socket(bs.AF_INET, bs.SOCK_DGRAM));
      const sending = u.sendto(Buffer.from('x'), ['localhost', 9]);
      await new Promise((resolve) => setImmediate(resolve));
      u.close();
      const state = await stateAfter(sending, 20);
      const lookupsStillBlocked = busyDone === 0;
      await Promise.all(busy);
      assert.ok(lookupsStillBlocked, 'the thread pool was busy throughout');
      assert.equal(state, 'rejected');
      await assert.rejects(sending, { code: 'EBADF' });
    });
  });

  describe('7: Sync calls in timeout mode poll first, as CPython does', () => {
    // Another process answers after 3 s: a call that blocked (the bug) gets that answer instead of timing out.
    const LATE = 3;
    function lateSender(peerFd: number): void {
      const child = spawn('python3', ['-c', `
import socket, time
s = socket.socket(fileno=3)
time.sleep(${LATE})
try: s.send(b'late')
except OSError: pass
`], { stdio: ['ignore', 'ignore', 'inherit', peerFd] });
      native.close(peerFd);
      track.defer(() => child.kill());
    }

    function lateConnector(target: string): void {
      const child = spawn('python3', ['-c', `
import socket, sys, time
time.sleep(${LATE})
s = socket.socket(socket.AF_UNIX)
try: s.connect(sys.argv[1]); time.sleep(1)
except OSError: pass
`, target], { stdio: ['ignore', 'ignore', 'inherit'] });
      track.defer(() => child.kill());
    }

    /** Timeout mode, then a dup() that clears O_NONBLOCK on the shared open file description. */
    function clearedByDup(sock: bs.Socket): void {
      sock.settimeout(0.2);
      const copy = sock.dup();
      copy.setblocking(true);
      copy.close();
    }

    const calls: Array<[string, (s: bs.Socket) => unknown]> = [
      ['recvSync', (s) => s.recvSync(10)],
      ['recvIntoSync', (s) => s.recvIntoSync(Buffer.alloc(10))],
      ['recvfromSync', (s) => s.recvfromSync(10)],
      ['recvmsgSync', (s) => s.recvmsgSync(10)],
      ['recvmmsgSync', (s) => s.recvmmsgSync([Buffer.alloc(10)])],
    ];
    for (const [name, call] of calls) {
      it(`${name} times out after a dup() cleared O_NONBLOCK`, function () {
        if (name.includes('mmsg') && !native.recvmmsg) this.skip();
        const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
        track.add(a);
        lateSender(b.detach());
        clearedByDup(a);
        assert.throws(() => call(a), bs.TimeoutError);
      });
    }

    it('acceptSync times out after a dup() cleared O_NONBLOCK', () => {
      const listener = unixListener(track, dir);
      lateConnector(listener.getsockname() as string);
      clearedByDup(listener);
      assert.throws(() => track.add(listener.acceptSync()), bs.TimeoutError);
    });

    // Found by the model suite: non-blocking mode trusted the flag too. (CPython blocks here; a
    // Socket in non-blocking mode never waits.)
    for (const [name, call] of calls) {
      it(`${name} in non-blocking mode fails at once with BlockingIOError after a dup() cleared O_NONBLOCK`, function () {
        if (name.includes('mmsg') && !native.recvmmsg) this.skip();
        const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
        track.add(a);
        lateSender(b.detach());
        clearedByDup(a);
        a.setblocking(false);
        const copy = a.dup();
        copy.setblocking(true);  // the shared open file description is blocking again
        copy.close();
        assert.throws(() => call(a), bs.BlockingIOError);
      });
    }

    // Found by the differential suite: MSG_ERRQUEUE never waits (the IP families never wait for
    // the error queue), but AF_UNIX ignores the flag and waits for data on a blocking descriptor.
    for (const mode of ['timeout', 'blocking'] as const) {
      for (const [name, call] of [
        ['recvSync', (s: bs.Socket) => s.recvSync(10, bs.MSG_ERRQUEUE!)],
        ['recvmsgSync', (s: bs.Socket) => s.recvmsgSync(10, 0, bs.MSG_ERRQUEUE!)],
      ] as const) {
        it(`${name} with MSG_ERRQUEUE on a Unix socket in ${mode} mode fails at once with BlockingIOError after a dup() cleared O_NONBLOCK`, () => {
          const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
          track.add(a);
          lateSender(b.detach());
          clearedByDup(a);
          if (mode === 'blocking') a.setblocking(true);
          assert.throws(() => call(a), bs.BlockingIOError);
        });
      }
    }

    // Found by the model suite (poll thread, seed 1498): a Sync connect in timeout mode made its
    // connect(2) on the descriptor as it was, and a Unix connect on a blocking descriptor waits in
    // the kernel for room in the backlog, for ever.
    it('connectSync in timeout mode to a full Unix backlog does not block after a dup() cleared O_NONBLOCK', () => {
      const listener = track.add(new bs.Socket(bs.AF_UNIX));
      const target = path.join(dir, `full${Math.random().toString(36).slice(2)}.sock`);
      listener.bind(target);
      listener.listen(0);
      for (let i = 0; i < 64; i++) {  // fill the backlog
        const filler = track.add(new bs.Socket(bs.AF_UNIX));
        filler.setblocking(false);
        if (filler.connectEx(target) !== 0) break;
      }
      const sock = track.add(new bs.Socket(bs.AF_UNIX));
      clearedByDup(sock);
      assert.throws(() => sock.connectSync(target), (e: unknown) => e instanceof bs.BlockingIOError || e instanceof bs.TimeoutError);
    });

    it('acceptSync in non-blocking mode fails at once after a dup() cleared O_NONBLOCK', () => {
      const listener = unixListener(track, dir);
      lateConnector(listener.getsockname() as string);
      listener.setblocking(false);
      const copy = listener.dup();
      copy.setblocking(true);
      copy.close();
      assert.throws(() => track.add(listener.acceptSync()), bs.BlockingIOError);
    });
  });

  describe('9: sendfile holds the file for the whole transfer', () => {
    it('closing the FileHandle mid-transfer and reopening its number sends only the first file', async () => {
      const [a, b] = track.add(bs.socketpair());
      const size = 8 << 20;
      const first = await fsp.open(bigFile(dir, 'first.bin', size, 0x41), 'r');
      const sending = a.sendfile(first);
      await new Promise((resolve) => setTimeout(resolve, 20));
      const number = first.fd;
      await first.close();
      const second = await fsp.open(bigFile(dir, 'second.bin', size, 0x42), 'r');
      const sameNumber = second.fd === number;
      try {
        const reading = readAll(b);
        const outcome = await sending.then((n) => n, (error: unknown) => error);
        a.shutdown(bs.SHUT_WR);
        const got = await reading;
        assert.ok(sameNumber, 'the second file took the first one\'s number');
        assert.equal(got.includes(0x42), false, 'no byte of the second file was sent');
        assert.equal(outcome, size);
        assert.equal(got.length, size);
        assert.equal(await second.read(Buffer.alloc(1), 0, 1, null).then((r) => r.bytesRead && 0), 0);
      } finally {
        await second.close();
      }
    });
  });

  describe('10: sendfile errors are SocketErrors with positive errno', () => {
    it('a directory', async () => {
      const [a] = track.add(bs.socketpair());
      const fd = fs.openSync(dir, 'r');
      track.defer(() => fs.closeSync(fd));
      const check = (error: bs.SocketError): boolean => {
        assert.ok(error instanceof bs.SocketError, `${error}`);
        assert.equal(error.code, 'EISDIR');
        assert.equal(error.errno, bs.errno.EISDIR);
        return true;
      };
      await assert.rejects(a.sendfile(fd), check);
      assert.throws(() => a.sendfileSync(fd), check);
    });

    it('a non-blocking socket with nothing to read', async () => {
      const [a] = track.add(bs.socketpair());
      const [c] = track.add(bs.socketpair());
      c.setblocking(false);
      const check = (error: bs.SocketError): boolean => {
        assert.ok(error instanceof bs.SocketError, `${error}`);
        assert.ok(error.errno > 0);
        assert.equal(error.code, 'EAGAIN');
        return true;
      };
      await assert.rejects(a.sendfile(c.fileno()), check);
      assert.throws(() => a.sendfileSync(c.fileno()), check);
    });
  });

  // Found by the model suite on io_uring (docs/MODEL.md, sixth round): a receive or send that was a
  // submission on the ring settled a loop turn after close(); every backend must settle it by the
  // microtasks close() queued. ci-uring runs this file on the ring.
  describe('close() and detach() settle pending operations before the loop turns, on every backend', () => {
    const microtasks = async (): Promise<void> => { for (let i = 0; i < 20; i++) await null; };
    const ending = ['close', 'detach'] as const;

    async function settledBy(end: 'close' | 'detach', pending: (s: bs.Socket) => Promise<unknown>): Promise<void> {
      const [a] = track.add(bs.socketpair());
      const call = pending(a);
      let outcome: unknown = 'pending';
      call.then(() => { outcome = 'resolved'; }, (error: unknown) => { outcome = error; });
      await new Promise((resolve) => setImmediate(resolve));  // on the ring by now, or waiting
      const fd = end === 'close' ? (a.close(), -1) : a.detach();
      if (fd >= 0) track.defer(() => bs.close(fd));
      await microtasks();
      assert.ok(outcome instanceof bs.SocketError, `still ${String(outcome)} after ${end}()`);
      assert.equal((outcome as bs.SocketError).code, 'EBADF');
    }

    for (const end of ending) {
      it(`recvInto, recv (${end})`, async () => {
        await settledBy(end, (s) => s.recvInto(Buffer.alloc(100)));
        await settledBy(end, (s) => s.recv(100));
      });

      it(`sendall of more than the socket buffer holds (${end})`, async () => {
        await settledBy(end, (s) => s.sendall(Buffer.alloc(8 << 20, 1)));
      });
    }
  });

  // Found by the differential suite (seed 5036): a deadline already past when the call would wait
  // made it time out without looking, where CPython polls once with the timeout rounded up to 1 ms.
  describe('a timeout shorter than the call still looks once, as CPython does', () => {
    const refusedPort = (): number => {
      const probe = new bs.Socket(bs.AF_INET);
      probe.bind(['127.0.0.1', 0]);
      const port = (probe.getsockname() as [string, number])[1];
      probe.close();  // nothing listens there now: a connect is refused at once
      return port;
    };
    const pythonSays = (port: number): string => runPythonScript(`
import socket, sys
s = socket.socket(); s.settimeout(1e-9)
try:
    s.connect(('127.0.0.1', int(sys.argv[1]))); print('connected')
except OSError as e:
    print(type(e).__name__)
`, [String(port)]).trim();

    it('connectSync and connect with a 1 ns timeout to a closed loopback port: ConnectionRefusedError, as Python', async () => {
      const port = refusedPort();
      const expected = pythonSays(port);
      assert.equal(expected, 'ConnectionRefusedError');
      const sync = track.add(new bs.Socket(bs.AF_INET));
      sync.settimeout(1e-9);
      assert.throws(() => sync.connectSync(['127.0.0.1', port]), (e: Error) => e.constructor.name === expected);
      const promised = track.add(new bs.Socket(bs.AF_INET));
      promised.settimeout(1e-9);
      await assert.rejects(promised.connect(['127.0.0.1', port]), (e: Error) => e.constructor.name === expected);
    });

    it('a receive with a 1 ns timeout and nothing to read still times out', async () => {
      const [a] = track.add(bs.socketpair());
      a.settimeout(1e-9);
      assert.throws(() => a.recvSync(1), bs.TimeoutError);
      await assert.rejects(a.recv(1), bs.TimeoutError);
    });
  });

  // Found by the model suite on io_uring (docs/MODEL.md, sixth round): with a Promise accept armed
  // on the ring, acceptSync in timeout mode failed at once with EAGAIN instead of waiting.
  it('acceptSync in timeout mode beside a pending Promise accept waits for its timeout, on every backend', async () => {
    const listener = track.add(new bs.Socket(bs.AF_INET));
    listener.bind(['127.0.0.1', 0]);
    listener.listen();
    const pending = listener.accept();
    pending.catch(() => {});
    await new Promise((resolve) => setImmediate(resolve));
    listener.settimeout(0.05);
    assert.throws(() => listener.acceptSync(), bs.TimeoutError);
    listener.close();
    await assert.rejects(pending, { code: 'EBADF' });
  });
});

