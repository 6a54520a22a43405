// Every error class of API.md, provoked for real on loopback and Unix paths, checked by class,
// errno, code, syscall and address, and with a stack trace that starts in this file.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as bs from '../lib';
import { Tracker, tempDir } from './helpers';

/** The errno table read by a name known only at run time. */
const errnoByName: Readonly<Record<string, number | undefined>> = bs.errno;

type ErrorClass = new (...args: never[]) => bs.SocketError;

const THIS_FILE = path.basename(__filename);  // errors.test.js
const LIB_DIR = path.join(__dirname, '..', 'lib') + path.sep;

function errnoOf(code: string): number {
  const value = (os.constants.errno as Record<string, number>)[code];
  assert.equal(typeof value, 'number', `os.constants.errno lacks ${code}`);
  return value;
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return assert.fail('expected the call to throw');
}

/** The first frame under the message lies in this test file, and no frame in dist/lib. */
function assertStackStartsHere(error: Error): void {
  const lines = String(error.stack).split('\n');
  const firstFrame = lines.find((line, i) => i > 0 && /^\s+at /.test(line));
  assert.ok(firstFrame, `no stack frame in ${error.stack}`);
  assert.ok(firstFrame.includes(THIS_FILE), `first frame is not in ${THIS_FILE}: ${firstFrame}`);
  assert.ok(!lines.some((line) => line.includes(LIB_DIR)), `a frame of dist/lib remains:\n${error.stack}`);
}

/** Asserts `fn` throws the typed SocketError described. Returns it. */
function expectSocketError(fn: () => unknown, Class: ErrorClass, code: string, syscall: string,
  address?: unknown): bs.SocketError {
  const error = catchError(fn) as bs.SocketError;
  assert.ok(error instanceof Class, `expected ${Class.name}, got ${(error as Error)?.constructor?.name}: ${error}`);
  assert.ok(error instanceof bs.SocketError, 'not a SocketError');
  assert.ok(error instanceof Error, 'not an Error');
  assert.equal(error.code, code);
  assert.equal(error.errno, errnoOf(code));
  assert.equal(error.syscall, syscall);
  if (address !== undefined) assert.deepEqual(error.address, address);
  assert.equal(error.name, Class.name);
  assertStackStartsHere(error);
  return error;
}

function lingerZero(): Buffer {
  const b = Buffer.alloc(8);
  if (os.endianness() === 'LE') {
    b.writeInt32LE(1, 0);
    b.writeInt32LE(0, 4);
  } else {
    b.writeInt32BE(1, 0);
    b.writeInt32BE(0, 4);
  }
  return b;
}

