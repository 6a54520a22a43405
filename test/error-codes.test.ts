// Error codes, the errno table, lookup error classes and messages (issue 11), with Python's errno
// and socket modules and Node's own messages as the oracles.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import * as bs from '../lib';
import { socketError, timeoutError } from '../lib/binding/errors';
import { runPythonScript, tempDir, Tracker } from './helpers';

/** The errno table read by a name known only at run time. */
const errnoByName: Readonly<Record<string, number | undefined>> = bs.errno;

const nodeErrno = os.constants.errno as Record<string, number>;

/** Python's errno.errorcode for 1..133 and every E* name of its errno module. */
const py = JSON.parse(runPythonScript(`
import errno, json
print(json.dumps({
  'errorcode': {n: errno.errorcode.get(n) for n in range(1, 134)},
  'names': {k: getattr(errno, k) for k in dir(errno) if k.startswith('E')},
}))`)) as { errorcode: Record<string, string | null>; names: Record<string, number> };

/** The error Node's own net module gives for a connect to `target`. */
function nodeConnectError(target: net.NetConnectOpts): Promise<Error> {
  return new Promise((resolve) => net.connect(target).on('error', resolve));
}

describe('error codes and the errno table', () => {
  it('the code of every errno 1..133 is Python\'s name wherever os.constants.errno has that name', () => {
    for (let n = 1; n <= 133; n++) {
      const pyName = py.errorcode[n];
      const code = socketError(n, 'test').code;
      if (pyName && nodeErrno[pyName] === n) assert.equal(code, pyName, `errno ${n}`);
    }
  });

  it('the code is a name os.constants.errno has wherever it has one for that number', () => {
    for (let n = 1; n <= 133; n++) {
      const error = socketError(n, 'test');
      const nodeNames = Object.keys(nodeErrno).filter((name) => nodeErrno[name] === n);
      if (nodeNames.length > 0) {
        assert.ok(nodeNames.includes(error.code), `errno ${n} is coded ${error.code}, not one of ${nodeNames}`);
        assert.equal(nodeErrno[error.code], error.errno);
      }
    }
  });

  it('the exported errno table has every alias: all of Python\'s errno names and all of os.constants.errno', () => {
    for (const [name, value] of Object.entries(py.names)) assert.equal(errnoByName[name], value, name);
    for (const [name, value] of Object.entries(nodeErrno)) assert.equal(errnoByName[name], value, name);
    for (const alias of ['EWOULDBLOCK', 'EOPNOTSUPP', 'EDEADLK']) assert.equal(typeof errnoByName[alias], 'number', alias);
    assert.ok(Object.isFrozen(bs.errno));
  });
});

describe('lookup errors are SocketErrors', () => {
  it('GaiError: instanceof SocketError and Error, EAI_* code and Python\'s errno, message names the host', () => {
    const want = JSON.parse(runPythonScript(`
import socket, json

try:
    socket.getaddrinfo('nosuchhost', 80, 0, 0, 0, socket.AI_NUMERICHOST)
except socket.gaierror as e:
    print(json.dumps([isinstance(e, OSError), e.errno]))`)) as [boolean, number];
    let error: unknown;
    try {
      bs.getaddrinfoSync('nosuchhost', 80, 0, 0, 0, bs.AI_NUMERICHOST);
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof bs.GaiError);
    assert.equal(error instanceof bs.SocketError, want[0]);
    assert.ok(error instanceof Error);
    assert.equal(error.errno, want[1]);
    assert.equal(error.code, 'EAI_NONAME');
    assert.equal(error.syscall, 'getaddrinfo');
    assert.equal(error.name, 'GaiError');
    assert.equal(error.message, 'getaddrinfo EAI_NONAME nosuchhost');
  });

  it('GaiError from the Promise getaddrinfo and from getnameinfo name what was looked up', async () => {
    await assert.rejects(bs.getaddrinfo('nosuchhost', 80, 0, 0, 0, bs.AI_NUMERICHOST), (e: unknown) =>
      e instanceof bs.SocketError && e instanceof bs.GaiError && e.message === 'getaddrinfo EAI_NONAME nosuchhost');
    assert.throws(() => bs.getnameinfoSync(['nosuchhost', 80], 0), (e: unknown) =>
      e instanceof bs.SocketError && e instanceof bs.GaiError && e.message === 'getnameinfo EAI_NONAME nosuchhost:80');
  });

  it('HostError: instanceof SocketError and Error, as Python\'s herror is an OSError', () => {
    const herrorIsOSError = runPythonScript('import socket; print(issubclass(socket.herror, OSError))').trim();
    assert.equal(herrorIsOSError, 'True');
    const error = new bs.HostError(1, 'HOST_NOT_FOUND', 'Unknown host', 'gethostbyaddr', '192.0.2.1');
    assert.ok(error instanceof bs.SocketError);
    assert.ok(error instanceof Error);
    assert.equal(error.code, 'HOST_NOT_FOUND');
    assert.equal(error.errno, 1);
    assert.equal(error.name, 'HostError');
    assert.equal(error.message, 'gethostbyaddr HOST_NOT_FOUND 192.0.2.1');
  });
});

