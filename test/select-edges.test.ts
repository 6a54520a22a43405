// select()/poll() at their edges (issue 11): descriptors that Node itself watches, many descriptors
// at once, closed Sockets, and timeouts longer than setTimeout accepts.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { rawFdsOpened, pair, closeFd } from './raw-fds';
import { native } from '../lib/binding/native';
import { isWatched, waitFor } from '../lib/engine/readiness';
import { select, selectSync, poll } from '../lib/modules/select';
import { Socket, SocketError } from '../lib';

const C = native.constants;
const DIST_LIB = path.join(__dirname, '..', 'lib');
const THIRTY_DAYS_S = 30 * 24 * 3600;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects the process warnings emitted while `fn` runs (and for `settleMs` after). */
async function warningsDuring(fn: () => Promise<unknown>, settleMs = 20): Promise<Error[]> {
  const warnings: Error[] = [];
  const onWarning = (w: Error): number => warnings.push(w);
  process.on('warning', onWarning);
  try {
    await fn();
    await sleep(settleMs);
  } finally {
    process.off('warning', onWarning);
  }
  return warnings;
}

/**
 * A child whose stdin is a pipe that Node reads ('data'). It pauses stdin, starts a Promise
 * select()/Poller.poll() on fd 0, resumes stdin while that wait is pending, several times; then
 * prints "ready" and reports whether the line written to it afterwards still arrives.
 */
