// Descriptor life cycle: detach, dup, fromfd, wrapping, inheritance, close, dispose, modes,
// default timeout, type flags, socketpair, getsockopt forms, the GC finalizer and workers.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import * as bs from '../lib';
import { Tracker, within, countOpenFds } from './helpers';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;
const INDEX = path.join(__dirname, '..', 'lib', 'index.js');

/** The flags field of /proc/self/fdinfo/<fd> (octal). */
function fdinfoFlags(fd: number): number {
  const text = fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
  const m = /^flags:\s+([0-7]+)$/m.exec(text);
  assert.ok(m, `no flags in fdinfo: ${text}`);
  return parseInt(m[1], 8);
}

function isOpen(fd: number): boolean {
  try {
    fs.fstatSync(fd);
    return true;
  } catch (error) {
    assert.equal((error as NodeJS.ErrnoException).code, 'EBADF');
    return false;
  }
}

function int32Pair(a: number, b: number): Buffer {
  const buf = Buffer.alloc(8);
  if (os.endianness() === 'LE') { buf.writeInt32LE(a, 0); buf.writeInt32LE(b, 4); } else { buf.writeInt32BE(a, 0); buf.writeInt32BE(b, 4); }
  return buf;
}

function recvExactly(s: bs.Socket, n: number): Buffer {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = s.recvSync(n - got);
    if (chunk.length === 0) break;
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

describe('lifecycle', () => {
  const track = new Tracker().install();

  describe('detach', () => {
    it('hands the descriptor over: the socket reads closed, the fd still works via fromfd', () => {
      const [c, a] = track.tcpPair();
      const fd = c.fd;
      const before = countOpenFds();
      assert.equal(c.detach(), fd);
      assert.equal(c.fd, -1);
      assert.equal(c.fileno(), -1);
      assert.equal(c.closed, true);
      assert.equal(countOpenFds(), before, 'detach does not close');
      assert.ok(isOpen(fd));
      assert.throws(() => c.sendSync(Buffer.from('x')), { code: 'EBADF' });
      c.close();  // a no-op now
      assert.ok(isOpen(fd));

      const again = track.add(bs.fromfd(fd));
      assert.notEqual(again.fd, fd);
      assert.equal(again.family, bs.AF_INET);
      assert.equal(again.type, bs.SOCK_STREAM);
      again.sendallSync(Buffer.from('through the copy'));
      assert.equal(recvExactly(a, 16).toString(), 'through the copy');
      // The raw descriptor is ours to close now.
      fs.closeSync(fd);
      assert.ok(!isOpen(fd));
      a.sendallSync(Buffer.from('back'));
      assert.equal(recvExactly(again, 4).toString(), 'back');
    });

    it('a detached descriptor keeps the blocking mode the socket had', () => {
      const [c] = track.tcpPair();
      c.setblocking(false);
      const fd = c.detach();
      track.defer(() => fs.closeSync(fd));
      assert.equal(fdinfoFlags(fd) & O_NONBLOCK, O_NONBLOCK);
    });
  });

  describe('dup', () => {
    it('both sockets work; closing one leaves the other', () => {
      const [c, a] = track.tcpPair();
      const d = track.add(c.dup());
      assert.notEqual(d.fd, c.fd);
      assert.equal(d.family, c.family);
      assert.equal(d.type, c.type);
      assert.equal(d.proto, c.proto);
      assert.equal(d.gettimeout(), c.gettimeout());
      assert.equal(d.getInheritable(), false);
      assert.deepEqual(d.getsockname(), c.getsockname());
      c.sendallSync(Buffer.from('one'));
      d.sendallSync(Buffer.from('two'));
      assert.equal(recvExactly(a, 6).toString(), 'onetwo');
      c.close();
      assert.equal(c.closed, true);
      assert.equal(d.closed, false);
      d.sendallSync(Buffer.from('three'));
      assert.equal(recvExactly(a, 5).toString(), 'three');
      a.sendallSync(Buffer.from('reply'));
      assert.equal(recvExactly(d, 5).toString(), 'reply');
      // The connection ends only when the last descriptor goes.
      d.close();
      assert.equal(a.recvSync(10).length, 0);
    });

    it('keeps the timeout of the original', () => {
      const s = track.add(bs.socket());
      s.settimeout(2.5);
      const d = track.add(s.dup());
      assert.equal(d.gettimeout(), 2.5);
      assert.equal(fdinfoFlags(d.fd) & O_NONBLOCK, O_NONBLOCK);
    });
  });

  describe('fromfd', () => {
    const cases: Array<[string, () => bs.Socket, number, number, number]> = [
      ['TCP', () => bs.socket(bs.AF_INET, bs.SOCK_STREAM), bs.AF_INET, bs.SOCK_STREAM, bs.IPPROTO_TCP],
      ['UDP', () => bs.socket(bs.AF_INET, bs.SOCK_DGRAM), bs.AF_INET, bs.SOCK_DGRAM, bs.IPPROTO_UDP],
      ['TCP6', () => bs.socket(bs.AF_INET6, bs.SOCK_STREAM), bs.AF_INET6, bs.SOCK_STREAM, bs.IPPROTO_TCP],
      ['Unix stream', () => bs.socket(bs.AF_UNIX, bs.SOCK_STREAM), bs.AF_UNIX, bs.SOCK_STREAM, 0],
      ['Unix dgram', () => bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM), bs.AF_UNIX, bs.SOCK_DGRAM, 0],
      ['Unix seqpacket', () => bs.socket(bs.AF_UNIX, bs.SOCK_SEQPACKET), bs.AF_UNIX, bs.SOCK_SEQPACKET, 0],
    ];
    for (const [name, make, family, type, proto] of cases) {
      it(`reads family, type and proto from a ${name} descriptor`, () => {
        const orig = track.add(make());
        const copy = track.add(bs.fromfd(orig.fd));
        assert.notEqual(copy.fd, orig.fd, 'fromfd duplicates');
        assert.equal(copy.family, family);
        assert.equal(copy.type, type);
        assert.equal(copy.proto, proto);
        assert.equal(copy.getsockopt(bs.SOL_SOCKET, bs.SO_TYPE), type);
        assert.equal(copy.getInheritable(), false);
        copy.close();
        assert.equal(orig.getsockopt(bs.SOL_SOCKET, bs.SO_TYPE), type, 'the original stays open');
      });
    }

    it('uses the family/type/proto given, and works on the copy', () => {
      const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
      track.add([a, b]);
      const copy = track.add(bs.fromfd(a.fd, bs.AF_UNIX, bs.SOCK_DGRAM, 0));
      copy.sendSync(Buffer.from('dgram'));
      assert.equal(b.recvSync(100).toString(), 'dgram');
    });

    it('refuses a descriptor that is not a socket, without leaking', () => {
      const before = countOpenFds();
      const fd = fs.openSync('/dev/null', 'r');
      try {
        assert.throws(() => bs.fromfd(fd), (e: bs.SocketError) => e instanceof bs.SocketError && e.code === 'ENOTSOCK');
      } finally {
        fs.closeSync(fd);
      }
      assert.equal(countOpenFds(), before);
    });
  });

  describe('new Socket(undefined, undefined, undefined, fd)', () => {
    it('wraps the descriptor without duplicating it and closes it on close()', () => {
      const orig = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
      const fd = orig.detach();
      const before = countOpenFds();
      const s = track.add(new bs.Socket(undefined, undefined, undefined, fd));
      assert.equal(countOpenFds(), before);
      assert.equal(s.fd, fd);
      assert.equal(s.family, bs.AF_INET);
      assert.equal(s.type, bs.SOCK_DGRAM);
      assert.equal(s.proto, bs.IPPROTO_UDP);
      s.bind(['127.0.0.1', 0]);
      s.close();
      assert.ok(!isOpen(fd));
    });
  });

  describe('inheritance', () => {
    it('is off by default (FD_CLOEXEC), for every way a socket is made', () => {
      const [c, a] = track.tcpPair();
      const [p, q] = bs.socketpair();
      track.add([p, q]);
      const d = track.add(c.dup());
      const f = track.add(bs.fromfd(c.fd));
      for (const s of [c, a, p, q, d, f, track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM))]) {
        assert.equal(s.getInheritable(), false);
        assert.equal(fdinfoFlags(s.fd) & O_CLOEXEC, O_CLOEXEC, `fd ${s.fd} lacks O_CLOEXEC`);
      }
    });

    it('setInheritable toggles FD_CLOEXEC, seen in /proc/self/fdinfo and by a child process', () => {
      const s = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      s.setInheritable(true);
      assert.equal(s.getInheritable(), true);
      assert.equal(fdinfoFlags(s.fd) & O_CLOEXEC, 0);
      // A child started through a shell inherits it: /proc/<child>/fd lists it.
      const seen = execFileSync('sh', ['-c', `test -e /proc/$$/fd/${s.fd} && echo yes || echo no`], { encoding: 'utf8', timeout: 15000 });
      assert.equal(seen.trim(), 'yes');
      s.setInheritable(false);
      assert.equal(s.getInheritable(), false);
      assert.equal(fdinfoFlags(s.fd) & O_CLOEXEC, O_CLOEXEC);
      const notSeen = execFileSync('sh', ['-c', `test -e /proc/$$/fd/${s.fd} && echo yes || echo no`], { encoding: 'utf8', timeout: 15000 });
      assert.equal(notSeen.trim(), 'no');
    });
  });

  describe('close and dispose', () => {
    it('close() is idempotent and frees the descriptor', () => {
      const before = countOpenFds();
      const s = bs.socket();
      const fd = s.fd;
      assert.equal(countOpenFds(), before + 1);
      s.close();
      s.close();
      s.close();
      assert.equal(s.fd, -1);
      assert.equal(s.closed, true);
      assert.equal(countOpenFds(), before);
      assert.ok(!isOpen(fd));
    });

    it('[Symbol.dispose]() closes, and is idempotent too', () => {
      const before = countOpenFds();
      const s = bs.socket(bs.AF_INET6, bs.SOCK_DGRAM);
      assert.equal(typeof s[Symbol.dispose], 'function');
      s[Symbol.dispose]();
      assert.equal(s.closed, true);
      assert.equal(countOpenFds(), before);
      s[Symbol.dispose]();
      s.close();
      assert.equal(countOpenFds(), before);
    });

    it('closing one socket of a pair gives the other EOF', () => {
      const [a, b] = bs.socketpair();
      track.add([a, b]);
      b.close();
      a.settimeout(5);
      assert.equal(a.recvSync(10).length, 0);
    });
  });

  describe('modes', () => {
    it('getblocking/gettimeout follow setblocking/settimeout, and O_NONBLOCK matches', () => {
      const s = track.add(bs.socket());
      const nb = (): number => fdinfoFlags(s.fd) & O_NONBLOCK;
      assert.equal(s.getblocking(), true);
      assert.equal(s.gettimeout(), null);
      assert.equal(nb(), 0, 'blocking: O_NONBLOCK clear');

      s.settimeout(1.5);
      assert.equal(s.getblocking(), true);
      assert.equal(s.gettimeout(), 1.5);
      assert.equal(nb(), O_NONBLOCK, 'timeout mode: O_NONBLOCK set');

      s.setblocking(false);
      assert.equal(s.getblocking(), false);
      assert.equal(s.gettimeout(), 0);
      assert.equal(nb(), O_NONBLOCK, 'non-blocking: O_NONBLOCK set');

      s.setblocking(true);
      assert.equal(s.getblocking(), true);
      assert.equal(s.gettimeout(), null);
      assert.equal(nb(), 0);

      s.settimeout(0);
      assert.equal(s.getblocking(), false);
      assert.equal(nb(), O_NONBLOCK);

      s.settimeout(null);
      assert.equal(s.getblocking(), true);
      assert.equal(s.gettimeout(), null);
      assert.equal(nb(), 0);
    });

    it('setdefaulttimeout applies to new and accepted sockets, not to existing ones', () => {
      assert.equal(bs.getdefaulttimeout(), null);
      const old = track.add(bs.socket());
      const srv = track.add(bs.socket());
      srv.bind(['127.0.0.1', 0]);
      srv.listen();
      try {
        bs.setdefaulttimeout(3);
        assert.equal(bs.getdefaulttimeout(), 3);
        assert.equal(old.gettimeout(), null);
        const s = track.add(bs.socket());
        assert.equal(s.gettimeout(), 3);
        assert.equal(fdinfoFlags(s.fd) & O_NONBLOCK, O_NONBLOCK);
        const [p, q] = bs.socketpair();
        track.add([p, q]);
        assert.equal(p.gettimeout(), 3);
        assert.equal(q.gettimeout(), 3);
        s.connectSync(srv.getsockname() as [string, number]);
        const [a] = track.add(srv.acceptSync());
        assert.equal(a.gettimeout(), 3);
        assert.equal(fdinfoFlags(a.fd) & O_NONBLOCK, O_NONBLOCK);

        bs.setdefaulttimeout(0);
        const z = track.add(bs.socket());
        assert.equal(z.getblocking(), false);
        assert.throws(() => z.recvSync(1), bs.SocketError);

        bs.setdefaulttimeout(null);
        const n = track.add(bs.socket());
        n.connectSync(srv.getsockname() as [string, number]);
        const [b] = track.add(srv.acceptSync());
        assert.equal(b.gettimeout(), null);
        assert.equal(fdinfoFlags(b.fd) & O_NONBLOCK, 0);
      } finally {
        bs.setdefaulttimeout(null);
      }
      assert.equal(bs.getdefaulttimeout(), null);
    });

    it('an accepted socket is blocking when there is no default timeout, whatever the listener\'s mode', () => {
      for (const mode of [null, 5, 0] as const) {
        const srv = track.add(bs.socket());
        srv.bind(['127.0.0.1', 0]);
        srv.listen();
        const c = track.add(bs.socket());
        c.connectSync(srv.getsockname() as [string, number]);
        srv.settimeout(mode);
        const [a] = track.add(srv.acceptSync());
        assert.equal(a.gettimeout(), null, `listener timeout ${mode}`);
        assert.equal(a.getblocking(), true);
        assert.equal(fdinfoFlags(a.fd) & O_NONBLOCK, 0, `listener timeout ${mode}: O_NONBLOCK`);
        assert.equal(srv.gettimeout(), mode);
      }
    });

    it('type has no SOCK_NONBLOCK/SOCK_CLOEXEC bits; SOCK_NONBLOCK means non-blocking', () => {
      const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM | bs.SOCK_NONBLOCK! | bs.SOCK_CLOEXEC!));
      assert.equal(s.type, bs.SOCK_STREAM);
      assert.equal(s.getblocking(), false);
      assert.equal(s.gettimeout(), 0);
      assert.equal(fdinfoFlags(s.fd) & O_NONBLOCK, O_NONBLOCK);
      assert.equal(s.getInheritable(), false);

      const c = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM | bs.SOCK_CLOEXEC!));
      assert.equal(c.type, bs.SOCK_DGRAM);
      assert.equal(c.getblocking(), true);
      assert.equal(fdinfoFlags(c.fd) & O_NONBLOCK, 0);

      const [p, q] = bs.socketpair(bs.AF_UNIX, bs.SOCK_STREAM | bs.SOCK_NONBLOCK!);
      track.add([p, q]);
      assert.equal(p.type, bs.SOCK_STREAM);
      assert.equal(p.getblocking(), false);
      assert.equal(fdinfoFlags(q.fd) & O_NONBLOCK, O_NONBLOCK);
    });
  });

  describe('socketpair', () => {
    it('SOCK_STREAM: a byte stream both ways', () => {
      const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_STREAM);
      track.add([a, b]);
      assert.equal(a.family, bs.AF_UNIX);
      assert.equal(a.type, bs.SOCK_STREAM);
      a.sendallSync(Buffer.from('abc'));
      a.sendallSync(Buffer.from('def'));
      assert.equal(recvExactly(b, 6).toString(), 'abcdef');
      b.sendallSync(Buffer.from('xyz'));
      assert.equal(recvExactly(a, 3).toString(), 'xyz');
      assert.equal(a.getsockname(), '');
      assert.equal(a.getpeername(), '');
    });

    for (const [name, type] of [['SOCK_DGRAM', bs.SOCK_DGRAM], ['SOCK_SEQPACKET', bs.SOCK_SEQPACKET]] as const) {
      it(`${name}: message boundaries are kept`, () => {
        const [a, b] = bs.socketpair(bs.AF_UNIX, type);
        track.add([a, b]);
        assert.equal(a.type, type);
        assert.equal(b.getsockopt(bs.SOL_SOCKET, bs.SO_TYPE), type);
        for (const m of ['first', 'second message', 'x']) a.sendSync(Buffer.from(m));
        b.settimeout(5);
        assert.equal(b.recvSync(100).toString(), 'first');
        assert.equal(b.recvSync(100).toString(), 'second message');
        assert.equal(b.recvSync(100).toString(), 'x');
        // A short read takes part of one message only; the rest of it is dropped.
        a.sendSync(Buffer.from('truncated'));
        a.sendSync(Buffer.from('next'));
        assert.equal(b.recvSync(4).toString(), 'trun');
        assert.equal(b.recvSync(100).toString(), 'next');
        const into = Buffer.alloc(10);
        b.sendSync(Buffer.from('back'));
        assert.equal(a.recvIntoSync(into), 4);
        assert.equal(into.subarray(0, 4).toString(), 'back');
      });
    }
  });

  describe('getsockopt forms', () => {
    it('SO_TYPE as an int', () => {
      assert.equal(track.add(bs.socket()).getsockopt(bs.SOL_SOCKET, bs.SO_TYPE), bs.SOCK_STREAM);
      assert.equal(track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM)).getsockopt(bs.SOL_SOCKET, bs.SO_TYPE), bs.SOCK_DGRAM);
    });

    it('SO_RCVBUF after setsockopt (Linux doubles the value)', () => {
      const s = track.add(bs.socket());
      s.setsockopt(bs.SOL_SOCKET, bs.SO_RCVBUF, 65536);
      const v = s.getsockopt(bs.SOL_SOCKET, bs.SO_RCVBUF);
      assert.equal(v, 131072);
      const raw = s.getsockopt(bs.SOL_SOCKET, bs.SO_RCVBUF, 4);
      assert.equal(raw.length, 4);
      assert.equal(os.endianness() === 'LE' ? raw.readInt32LE(0) : raw.readInt32BE(0), 131072);
    });

    it('boolean options: SO_REUSEADDR set with true/false, read as 1/0', () => {
      const s = track.add(bs.socket());
      assert.equal(s.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 0);
      s.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, true);
      assert.equal(s.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 1);
      s.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, false);
      assert.equal(s.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 0);
    });

    it('SO_LINGER as a Buffer of 8 bytes', () => {
      const s = track.add(bs.socket());
      const initial = s.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 8);
      assert.ok(Buffer.isBuffer(initial));
      assert.equal(initial.length, 8);
      assert.deepEqual(initial, int32Pair(0, 0));
      s.setsockopt(bs.SOL_SOCKET, bs.SO_LINGER, int32Pair(1, 7));
      assert.deepEqual(s.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 8), int32Pair(1, 7));
      // A larger buflen gives back only what the kernel wrote.
      assert.equal(s.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 64).length, 8);
    });
  });

  describe('garbage collection', () => {
    it('closes a dropped socket with a BSD_SOCKETS_UNCLOSED warning, and spares closed ones', function () {
      this.timeout(20000);
      const script = `
const bs = require(${JSON.stringify(INDEX)});
const fs = require('fs');
const warnings = [];
process.on('warning', (w) => warnings.push({ name: w.name, code: w.code, message: w.message }));
// A descriptor number may be reused once closed: identify the socket by its /proc link instead.
const link = (fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch (e) { return e.code; } };
let droppedLink;
const isOpen = (fd) => { try { fs.fstatSync(fd); return true; } catch (e) { return e.code; } };
let dropped, closedFd, keeper;
(function () {
  const s = bs.socket();
  dropped = s.fd;
  droppedLink = link(dropped);
  const c = bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM);
  closedFd = c.fd;
  c.close();
})();
// The closed socket's number is reused at once; collecting its object must not close it.
keeper = bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM);
const wasOpen = isOpen(dropped);
(async () => {
  for (let i = 0; i < 10 && link(dropped) === droppedLink; i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setImmediate(r));
  console.log(JSON.stringify({ dropped, wasOpen, droppedLink, droppedNow: link(dropped), closedFd,
    keeperFd: keeper.fd, keeperOpen: isOpen(keeper.fd), warnings }));
  keeper.close();
})();
`;
      const out = JSON.parse(execFileSync(process.execPath, ['--expose-gc', '-e', script], {
        encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15000,
      }));
      assert.equal(out.wasOpen, true, JSON.stringify(out));
      assert.match(out.droppedLink, /^socket:\[\d+\]$/);
      assert.notEqual(out.droppedNow, out.droppedLink, `the dropped socket was not closed: ${JSON.stringify(out)}`);
      assert.equal(out.keeperFd, out.closedFd, 'the closed socket\'s number was reused');
      assert.equal(out.keeperOpen, true, 'the finalizer of a closed socket must not close a reused number');
      const ours = out.warnings.filter((w: { code: string }) => w.code === 'BSD_SOCKETS_UNCLOSED');
      assert.equal(ours.length, 1, JSON.stringify(out.warnings));
      assert.match(ours[0].message, new RegExp(`\\b${out.dropped}\\b`));
    });
  });

  describe('worker threads', () => {
    const echoInWorker = `
const { parentPort } = require('worker_threads');
const bs = require(${JSON.stringify(INDEX)});
const srv = bs.socket();
srv.bind(['127.0.0.1', 0]);
srv.listen();
srv.settimeout(10);
const c = bs.socket();
c.settimeout(10);
c.connectSync(srv.getsockname());
const [a] = srv.acceptSync();
a.settimeout(10);
const msg = Buffer.from('hello from a worker');
c.sendallSync(msg);
let got = Buffer.alloc(0);
while (got.length < msg.length) got = Buffer.concat([got, a.recvSync(100)]);
a.sendallSync(got);
let back = Buffer.alloc(0);
while (back.length < msg.length) back = Buffer.concat([back, c.recvSync(100)]);
for (const s of [a, c, srv]) s.close();
parentPort.postMessage({ back: back.toString(), closed: [a, c, srv].every((s) => s.closed) });
`;

    function runWorker(code: string): Promise<{ messages: unknown[]; exitCode: number }> {
      return new Promise((resolve, reject) => {
        const messages: unknown[] = [];
        const w = new Worker(code, { eval: true });
        w.on('message', (m) => messages.push(m));
        w.on('error', reject);
        w.on('exit', (exitCode) => resolve({ messages, exitCode }));
      });
    }

    it('loads the addon and runs a TCP echo with the Sync API', async () => {
      const before = countOpenFds();
      const { messages, exitCode } = await within(runWorker(echoInWorker), 15000, 'worker');
      assert.equal(exitCode, 0);
      assert.deepEqual(messages, [{ back: 'hello from a worker', closed: true }]);
      assert.equal(countOpenFds(), before);
    });

    it('5 workers in turn exit cleanly', async function () {
      this.timeout(60000);
      const before = countOpenFds();
      for (let i = 0; i < 5; i++) {
        const { messages, exitCode } = await within(runWorker(echoInWorker), 15000, `worker ${i}`);
        assert.equal(exitCode, 0, `worker ${i}`);
        assert.deepEqual(messages, [{ back: 'hello from a worker', closed: true }]);
      }
      assert.equal(countOpenFds(), before);
      // The main thread's copy of the addon still works.
      const [p, q] = bs.socketpair();
      track.add([p, q]);
      p.sendSync(Buffer.from('ok'));
      assert.equal(q.recvSync(2).toString(), 'ok');
    });
  });
});

describe('lifecycle: worker teardown', () => {
  it('a socket left open in a worker is closed when the worker exits', async () => {
    const code = `
const bs = require(${JSON.stringify(INDEX)});
const s = bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM);
require('worker_threads').parentPort.postMessage(s.fd);
`;
    const fdOf = await within(new Promise<number>((resolve, reject) => {
      let fd = -1;
      const w = new Worker(code, { eval: true });
      w.on('message', (m: number) => { fd = m; });
      w.on('error', reject);
      w.on('exit', () => resolve(fd));
    }), 15000, 'worker');
    assert.ok(fdOf >= 0);
    let open = false;
    try {
      fs.fstatSync(fdOf);
      open = true;
    } catch { /* closed */ }
    // Close it ourselves if the worker leaked it, so that one failure does not cascade.
    if (open) fs.closeSync(fdOf);
    assert.equal(open, false, `descriptor ${fdOf} of the exited worker is still open`);
  });
});