describe('messages read like Node\'s', () => {
  const track = new Tracker().install();

  /** A loopback port (of `family`) that refuses connections: bound, not listening. */
  function refusing(family: number, host: string): number {
    const s = track.add(bs.socket(family, bs.SOCK_STREAM));
    s.bind([host, 0]);
    return (s.getsockname() as [string, number])[1];
  }

  it('connect ECONNREFUSED 127.0.0.1:port, word for word as Node says it', async () => {
    const port = refusing(bs.AF_INET, '127.0.0.1');
    const c = track.add(bs.socket(bs.AF_INET));
    const error = (() => { try { c.connectSync(['127.0.0.1', port]); } catch (e) { return e as Error; } })();
    assert.equal(error?.message, (await nodeConnectError({ host: '127.0.0.1', port })).message);
    assert.equal(error?.message, `connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it('IPv6 addresses as Node prints them (connect ECONNREFUSED ::1:port)', async function () {
    if (!bs.hasDualstackIpv6() && os.networkInterfaces().lo?.every((i) => i.family !== 'IPv6')) this.skip();
    const port = refusing(bs.AF_INET6, '::1');
    const c = track.add(bs.socket(bs.AF_INET6));
    const error = (() => { try { c.connectSync(['::1', port]); } catch (e) { return e as Error; } })();
    assert.equal(error?.message, (await nodeConnectError({ host: '::1', port })).message);
  });

  it('Unix paths as the path (connect ENOENT /path)', async () => {
    const missing = path.join(tempDir(), 'missing.sock');
    const c = track.add(bs.socket(bs.AF_UNIX));
    const error = (() => { try { c.connectSync(missing); } catch (e) { return e as Error; } })();
    assert.equal(error?.message, (await nodeConnectError({ path: missing })).message);
  });

  it('timeoutError(syscall, address) reads connect ETIMEDOUT 10.0.0.1:80', () => {
    const error = timeoutError('connect', ['10.0.0.1', 80]);
    assert.ok(error instanceof bs.TimeoutError);
    assert.equal(error.message, 'connect ETIMEDOUT 10.0.0.1:80');
    assert.equal(error.code, 'ETIMEDOUT');
    assert.deepEqual(error.address, ['10.0.0.1', 80]);
    assert.equal(timeoutError('recv').message, 'recv ETIMEDOUT: connection timed out');
  });

  it('a wrong-length packed address says the length expected and the length given', () => {
    const cases: Array<[() => unknown, number]> = [
      [() => bs.inet_ntop(bs.AF_INET, Buffer.alloc(5)), 4],
      [() => bs.inet_ntop(bs.AF_INET6, Buffer.alloc(5)), 16],
      [() => bs.inet_ntoa(Buffer.alloc(5)), 4],
    ];
    for (const [fn, expected] of cases) {
      assert.throws(fn, (e: unknown) => {
        const error = e as Error & { code: string };
        assert.equal(error.code, 'ERR_INVALID_ARG_VALUE');
        assert.match(error.message, new RegExp(`must be ${expected} bytes long`));
        assert.match(error.message, /got 5 bytes/);
        return true;
      });
    }
  });
});

describe('errors users match on (issue 23)', () => {
  const track = new Tracker().install();

  /** Python's number, exception class and strerror for each errno name, and its getaddrinfo failure. */
  const oracle = JSON.parse(runPythonScript(`
import errno, json, os, socket
names = ['ESOCKTNOSUPPORT', 'ESHUTDOWN', 'EHOSTDOWN', 'EPFNOSUPPORT', 'ETOOMANYREFS', 'EDESTADDRREQ', 'ENODEV']
try:
    socket.getaddrinfo('x', None, 0, 0, 0, socket.AI_NUMERICHOST)
    gai = None
except socket.gaierror as e:
    gai = e.errno
s = socket.socket()
s.settimeout(-0.0)
print(json.dumps({
  'errno': {n: getattr(errno, n) for n in names},
  'cls': {n: type(OSError(getattr(errno, n), 'x')).__name__ for n in names},
  'words': {n: os.strerror(getattr(errno, n)) for n in names},
  'gai': gai,
  'timeout': s.gettimeout(),
}))`)) as { errno: Record<string, number>; cls: Record<string, string>; words: Record<string, string>; gai: number; timeout: number };

  /** strerror's words as the message carries them: the first letter in lower case. */
  const words = (name: string): string => oracle.words[name][0].toLowerCase() + oracle.words[name].slice(1);

  /** What `promise` rejected with. */
  async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
    try {
      await promise;
    } catch (error) {
      return error as Error & { code?: string };
    }
    return assert.fail('expected a rejection');
  }

  /** The AbortError Node's own timers/promises gives for `signal`: the oracle of the shape. */
  const nodeAbort = (signal: AbortSignal): Promise<Error & { code?: string }> => rejection(sleep(60_000, undefined, { signal }));

  function assertLikeNode(ours: Error & { code?: string }, node: Error & { code?: string }): void {
    assert.equal(ours.name, 'AbortError');
    assert.equal(ours.code, 'ABORT_ERR');
    assert.ok(ours instanceof Error);
    assert.deepEqual([ours.name, ours.code, ours.message], [node.name, node.code, node.message]);
    assert.equal(ours.cause, node.cause, 'the cause is the signal\'s reason, as Node\'s');
  }

  it('an abort with a reason rejects with an AbortError whose cause is the reason, as Node\'s own', async () => {
    const [a] = track.add(bs.socketpair());
    const controller = new AbortController();
    const ours = rejection(a.recv(10, 0, { signal: controller.signal }));
    const node = nodeAbort(controller.signal);
    const reason = new Error('stop');
    controller.abort(reason);
    assertLikeNode(await ours, await node);
    assert.equal((await ours).cause, reason);
    const early = await rejection(a.recv(10, 0, { signal: AbortSignal.abort(reason) }));
    assertLikeNode(early, await nodeAbort(AbortSignal.abort(reason)));
    assert.equal(early.cause, reason);
  });

  it('an abort without a reason: the cause is the signal\'s own AbortError reason', async () => {
    const [a] = track.add(bs.socketpair());
    const controller = new AbortController();
    const ours = rejection(bs.select([a], [], [], null, { signal: controller.signal }));
    const node = nodeAbort(controller.signal);
    controller.abort();
    assertLikeNode(await ours, await node);
    assert.equal((await ours).cause, controller.signal.reason);
  });

  it('AbortSignal.timeout(): an AbortError whose cause is the TimeoutError reason', async () => {
    const [a] = track.add(bs.socketpair());
    const signal = AbortSignal.timeout(30);
    const [ours, node] = await Promise.all([rejection(a.recv(10, 0, { signal })), nodeAbort(signal)]);
    assertLikeNode(ours, node);
    assert.equal((ours.cause as Error).name, 'TimeoutError');
  });

  it('send EDESTADDRREQ: destination address required (the plain words after the code)', () => {
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    const error = (() => { try { s.sendSync(Buffer.from('x')); } catch (e) { return e as bs.SocketError; } })();
    assert.ok(error instanceof bs.SocketError);
    assert.equal(error.errno, oracle.errno.EDESTADDRREQ);
    assert.equal(error.message, `send EDESTADDRREQ: ${words('EDESTADDRREQ')}`);
    assert.equal(error.message, 'send EDESTADDRREQ: destination address required');
  });

  it('bind EADDRINUSE reads as Node\'s listen EADDRINUSE, words and address', async () => {
    const s = track.add(bs.socket());
    s.bind(['127.0.0.1', 0]);
    s.listen();
    const port = (s.getsockname() as [string, number])[1];
    const t = track.add(bs.socket());
    const ours = (() => { try { t.bind(['127.0.0.1', port]); } catch (e) { return e as Error; } })();
    const node = await new Promise<Error>((resolve) => net.createServer().listen(port, '127.0.0.1').on('error', resolve));
    assert.equal(ours?.message, node.message.replace(/^listen /, 'bind '));
    assert.equal(ours?.message, `bind EADDRINUSE: address already in use 127.0.0.1:${port}`);
  });

  it('socket ESOCKTNOSUPPORT says what is not supported, with Python\'s errno', () => {
    const error = (() => { try { bs.socket(bs.AF_INET, bs.SOCK_SEQPACKET); } catch (e) { return e as bs.SocketError; } })();
    assert.ok(error instanceof bs.SocketError, 'socket(AF_INET, SOCK_SEQPACKET) did not fail');
    assert.equal(error.code, 'ESOCKTNOSUPPORT');
    assert.equal(error.errno, oracle.errno.ESOCKTNOSUPPORT);
    assert.equal(error.message, `socket ESOCKTNOSUPPORT: ${words('ESOCKTNOSUPPORT')}`);
  });

  for (const name of ['ESOCKTNOSUPPORT', 'ESHUTDOWN', 'EHOSTDOWN', 'EPFNOSUPPORT', 'ETOOMANYREFS']) {
    it(`${name}, which os.constants.errno lacks: the platform's number, its code, Python's class`, () => {
      const value = oracle.errno[name];
      assert.equal(errnoByName[name], value);
      const error = socketError(value, 'send');
      assert.equal(error.code, name);
      assert.equal(error.errno, value);
      const expected = oracle.cls[name] === 'OSError' ? 'SocketError' : oracle.cls[name];
      assert.equal(error.name, expected, `Python makes ${name} a ${oracle.cls[name]}`);
      assert.equal(error.constructor.name, expected);
      assert.equal(error.message, `send ${name}: ${words(name)}`);
    });
  }

  it('GaiError.errno is the EAI_* value as Python\'s gaierror.errno (no lookup: AI_NUMERICHOST)', () => {
    const error = (() => {
      try { bs.getaddrinfoSync('x', null, 0, 0, 0, bs.AI_NUMERICHOST); } catch (e) { return e as bs.GaiError; }
    })();
    assert.ok(error instanceof bs.GaiError);
    assert.equal(error.code, 'EAI_NONAME');
    assert.equal(error.errno, oracle.gai);
  });

  it('HostError.errno is the h_errno value, and no errno class claims it', () => {
    const error = new bs.HostError(1, 'HOST_NOT_FOUND', 'Unknown host', 'gethostbyname', 'x');
    assert.equal(error.errno, 1);
    assert.equal(error.code, 'HOST_NOT_FOUND');
    assert.ok(!(error instanceof bs.PermissionError), 'h_errno 1 is not EPERM');
  });

  it('inet_ntoa with 3 bytes says "packed IP wrong length for inet_ntoa" once, after the lengths', () => {
    const error = (() => { try { bs.inet_ntoa(Buffer.alloc(3)); } catch (e) { return e as Error & { code: string }; } })();
    assert.equal(error?.code, 'ERR_INVALID_ARG_VALUE');
    assert.equal(error.message.split('packed IP wrong length for inet_ntoa').length, 2);
    assert.match(error.message, /^The argument 'packed' must be 4 bytes long \(got 3 bytes\): packed IP wrong length for inet_ntoa\. Received /);
  });

  it('an AF_PACKET bind to an unknown interface fails as bind, with Python\'s errno', function () {
    if (bs.AF_PACKET === undefined) return this.skip();
    let s: bs.Socket;
    try {
      s = track.add(bs.socket(bs.AF_PACKET, bs.SOCK_RAW));
    } catch (error) {
      console.log(`      skipped: AF_PACKET needs root (${(error as Error).message})`);
      return this.skip();
    }
    const error = (() => { try { s.bind(['nosuchif0', 0]); } catch (e) { return e as bs.SocketError; } })();
    assert.ok(error instanceof bs.SocketError);
    assert.equal(error.syscall, 'bind');
    assert.equal(error.errno, oracle.errno.ENODEV);
    assert.equal(error.code, 'ENODEV');
    assert.ok(!error.message.includes('getsockaddrarg'), error.message);
    assert.match(error.message, /^bind ENODEV: /);
  });

  it('settimeout(-0) and setdefaulttimeout(-0) read back as 0, as Python\'s', () => {
    const s = track.add(bs.socket());
    s.settimeout(-0);
    assert.ok(Object.is(s.gettimeout(), oracle.timeout), `got ${Object.is(s.gettimeout(), -0) ? '-0' : s.gettimeout()}`);
    assert.ok(Object.is(s.gettimeout(), 0));
    const before = bs.getdefaulttimeout();
    try {
      bs.setdefaulttimeout(-0);
      assert.ok(Object.is(bs.getdefaulttimeout(), 0));
    } finally {
      bs.setdefaulttimeout(before);
    }
  });
});
