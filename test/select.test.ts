// select(), selectSync() and Poller (lib/modules/select.ts), on real descriptors.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { rawFdsOpened, pair, closeFd, sendByte, tcpPair } from './raw-fds';
import { native } from '../lib/binding/native';
import { isWatched } from '../lib/engine/readiness';
import { select, selectSync, poll, Poller } from '../lib/modules/select';

const C = native.constants;
const E = native.errnoNames;
const DIST_LIB = path.join(__dirname, '..', 'lib');

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;

/** How long `fn` took, in ms. */
function timed(fn: () => void): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}

/**
 * Starts `run(value)` for every value at once and lists `[value, ms]` in the order they settled:
 * waits are checked by their order, which a loaded machine keeps, not by an upper bound on time.
 */
async function settleOrder<T>(values: T[], run: (value: T) => Promise<void>): Promise<Array<[T, number]>> {
  const started = performance.now();
  const settled: Array<[T, number]> = [];
  await Promise.all(values.map(async (value) => { await run(value); settled.push([value, performance.now() - started]); }));
  return settled;
}

function drain(fd: number): number {
  return native.recv(fd, Buffer.alloc(64), 0, 64, 0);
}

/** A descriptor number that is not open (just closed). */
function closedFdNumber(): number {
  const [a, b] = pair();
  closeFd(a);
  closeFd(b);
  return b;
}

/** Any object with fileno(), as a Socket is. */
class Handle {
  constructor(readonly fd: number) {}
  fileno(): number {
    return this.fd;
  }
}

