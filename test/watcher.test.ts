// The readiness watchers, driven directly through the raw binding: libuv's (native/watcher.cc),
// the poll thread's (native/pollthread.cc) and io_uring's (native/uring.cc), which must behave alike.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { rawFdsOpened, pair, closeFd, sendByte, tcpPair } from './raw-fds';
import { native, type NativeWatcher, type NativeWatcherClass } from '../lib/binding/native';

const C = native.constants;
const E = native.errnoNames;
const NATIVE_JS = path.join(__dirname, '..', 'lib', 'binding', 'native.js');
const READINESS_JS = path.join(__dirname, '..', 'lib', 'engine', 'readiness.js');

const fdCount = (): number => fs.readdirSync('/proc/self/fd').length;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));


interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killedByTest: boolean;
}

/**
 * Runs `node <args> -e script`; kills it after `killAfterMs` if it is still running, or, with
 * `killAfterOutputMs`, that long after its first output (a loaded machine starts Node slowly).
 */
function runNode(script: string, args: string[] = [], killAfterMs = 10000, killAfterOutputMs?: number): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killedByTest = false;
    const kill = (): void => {
      killedByTest = child.exitCode === null && child.signalCode === null;
      child.kill('SIGKILL');
    };
    let outputTimer: NodeJS.Timeout | undefined;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
      if (killAfterOutputMs !== undefined && outputTimer === undefined) outputTimer = setTimeout(kill, killAfterOutputMs);
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(kill, killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(outputTimer);
      resolve({ code, signal, stdout, stderr, killedByTest });
    });
  });
}

/** The backends: the name of their class in the binding, and the class. */
const BACKENDS: Array<[string, string, NativeWatcherClass | undefined]> = [
  ['libuv', 'UvWatcher', native.UvWatcher],
  ['poll thread', 'ThreadWatcher', native.ThreadWatcher],
  ['io_uring', 'UringWatcher', native.UringWatcher],
];

/** Why a backend cannot run here, or undefined when it can. */
function unavailable(className: string, Watcher: NativeWatcherClass | undefined): string | undefined {
  if (Watcher === undefined) return `no ${className} on ${process.platform}`;
  const refused = className === 'UringWatcher' ? native.startUring!() : 0;
  return refused < 0 ? `the kernel refuses io_uring (errno ${-refused})` : undefined;
}

for (const [backendName, className, Watcher] of BACKENDS) {
  const reason = unavailable(className, Watcher);
  if (Watcher === undefined || reason !== undefined) {
    describe(`native Watcher (${backendName})`, () => {
      it('is not available here', function () {
        console.log(`    skipped: ${reason}`);
        this.skip();
      });
    });
    continue;
  }
  describeBackend(backendName, className, Watcher);
}