function stdinChild(form: 'select' | 'poll'): Promise<string> {
  const script = `
    const { select, poll } = require(${JSON.stringify(path.join(DIST_LIB, 'modules', 'select.js'))});
    const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
    (async () => {
      let got = '';
      process.stdin.on('data', (d) => { got += d; });
      await sleep(20);
      for (let i = 0; i < 5; i++) {
        process.stdin.pause();
        await sleep(10);
        let pending;
        if (${JSON.stringify(form)} === 'poll') {
          const p = poll();
          p.register(0, ${C.POLLIN});
          pending = p.poll(60);
        } else {
          pending = select([0], [], [], 0.06);
        }
        await sleep(20);
        process.stdin.resume();
        await pending;
      }
      process.stdout.write('ready\\n');
      const check = setInterval(() => {
        if (got.includes('ping')) { process.stdout.write('delivered\\n'); process.exit(0); }
      }, 10);
      setTimeout(() => { clearInterval(check); process.stdout.write('lost\\n'); process.exit(0); }, 2000);
    })();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d;
      if (out.includes('ready') && !out.includes('ping-sent')) {
        out += 'ping-sent';
        child.stdin.write('ping\n');
      }
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(killer);
      child.stdin.destroy();
      resolve(out.includes('delivered') ? 'delivered' : out.includes('lost') ? 'lost' : `no verdict: ${out}`);
    });
  });
}

describe('select and poll at the edges', function () {
  this.timeout(20000);
  afterEach(() => {
    for (const fd of [...rawFdsOpened]) {
      assert.equal(isWatched(fd), false, `a watcher was left on fd ${fd}`);
      closeFd(fd);
    }
  });

  describe('descriptors that Node watches too', () => {
    it('a piped stdin keeps delivering data after Promise selects on fd 0', async () => {
      assert.equal(await stdinChild('select'), 'delivered');
    });

    it('a piped stdin keeps delivering data after Poller.poll() on fd 0', async () => {
      assert.equal(await stdinChild('poll'), 'delivered');
    });

    it('a net.Socket keeps delivering data after Promise selects on its fd', async () => {
      const net = await import('node:net');
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as { port: number }).port;
      const client = net.connect(port, '127.0.0.1');
      const [accepted] = await new Promise<[import('node:net').Socket]>((resolve) => server.once('connection', (s) => resolve([s])));
      try {
        let got = 0;
        accepted.on('data', (d: Buffer) => (got += d.length));
        const fd = (accepted as unknown as { _handle: { fd: number } })._handle.fd;
        for (let i = 0; i < 5; i++) {
          await select([fd], [], [], 0.02);
          const p = poll();
          p.register(fd, C.POLLIN);
          await p.poll(20);
          client.write('hello');
          const until = Date.now() + 2000;
          while (got < 5 * (i + 1) && Date.now() < until) await sleep(5);
          assert.equal(got, 5 * (i + 1), `round ${i}: 'data' stopped`);
        }
      } finally {
        client.destroy();
        accepted.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });
  });

  describe('many descriptors', () => {
    it('a Promise select over 50 descriptors emits no warning', async () => {
      const fds = Array.from({ length: 25 }, () => pair()).flat();
      const controller = new AbortController();
      const warnings = await warningsDuring(async () => {
        assert.deepEqual(await select(fds, [], [], 0.05, { signal: controller.signal }), [[], [], []]);
        assert.deepEqual(await select(fds, [], [], 0.05), [[], [], []]);
      });
      assert.deepEqual(warnings.map(String), []);
    });

    it('Poller.poll over 50 descriptors emits no warning', async () => {
      const fds = Array.from({ length: 25 }, () => pair()).flat();
      const p = poll();
      for (const fd of fds) p.register(fd, C.POLLIN);
      const controller = new AbortController();
      const warnings = await warningsDuring(async () => {
        assert.deepEqual(await p.poll(50, { signal: controller.signal }), []);
      });
      assert.deepEqual(warnings.map(String), []);
    });
  });

  describe('closed Sockets', () => {
    function isEbadf(e: unknown): boolean {
      assert.ok(e instanceof SocketError, `expected SocketError, got ${e}`);
      assert.equal((e as SocketError).code, 'EBADF');
      assert.equal((e as SocketError).errno, C.EBADF ?? native.errnoNames.EBADF);
      return true;
    }

    it('selectSync, select and Poller.register give SocketError EBADF', async () => {
      const s = new Socket();
      s.close();
      assert.throws(() => selectSync([s], [], [], 0), isEbadf);
      assert.throws(() => selectSync([], [s], [], 0), isEbadf);
      await assert.rejects(select([], [], [s], 0), isEbadf);
      assert.throws(() => poll().register(s), isEbadf);
    });
  });

  describe('timeouts longer than setTimeout takes', () => {
    it('waitFor with a 30-day timeout is still pending after 200 ms, with no warning', async () => {
      const [a] = pair();
      const controller = new AbortController();
      let settled = false;
      const warnings = await warningsDuring(async () => {
        const pending = waitFor(a, C.POLLIN, { timeoutMs: THIRTY_DAYS_S * 1000, signal: controller.signal });
        pending.then(() => (settled = true), () => (settled = true));
        await sleep(200);
        assert.equal(settled, false, 'the 30-day wait ended early');
        controller.abort();
        await assert.rejects(pending, (e: unknown) => (e as Error).name === 'AbortError');
      });
      assert.deepEqual(warnings.map(String), []);
    });

    it('select and Poller.poll with a 30-day timeout are still pending after 200 ms, with no warning', async () => {
      const [a] = pair();
      const controller = new AbortController();
      const settled: string[] = [];
      const warnings = await warningsDuring(async () => {
        const s = select([a], [], [], THIRTY_DAYS_S, { signal: controller.signal });
        const p = poll();
        p.register(a, C.POLLIN);
        const q = p.poll(THIRTY_DAYS_S * 1000, { signal: controller.signal });
        s.then(() => settled.push('select'), () => settled.push('select'));
        q.then(() => settled.push('poll'), () => settled.push('poll'));
        await sleep(200);
        assert.deepEqual(settled, [], 'a 30-day wait ended early');
        controller.abort();
        await assert.rejects(s, (e: unknown) => (e as Error).name === 'AbortError');
        await assert.rejects(q, (e: unknown) => (e as Error).name === 'AbortError');
      });
      assert.deepEqual(warnings.map(String), []);
    });

    it('selectSync and pollSync with a 30-day timeout wait for data written by another thread', async () => {
      for (const form of ['select', 'poll']) {
        const [a, b] = pair();
        const worker = new Worker(
          `const { workerData } = require('node:worker_threads');
           const { native } = require(workerData.nativeJs);
           setTimeout(() => native.send(workerData.fd, Buffer.from('x'), 0, 1, 0), 150);`,
          { eval: true, workerData: { nativeJs: path.join(DIST_LIB, 'binding', 'native.js'), fd: b } },
        );
        const exited = new Promise((resolve) => worker.on('exit', resolve));
        const started = performance.now();
        let ready: unknown;
        if (form === 'select') {
          ready = selectSync([a], [], [], THIRTY_DAYS_S)[0];
        } else {
          const p = poll();
          p.register(a, C.POLLIN);
          ready = p.pollSync(THIRTY_DAYS_S * 1000).map(([fd]) => fd);
        }
        const elapsed = performance.now() - started;
        await exited;
        assert.deepEqual(ready, [a], form);
        assert.ok(elapsed >= 100, `${form} returned after ${elapsed} ms, before the data was sent`);
      }
    });
  });
});
