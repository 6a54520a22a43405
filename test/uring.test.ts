// The io_uring backend (native/uring.cc) as the package uses it: chosen with
// BSD_SOCKETS_BACKEND=uring, reported by features.ioUring, falling back to libuv where the kernel
// refuses io_uring (the test hook BSD_SOCKETS_URING_PROBE=fail, and a real seccomp filter), and its
// life cycle: close() with a wait in flight, Workers terminated mid-wait, process exit with polls in
// flight, no descriptor left behind. Each case runs in a child process with the backend forced, so
// the file tests uring whichever backend the mocha process itself uses.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { native } from '../lib/binding/native';

const INDEX_JS = path.join(__dirname, '..', 'lib', 'index.js');
const READINESS_JS = path.join(__dirname, '..', 'lib', 'engine', 'readiness.js');

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

const URING = { BSD_SOCKETS_BACKEND: 'uring' };
const PRELUDE = `
  const bs = require(${JSON.stringify(INDEX_JS)});
  const { backend } = require(${JSON.stringify(READINESS_JS)});
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

/** Why io_uring cannot be tested here, or undefined. */
function unavailable(): string | undefined {
  if (process.platform !== 'linux') return `no io_uring on ${process.platform}`;
  if (!native.UringWatcher || !native.startUring) return 'this build has no io_uring backend (portable build?)';
  const r = native.startUring();
  return r < 0 ? `the kernel refuses io_uring (errno ${-r})` : undefined;
}

describe('io_uring backend', function () {
  this.timeout(30000);
  const reason = unavailable();
  before(function () {
    if (reason !== undefined) {
      console.log(`    skipped: ${reason}`);
      this.skip();
    }
  });

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
    const r = await run(`${PRELUDE}
      const { Worker } = require('worker_threads');
      const inWorker = \`
        const bs = require(${JSON.stringify(INDEX_JS)});
        const { backend } = require(${JSON.stringify(READINESS_JS)});
        const [a, b] = bs.socketpair();
        const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
        s.bind(['127.0.0.1', 0]);
        s.listen(4);
        s.accept();
        a.recv(10);
        require('worker_threads').parentPort.postMessage(backend);
      \`;
      (async () => {
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
      })();
    `, URING);
    assertClean(r);
    assert.equal(r.stdout.trim(), 'uring 0');
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
