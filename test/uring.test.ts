// The io_uring backend (native/uring*.cc) as the package uses it: chosen with
// BSD_SOCKETS_BACKEND=uring, reported by features.ioUring, falling back to libuv where the kernel
// refuses io_uring (the test hook BSD_SOCKETS_URING_PROBE=fail, and a real seccomp filter), and its
// life cycle: close() with a wait in flight, Workers terminated mid-wait, process exit with polls in
// flight, no descriptor left behind. Then its completion-based operations (lib/engine/completion.ts,
// native/uring_ops.cc): nothing received lost when an abort or a deadline races a completion,
// close() with an operation in flight, a buffer detached under a pending recvInto, Workers and
// processes ending with operations in flight. Each case runs in a child process with the backend
// forced, so the file tests uring whichever backend the mocha process itself uses.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { native } from '../lib/binding/native';

const INDEX_JS = path.join(__dirname, '..', 'lib', 'index.js');
const READINESS_JS = path.join(__dirname, '..', 'lib', 'engine', 'readiness.js');
const NATIVE_JS = path.join(__dirname, '..', 'lib', 'binding', 'native.js');

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs `script` in a child `node` (or under `wrapper`) with `env` added; killed after `killAfterMs`. */
function run(script: string, env: Record<string, string>, wrapper: string[] = [], killAfterMs = 20000): Promise<Child> {
  return new Promise((resolve, reject) => {
    const childEnv = { ...process.env, ...env };
    if (env.BSD_SOCKETS_URING_PROBE === undefined) delete childEnv.BSD_SOCKETS_URING_PROBE;
    const argv = [...wrapper, process.execPath, '-e', script];
    const child = spawn(argv[0], argv.slice(1), { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const URING = { BSD_SOCKETS_BACKEND: 'uring', BSD_SOCKETS_URING_OPS: '1' };
const PRELUDE = `
  const bs = require(${JSON.stringify(INDEX_JS)});
  const { backend, ringOps } = require(${JSON.stringify(READINESS_JS)});
  const fdCount = () => require('fs').readdirSync('/proc/self/fd').length;
  function listener() {
    const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    s.bind(['127.0.0.1', 0]);
    s.listen(16);
    return s;
  }
  // Resolves inside a completion's callback, where the ring batches what is submitted: what comes
  // after the await runs while completions are being delivered.
  async function wokenByTheRing() {
    const [c, d] = bs.socketpair();
    setTimeout(() => d.send(Buffer.from('x')), 20);
    await c.recv(1);
    c.close();
    d.close();
  }
`;

/** A script that reports which backend serves it and runs one Promise echo over TCP. */
const ECHO = `${PRELUDE}
  (async () => {
    const server = listener();
    const client = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    const accepted = server.accept();
    await client.connect(server.getsockname());
    const [conn] = await accepted;
    const reply = conn.recv(100);
    await client.sendall(Buffer.from('ping'));
    const got = (await reply).toString();
    for (const s of [conn, client, server]) s.close();
    console.log(backend, bs.features.ioUring, got);
  })();
`;

function assertClean(r: Child): void {
  assert.equal(r.signal, null, `the child died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
}

/** Runs `script` in a child with `env`, checks that it exited cleanly, and gives what it printed. */
async function outputOf(script: string, env: Record<string, string>): Promise<string> {
  const r = await run(script, env);
  assertClean(r);
  return r.stdout.trim();
}

/** Why io_uring cannot be tested here, or undefined. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `no io_uring on ${process.platform}`;
  if (!native.UringWatcher || !native.startUring) return 'this build has no io_uring backend (portable build?)';
  const r = native.startUring();
  return r < 0 ? `the kernel refuses io_uring (errno ${-r})` : undefined;
}

/**
 * Child-script lines: runs the script in \`inWorker\` in a Worker, terminated once it posts its
 * message, 9 times; prints the distinct messages of the last 8 and how many descriptors they left.
 */
const WORKER_ROUNDS = `(async () => {
        const once = () => new Promise((resolve, reject) => {
          const w = new Worker(inWorker, { eval: true });
          w.on('message', (m) => { w.terminate().then(() => resolve(m)); });
          w.on('error', reject);
        });
        await once();  // the first Worker makes Node open what it keeps
        const before = fdCount();
        const seen = new Set();
        for (let i = 0; i < 8; i++) seen.add(await once());
        console.log([...seen].join(','), fdCount() - before);
      })();`;

/** A suite's setup: a generous timeout, and a skip that says why where io_uring cannot be tested. */
function needsUring(suite: Mocha.Suite): void {
  suite.timeout(30000);
  const reason = unavailable();
  before(function () {
    if (reason !== undefined) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
  });
}

/**
 * Runs `inWorker` (after `bs` is required) in Workers terminated once it posts its message, in a
 * child on the ring (WORKER_ROUNDS): what the child prints.
 */
function inWorkers(inWorker: string): Promise<string> {
  return outputOf(`${PRELUDE}
    const { Worker } = require('worker_threads');
    const inWorker = \`
      const bs = require(${JSON.stringify(INDEX_JS)});
      ${inWorker}
    \`;
    ${WORKER_ROUNDS}
  `, URING);
}

describe('io_uring backend', function () {
  needsUring(this);

  it('is chosen with BSD_SOCKETS_BACKEND=uring, and features.ioUring says so', async () => {
    const r = await run(ECHO, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'uring true ping');
  });

  it('is not the default: libuv serves when nothing is forced', async () => {
    const r = await run(ECHO, { BSD_SOCKETS_BACKEND: '' });
    assertClean(r);
    assert.equal(r.stdout.trim(), 'libuv false ping');
  });

  it('falls back to libuv without a word when the probe fails (BSD_SOCKETS_URING_PROBE=fail)', async () => {
    const r = await run(ECHO, { ...URING, BSD_SOCKETS_URING_PROBE: 'fail' });
    assertClean(r);
    assert.equal(r.stdout.trim(), 'libuv false ping');
    assert.equal(r.stderr, '');
  });

  it('falls back to libuv when a seccomp filter refuses io_uring_setup', async function () {
    const r = await run(ECHO, URING, ['python3', '-c', SECCOMP_EXEC]);
    if (r.code === 77) {
      console.log(`    skipped: no seccomp filter could be installed: ${r.stderr.trim()}`);
      this.skip();
    }
    assertClean(r);
    assert.equal(r.stdout.trim(), 'libuv false ping');
    assert.equal(r.stderr, '');
  });

  it('close() with an accept and a recv in flight settles them, and the port is free at once', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const server = listener();
        const port = server.getsockname()[1];
        const pending = server.accept().then(() => 'resolved', (e) => e.code);
        const [a, b] = bs.socketpair();
        const read = a.recv(10).then(() => 'resolved', (e) => e.code);
        await wokenByTheRing();
        server.close();
        a.close();
        // The kernel held the listener while its poll was in flight: only a POLL_REMOVE submitted
        // inside close() lets the port go before the next bind.
        const again = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        again.bind(['127.0.0.1', port]);
        again.listen(1);
        again.close();
        b.close();
        console.log(backend, await pending, await read);
      })().catch((e) => { console.log('failed', e.code, e.message); });
    `, URING);
    assertClean(r);
    assert.match(r.stdout.trim(), /^uring E\w+ E\w+$/);
  });

  it('a peer closed with a wait in flight sees its end of stream at once', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const [a, b] = bs.socketpair();
        const read = a.recv(10).catch((e) => e.code);
        await wokenByTheRing();
        a.close();
        b.setblocking(false);
        // a's file stays alive as long as the kernel holds a poll on it; b then reads EAGAIN, not EOF
        const eof = b.recvSync(10).length === 0;
        b.close();
        console.log(backend, eof, await read);
      })();
    `, URING);
    assertClean(r);
    assert.match(r.stdout.trim(), /^uring true E\w+$/);
  });

  it('Workers terminated mid-wait leave the process running and no descriptor behind', async () => {
    const out = await inWorkers(`
        const { backend } = require(${JSON.stringify(READINESS_JS)});
        const [a, b] = bs.socketpair();
        const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        s.bind(['127.0.0.1', 0]);
        s.listen(4);
        s.accept();
        a.recv(10);
        require('worker_threads').parentPort.postMessage(backend);
    `);
    assert.equal(out, 'uring 0');
  });

  it('the process exits cleanly with polls in flight and submissions queued', async () => {
    const r = await run(`${PRELUDE}
      const socks = [];
      for (let i = 0; i < 50; i++) {
        const [a, b] = bs.socketpair();
        socks.push(a, b);
        a.recv(10).catch(() => {});
      }
      const server = listener();
      server.accept().catch(() => {});
      setImmediate(() => { console.log(backend, 'exiting'); process.exit(0); });
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'uring exiting');
  });

  it('leaves no descriptor behind after 300 sockets waited on and closed', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const server = listener();
        const before = fdCount();
        for (let i = 0; i < 300; i++) {
          const [a, b] = bs.socketpair();
          const read = a.recv(10);
          if (i % 2 === 0) { b.send(Buffer.from('x')); await read; }
          else { await new Promise((r) => setImmediate(r)); a.close(); await read.catch(() => {}); }
          a.close();
          b.close();
        }
        console.log(backend, fdCount() - before);
        server.close();
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'uring 0');
  });
});

/** Why the ring's socket operations cannot be tested here, or undefined. */
function opsUnavailable(): string | undefined {
  const reason = unavailable();
  if (reason !== undefined) return reason;
  return native.uringSocketOps?.() === true ? undefined : 'the kernel lacks IORING_OP_RECV/SEND/ASYNC_CANCEL or timed waits';
}

describe('io_uring operations (recv, recvInto, send, sendall on the ring)', function () {
  this.timeout(60000);
  const reason = opsUnavailable();
  before(function () {
    if (reason !== undefined) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
  });

  it('are used with the uring backend, and BSD_SOCKETS_URING_OPS=0 keeps readiness only', async () => {
    const script = `${PRELUDE}
      const { isWatched } = require(${JSON.stringify(READINESS_JS)});
      const { native } = require(${JSON.stringify(NATIVE_JS)});
      (async () => {
        const [a, b] = bs.socketpair();
        const before = native.uringCounters().submitted;
        const reply = a.recv(10);
        await new Promise((r) => setImmediate(r));
        const watched = isWatched(a.fd);  // a wait for readiness, or a receive on the ring
        const submitted = native.uringCounters().submitted - before;
        b.sendSync(Buffer.from('ping'));
        const got = (await reply).toString();
        a.close();
        b.close();
        console.log(backend, ringOps, watched, submitted, got);
      })();
    `;
    const on = await run(script, URING);
    assertClean(on);
    assert.equal(on.stdout.trim(), 'uring true false 1 ping');  // one submission: the receive itself
    const off = await run(script, { ...URING, BSD_SOCKETS_URING_OPS: '0' });
    assertClean(off);
    assert.equal(off.stdout.trim(), 'uring false true 1 ping');  // one submission: a poll
  });

  it('sendall of 3 MiB resubmits after each short send; send reports its count; order holds', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const [a, b] = bs.socketpair();
        const big = Buffer.alloc(3 << 20);
        for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 12)) & 255;
        const got = [];
        let total = 0;
        const reader = (async () => {
          while (total < big.length) { const d = await b.recv(65536); got.push(d); total += d.length; }
        })();
        const first = a.sendall(big);
        const second = a.sendall(Buffer.from('!'));  // queued behind: must come after every byte of the first
        await first;
        await second;
        await reader.catch(() => {});
        while (total < big.length + 1) { const d = await b.recv(65536); got.push(d); total += d.length; }
        const all = Buffer.concat(got);
        const n = await a.send(big);
        a.close();
        b.close();
        console.log(ringOps, all.length, all.subarray(0, big.length).equals(big), all[big.length] === 33, n > 0 && n <= big.length);
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), `true ${(3 << 20) + 1} true true true`);
  });

  it('loses nothing received when an abort races the completion: the data or the AbortError, and the data then comes next', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        let resolved = 0, aborted = 0;
        for (let i = 0; i < 400; i++) {
          const [a, b] = bs.socketpair();
          const ac = new AbortController();
          const pending = a.recv(16, 0, { signal: ac.signal });
          if (i % 2) await new Promise((r) => setImmediate(r));  // the recv armed in the kernel, or not yet
          b.sendSync(Buffer.from('m' + i));
          ac.abort();
          let got;
          try {
            got = (await pending).toString();
            resolved++;
          } catch (e) {
            if (e.name !== 'AbortError') throw e;
            aborted++;
            a.settimeout(5);
            got = (await a.recv(16)).toString();
          }
          if (got !== 'm' + i) throw new Error('round ' + i + ': got ' + JSON.stringify(got));
          a.close();
          b.close();
        }
        console.log(ringOps, resolved + aborted, resolved > 0 || aborted > 0);
      })().catch((e) => console.log('failed', e.message));
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true 400 true');
  });

  it('loses nothing received when the deadline races the completion', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        let timedOut = 0;
        for (let i = 0; i < 200; i++) {
          const [a, b] = bs.socketpair();
          a.settimeout(0.001);
          const pending = a.recv(16);
          if (i % 3 === 0) b.sendSync(Buffer.from('d' + i));  // before the deadline: the data wins
          else if (i % 3 === 1) setTimeout(() => b.sendSync(Buffer.from('d' + i)), 5);  // after it: the timeout wins
          else {  // at it: the loop is held past the deadline, then the data comes before the timer runs
            const t = Date.now();
            while (Date.now() - t < 2) {}
            b.sendSync(Buffer.from('d' + i));
          }
          let got;
          try {
            got = (await pending).toString();
          } catch (e) {
            if (e.name !== 'TimeoutError') throw e;
            timedOut++;
            a.settimeout(5);
            got = (await a.recv(16)).toString();
          }
          if (got !== 'd' + i) throw new Error('round ' + i + ': got ' + JSON.stringify(got));
          a.close();
          b.close();
        }
        console.log(ringOps, 'ok', timedOut > 0);
      })().catch((e) => console.log('failed', e.message));
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true ok true');
  });

  it('close() with a recv and a sendall in flight: they settle, and the peers get their FIN at once', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const server = listener();
        const client = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        const accepted = server.accept();
        await client.connect(server.getsockname());
        const [conn] = await accepted;
        server.close();
        const read = client.recv(10).then(() => 'resolved', (e) => e.code);  // nobody sends: stays in flight
        const [c, d] = bs.socketpair();
        const write = c.sendall(Buffer.alloc(8 << 20)).then(() => 'resolved', (e) => e.code);  // nobody reads
        const [e, f] = bs.socketpair();
        const unixRead = e.recv(10).then(() => 'resolved', (e) => e.code);
        await wokenByTheRing();
        // the kernel holds a socket's file while an operation is in flight on it: only a cancel
        // submitted inside close() lets the FIN go now
        client.close();
        c.close();
        e.close();
        const [readable] = bs.selectSync([conn], [], [], 2);
        conn.setblocking(false);
        const tcpEof = readable.length === 1 && conn.recvSync(10).length === 0;
        f.setblocking(false);
        const unixEof = f.recvSync(10).length === 0;
        for (const s of [conn, d, f]) s.close();
        console.log(ringOps, tcpEof, unixEof, await read, await write, await unixRead);
      })().catch((e) => console.log('failed', e.code, e.message));
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true true true EBADF EBADF EBADF');
  });

  it('an operation in flight is not stopped when a readiness watcher starts on the same socket', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const [a, b] = bs.socketpair();
        const read = a.recv(10).then((d) => d.toString(), (e) => e.code);
        await new Promise((r) => setImmediate(r));
        const [ready] = await bs.select([a], [], [], 0.05);  // watches a's descriptor for readiness
        b.sendSync(Buffer.from('still here'));
        const got = await read;
        a.close();
        b.close();
        console.log(ringOps, ready.length, got);
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true 0 still here');
  });

  it('sockets dropped after operations on the ring are collected as those of the readiness path are', async () => {
    const script = `${PRELUDE}
      require('v8').setFlagsFromString('--expose-gc');
      const gc = require('vm').runInNewContext('gc');
      let warnings = 0;
      process.on('warning', (w) => { if (w.code === 'BSD_SOCKETS_UNCLOSED') warnings++; });
      (async () => {
        const before = fdCount();
        for (let i = 0; i < 20; i++) {
          const [a, b] = bs.socketpair();
          const read = a.recv(10);  // waits: on the ring, or for readiness
          await b.sendall(Buffer.from('x'));
          await read;
          a.close();  // b is dropped, not closed
        }
        for (let i = 0; i < 20 && warnings < 20; i++) {
          gc();
          await new Promise((r) => setTimeout(r, 20));
        }
        console.log(ringOps, warnings, fdCount() - before);
      })();
    `;
    const [ring, readiness] = await Promise.all([run(script, URING), run(script, { ...URING, BSD_SOCKETS_URING_OPS: '0' })]);
    assertClean(ring);
    assertClean(readiness);
    const [ops, collected, open] = ring.stdout.trim().split(' ').map((x, i) => (i === 0 ? x : Number(x))) as [string, number, number];
    const [readinessOps, readinessCollected, readinessOpen] = readiness.stdout.trim().split(' ');
    assert.equal(ops, 'true');
    assert.equal(readinessOps, 'false');
    assert.ok(collected >= 15, `only ${collected} of 20 dropped sockets were collected`);
    assert.ok(collected >= Number(readinessCollected) - 1 && open <= Number(readinessOpen) + 1,
      `ring: ${ring.stdout.trim()}; readiness: ${readiness.stdout.trim()}: the ring keeps sockets alive`);
  });

  it('a buffer detached while a recvInto is pending gets ERR_INVALID_STATE and is never written', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const [a, b] = bs.socketpair();
        const view = new Uint8Array(64);
        const pending = a.recvInto(view).then((n) => 'resolved ' + n, (e) => e.code);
        await new Promise((r) => setImmediate(r));
        const moved = new Uint8Array(structuredClone(view.buffer, { transfer: [view.buffer] }));
        b.sendSync(Buffer.from('must not land'));
        const outcome = await pending;
        const untouched = moved.every((x) => x === 0);
        a.close();
        b.close();
        console.log(ringOps, outcome, view.byteLength, untouched);
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true ERR_INVALID_STATE 0 true');
  });

  it('Workers terminated with a recv and a sendall in flight: no crash, no descriptor left', async () => {
    const out = await inWorkers(`
        const { ringOps } = require(${JSON.stringify(READINESS_JS)});
        const [a, b] = bs.socketpair();
        a.recv(1 << 16);
        b.sendall(Buffer.alloc(4 << 20, 1));
        setImmediate(() => require('worker_threads').parentPort.postMessage(ringOps));
    `);
    assert.equal(out, 'true 0');
  });

  it('the process exits cleanly with receives and sends in flight', async () => {
    const r = await run(`${PRELUDE}
      const socks = [];
      for (let i = 0; i < 50; i++) {
        const [a, b] = bs.socketpair();
        socks.push(a, b);
        a.recv(10).catch(() => {});
        b.sendall(Buffer.alloc(1 << 20, 2)).catch(() => {});
      }
      setImmediate(() => { console.log(ringOps, 'exiting'); process.exit(0); });
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'true exiting');
  });
});

/**
 * Python that installs a seccomp filter making io_uring_setup (system call 425 on every Linux
 * architecture) fail with EPERM, then execs its arguments; exits 77 when no filter can be installed.
 */
const SECCOMP_EXEC = `
import ctypes, os, struct, sys
libc = ctypes.CDLL(None, use_errno=True)
def insn(code, jt, jf, k): return struct.pack('HBBI', code, jt, jf, k)
prog = b''.join([
  insn(0x20, 0, 0, 0),            # ld [nr]
  insn(0x15, 0, 1, 425),          # jeq io_uring_setup
  insn(0x06, 0, 0, 0x00050000 | 1),  # ret ERRNO(EPERM)
  insn(0x06, 0, 0, 0x7fff0000),   # ret ALLOW
])
buf = ctypes.create_string_buffer(prog)
class Fprog(ctypes.Structure):
  _fields_ = [('len', ctypes.c_ushort), ('filter', ctypes.c_void_p)]
fprog = Fprog(len(prog) // 8, ctypes.addressof(buf))
if libc.prctl(38, 1, 0, 0, 0) != 0 or libc.prctl(22, 2, ctypes.byref(fprog), 0, 0) != 0:
  sys.stderr.write('prctl: errno %d\\n' % ctypes.get_errno())
  sys.exit(77)
os.execv(sys.argv[1], sys.argv[1:])
`;

/** Child-script lines: `await connected(server, n)`: n clients connected to `server`, not yet accepted. */
const CLIENTS = `
  async function connected(server, n) {
    const clients = [];
    for (let i = 0; i < n; i++) {
      const c = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
      c.settimeout(null);
      await c.connect(server.getsockname());
      clients.push(c);
    }
    return clients;
  }
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const { native } = require(${JSON.stringify(NATIVE_JS)});
  // Arms the listener's multishot accept: one Promise accept served.
  async function served(server) {
    const pending = server.accept();
    const [c] = await connected(server, 1);
    const [conn] = await pending;
    conn.close();
    c.close();
  }
`;

/** Runs `body` in a child on the ring, with `server` a listener whose multishot is armed: what it prints. */
function onServed(body: string): Promise<string> {
  return outputOf(`${PRELUDE}${CLIENTS}
    (async () => {
      const server = listener();
      await served(server);
      ${body}
    })();
  `, URING);
}

describe('io_uring accept (multishot, queued natively)', function () {
  needsUring(this);

  /** The accepts' results the same way on the ring and on libuv: peers, modes, close-on-exec. */
  const RESULTS = `${PRELUDE}${CLIENTS}
    (async () => {
      const server = listener();
      const out = [];
      for (const timeout of [null, 0.5, 0]) {
        bs.setdefaulttimeout(timeout);
        const pending = server.accept();
        const [c] = await connected(server, 1);
        const [conn, peer] = await pending;
        const mine = c.getsockname();
        out.push([peer[0] === mine[0] && peer[1] === mine[1], conn.gettimeout(), conn.getInheritable(),
          (native.getFdFlags(conn.fd) & 1) === 1]);
        conn.close();
        c.close();
      }
      console.log(JSON.stringify(out));
      server.close();
    })();
  `;

  it('gives the peer, blocking mode and close-on-exec that accept(2) gives (compared with libuv), also one-shot', async () => {
    const libuv = await run(RESULTS, { BSD_SOCKETS_BACKEND: 'libuv' });
    assertClean(libuv);
    assert.equal(libuv.stdout.trim(), JSON.stringify([[true, null, false, false], [true, 0.5, false, true], [true, 0, false, true]]));
    for (const mode of ['multishot', 'oneshot', '0']) {
      const ring = await run(RESULTS, { ...URING, BSD_SOCKETS_URING_ACCEPT: mode });
      assertClean(ring);
      assert.equal(ring.stdout.trim(), libuv.stdout.trim(), `BSD_SOCKETS_URING_ACCEPT=${mode}`);
    }
  });

  it('queues what the kernel accepts before anyone asks, up to 64, and hands each out once, in order', async () => {
    const out = await onServed(`
        server.listen(200);
        const before = fdCount() - 1;  // the listener is closed at the end
        const clients = await connected(server, 100);
        await sleep(100);
        const held = fdCount() - before - 101;  // descriptors the ring accepted for nobody
        const ports = [];
        for (let i = 0; i < 100; i++) {
          const [conn, peer] = await server.accept();
          ports.push(peer[1]);
          conn.close();
        }
        const expected = clients.map((c) => c.getsockname()[1]);
        const sameSet = [...ports].sort().join() === [...expected].sort().join();
        const firstInOrder = ports.slice(0, 64).join() === expected.slice(0, 64).join();
        for (const c of clients) c.close();
        server.close();
        console.log(held, sameSet, firstInOrder, fdCount() - before);
    `);
    assert.equal(out, '64 true true 0');
  });

  it('a deadline, an abort and close() settle a pending accept; close() closes what is queued and frees the port', async () => {
    const out = await onServed(`
        const before = fdCount() - 1;  // the listener is closed at the end
        server.settimeout(0.05);
        const timedOut = await server.accept().catch((e) => e.constructor.name);
        server.settimeout(null);
        const ac = new AbortController();
        const aborted = server.accept({ signal: ac.signal });
        ac.abort();
        const abortName = await aborted.catch((e) => e.name);
        const clients = await connected(server, 3);
        await sleep(50);
        const queued = fdCount() - before - 4;
        const [conn] = await server.accept();  // the oldest queued
        conn.close();
        const port = server.getsockname()[1];
        server.close();  // two still queued
        const other = listener();
        await served(other);
        const closing = other.accept();
        await sleep(20);
        other.close();
        const closeCode = await closing.then(([c]) => { c.close(); return 'took one'; }, (e) => e.code);
        const late = bs.socket(bs.AF_INET, bs.SOCK_STREAM);  // the kernel let go of the listener: refused
        const refused = await late.connect(['127.0.0.1', port]).then(() => 'connected', (e) => e.code);
        late.close();
        const ends = await Promise.all(clients.map((c) => c.recv(1).then((b) => b.length, (e) => e.code)));
        for (const c of clients) c.close();
        console.log(timedOut, abortName, queued, closeCode, refused, ends.every((e) => e === 0 || e === 'ECONNRESET'), fdCount() - before);
    `);
    assert.equal(out, 'TimeoutError AbortError 3 EBADF ECONNREFUSED true 0');
  });

  it('shutdown() of a listener with an accept pending rejects it as Python does (EINVAL)', async () => {
    const out = await onServed(`
        const pending = server.accept();
        await sleep(20);
        server.shutdown(bs.SHUT_RDWR);
        const errno = await pending.then(() => 0, (e) => e.errno);
        server.close();
        console.log(errno);
    `);
    const python = Number(execFileSync('python3', ['-c', `
import socket
s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); s.shutdown(socket.SHUT_RDWR)
try:
    s.accept(); print(0)
except OSError as e:
    print(e.errno)
`]).toString().trim());
    assert.ok(python > 0);
    assert.equal(Number(out), python);
  });

  it('acceptSync after Promise accepts stops the multishot and does not hang', async () => {
    const out = await onServed(`
        const before = fdCount() - 1;  // the listener is closed at the end
        server.settimeout(2);
        const pendingClients = connected(server, 1);
        const clients = await pendingClients;
        await sleep(50);
        const [conn] = server.acceptSync();  // may be the queued one
        conn.close();
        const [c2] = await connected(server, 1);
        const [conn2, peer2] = server.acceptSync();  // the multishot is stopped: accept(2) gets it
        const ok = peer2[1] === c2.getsockname()[1];
        conn2.close();
        for (const c of [...clients, c2]) c.close();
        server.close();
        console.log(ok, fdCount() - before);
    `);
    assert.equal(out, 'true 0');
  });

  it('a listener collected with descriptors queued closes them', async () => {
    const r = await run(`${PRELUDE}${CLIENTS}
      (async () => {
        let server = listener();
        await served(server);
        const before = fdCount();
        const clients = await connected(server, 5);
        await sleep(50);
        server = null;
        process.on('warning', () => {});
        require('v8').setFlagsFromString('--expose_gc');
        const gc = require('vm').runInNewContext('gc');
        for (let i = 0; i < 10 && fdCount() - before > 5; i++) {
          gc();
          await sleep(20);
        }
        for (const c of clients) c.close();
        console.log(fdCount() - before);
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), '0');
  });

  it('Workers terminated with a multishot armed and descriptors queued: no crash, no descriptor left', async () => {
    const out = await inWorkers(`
        const { ringOps } = require(${JSON.stringify(READINESS_JS)});
        ${CLIENTS.replace(/`/g, '\\`').replace(/\$\{/g, '\\${')}
        (async () => {
          const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
          s.bind(['127.0.0.1', 0]);
          s.listen(16);
          await served(s);
          const clients = await connected(s, 3);
          await sleep(20);
          s.accept();
          require('worker_threads').parentPort.postMessage(ringOps);
        })();
    `);
    assert.equal(out, 'true 0');
  });

  it('a multishot armed for nobody, or an accept waiting on an unref()ed listener, lets the process exit by itself', async () => {
    const out = await onServed(`
        const other = listener();
        await served(other);
        other.unref();
        other.accept();
        globalThis.kept = [server, other];  // never collected, never closed: the process must end on its own
        console.log('served');
    `);
    assert.equal(out, 'served');
  });

  it('the process exits cleanly with a multishot armed and descriptors queued', async () => {
    const out = await onServed(`
        await connected(server, 3);
        await sleep(20);
        server.accept().catch(() => {});
        setImmediate(() => { console.log(ringOps, 'exiting'); process.exit(0); });
    `);
    assert.equal(out, 'true exiting');
  });
});

/**
 * Runs `script` (which prints its results, then `ringOps` and whether the ring took submissions) on
 * readiness and on the ring; asserts the results are the same and the ring was used: the results.
 */
async function sameOnTheRing(script: string): Promise<string> {
  const readiness = await run(script, { BSD_SOCKETS_BACKEND: 'libuv' });
  assertClean(readiness);
  const ring = await run(script, URING);
  assertClean(ring);
  const [expected] = readiness.stdout.trim().split('\n');
  const [got, used] = ring.stdout.trim().split('\n');
  assert.equal(got, expected);
  assert.equal(used, 'true true');
  return expected;
}

/** The datagram calls' results, printed as JSON: the same on the ring as on readiness, or the ring is wrong. */
const DATAGRAMS = `${PRELUDE}
  (async () => {
    const out = [];
    for (const [family, host] of [[bs.AF_INET, '127.0.0.1'], [bs.AF_INET6, '::1']]) {
      const a = bs.socket(family, bs.SOCK_DGRAM);
      const b = bs.socket(family, bs.SOCK_DGRAM);
      a.bind([host, 0]);
      b.bind([host, 0]);
      const from = (addr) => addr && addr[1] === b.getsockname()[1];
      if (family === bs.AF_INET) a.setsockopt(bs.IPPROTO_IP, bs.IP_PKTINFO, 1);
      let p = a.recvfrom(100);
      out.push(await b.sendto(Buffer.from('hello'), a.getsockname()));
      let [data, addr] = await p;
      out.push(data.toString(), from(addr));
      const small = Buffer.alloc(4);
      p = a.recvfromInto(small);
      await b.sendto(Buffer.from('123456'), a.getsockname());
      [data, addr] = await p;
      out.push(data, small.toString(), from(addr));
      p = a.recvmsg(3, 256);
      out.push(await b.sendmsg([Buffer.from('ab'), Buffer.from('cdef')], null, 0, a.getsockname()));
      let [bytes, anc, flags, sender] = await p;
      out.push(bytes.toString(), anc.map(([l, t, d]) => [l, t, d.length]), flags, from(sender));
      p = a.recvmsg(10, 1);  // the ancillary data cut: MSG_CTRUNC where there is some
      await b.sendto(Buffer.from('x'), a.getsockname());
      [bytes, anc, flags] = await p;
      out.push(bytes.toString(), anc.length, flags);
      p = a.recvfrom(10);
      await b.sendto(Buffer.alloc(0), a.getsockname());
      [data, addr] = await p;
      out.push(data.length, from(addr));
      b.connect(a.getsockname());
      p = a.recv(100);
      out.push(await b.send(Buffer.from('connected')), (await p).toString());
      a.settimeout(0.05);
      out.push(await a.recvfrom(10).catch((e) => e.constructor.name));
      a.settimeout(null);
      p = a.recvfrom(10);  // nothing lost to the timeout: the next datagram is the next one
      await b.send(Buffer.from('next'));
      out.push((await p)[0].toString());
      a.close();
      b.close();
    }
    const { native } = require(${JSON.stringify(NATIVE_JS)});
    console.log(JSON.stringify(out));
    console.log(ringOps, native.uringCounters ? native.uringCounters().submitted > 0 : false);
  })();
`;

describe('io_uring datagrams (recvfrom, recvfromInto, recvmsg, sendto, sendmsg, recv, send)', function () {
  needsUring(this);

  it('give on the ring what they give on readiness: data, counts, addresses, MSG_TRUNC/MSG_CTRUNC, ancillary data', async () => {
    const expected = await sameOnTheRing(DATAGRAMS);
    assert.match(expected, /TimeoutError/);
  });

  it('a descriptor received (SCM_RIGHTS) is close-on-exec, and one received for a Worker terminated first is closed', async () => {
    const out = await inWorkers(`
        const { ringOps } = require(${JSON.stringify(READINESS_JS)});
        const { native } = require(${JSON.stringify(NATIVE_JS)});
        const [u1, u2] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
        (async () => {
          const rights = (fd) => [[bs.SOL_SOCKET, bs.SCM_RIGHTS, Buffer.from(new Int32Array([fd]).buffer)]];
          const first = u2.recvmsg(10, 64);
          await new Promise((resolve) => setTimeout(resolve, 10));
          u1.sendmsgSync([Buffer.from('a')], rights(0));
          const [, anc] = await first;
          const fd = anc[0][2].readInt32LE(0);
          const cloexec = (native.getFdFlags(fd) & 2) === 2;
          bs.close(fd);
          // Pending on the ring when the descriptor comes, and never delivered: the loop is kept
          // busy until the Worker is terminated, so the ring's teardown must close it.
          u2.recvmsg(10, 64);
          await new Promise((resolve) => setTimeout(resolve, 10));
          u1.sendmsgSync([Buffer.from('b')], rights(0));
          require('worker_threads').parentPort.postMessage(ringOps + ' ' + cloexec);
          for (;;);
        })();
    `);
    assert.equal(out, 'true true 0');
  });
});

/** Connects' results, printed as JSON: the same on the ring as on readiness, or the ring is wrong. */
const CONNECTS = `${PRELUDE}
  const { native } = require(${JSON.stringify(NATIVE_JS)});
  const submitted = () => (native.uringCounters ? native.uringCounters().submitted : 0);
  (async () => {
    const out = [];
    const before = submitted();
    for (const [family, host] of [[bs.AF_INET, '127.0.0.1'], [bs.AF_INET6, '::1']]) {
      const server = bs.socket(family, bs.SOCK_STREAM);
      server.bind([host, 0]);
      server.listen(4);
      for (const timeout of [null, 2]) {
        const c = bs.socket(family, bs.SOCK_STREAM);
        c.settimeout(timeout);
        await c.connect(server.getsockname());
        const [conn] = server.acceptSync();
        out.push(c.getpeername()[1] === server.getsockname()[1], conn.getpeername()[1] === c.getsockname()[1]);
        out.push(await c.connect(server.getsockname()).then(() => 'again', (e) => [e.code, e.errno, e.syscall]));
        conn.close();
        c.close();
      }
      const port = server.getsockname()[1];
      server.close();
      const refused = bs.socket(family, bs.SOCK_STREAM);
      out.push(await refused.connect([host, port]).then(() => 'connected', (e) => [e.constructor.name, e.code, e.syscall, e.address[1] === port]));
      refused.close();
    }
    console.log(JSON.stringify(out));
    console.log(ringOps, submitted() - before >= 4);
  })();
`;

describe('io_uring connect', function () {
  needsUring(this);

  it('gives on the ring what it gives on readiness: connected, EISCONN (blocking) or connected again (timeout mode), ECONNREFUSED with the address', async () => {
    const expected = await sameOnTheRing(CONNECTS);
    assert.match(expected, /ECONNREFUSED/);
    assert.match(expected, /EISCONN/);
  });

  it('a deadline, an abort and close() settle a connect that never completes (a full backlog), leaving nothing open', async () => {
    const r = await run(`${PRELUDE}
      (async () => {
        const server = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        server.bind(['127.0.0.1', 0]);
        server.listen(0);
        const first = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        await first.connect(server.getsockname());  // fills the accept queue: the next SYNs are dropped
        const before = fdCount();
        const out = [];
        const timed = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        timed.settimeout(0.1);
        out.push(await timed.connect(server.getsockname()).catch((e) => e.constructor.name));
        timed.close();
        const aborted = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        const ac = new AbortController();
        const pending = aborted.connect(server.getsockname(), { signal: ac.signal });
        setTimeout(() => ac.abort(), 50);
        out.push(await pending.catch((e) => e.name));
        aborted.close();
        const closed = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        const closing = closed.connect(server.getsockname());
        setTimeout(() => closed.close(), 50);
        out.push(await closing.catch((e) => e.code));
        for (const s of [first, server]) s.close();
        console.log(out.join(' '), fdCount() - before + 2);
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'TimeoutError AbortError EBADF 0');
  });
});