function runShell(command: string, env: Record<string, string> = {}, killAfterMs = 15000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function assertCode(code: string, name?: string): (e: unknown) => boolean {
  return (e: unknown) => {
    const err = e as Error & { code?: string };
    assert.equal(err.code, code, `${err.name}: ${err.message}`);
    if (name) assert.equal(err.name, name);
    return true;
  };
}

describe('select and poll', function () {
  let fdsBefore = 0;
  before(async () => {
    await runShell('true'); // the first child process makes Node open a descriptor it keeps
    fdsBefore = fdCount();
  });
  after(() => {
    assert.equal(fdCount(), fdsBefore, 'descriptors leaked by select tests');
  });
  afterEach(() => {
    for (const fd of [...rawFdsOpened]) {
      assert.equal(isWatched(fd), false, `a watcher was left on fd ${fd}`);
      closeFd(fd);
    }
  });

  describe('selectSync', () => {
    it('reports writable but not readable for a fresh socket, with fd numbers', () => {
      const [a] = pair();
      assert.deepEqual(selectSync([a], [a], [a], 0), [[], [a], []]);
    });

    it('reports readable once the other end writes', () => {
      const [a, b] = pair();
      assert.deepEqual(selectSync([a, b], [], [], 0), [[], [], []]);
      sendByte(b);
      assert.deepEqual(selectSync([a, b], [], [], 0), [[a], [], []]);
      assert.equal(drain(a), 1);
      assert.deepEqual(selectSync([a, b], [], [], 0), [[], [], []]);
    });

    it('returns the same objects given, in the order given, each once', () => {
      const [a, b] = pair();
      const [c, d] = pair();
      sendByte(b);
      sendByte(c);
      const ha = new Handle(a);
      const hd = new Handle(d);
      const [r, w, x] = selectSync([hd, b, ha, hd, ha], [hd, c], [], 0);
      assert.equal(r.length, 2);
      assert.equal(r[0], hd);
      assert.equal(r[1], ha);
      assert.deepEqual(w, [hd, c]);
      assert.strictEqual(w[0], hd);
      assert.deepEqual(x, []);
    });

    it('accepts any iterable', () => {
      const [a, b] = pair();
      sendByte(b);
      const [r, w] = selectSync(new Set([a]), new Set([b]).values(), [], 0);
      assert.deepEqual([r, w], [[a], [b]]);
    });

    it('counts end of stream as readable', () => {
      const [a, b] = pair();
      assert.equal(native.shutdown(b, C.SHUT_WR), 0);
      assert.deepEqual(selectSync([a], [], [], 0), [[a], [], []]);
      assert.equal(drain(a), 0, 'recv should see end of stream');
      closeFd(b);
      assert.deepEqual(selectSync([a], [], [], 0)[0], [a], 'hang-up counts as readable');
    });

    it('reports urgent data in the exceptional list', () => {
      const [a, b] = tcpPair();
      assert.deepEqual(selectSync([], [], [a], 0), [[], [], []]);
      sendByte(b, C.MSG_OOB);
      const deadline = Date.now() + 2000;
      let result = selectSync([], [], [a], 0);
      while (result[2].length === 0 && Date.now() < deadline) result = selectSync([], [], [a], 0.01);
      assert.deepEqual(result, [[], [], [a]]);
    });

    it('does not spin on a descriptor only in xlist that has hung up', () => {
      const [a, b] = pair();
      closeFd(b);
      // A spinning wait burns the whole 400 ms; a fixed cost (the process's other threads, a
      // sanitizer build) does not grow with the wait, so half of it is a firm bound either way.
      const started = performance.now();
      const cpu = process.cpuUsage();
      assert.deepEqual(selectSync([], [], [a], 0.4), [[], [], []]);
      const used = process.cpuUsage(cpu);
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 399, `elapsed ${elapsed} ms`);
      assert.ok(used.user + used.system < 200000, `${used.user + used.system} µs of CPU in a 400 ms wait: it spins`);
    });

    it('timeout 0 returns at once; 0.05 s waits 50 ms: the waits end in the order of their timeouts', () => {
      const [a] = pair();
      const [zero, fifty, quarter] = [0, 0.05, 0.25].map((timeout) => timed(() => assert.deepEqual(selectSync([a], [], [], timeout), [[], [], []])));
      assert.ok(zero < fifty && fifty < quarter, `0: ${zero} ms, 0.05: ${fifty} ms, 0.25: ${quarter} ms`);
      assert.ok(fifty >= 49 && quarter >= 249, `0.05: ${fifty} ms, 0.25: ${quarter} ms`);
    });

    it('with no timeout, waits until data arrives (written by another thread)', async function () {
      this.timeout(10000);
      const [a, b] = pair();
      const worker = new Worker(
        `const { workerData } = require('node:worker_threads');
         const { native } = require(workerData.nativeJs);
         setTimeout(() => native.send(workerData.fd, Buffer.from('x'), 0, 1, 0), 100);`,
        { eval: true, workerData: { nativeJs: path.join(DIST_LIB, 'binding', 'native.js'), fd: b } },
      );
      const exited = new Promise((resolve) => worker.on('exit', resolve));
      const started = performance.now();
      const result = selectSync([a], [], [], null);
      const elapsed = performance.now() - started;
      await exited;
      assert.deepEqual(result, [[a], [], []]);
      assert.ok(elapsed >= 50, `returned after ${elapsed} ms, before the data was sent`);
    });

    it('refuses bad items and timeouts before any system call', () => {
      const [a] = pair();
      assert.throws(() => selectSync(['3' as unknown as number], [], []), assertCode('ERR_INVALID_ARG_TYPE', 'TypeError'));
      assert.throws(() => selectSync([{} as unknown as number], [], []), assertCode('ERR_INVALID_ARG_TYPE', 'TypeError'));
      assert.throws(() => selectSync([null as unknown as number], [], []), assertCode('ERR_INVALID_ARG_TYPE', 'TypeError'));
      assert.throws(() => selectSync([{ fileno: () => '3' } as unknown as Handle], [], []), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => selectSync(5 as unknown as number[], [], []), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => selectSync([], [], undefined as unknown as number[]), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => selectSync([-1], [], [], 0), assertCode('ERR_OUT_OF_RANGE', 'RangeError'));
      assert.throws(() => selectSync([], [1.5], [], 0), assertCode('ERR_OUT_OF_RANGE', 'RangeError'));
      // A closed Socket's fileno() is -1: API.md makes it a SocketError EBADF.
      assert.throws(() => selectSync([], [], [new Handle(-1)], 0), assertCode('EBADF', 'SocketError'));
      assert.throws(() => selectSync([a], [], [], -1), assertCode('ERR_OUT_OF_RANGE', 'RangeError'));
      assert.throws(() => selectSync([a], [], [], NaN), assertCode('ERR_OUT_OF_RANGE', 'RangeError'));
      assert.throws(() => selectSync([a], [], [], '1' as unknown as number), assertCode('ERR_INVALID_ARG_TYPE', 'TypeError'));
    });

    it('throws EBADF for a descriptor that is not open', () => {
      const [a] = pair();
      const closed = closedFdNumber();
      assert.throws(() => selectSync([a], [closed], [], 0), (e: unknown) => {
        const err = e as { code: string; errno: number; syscall: string; name: string };
        assert.equal(err.code, 'EBADF');
        assert.equal(err.errno, E.EBADF);
        assert.equal(err.syscall, 'select');
        assert.equal(err.name, 'SocketError');
        return true;
      });
    });

    it('works with descriptors numbered above FD_SETSIZE', async function () {
      this.timeout(20000);
      const script = `
        const { native } = require(${JSON.stringify(path.join(DIST_LIB, 'binding', 'native.js'))});
        const { select, selectSync, poll } = require(${JSON.stringify(path.join(DIST_LIB, 'modules', 'select.js'))});
        const C = native.constants;
        const out = new Int32Array(2);
        native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, true, out);
        const dups = [];
        let high = -1;
        while (high < 1100) { high = native.dup(out[0]); if (high < 0) throw new Error('dup ' + high); dups.push(high); }
        for (const fd of dups) if (fd !== high) native.close(fd);
        (async () => {
          const result = { high, setsize: C.FD_SETSIZE };
          result.before = selectSync([high], [], [], 0)[0];
          native.send(out[1], Buffer.from('x'), 0, 1, 0);
          result.sync = selectSync([high], [high], [], 0);
          const p = poll(); p.register(high, C.POLLIN);
          result.poll = p.pollSync(0);
          native.recv(high, Buffer.alloc(4), 0, 4, 0);
          setTimeout(() => native.send(out[1], Buffer.from('y'), 0, 1, 0), 30);
          result.async = await select([high], [], [], 5);
          console.log(JSON.stringify(result));
        })();
      `;
      const r = await runShell('ulimit -n 4096 && exec "$NODE" -e "$SCRIPT"', { NODE: process.execPath, SCRIPT: script });
      assert.equal(r.code, 0, r.stderr);
      const result = JSON.parse(r.stdout);
      assert.ok(result.high >= 1100 && result.high > result.setsize, JSON.stringify(result));
      assert.deepEqual(result.before, []);
      assert.deepEqual(result.sync, [[result.high], [result.high], []]);
      assert.deepEqual(result.poll, [[result.high, C.POLLIN]]);
      assert.deepEqual(result.async, [[result.high], [], []]);
    });
  });

  describe('select (Promise)', () => {
    it('resolves at once for ready descriptors, with fd numbers and with objects', async () => {
      const [a, b] = pair();
      sendByte(b);
      const ha = new Handle(a);
      assert.deepEqual(await select([ha, b], [b], [], 0), [[ha], [b], []]);
      assert.deepEqual(await select([a], [], [], null), [[a], [], []]);
    });

    it('waits until the other end writes (timeout null)', async () => {
      const [a, b] = pair();
      setTimeout(() => sendByte(b), 50);
      const started = performance.now();
      const result = await select([new Handle(a)], [], [], null);
      assert.ok(performance.now() - started >= 45);
      assert.equal(result[0].length, 1);
      assert.equal(result[0][0].fd, a);
      assert.equal(isWatched(a), false, 'the idle watcher was not closed');
    });

    it('waits for urgent data in xlist', async () => {
      const [a, b] = tcpPair();
      setTimeout(() => sendByte(b, C.MSG_OOB), 30);
      assert.deepEqual(await select([], [], [a], 5), [[], [], [a]]);
    });

    it('sees end of stream as readable', async () => {
      const [a, b] = pair();
      setTimeout(() => closeFd(b), 30);
      assert.deepEqual(await select([a], [], [], 5), [[a], [], []]);
    });

    it('resolves with empty lists on timeout, 50 ms after a 0.05 s timeout, in the order of the timeouts', async () => {
      const [a, b] = pair();
      const settled = await settleOrder([0.25, 0.05, 0], async (timeout) => assert.deepEqual(await select([a], [], [b], timeout), [[], [], []]));
      assert.deepEqual(settled.map(([timeout]) => timeout), [0, 0.05, 0.25]);
      for (const [timeout, ms] of settled) assert.ok(ms >= timeout * 1000 - 1, `${timeout} s settled after ${ms} ms`);
    });

    it('does not spin on a descriptor only in xlist that has hung up', async () => {
      const [a, b] = pair();
      closeFd(b);
      const cpu = process.cpuUsage();
      assert.deepEqual(await select([], [], [a], 0.4), [[], [], []]);
      const used = process.cpuUsage(cpu);
      assert.ok(used.user + used.system < 200000, `${used.user + used.system} µs of CPU in a 400 ms wait: it spins`);
    });

    it('does not block the event loop while it waits', async () => {
      const [a] = pair();
      let ticks = 0;
      const interval = setInterval(() => ticks++, 10);
      try {
        assert.deepEqual(await select([a], [], [], 0.2), [[], [], []]);
      } finally {
        clearInterval(interval);
      }
      assert.ok(ticks >= 10, `only ${ticks} interval ticks during a 200 ms select`);
    });

    it('runs several selects on one descriptor at once', async () => {
      const [a, b] = pair();
      const first = select([a], [], [], 5);
      const second = select([a, b], [], [], 5);
      setTimeout(() => sendByte(b), 20);
      assert.deepEqual(await Promise.all([first, second]), [[[a], [], []], [[a], [], []]]);
    });

    it('is cancelled by an AbortSignal', async () => {
      const [a] = pair();
      const controller = new AbortController();
      const pending = select([a], [], [], null, { signal: controller.signal });
      setTimeout(() => controller.abort(), 30);
      await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError');
      assert.equal(isWatched(a), false, 'the watcher outlived the cancelled select');
      const reason = new Error('stop');
      await assert.rejects(select([a], [], [], 5, { signal: AbortSignal.abort(reason) }), (e) => (e as Error).name === 'AbortError' && (e as Error & { code: string }).code === 'ABORT_ERR' && (e as Error).cause === reason);
    });

    it('rejects bad arguments and closed descriptors', async () => {
      const [a] = pair();
      await assert.rejects(select([{} as unknown as number], [], []), assertCode('ERR_INVALID_ARG_TYPE'));
      await assert.rejects(select([-3], [], []), assertCode('ERR_OUT_OF_RANGE'));
      await assert.rejects(select([a], [], [], -0.5), assertCode('ERR_OUT_OF_RANGE'));
      await assert.rejects(select([a], [], [], 0, { signal: 'no' as unknown as AbortSignal }), assertCode('ERR_INVALID_ARG_TYPE'));
      const closed = closedFdNumber();
      await assert.rejects(select([closed], [], [], 1), assertCode('EBADF', 'SocketError'));
    });
  });

  describe('Poller', () => {
    it('poll() returns a Poller', () => {
      assert.ok(poll() instanceof Poller);
    });

    it('registers with POLLIN | POLLPRI | POLLOUT by default and reports [fd, revents]', () => {
      const [a, b] = pair();
      const p = poll();
      p.register(a);
      p.register(new Handle(b), C.POLLIN);
      assert.deepEqual(p.pollSync(0), [[a, C.POLLOUT]]);
      sendByte(b);
      assert.deepEqual(p.pollSync(0), [[a, C.POLLIN | C.POLLOUT]]);
      p.modify(a, C.POLLIN);
      assert.deepEqual(p.pollSync(), [[a, C.POLLIN]]);
      p.unregister(new Handle(a));
      assert.deepEqual(p.pollSync(0), []);
    });

    it('modify() and unregister() of an unregistered descriptor throw ENOENT', () => {
      const [a] = pair();
      const p = poll();
      assert.throws(() => p.modify(a, C.POLLIN), assertCode('ENOENT'));
      assert.throws(() => p.unregister(a), (e: unknown) => {
        const err = e as { code: string; syscall: string; errno: number };
        assert.equal(err.code, 'ENOENT');
        assert.equal(err.errno, E.ENOENT);
        assert.equal(err.syscall, 'unregister');
        return true;
      });
      p.register(a, C.POLLIN);
      p.unregister(a);
      assert.throws(() => p.unregister(a), assertCode('ENOENT'));
    });

    it('validates its arguments', () => {
      const p = poll();
      assert.throws(() => p.register('1' as unknown as number), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => p.register(-1), assertCode('ERR_OUT_OF_RANGE'));
      assert.throws(() => p.register(0, 0x10000), assertCode('ERR_OUT_OF_RANGE'));
      assert.throws(() => p.register(0, 'x' as unknown as number), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => p.pollSync('1' as unknown as number), assertCode('ERR_INVALID_ARG_TYPE'));
      assert.throws(() => p.pollSync(NaN), assertCode('ERR_OUT_OF_RANGE'));
    });

    it('reports POLLNVAL for a descriptor that is not open, as poll(2) does', () => {
      const closed = closedFdNumber();
      const p = poll();
      p.register(closed, C.POLLIN);
      assert.deepEqual(p.pollSync(0), [[closed, C.POLLNVAL]]);
    });

    it('pollSync waits for the timeout in milliseconds', () => {
      const [a] = pair();
      const p = poll();
      p.register(a, C.POLLIN);
      const [fifty, quarter] = [50, 250].map((ms) => timed(() => assert.deepEqual(p.pollSync(ms), [])));
      assert.ok(fifty >= 49 && fifty < quarter, `50: ${fifty} ms, 250: ${quarter} ms`);
    });

    it('poll() waits on the event loop until data arrives', async () => {
      const [a, b] = pair();
      const p = poll();
      p.register(a, C.POLLIN);
      p.register(b, C.POLLIN);
      let ticks = 0;
      const interval = setInterval(() => ticks++, 10);
      setTimeout(() => sendByte(b), 150);
      const result = await p.poll(); // negative, null and undefined all wait forever
      clearInterval(interval);
      assert.deepEqual(result, [[a, C.POLLIN]]);
      assert.ok(ticks >= 5, `only ${ticks} ticks: the event loop was blocked`);
      assert.equal(isWatched(a) || isWatched(b), false);
    });

    it('poll() times out with an empty list, and accepts a negative timeout as forever', async () => {
      const [a, b] = pair();
      const p = poll();
      p.register(a, C.POLLIN);
      const settled = await settleOrder([250, 50], async (ms) => {
        const own = poll();
        own.register(a, C.POLLIN);
        assert.deepEqual(await own.poll(ms), []);
      });
      assert.deepEqual(settled.map(([ms]) => ms), [50, 250]);
      for (const [timeout, ms] of settled) assert.ok(ms >= timeout - 1, `${timeout} ms settled after ${ms} ms`);
      setTimeout(() => sendByte(b), 20);
      assert.deepEqual(await p.poll(-1), [[a, C.POLLIN]]);
    });

    it('poll() hears of a hang-up on a descriptor registered for no events', async () => {
      const [a, b] = pair();
      const p = poll();
      p.register(a, 0);
      assert.deepEqual(await p.poll(0), []);
      setTimeout(() => closeFd(b), 30);
      const result = await p.poll(2000);
      assert.equal(result.length, 1);
      assert.equal(result[0][0], a);
      assert.ok(result[0][1] & C.POLLHUP, `revents ${result[0][1]}`);
    });

    it('poll() is cancelled by an AbortSignal', async () => {
      const [a] = pair();
      const p = poll();
      p.register(a, C.POLLIN);
      const controller = new AbortController();
      const pending = p.poll(null, { signal: controller.signal });
      setTimeout(() => controller.abort(), 20);
      await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError');
      assert.equal(isWatched(a), false);
    });
  });
});
