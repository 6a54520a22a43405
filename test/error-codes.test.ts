// Error codes, the errno table, lookup error classes and messages (issue 11), with Python's errno
// and socket modules and Node's own messages as the oracles.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bs from '../lib';
import { socketError, timeoutError } from '../lib/errors';
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
    assert.equal(timeoutError('recv').message, 'recv ETIMEDOUT');
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
