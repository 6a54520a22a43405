// Every argument check: Node's error classes and codes, thrown before any system call, leaving no
// descriptor behind and the socket as usable as before.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as bs from '../lib';
import { Tracker, tempDir, countOpenFds } from './helpers';

type Expected = { name: 'TypeError' | 'RangeError'; code: string };
const TYPE: Expected = { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' };
const VALUE: Expected = { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' };
const RANGE: Expected = { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' };
const PORT: Expected = { name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT' };

/** Asserts fn throws the expected class and code, and that no descriptor was opened by it. */
function refuses(fn: () => unknown, expected: Expected, what: string): void {
  const before = countOpenFds();
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(error !== undefined, `${what}: no error thrown`);
  const e = error as Error & { code?: string };
  assert.ok(!(e instanceof bs.SocketError), `${what}: a SocketError (${e.message}) instead of ${expected.code}`);
  assert.equal(e.name, expected.name, `${what}: ${e.name} (${e.message})`);
  assert.equal(e.constructor, expected.name === 'TypeError' ? TypeError : RangeError, what);
  assert.equal(e.code, expected.code, `${what}: ${e.message}`);
  assert.ok(typeof e.message === 'string' && e.message.length > 0);
  assert.equal(countOpenFds(), before, `${what}: descriptor leaked`);
}

const buf = Buffer.alloc(16);
const notNumbers: unknown[] = ['1', null, {}, [], true, 1n, Symbol('s'), () => 1];
const notBytes: unknown[] = ['str', 12, null, {}, [1, 2], new ArrayBuffer(4), new Uint16Array(2)];
const notBooleans: unknown[] = [1, 0, 'true', null, {}];

describe('validation', () => {
  const track = new Tracker().install();

  /** A UDP socket bound to loopback, and a checker that it still works. */
  function udp(): [bs.Socket, () => void] {
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    s.bind(['127.0.0.1', 0]);
    s.settimeout(5);
    const usable = (): void => {
      assert.equal(s.closed, false);
      const me = s.getsockname() as [string, number];
      assert.equal(s.sendtoSync(Buffer.from('ping'), me), 4);
      const [data, from] = s.recvfromSync(100);
      assert.equal(data.toString(), 'ping');
      assert.deepEqual(from, me);
    };
    return [s, usable];
  }

  /** A connected Unix stream pair, and a checker that it still works. */
  function pair(): [bs.Socket, bs.Socket, () => void] {
    const [a, b] = bs.socketpair();
    track.add([a, b]);
    a.settimeout(5);
    b.settimeout(5);
    const usable = (): void => {
      a.sendallSync(Buffer.from('abc'));
      assert.equal(b.recvSync(3).toString(), 'abc');
    };
    return [a, b, usable];
  }

  describe('wrong types', () => {
    it('socket(), new Socket(), socketpair() and fromfd()', () => {
      for (const v of notNumbers) {
        refuses(() => bs.socket(v as number), TYPE, `socket(family=${String(v)})`);
        refuses(() => bs.socket(bs.AF_INET, v as number), TYPE, `socket(type=${String(v)})`);
        refuses(() => bs.socket(bs.AF_INET, bs.SOCK_STREAM, v as number), TYPE, `socket(proto=${String(v)})`);
        refuses(() => new bs.Socket(undefined, undefined, undefined, v as number), TYPE, `new Socket(fileno=${String(v)})`);
        refuses(() => bs.socketpair(v as number), TYPE, `socketpair(family=${String(v)})`);
        refuses(() => bs.socketpair(bs.AF_UNIX, v as number), TYPE, `socketpair(type=${String(v)})`);
        refuses(() => bs.fromfd(v as number), TYPE, `fromfd(${String(v)})`);
      }
      refuses(() => bs.fromfd(-1), RANGE, 'fromfd(-1)');
      refuses(() => bs.fromfd(1.5), RANGE, 'fromfd(1.5)');
      refuses(() => bs.socket(bs.AF_INET, 1.5), RANGE, 'socket(type=1.5)');
      refuses(() => bs.setdefaulttimeout('1' as unknown as number), TYPE, 'setdefaulttimeout("1")');
      assert.equal(bs.getdefaulttimeout(), null);
    });

    it('bind / connectSync / connectEx / sendtoSync addresses of the wrong shape', () => {
      const [s, usable] = udp();
      const t = track.add(bs.socket());
      const shapes: unknown[] = [
        ['127.0.0.1'], ['127.0.0.1', 80, 0], '127.0.0.1', '127.0.0.1:80', 80, null, undefined, {},
        { host: '127.0.0.1', port: 80 }, [80, '127.0.0.1'], [null, 80], ['127.0.0.1', '80'], ['127.0.0.1', null],
        Buffer.from('127.0.0.1'),
      ];
      for (const a of shapes) {
        const label = JSON.stringify(a) ?? String(a);
        refuses(() => t.bind(a as [string, number]), TYPE, `bind(${label})`);
        refuses(() => t.connectSync(a as [string, number]), TYPE, `connectSync(${label})`);
        refuses(() => t.connectEx(a as [string, number]), TYPE, `connectEx(${label})`);
        refuses(() => s.sendtoSync(buf, a as [string, number]), TYPE, `sendtoSync(buf, ${label})`);
        refuses(() => s.sendtoSync(buf, 0, a as [string, number]), TYPE, `sendtoSync(buf, 0, ${label})`);
      }
      const t6 = track.add(bs.socket(bs.AF_INET6));
      for (const a of [['::1'], ['::1', 0, 0, 0, 0], '::1', 6, ['::1', 0, '0'], ['::1', 0, 0, '0']]) {
        refuses(() => t6.bind(a as [string, number]), TYPE, `AF_INET6 bind(${JSON.stringify(a)})`);
      }
      const u = track.add(bs.socket(bs.AF_UNIX));
      for (const a of [42, ['/tmp/x'], null, {}]) {
        refuses(() => u.bind(a as string), TYPE, `AF_UNIX bind(${JSON.stringify(a)})`);
      }
      refuses(() => t.bind(['127.0.0.1\0', 0]), VALUE, 'a host with a NUL byte');
      refuses(() => u.bind('/tmp/a\0b'), VALUE, 'a Unix path with a NUL byte');
      usable();
      t.bind(['127.0.0.1', 0]);
      t6.bind(['::1', 0]);
      assert.equal((t6.getsockname() as unknown[])[0], '::1');
    });

    it('plain methods: listen, shutdown, setsockopt, getsockopt, setblocking, settimeout, setInheritable', () => {
      const [a, b, usable] = pair();
      for (const v of notNumbers) {
        refuses(() => a.listen(v as number), TYPE, `listen(${String(v)})`);
        refuses(() => a.shutdown(v as number), TYPE, `shutdown(${String(v)})`);
        refuses(() => a.setsockopt(v as number, bs.SO_REUSEADDR, 1), TYPE, `setsockopt(level=${String(v)})`);
        refuses(() => a.setsockopt(bs.SOL_SOCKET, v as number, 1), TYPE, `setsockopt(name=${String(v)})`);
        refuses(() => a.getsockopt(v as number, bs.SO_TYPE), TYPE, `getsockopt(level=${String(v)})`);
        refuses(() => a.getsockopt(bs.SOL_SOCKET, v as number), TYPE, `getsockopt(name=${String(v)})`);
        refuses(() => a.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, v as number), TYPE, `getsockopt(buflen=${String(v)})`);
      }
      for (const v of ['1', {}, null, undefined, [1], 1n]) {
        refuses(() => a.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, v as number), TYPE, `setsockopt(value=${String(v)})`);
      }
      refuses(() => a.setsockopt(bs.SOL_SOCKET, bs.SO_RCVBUF, 1.5), RANGE, 'setsockopt(value=1.5)');
      refuses(() => a.setsockopt(bs.SOL_SOCKET, bs.SO_RCVBUF, 2 ** 33), RANGE, 'setsockopt(value=2**33)');
      refuses(() => a.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, 0), RANGE, 'getsockopt(buflen=0)');
      refuses(() => a.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, -8), RANGE, 'getsockopt(buflen=-8)');
      refuses(() => a.shutdown(1.5), RANGE, 'shutdown(1.5)');
      for (const v of notBooleans) {
        refuses(() => a.setblocking(v as boolean), TYPE, `setblocking(${String(v)})`);
        refuses(() => a.setInheritable(v as boolean), TYPE, `setInheritable(${String(v)})`);
      }
      assert.equal(a.gettimeout(), 5, 'the mode did not change');
      assert.equal(a.getInheritable(), false);
      for (const v of ['1', {}, [], true, 1n]) {
        refuses(() => a.settimeout(v as number), TYPE, `settimeout(${String(v)})`);
      }
      usable();
      void b;
    });

    it('send and receive methods', () => {
      const [a, b, usable] = pair();
      for (const v of notBytes) {
        refuses(() => a.sendSync(v as Buffer), TYPE, `sendSync(${String(v)})`);
        refuses(() => a.sendallSync(v as Buffer), TYPE, `sendallSync(${String(v)})`);
        refuses(() => b.recvIntoSync(v as Buffer), TYPE, `recvIntoSync(${String(v)})`);
        refuses(() => b.recvfromIntoSync(v as Buffer), TYPE, `recvfromIntoSync(${String(v)})`);
      }
      for (const v of notNumbers) {
        refuses(() => a.sendSync(buf, v as number), TYPE, `sendSync(flags=${String(v)})`);
        refuses(() => a.sendallSync(buf, v as number), TYPE, `sendallSync(flags=${String(v)})`);
        refuses(() => b.recvSync(v as number), TYPE, `recvSync(bufsize=${String(v)})`);
        refuses(() => b.recvSync(4, v as number), TYPE, `recvSync(flags=${String(v)})`);
        refuses(() => b.recvfromSync(v as number), TYPE, `recvfromSync(bufsize=${String(v)})`);
        refuses(() => b.recvfromSync(4, v as number), TYPE, `recvfromSync(flags=${String(v)})`);
        refuses(() => b.recvIntoSync(buf, v as number), TYPE, `recvIntoSync(nbytes=${String(v)})`);
        refuses(() => b.recvIntoSync(buf, 4, v as number), TYPE, `recvIntoSync(flags=${String(v)})`);
        refuses(() => b.recvfromIntoSync(buf, v as number), TYPE, `recvfromIntoSync(nbytes=${String(v)})`);
      }
      const [u, uUsable] = udp();
      const me = u.getsockname() as [string, number];
      for (const v of notBytes) refuses(() => u.sendtoSync(v as Buffer, me), TYPE, `sendtoSync(${String(v)})`);
      refuses(() => u.sendtoSync(buf, '0' as unknown as number, me), TYPE, 'sendtoSync(flags="0")');
      // Nothing was sent by any refused call.
      b.setblocking(false);
      u.setblocking(false);
      assert.throws(() => b.recvSync(10), bs.BlockingIOError);
      assert.throws(() => u.recvfromSync(10), bs.BlockingIOError);
      b.settimeout(5);
      u.settimeout(5);
      usable();
      uUsable();
    });
  });

  describe('cached addresses', () => {
    it('a shape refused before is still refused after the same numbers were used correctly', () => {
      const [u, usable] = udp();
      const [host, port] = u.getsockname() as [string, number];
      const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      const impostors: unknown[] = [`${host} ${port}`, [`${host} ${port}`], [`${host} ${port} 0`]];
      for (const a of impostors) refuses(() => s.sendtoSync(buf, a as bs.InetAddress), TYPE, `before: ${JSON.stringify(a)}`);
      assert.equal(s.sendtoSync(Buffer.from('ok'), [host, port]), 2);  // now [host, port] is cached
      for (const a of impostors) {
        refuses(() => s.sendtoSync(buf, a as bs.InetAddress), TYPE, `after: ${JSON.stringify(a)}`);
        refuses(() => s.connectSync(a as bs.InetAddress), TYPE, `connectSync after: ${JSON.stringify(a)}`);
      }
      u.setblocking(false);
      assert.equal(u.recvfromSync(10)[0].toString(), 'ok');
      assert.throws(() => u.recvfromSync(10), bs.BlockingIOError, 'only the one valid datagram arrived');
      u.settimeout(5);
      usable();
      // IPv6: [host, port] cached must not make ['host port'] valid either.
      const v6 = track.add(bs.socket(bs.AF_INET6, bs.SOCK_DGRAM));
      v6.bind(['::1', 0]);
      const [, p6] = v6.getsockname();
      v6.sendtoSync(Buffer.from('x'), ['::1', p6]);
      refuses(() => v6.sendtoSync(buf, [`::1 ${p6}`] as unknown as bs.Inet6Address), TYPE, 'IPv6 impostor');
    });
  });

  describe('ports', () => {
    const badPorts = [-1, 65536, 1.5, NaN, Infinity, -Infinity, 2 ** 32];
    it('-1, 65536, 1.5, NaN… are refused by bind, connectSync, connectEx and sendtoSync, for IPv4 and IPv6', () => {
      const [u, usable] = udp();
      const t = track.add(bs.socket());
      const t6 = track.add(bs.socket(bs.AF_INET6));
      for (const p of badPorts) {
        refuses(() => t.bind(['127.0.0.1', p]), PORT, `bind port ${p}`);
        refuses(() => t.connectSync(['127.0.0.1', p]), PORT, `connectSync port ${p}`);
        refuses(() => t.connectEx(['127.0.0.1', p]), PORT, `connectEx port ${p}`);
        refuses(() => u.sendtoSync(buf, ['127.0.0.1', p]), PORT, `sendtoSync port ${p}`);
        refuses(() => t6.bind(['::1', p]), PORT, `AF_INET6 bind port ${p}`);
        refuses(() => t6.connectSync(['::1', p, 0, 0]), PORT, `AF_INET6 connectSync port ${p}`);
      }
      usable();
      t.bind(['127.0.0.1', 0]);
      t6.bind(['::1', 0]);
    });

    it('0 and 65535 are valid ports', () => {
      const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      s.settimeout(5);
      s.bind(['127.0.0.1', 0]);
      // Sending to port 65535 on loopback is valid (nothing listens; UDP does not care).
      assert.equal(s.sendtoSync(Buffer.from('x'), ['127.0.0.1', 65535]), 1);
    });
  });

  describe('IPv6 flowinfo and scope id', () => {
    it('flowinfo > 0xfffff or negative, scopeId out of range → RangeError ERR_OUT_OF_RANGE', () => {
      const t6 = track.add(bs.socket(bs.AF_INET6, bs.SOCK_DGRAM));
      refuses(() => t6.bind(['::1', 0, 0x100000, 0]), RANGE, 'flowinfo 0x100000');
      refuses(() => t6.bind(['::1', 0, -1, 0]), RANGE, 'flowinfo -1');
      refuses(() => t6.bind(['::1', 0, 1.5, 0]), RANGE, 'flowinfo 1.5');
      refuses(() => t6.bind(['::1', 0, 0, -1]), RANGE, 'scopeId -1');
      refuses(() => t6.bind(['::1', 0, 0, 2 ** 32]), RANGE, 'scopeId 2**32');
      refuses(() => t6.sendtoSync(buf, ['::1', 9, 0x100000, 0]), RANGE, 'sendto flowinfo 0x100000');
      t6.bind(['::1', 0, 0xfffff, 0]);
      const name = t6.getsockname() as [string, number, number, number];
      assert.equal(name[0], '::1');
      assert.equal(name.length, 4);
    });
  });

  describe('Unix paths', () => {
    it('a path longer than sun_path (108 bytes) → RangeError ERR_OUT_OF_RANGE; 108 bytes exactly works', () => {
      const dir = tempDir();
      const u = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      const pad = (n: number): string => {
        const base = dir + path.sep;
        return base + 'x'.repeat(n - Buffer.byteLength(base));
      };
      const p109 = pad(109);
      assert.equal(Buffer.byteLength(p109), 109);
      refuses(() => u.bind(p109), RANGE, 'bind 109 bytes');
      refuses(() => u.connectSync(p109), RANGE, 'connectSync 109 bytes');
      refuses(() => u.connectEx(p109), RANGE, 'connectEx 109 bytes');
      refuses(() => u.sendtoSync(buf, p109), RANGE, 'sendtoSync 109 bytes');
      refuses(() => u.bind(Buffer.alloc(109, 0x61)), RANGE, 'bind a 109-byte Buffer');
      refuses(() => u.bind('\0' + 'a'.repeat(108)), RANGE, 'an abstract name of 109 bytes');
      // Multi-byte characters count as bytes: 55 × 'é' is 110 bytes.
      refuses(() => u.bind(dir + '/' + 'é'.repeat(55)), RANGE, 'UTF-8 bytes are counted');

      const p108 = pad(108);
      u.bind(p108);
      assert.equal(u.getsockname(), p108);
      const c = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      c.settimeout(5);
      c.sendtoSync(Buffer.from('hi'), p108);
      u.settimeout(5);
      const [data] = u.recvfromSync(10);
      assert.equal(data.toString(), 'hi');
    });

    it('an abstract name of 108 bytes (NUL + 107) works', () => {
      const name = Buffer.concat([Buffer.from([0]), Buffer.from(`bsd-sockets-${process.pid}-`.padEnd(107, 'z'))]);
      assert.equal(name.length, 108);
      const u = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
      u.bind(name);
      assert.deepEqual(u.getsockname(), name);
    });
  });

  describe('sizes', () => {
    it('nbytes larger than the buffer, or negative → RangeError ERR_OUT_OF_RANGE', () => {
      const [a, b, usable] = pair();
      const [u, uUsable] = udp();
      const small = Buffer.alloc(8);
      for (const n of [9, 1000, -1, 1.5, NaN, Infinity]) {
        refuses(() => b.recvIntoSync(small, n), RANGE, `recvIntoSync nbytes ${n}`);
        refuses(() => u.recvfromIntoSync(small, n), RANGE, `recvfromIntoSync nbytes ${n}`);
      }
      // A view into a larger ArrayBuffer: the limit is the view's length, not the backing store's.
      const view = new Uint8Array(new ArrayBuffer(64), 8, 8);
      refuses(() => b.recvIntoSync(view, 9), RANGE, 'recvIntoSync on a view, nbytes 9');
      a.sendallSync(Buffer.from('0123456789'));
      assert.equal(b.recvIntoSync(view, 8), 8);
      assert.equal(Buffer.from(view).toString(), '01234567');
      assert.equal(Buffer.from(view.buffer, 0, 8).every((x) => x === 0), true, 'nothing written before the view');
      assert.equal(Buffer.from(view.buffer, 16).every((x) => x === 0), true, 'nothing written after the view');
      assert.equal(b.recvSync(2).toString(), '89');
      usable();
      uUsable();
    });

    it('negative bufsize → RangeError ERR_OUT_OF_RANGE; bufsize 0 is allowed', () => {
      const [, b, usable] = pair();
      const [u, uUsable] = udp();
      for (const n of [-1, -1024, 1.5, NaN, Infinity]) {
        refuses(() => b.recvSync(n), RANGE, `recvSync ${n}`);
        refuses(() => u.recvfromSync(n), RANGE, `recvfromSync ${n}`);
      }
      // bufsize 0 takes (and truncates) one datagram.
      const me = u.getsockname() as [string, number];
      u.sendtoSync(Buffer.from('gone'), me);
      const [empty, from] = u.recvfromSync(0);
      assert.equal(empty.length, 0);
      assert.deepEqual(from, me);
      usable();
      uUsable();
    });
  });

  describe('timeouts', () => {
    it('negative, NaN, Infinity → RangeError; strings → TypeError; for settimeout and setdefaulttimeout', () => {
      const [a, , usable] = pair();
      for (const t of [-1, -0.001, NaN, Infinity, -Infinity]) {
        refuses(() => a.settimeout(t), RANGE, `settimeout(${t})`);
        refuses(() => bs.setdefaulttimeout(t), RANGE, `setdefaulttimeout(${t})`);
      }
      for (const t of ['1', '', {}, [], true]) {
        refuses(() => a.settimeout(t as unknown as number), TYPE, `settimeout(${JSON.stringify(t)})`);
        refuses(() => bs.setdefaulttimeout(t as unknown as number), TYPE, `setdefaulttimeout(${JSON.stringify(t)})`);
      }
      assert.equal(a.gettimeout(), 5, 'timeout unchanged');
      assert.equal(bs.getdefaulttimeout(), null, 'default unchanged');
      usable();
    });
  });

  it('stack traces of argument errors start in the caller, not in the package', () => {
    const s = track.add(bs.socket());
    const libDir = path.join(__dirname, '..', 'lib') + path.sep;
    for (const fn of [() => s.bind(['127.0.0.1', -1]), () => s.bind('x' as never), () => s.recvSync(-1),
      () => s.settimeout(NaN), () => s.setblocking(1 as never), () => s.sendSync('x' as never)]) {
      let error: Error | undefined;
      try { fn(); } catch (e) { error = e as Error; }
      assert.ok(error, 'no error thrown');
      const lines = String(error.stack).split('\n');
      const firstFrame = lines.find((line, i) => i > 0 && /^\s+at /.test(line));
      assert.ok(firstFrame?.includes(path.basename(__filename)), `first frame: ${firstFrame}`);
      assert.ok(!lines.some((line) => line.includes(libDir)), `a package frame remains:\n${error.stack}`);
    }
  });

  it('the whole suite leaked nothing and every refused socket is still open', () => {
    const s = track.add(bs.socket());
    const before = countOpenFds();
    refuses(() => s.bind(['127.0.0.1', -1]), PORT, 'one more');
    s.bind(['127.0.0.1', 0]);
    s.listen();
    assert.equal(countOpenFds(), before);
  });
});