function describeBackend(backendName: string, className: string, Watcher: NativeWatcherClass): void {
  // Everything a test opens is closed after it: watchers first, then descriptors.
  const openWatchers: NativeWatcher[] = [];
  const WATCHER = `native[${JSON.stringify(className)}]`; // the class, in a child's script

  function watcher(fd: number, onReady: (revents: number) => void): NativeWatcher {
    const w = new Watcher(fd, onReady);
    openWatchers.push(w);
    return w;
  }

  /** Resolves with the first revents given to a watcher on `fd` watching `events`. */
  function nextReady(fd: number, events: number): Promise<number> {
    return new Promise((resolve) => {
      const w = watcher(fd, (revents) => {
        w.close();
        resolve(revents);
      });
      assert.equal(w.start(events), 0);
    });
  }

  describe(`native Watcher (${backendName})`, function () {
    let fdsBefore = 0;
    before(async () => {
      await runNode('0'); // the first child process makes Node open a descriptor it keeps
      await nextReady(pair()[0], C.POLLOUT); // the poll thread keeps its epoll and eventfd
      for (const fd of [...rawFdsOpened]) closeFd(fd);
      fdsBefore = fdCount();
    });
    after(() => {
      assert.equal(fdCount(), fdsBefore, 'descriptors leaked by watcher tests');
    });
    afterEach(() => {
      for (const w of openWatchers.splice(0)) w.close();
      for (const fd of [...rawFdsOpened]) closeFd(fd);
    });

    it('reports POLLIN when the peer writes, and not before', async () => {
      const [a, b] = pair();
      const seen: number[] = [];
      const w = watcher(a, (revents) => seen.push(revents));
      assert.equal(w.start(C.POLLIN), 0);
      await sleep(50);
      assert.deepEqual(seen, [], 'fired with nothing to read');
      sendByte(b);
      const started = Date.now();
      while (seen.length === 0 && Date.now() - started < 2000) await sleep(5);
      assert.ok(seen.length > 0, 'never fired after data arrived');
      assert.ok(seen[0] & C.POLLIN, `revents ${seen[0]} lacks POLLIN`);
      assert.equal(seen[0] & C.POLLOUT, 0, 'POLLOUT reported though not asked for');
    });

    it('reports POLLOUT for a writable socket', async () => {
      const [a] = pair();
      const revents = await nextReady(a, C.POLLOUT);
      assert.ok(revents & C.POLLOUT, `revents ${revents} lacks POLLOUT`);
    });

    it('reports end of stream as readable', async () => {
      const [a, b] = pair();
      const ready = nextReady(a, C.POLLIN);
      closeFd(b);
      const revents = await ready;
      assert.ok(revents & (C.POLLIN | C.POLLHUP), `revents ${revents}`);
    });

    it('reports urgent data as POLLPRI', async () => {
      const [a, b] = tcpPair();
      const ready = nextReady(a, C.POLLPRI);
      sendByte(b, C.MSG_OOB);
      const revents = await ready;
      assert.ok(revents & C.POLLPRI, `revents ${revents} lacks POLLPRI`);
    });

    it('start(0) stops the callbacks; start() again resumes them', async () => {
      const [a] = pair();
      let calls = 0;
      const w = watcher(a, () => {
        calls++;
        assert.equal(w.start(0), 0);
      });
      assert.equal(w.start(C.POLLOUT), 0);
      await sleep(60);
      assert.equal(calls, 1, 'POLLOUT is level-triggered: more calls means start(0) did not stop it');
      assert.equal(w.start(C.POLLOUT), 0);
      await sleep(30);
      assert.equal(calls, 2);
    });

    it('switches between events with start()', async () => {
      const [a, b] = pair();
      const seen: number[] = [];
      const w = watcher(a, (revents) => {
        seen.push(revents);
        w.start(0);
      });
      assert.equal(w.start(C.POLLIN), 0);
      assert.equal(w.start(C.POLLOUT), 0);
      await sleep(30);
      assert.equal(seen.length, 1);
      assert.ok(seen[0] & C.POLLOUT);
      sendByte(b);
      assert.equal(w.start(C.POLLIN), 0);
      await sleep(30);
      assert.equal(seen.length, 2);
      assert.ok(seen[1] & C.POLLIN);
    });

    it('close() is idempotent and no callback runs after it', async () => {
      const [a, b] = pair();
      let calls = 0;
      const w = watcher(a, () => calls++);
      assert.equal(w.start(C.POLLIN | C.POLLOUT), 0);
      sendByte(b);
      w.close(); // the descriptor is ready right now, but the callback must never run
      w.close();
      await sleep(50);
      assert.equal(calls, 0);
      assert.equal(w.start(C.POLLIN), -E.EBADF, 'start() after close()');
      w.ref();
      w.unref();
      w.close();
    });

    it('a callback may close its own watcher, and is then not called again', async () => {
      const [a] = pair();
      let calls = 0;
      const w = watcher(a, () => {
        calls++;
        w.close();
      });
      assert.equal(w.start(C.POLLOUT), 0);
      await sleep(50);
      assert.equal(calls, 1);
    });

    it('the descriptor may be closed right after close() and its number reused', async () => {
      const [a, b] = pair();
      let calls = 0;
      const w = watcher(a, () => calls++);
      assert.equal(w.start(C.POLLIN), 0);
      w.close();
      closeFd(a);
      closeFd(b);
      const [c, d] = pair(); // very likely gets the same numbers back
      const revents = await nextReady(c, C.POLLOUT);
      assert.ok(revents & C.POLLOUT);
      sendByte(d);
      await sleep(30);
      assert.equal(calls, 0, 'the closed watcher saw events of the new descriptor');
    });

    it('a closed watcher never reports on a reused descriptor (200 rounds, events in flight)', async () => {
      // Each round: a watcher on a descriptor that is ready at once (its report may be on its way
      // already), closed at once, its descriptor closed and the number taken by a new socket.
      let stale = 0;
      let fresh = 0;
      for (let round = 0; round < 200; round++) {
        const [a, b] = pair();
        let closed = false;
        const old = watcher(a, () => {
          if (closed) stale++;
        });
        assert.equal(old.start(C.POLLOUT), 0);
        if (round % 2 === 1) await new Promise<void>((resolve) => setImmediate(resolve));
        old.close();
        closed = true;
        closeFd(a);
        closeFd(b);
        const [c, d] = pair();
        const now = watcher(c, () => fresh++);
        assert.equal(now.start(C.POLLIN), 0); // c is not readable: nothing may report it
        await new Promise<void>((resolve) => setImmediate(resolve));
        now.close();
        closeFd(c);
        closeFd(d);
      }
      await sleep(20);
      assert.equal(stale, 0, 'a closed watcher was called');
      assert.equal(fresh, 0, 'a watcher for POLLIN was called on a descriptor with nothing to read');
    });

    it('leaves a blocking descriptor blocking', () => {
      const [a] = pair(false);
      assert.equal(native.getFdFlags(a) & 1, 0);
      const w = watcher(a, () => {});
      assert.equal(w.start(C.POLLIN), 0);
      assert.equal(native.getFdFlags(a) & 1, 0, 'uv_poll_init made the descriptor non-blocking');
    });

    it('start() reports -errno when libuv cannot watch the descriptor', () => {
      const [a, b] = pair();
      closeFd(b);
      const closed = watcher(b, () => {});
      assert.equal(closed.start(C.POLLIN), -E.EBADF);
      const negative = watcher(-1, () => {});
      assert.equal(negative.start(C.POLLIN), -E.EBADF);
      const file = fs.openSync(__filename, 'r');
      try {
        const regular = watcher(file, () => {});
        assert.equal(regular.start(C.POLLIN), -E.EPERM, 'epoll refuses regular files');
      } finally {
        fs.closeSync(file);
      }
      const first = watcher(a, () => {});
      assert.equal(first.start(C.POLLIN), 0);
      const second = watcher(a, () => {});
      assert.equal(second.start(C.POLLIN), -E.EEXIST, 'libuv allows one poll handle per descriptor');
    });

    it('refuses a constructor call with wrong arguments', () => {
      assert.throws(() => new Watcher('3' as unknown as number, () => {}), TypeError);
      assert.throws(() => new Watcher(3, undefined as unknown as () => void), TypeError);
    });

    it('reports a pending socket error as POLLERR and keeps watching', async function () {
      // A connected UDP socket whose peer port is closed: the ICMP error sets SO_ERROR, which epoll
      // reports as EPOLLERR (libuv: status UV_EBADF, handle stopped).
      const blob = Buffer.alloc(native.addrBlobSize);
      const udp = (): number => {
        const fd = native.socket(C.AF_INET, C.SOCK_DGRAM, 0, true);
        assert.ok(fd >= 0);
        rawFdsOpened.add(fd);
        assert.ok(native.packInet('127.0.0.1', 0, blob) >= 0);
        assert.equal(native.bind(fd, blob), 0);
        return fd;
      };
      const address = (fd: number): Buffer => {
        const out = Buffer.alloc(native.addrBlobSize);
        assert.equal(native.getsockname(fd, out), 0);
        return out;
      };
      const s = udp();
      const gone = udp();
      const deadAddress = address(gone);
      closeFd(gone);
      assert.equal(native.connect(s, deadAddress), 0);
      const seen: number[] = [];
      const w = watcher(s, (revents) => seen.push(revents));
      assert.equal(w.start(C.POLLIN), 0);
      sendByte(s);
      const started = Date.now();
      while (seen.length === 0 && Date.now() - started < 2000) await sleep(5);
      assert.ok(seen.length >= 1, 'no callback for the error');
      assert.ok(seen[0] > 0 && (seen[0] & C.POLLERR), `revents ${seen[0]} lacks POLLERR`);
      // Consume the error; the watcher was re-armed and then reports plain readability.
      assert.equal(native.recv(s, Buffer.alloc(4), 0, 4, 0), -E.ECONNREFUSED);
      const peer = udp();
      assert.equal(native.connect(s, address(peer)), 0);
      assert.equal(native.connect(peer, address(s)), 0);
      await sleep(20);
      const before = seen.length;
      sendByte(peer);
      const again = Date.now();
      while (seen.length === before && Date.now() - again < 2000) await sleep(5);
      assert.ok(seen.length > before, 'watcher not re-armed after POLLERR');
      assert.ok(seen[seen.length - 1] & C.POLLIN);
    });

    it('runs nextTicks and microtasks right after each callback', async () => {
      const [a] = pair();
      const order: string[] = [];
      await new Promise<void>((resolve) => {
        const w = watcher(a, () => {
          w.close();
          order.push('callback');
          setImmediate(() => {
            order.push('immediate');
            resolve();
          });
          process.nextTick(() => order.push('tick'));
          void Promise.resolve().then(() => order.push('microtask'));
        });
        assert.equal(w.start(C.POLLOUT), 0);
      });
      assert.deepEqual(order, ['callback', 'tick', 'microtask', 'immediate']);
    });

    it('an exception thrown by the callback becomes an uncaught exception', async () => {
      const script = `
        const { native } = require(${JSON.stringify(NATIVE_JS)});
        const C = native.constants;
        const out = new Int32Array(2);
        native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, true, out);
        process.on('uncaughtException', (e) => { console.log('caught ' + e.message); process.exit(0); });
        const w = new ${WATCHER}(out[0], () => { throw new Error('boom'); });
        w.start(C.POLLOUT);
      `;
      const r = await runNode(script);
      assert.equal(r.stdout.trim(), 'caught boom', r.stderr);
      assert.equal(r.code, 0);
    });

    describe('ref and unref', function () {
      this.timeout(20000);
      const script = `
        const { native } = require(${JSON.stringify(NATIVE_JS)});
        const C = native.constants;
        const out = new Int32Array(2);
        if (native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, true, out) !== 0) process.exit(2);
        const w = new ${WATCHER}(out[0], () => process.exit(3));
        if (w.start(C.POLLIN) !== 0) process.exit(4);
        const mode = process.argv[1];
        if (mode === 'unref' || mode === 'unref-ref-unref') w.unref();
        if (mode === 'unref-ref-unref') { w.ref(); w.unref(); }
        if (mode === 'close') w.close();
        console.log('watching');
      `;

      it('a referenced watcher keeps the process alive', async () => {
        const r = await runNode(script, [], 10000, 500);
        assert.equal(r.stdout.trim(), 'watching', r.stderr);
        assert.ok(r.killedByTest, `the child exited by itself (code ${r.code}) while a referenced watcher was active`);
      });

      for (const mode of ['unref', 'unref-ref-unref', 'close']) {
        it(`${mode === 'close' ? 'a closed' : 'an unreferenced'} watcher lets the process exit (${mode})`, async () => {
          const r = await runNode(script.replace('process.argv[1]', JSON.stringify(mode)), [], 5000);
          assert.equal(r.stdout.trim(), 'watching', r.stderr);
          assert.equal(r.killedByTest, false, 'the child was still running after 5 s');
          assert.equal(r.code, 0, r.stderr);
        });
      }

      it('a watcher dropped without close() is closed when garbage-collected', async () => {
        const gcScript = `
          const { native } = require(${JSON.stringify(NATIVE_JS)});
          const C = native.constants;
          const out = new Int32Array(2);
          native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, true, out);
          (() => { new ${WATCHER}(out[0], () => process.exit(3)).start(C.POLLIN); })();
          let rounds = 0;
          const collect = () => { global.gc(); if (++rounds < 5) setImmediate(collect); };
          setImmediate(collect);
        `;
        const r = await runNode(gcScript, ['--expose-gc'], 5000);
        assert.equal(r.killedByTest, false, 'the collected watcher still held the loop open');
        assert.equal(r.code, 0, r.stderr);
      });
    });

    describe('in worker_threads', function () {
      this.timeout(20000);

      it('waits for readability inside a Worker, which then exits cleanly', async () => {
        const [a, b] = pair();
        const worker = new Worker(
          `
          const { parentPort, workerData } = require('node:worker_threads');
          const { native } = require(workerData.nativeJs);
          const C = native.constants;
          const w = new ${WATCHER}(workerData.fd, (revents) => {
            w.close();
            parentPort.postMessage({ revents });
          });
          parentPort.postMessage({ started: w.start(C.POLLIN) });
          `,
          { eval: true, workerData: { nativeJs: NATIVE_JS, fd: a } },
        );
        const messages: Array<Record<string, number>> = [];
        const exited = new Promise<number>((resolve, reject) => {
          worker.on('error', reject);
          worker.on('exit', resolve);
        });
        worker.on('message', (m: Record<string, number>) => {
          messages.push(m);
          if ('started' in m) setTimeout(() => sendByte(b), 20);
        });
        const code = await exited;
        assert.equal(code, 0);
        assert.deepEqual(messages[0], { started: 0 });
        assert.equal(messages.length, 2, JSON.stringify(messages));
        assert.ok(messages[1].revents & C.POLLIN);
      });

      it('a Worker that exits or is terminated with a watcher open does not crash the process', async () => {
        const script = `
          const { Worker } = require('node:worker_threads');
          const body = \`
            const { native } = require(${JSON.stringify(NATIVE_JS)});
            const { parentPort, workerData } = require('node:worker_threads');
            const C = native.constants;
            const out = new Int32Array(2);
            native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, true, out);
            const watchers = [];
            for (const fd of out) {
              const w = new ${WATCHER}(fd, () => {});
              w.start(C.POLLIN);
              watchers.push(w);
            }
            globalThis.keep = watchers;
            if (workerData === 'exit') process.exit(0);
            parentPort.postMessage('watching');
          \`;
          (async () => {
            for (const mode of ['exit', 'terminate', 'exit', 'terminate']) {
              const worker = new Worker(body, { eval: true, workerData: mode });
              if (mode === 'terminate') worker.once('message', () => worker.terminate());
              await new Promise((resolve, reject) => { worker.on('exit', resolve); worker.on('error', reject); });
            }
            console.log('ok');
          })();
        `;
        const r = await runNode(script, [], 15000);
        assert.equal(r.signal, null, `the process died of ${r.signal}: ${r.stderr}`);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout.trim(), 'ok');
      });
    });
  });
}

describe('backend choice at load', function () {
  this.timeout(20000);
  const probe = `
    const { native } = require(${JSON.stringify(NATIVE_JS)});
    const { backend } = require(${JSON.stringify(READINESS_JS)});
    console.log(backend, native.Watcher === native.UvWatcher);
  `;
  const load = (backend: string | undefined): Promise<string> =>
    new Promise((resolve, reject) => {
      const env = { ...process.env };
      delete env.BSD_SOCKETS_BACKEND; // set when ci-pollthread.sh runs this suite
      if (backend !== undefined) env.BSD_SOCKETS_BACKEND = backend;
      const child = spawn(process.execPath, ['-e', probe], { env, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim()));
    });

  // The binding is never overwritten: native.Watcher stays libuv's whichever backend is chosen.
  it('libuv under Node by default', async () => {
    assert.equal(await load(undefined), 'libuv true');
  });

  it('the poll thread with BSD_SOCKETS_BACKEND=thread', async () => {
    assert.equal(await load('thread'), 'thread true');
  });

  it('libuv with BSD_SOCKETS_BACKEND=libuv', async () => {
    assert.equal(await load('libuv'), 'libuv true');
  });
});