describe('errors: provoked for real', () => {
  const track = new Tracker().install();

  /** A loopback listener (TCP) and its address. */
  function listener(backlog?: number): [bs.Socket, [string, number]] {
    const srv = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    srv.bind(['127.0.0.1', 0]);
    srv.listen(backlog);
    return [srv, srv.getsockname() as [string, number]];
  }

  /** A port on 127.0.0.1 that is bound (so nobody else takes it) but not listening. */
  function refusingAddress(): [string, number] {
    const holder = track.add(bs.socket());
    holder.bind(['127.0.0.1', 0]);
    return holder.getsockname() as [string, number];
  }

  it('ConnectionRefusedError: connect to a closed loopback port', () => {
    const addr = refusingAddress();
    const s = track.add(bs.socket());
    const e = expectSocketError(() => s.connectSync(addr), bs.ConnectionRefusedError, 'ECONNREFUSED', 'connect', addr);
    assert.ok(e instanceof bs.ConnectionError, 'ConnectionRefusedError extends ConnectionError');
    assert.match(e.message, /ECONNREFUSED/);
  });

  it('ConnectionRefusedError with a timeout set, and over IPv6 (::1)', () => {
    const addr = refusingAddress();
    const s = track.add(bs.socket());
    s.settimeout(5);
    expectSocketError(() => s.connectSync(addr), bs.ConnectionRefusedError, 'ECONNREFUSED', 'connect', addr);

    const holder = track.add(bs.socket(bs.AF_INET6));
    holder.bind(['::1', 0]);
    const addr6 = holder.getsockname() as [string, number, number, number];
    const s6 = track.add(bs.socket(bs.AF_INET6));
    const target: [string, number] = ['::1', addr6[1]];
    expectSocketError(() => s6.connectSync(target), bs.ConnectionRefusedError, 'ECONNREFUSED', 'connect', target);
  });

  it('AddressInUseError: bind twice without SO_REUSEADDR', () => {
    const a = track.add(bs.socket());
    a.bind(['127.0.0.1', 0]);
    a.listen();
    const addr = a.getsockname() as [string, number];
    const b = track.add(bs.socket());
    expectSocketError(() => b.bind(addr), bs.AddressInUseError, 'EADDRINUSE', 'bind', addr);
    // The failed socket is still usable.
    b.bind(['127.0.0.1', 0]);
    assert.notEqual((b.getsockname() as [string, number])[1], addr[1]);
  });

  it('AddressInUseError: a Unix path that exists', () => {
    const p = path.join(tempDir(), 'sock');
    const a = track.add(bs.socket(bs.AF_UNIX));
    a.bind(p);
    const b = track.add(bs.socket(bs.AF_UNIX));
    expectSocketError(() => b.bind(p), bs.AddressInUseError, 'EADDRINUSE', 'bind', p);
  });

  it('TimeoutError: recvSync with settimeout(0.1) fails within 50 ms of the deadline', () => {
    const [a] = bs.socketpair().map((s) => track.add(s));
    a.settimeout(0.1);
    const t0 = performance.now();
    const e = expectSocketError(() => a.recvSync(10), bs.TimeoutError, 'ETIMEDOUT', 'recv');
    const elapsed = performance.now() - t0;
    assert.ok(Math.abs(elapsed - 100) <= 50, `elapsed ${elapsed.toFixed(1)} ms, deadline 100 ms`);
    assert.equal(e.message, 'recv ETIMEDOUT: connection timed out');  // as Node words its errors
    // Still usable afterwards.
    assert.equal(a.gettimeout(), 0.1);
  });

  it('TimeoutError: recvfromSync on UDP and acceptSync, each within 50 ms of the deadline', () => {
    const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    u.bind(['127.0.0.1', 0]);
    u.settimeout(0.15);
    let t0 = performance.now();
    expectSocketError(() => u.recvfromSync(100), bs.TimeoutError, 'ETIMEDOUT', 'recvfrom');
    let elapsed = performance.now() - t0;
    assert.ok(Math.abs(elapsed - 150) <= 50, `recvfrom: elapsed ${elapsed.toFixed(1)} ms, deadline 150 ms`);

    const [srv] = listener();
    srv.settimeout(0.1);
    t0 = performance.now();
    expectSocketError(() => srv.acceptSync(), bs.TimeoutError, 'ETIMEDOUT', 'accept');
    elapsed = performance.now() - t0;
    assert.ok(Math.abs(elapsed - 100) <= 50, `accept: elapsed ${elapsed.toFixed(1)} ms, deadline 100 ms`);
  });

  it('TimeoutError: connectSync to a listener whose accept queue is full', () => {
    // listen(0) leaves room for one queued connection; later SYNs are dropped, so connect waits.
    const [, addr] = listener(0);
    const first = track.add(bs.socket());
    first.settimeout(5);
    first.connectSync(addr);
    let timedOut: bs.SocketError | undefined;
    for (let i = 0; i < 4 && !timedOut; i++) {
      const s = track.add(bs.socket());
      s.settimeout(0.2);
      const t0 = performance.now();
      try {
        s.connectSync(addr);
        continue;  // the queue still had room
      } catch (error) {
        timedOut = expectSocketError(() => { throw error; }, bs.TimeoutError, 'ETIMEDOUT', 'connect');
      }
      const elapsed = performance.now() - t0;
      assert.ok(elapsed >= 150 && elapsed < 2000, `connect timed out after ${elapsed.toFixed(1)} ms (timeout 200 ms)`);
    }
    assert.ok(timedOut, 'no connect timed out');
    assert.deepEqual(timedOut.address, addr);
  });

  it('connectEx with a timeout returns EAGAIN (EWOULDBLOCK) on timeout instead of throwing, as Python does', () => {
    const [, addr] = listener(0);
    const first = track.add(bs.socket());
    first.settimeout(5);
    first.connectSync(addr);
    let result = 0;
    for (let i = 0; i < 4 && result === 0; i++) {
      const s = track.add(bs.socket());
      s.settimeout(0.2);
      result = s.connectEx(addr);
    }
    assert.equal(result, errnoOf('EAGAIN'));
  });

  it('BlockingIOError: recvSync, recvfromSync, acceptSync and sendSync in non-blocking mode', () => {
    const [a, b] = bs.socketpair().map((s) => track.add(s));
    a.setblocking(false);
    expectSocketError(() => a.recvSync(10), bs.BlockingIOError, 'EAGAIN', 'recv');
    expectSocketError(() => a.recvIntoSync(Buffer.alloc(4)), bs.BlockingIOError, 'EAGAIN', 'recv');
    // settimeout(0) is the same mode.
    b.settimeout(0);
    const chunk = Buffer.alloc(65536);
    let sendError: unknown;
    for (let i = 0; i < 10000 && !sendError; i++) {
      try { b.sendSync(chunk); } catch (error) { sendError = error; }
    }
    expectSocketError(() => { throw sendError; }, bs.BlockingIOError, 'EAGAIN', 'send');

    const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    u.bind(['127.0.0.1', 0]);
    u.setblocking(false);
    expectSocketError(() => u.recvfromSync(10), bs.BlockingIOError, 'EAGAIN', 'recvfrom');

    const [srv] = listener();
    srv.setblocking(false);
    expectSocketError(() => srv.acceptSync(), bs.BlockingIOError, 'EAGAIN', 'accept');
    // EAGAIN and EWOULDBLOCK are one number on Linux.
    assert.equal(errnoOf('EAGAIN'), errnoOf('EWOULDBLOCK'));
  });

  it('BlockingIOError: non-blocking connectSync to a listening loopback port, as Python does', () => {
    const [srv, addr] = listener();
    const pyResult = JSON.parse(execFileSync('python3', ['-c', `
import socket, json, sys
s = socket.socket(); s.setblocking(False)
try:
    s.connect(('127.0.0.1', int(sys.argv[1]))); print(json.dumps(0))
except BlockingIOError as e:
    print(json.dumps(e.errno))
`, String(addr[1])], { encoding: 'utf8', timeout: 15000 }));
    assert.ok(pyResult === 0 || pyResult === errnoOf('EINPROGRESS'), `python said ${pyResult}`);
    const s = track.add(bs.socket());
    s.setblocking(false);
    let error: unknown;
    try { s.connectSync(addr); } catch (e) { error = e; }
    if (error === undefined) {
      // Connected at once: then the connection must be real.
      assert.deepEqual(s.getpeername(), addr);
    } else {
      expectSocketError(() => { throw error; }, bs.BlockingIOError, 'EINPROGRESS', 'connect', addr);
    }
    // connectEx on another non-blocking socket: 0 or EINPROGRESS, never a throw.
    const t = track.add(bs.socket());
    t.setblocking(false);
    const r = t.connectEx(addr);
    assert.ok(r === 0 || r === errnoOf('EINPROGRESS'), `connectEx gave ${r}`);
    srv.setblocking(true);
    srv.settimeout(5);
    track.add(srv.acceptSync());
  });

  it('BlockingIOError EAGAIN: non-blocking Unix connect to a full backlog (Python gives EAGAIN, not EINPROGRESS)', () => {
    const p = path.join(tempDir(), 'full');
    const srv = track.add(bs.socket(bs.AF_UNIX));
    srv.bind(p);
    srv.listen(0);
    let error: unknown;
    for (let i = 0; i < 20 && error === undefined; i++) {
      const c = track.add(bs.socket(bs.AF_UNIX));
      c.setblocking(false);
      try { c.connectSync(p); } catch (e) { error = e; }
    }
    expectSocketError(() => { throw error; }, bs.BlockingIOError, 'EAGAIN', 'connect', p);
    const c = track.add(bs.socket(bs.AF_UNIX));
    c.setblocking(false);
    assert.equal(c.connectEx(p), errnoOf('EAGAIN'));
  });

  it('a Unix connect with a timeout to a full backlog never reports success on an unconnected socket', () => {
    const p = path.join(tempDir(), 'full');
    const srv = track.add(bs.socket(bs.AF_UNIX));
    srv.bind(p);
    srv.listen(0);
    for (let i = 0; i < 20; i++) {
      const c = track.add(bs.socket(bs.AF_UNIX));
      c.setblocking(false);
      if (c.connectEx(p) !== 0) break;
    }
    const c = track.add(bs.socket(bs.AF_UNIX));
    c.settimeout(0.2);
    let error: unknown;
    try { c.connectSync(p); } catch (e) { error = e; }
    if (error === undefined) {
      // Success is only acceptable if the socket really is connected.
      assert.equal(c.getpeername(), p);
    } else {
      // Python raises BlockingIOError (EAGAIN); a TimeoutError after waiting would be as good.
      assert.ok(error instanceof bs.BlockingIOError || error instanceof bs.TimeoutError, `got ${error}`);
      assert.equal((error as bs.SocketError).syscall, 'connect');
    }
  });

  it('FileNotFoundError: connect to a missing Unix path (stream and datagram)', () => {
    const p = path.join(tempDir(), 'missing');
    const s = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    expectSocketError(() => s.connectSync(p), bs.FileNotFoundError, 'ENOENT', 'connect', p);
    const d = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    expectSocketError(() => d.sendtoSync(Buffer.from('x'), p), bs.FileNotFoundError, 'ENOENT', 'sendto', p);
    assert.equal(d.connectEx(p), errnoOf('ENOENT'));
  });

  it('BrokenPipeError: send after the peer closed (Unix pair and TCP), without SIGPIPE', () => {
    const [a, b] = bs.socketpair();
    track.add([a, b]);
    b.close();
    expectSocketError(() => a.sendSync(Buffer.from('x')), bs.BrokenPipeError, 'EPIPE', 'send');
    expectSocketError(() => a.sendallSync(Buffer.from('xyz')), bs.BrokenPipeError, 'EPIPE', 'send');

    const [client, conn] = track.tcpPair();
    conn.close();
    assert.equal(client.recvSync(10).length, 0, 'EOF first');
    let error: unknown;
    for (let i = 0; i < 1000 && error === undefined; i++) {
      try { client.sendSync(Buffer.from('data')); } catch (e) { error = e; }
    }
    const e = expectSocketError(() => { throw error; }, bs.BrokenPipeError, 'EPIPE', 'send');
    assert.ok(e instanceof bs.ConnectionError);
    // Still alive, and the same error again.
    expectSocketError(() => client.sendSync(Buffer.from('again')), bs.BrokenPipeError, 'EPIPE', 'send');
  });

  it('BrokenPipeError: shutdown(SHUT_WR) then send', () => {
    const [a, b] = bs.socketpair();
    track.add([a, b]);
    a.shutdown(bs.SHUT_WR);
    expectSocketError(() => a.sendSync(Buffer.from('x')), bs.BrokenPipeError, 'EPIPE', 'send');
  });

  it('BrokenPipeError does not kill a child process that keeps the default SIGPIPE disposition', () => {
    // The child is started by Python with SIGPIPE restored to SIG_DFL: MSG_NOSIGNAL must hold.
    const index = path.join(__dirname, '..', 'lib', 'index.js');
    const out = execFileSync('python3', ['-c', `
import subprocess, sys

r = subprocess.run([sys.argv[1], '-e', sys.argv[2]], capture_output=True, text=True, restore_signals=True)
print(r.returncode, r.stdout.strip(), r.stderr.strip()[-300:])
`, process.execPath, `
const bs = require(${JSON.stringify(index)});
const [a, b] = bs.socketpair();
b.close();
try { a.sendSync(Buffer.from('x')); console.log('sent'); } catch (e) { console.log(e.code); }
a.close();
`], { encoding: 'utf8', timeout: 15000 });
    assert.equal(out.trim(), '0 EPIPE');
  });

  it('ConnectionResetError: the peer closes with SO_LINGER {on, 0}', () => {
    const [client, conn] = track.tcpPair();
    conn.setsockopt(bs.SOL_SOCKET, bs.SO_LINGER, lingerZero());
    assert.deepEqual(conn.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 8), lingerZero());
    conn.close();
    const e = expectSocketError(() => client.recvSync(100), bs.ConnectionResetError, 'ECONNRESET', 'recv');
    assert.ok(e instanceof bs.ConnectionError);
  });

  it('ConnectionResetError: send to a peer that reset', () => {
    const [client, conn] = track.tcpPair();
    conn.setsockopt(bs.SOL_SOCKET, bs.SO_LINGER, lingerZero());
    conn.close();
    // The first send that fails after the RST reports the reset (later ones say EPIPE).
    let error: unknown;
    for (let i = 0; i < 1000 && error === undefined; i++) {
      try { client.sendSync(Buffer.from('x')); } catch (e) { error = e; }
    }
    expectSocketError(() => { throw error; }, bs.ConnectionResetError, 'ECONNRESET', 'send');
  });

  it('AddressNotAvailableError: bind to an address not on this machine (192.0.2.1, no traffic)', () => {
    const s = track.add(bs.socket());
    const addr: [string, number] = ['192.0.2.1', 0];
    expectSocketError(() => s.bind(addr), bs.AddressNotAvailableError, 'EADDRNOTAVAIL', 'bind', addr);
    const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    expectSocketError(() => u.bind(['192.0.2.1', 5000]), bs.AddressNotAvailableError, 'EADDRNOTAVAIL', 'bind', ['192.0.2.1', 5000]);
    s.bind(['127.0.0.1', 0]);
    assert.equal((s.getsockname() as [string, number])[0], '127.0.0.1');
  });

  it('PermissionError: EACCES for an unprivileged user (a child drops privileges when run as root)', function () {
    this.timeout(20000);
    const dir = tempDir();
    fs.chmodSync(dir, 0o755);
    const locked = path.join(dir, 'locked');
    fs.mkdirSync(locked, { mode: 0 });
    fs.chmodSync(locked, 0);
    track.defer(() => fs.chmodSync(locked, 0o700));  // so that tempDir's clean-up can remove it
    const sockPath = path.join(locked, 'sock');
    const unprivStart = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_unprivileged_port_start', 'utf8'));
    const index = path.join(__dirname, '..', 'lib', 'index.js');
    const script = `
const bs = require(${JSON.stringify(index)});
if (process.getuid() === 0) { process.setgid(65534); process.setuid(65534); }
const results = {};
function attempt(name, fn) {
  const s = bs.socket(name === 'unix' ? bs.AF_UNIX : bs.AF_INET);
  try { fn(s); results[name] = null; } catch (e) {
    results[name] = { cls: e.constructor.name, isSocketError: e instanceof bs.SocketError,
      isPermission: e instanceof bs.PermissionError, errno: e.errno, code: e.code, syscall: e.syscall,
      address: e.address, firstFrame: String(e.stack).split('\\n')[1] };
  }
  s.close();
}
attempt('unix', (s) => s.bind(${JSON.stringify(sockPath)}));
attempt('port80', (s) => s.bind(['127.0.0.1', 80]));
results.uid = process.getuid();
console.log(JSON.stringify(results));
`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', cwd: '/', timeout: 15000 }));
    assert.notEqual(out.uid, 0, 'the child runs unprivileged');
    assert.deepEqual(out.unix && { ...out.unix, firstFrame: undefined }, {
      cls: 'PermissionError', isSocketError: true, isPermission: true, errno: errnoOf('EACCES'),
      code: 'EACCES', syscall: 'bind', address: sockPath, firstFrame: undefined,
    });
    assert.ok(String(out.unix.firstFrame).includes('[eval]'), `stack does not start in the caller: ${out.unix.firstFrame}`);
    if (unprivStart > 80) {
      assert.ok(out.port80, 'binding port 80 unprivileged should fail');
      assert.equal(out.port80.cls, 'PermissionError');
      assert.equal(out.port80.errno, errnoOf('EACCES'));
      assert.equal(out.port80.code, 'EACCES');
      assert.equal(out.port80.syscall, 'bind');
      assert.deepEqual(out.port80.address, ['127.0.0.1', 80]);
    } else {
      assert.equal(out.port80, null, 'ports below 1024 are unprivileged here');
    }
  });

  describe('EBADF on a closed socket', () => {
    const closed = (): bs.Socket => {
      const s = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
      s.close();
      return s;
    };
    const addr: [string, number] = ['127.0.0.1', 9];
    const buf = Buffer.alloc(8);
    const operations: Array<[string, string, (s: bs.Socket) => unknown]> = [
      ['bind', 'bind', (s) => s.bind(addr)],
      ['listen', 'listen', (s) => s.listen()],
      ['shutdown', 'shutdown', (s) => s.shutdown(bs.SHUT_RDWR)],
      ['getsockname', 'getsockname', (s) => s.getsockname()],
      ['getpeername', 'getpeername', (s) => s.getpeername()],
      ['setsockopt', 'setsockopt', (s) => s.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, 1)],
      ['getsockopt', 'getsockopt', (s) => s.getsockopt(bs.SOL_SOCKET, bs.SO_TYPE)],
      ['getsockopt(buflen)', 'getsockopt', (s) => s.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 8)],
      ['setblocking', 'setblocking', (s) => s.setblocking(false)],
      ['settimeout', 'settimeout', (s) => s.settimeout(1)],
      ['setInheritable', 'setInheritable', (s) => s.setInheritable(true)],
      ['getInheritable', 'getInheritable', (s) => s.getInheritable()],
      ['dup', 'dup', (s) => s.dup()],
      ['acceptSync', 'accept', (s) => s.acceptSync()],
      ['connectSync', 'connect', (s) => s.connectSync(addr)],
      // API.md: an operation on a closed socket throws (Python's connect_ex would return EBADF).
      ['connectEx', 'connect', (s) => s.connectEx(addr)],
      ['getblocking', 'getblocking', (s) => s.getblocking()],
      ['sendSync', 'send', (s) => s.sendSync(buf)],
      ['sendallSync', 'send', (s) => s.sendallSync(buf)],
      ['sendtoSync', 'sendto', (s) => s.sendtoSync(buf, addr)],
      ['recvSync', 'recv', (s) => s.recvSync(8)],
      ['recvIntoSync', 'recv', (s) => s.recvIntoSync(buf)],
      ['recvfromSync', 'recvfrom', (s) => s.recvfromSync(8)],
      ['recvfromIntoSync', 'recvfrom', (s) => s.recvfromIntoSync(buf)],
    ];
    for (const [name, syscall, op] of operations) {
      it(`${name} throws SocketError EBADF`, () => {
        const s = closed();
        const e = catchError(() => op(s)) as bs.SocketError;
        assert.ok(e instanceof bs.SocketError, `got ${e}`);
        assert.equal(e.constructor, bs.SocketError, 'the plain SocketError class');
        assert.equal(e.code, 'EBADF');
        assert.equal(e.errno, errnoOf('EBADF'));
        assert.equal(e.syscall, syscall);
        assertStackStartsHere(e);
      });
    }

    it('close() again, fileno() and detach() do not throw on a closed socket', () => {
      const s = closed();
      s.close();
      assert.equal(s.fileno(), -1);
      assert.equal(s.fd, -1);
      assert.equal(s.closed, true);
      assert.equal(s.detach(), -1);
    });
  });

  describe('connectEx', () => {
    it('returns errno numbers instead of throwing', () => {
      const addr = refusingAddress();
      const s = track.add(bs.socket());
      assert.equal(s.connectEx(addr), errnoOf('ECONNREFUSED'));
      const t = track.add(bs.socket());
      t.settimeout(5);
      assert.equal(t.connectEx(addr), errnoOf('ECONNREFUSED'));
      const u = track.add(bs.socket(bs.AF_UNIX));
      assert.equal(u.connectEx(path.join(tempDir(), 'nothing')), errnoOf('ENOENT'));
    });

    it('returns 0 on success, and EISCONN when already connected', () => {
      const [srv, addr] = listener();
      const s = track.add(bs.socket());
      assert.equal(s.connectEx(addr), 0);
      assert.deepEqual(s.getpeername(), addr);
      assert.equal(s.connectEx(addr), errnoOf('EISCONN'));
      track.add(srv.acceptSync());
    });

    it('still throws for invalid arguments', () => {
      const s = track.add(bs.socket());
      assert.throws(() => s.connectEx(['127.0.0.1', 70000]), { name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT' });
      assert.throws(() => s.connectEx('x' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    });
  });

  it('errors carry no address where none was involved, and messages name the code', () => {
    const [a] = bs.socketpair().map((s) => track.add(s));
    a.setblocking(false);
    const e = expectSocketError(() => a.recvSync(1), bs.BlockingIOError, 'EAGAIN', 'recv');
    assert.equal('address' in e, false);
    assert.match(e.message, /EAGAIN/);
    assert.equal(errnoOf(e.code), errnoByName[e.code]);
  });
});
