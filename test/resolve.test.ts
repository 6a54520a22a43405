// Names and numbers, checked against Python's socket module as the oracle. Only 'localhost' and
// numeric literals are ever resolved: the tests must not depend on DNS.
import * as assert from 'node:assert/strict';
import { features } from '../lib/modules/features';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  getaddrinfo, getaddrinfoSync, getnameinfo, getnameinfoSync, gethostname,
  gethostbyname, gethostbynameSync, gethostbynameEx, gethostbynameExSync, gethostbyaddr, gethostbyaddrSync,
  getservbyname, getservbyport, getprotobyname,
} from '../lib/input/resolve';
import { GaiError, HostError, SocketError } from '../lib/binding/errors';
import { native } from '../lib/binding/native';
import { evalInPython, type PyError, type PyResult } from './python-oracle';

const C = native.constants;
const { AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, AI_NUMERICHOST, AI_CANONNAME, AI_PASSIVE } = C;
const { NI_NUMERICHOST, NI_NUMERICSERV } = C;

function pyOk(result: PyResult): unknown {
  assert.ok('ok' in result, `Python raised ${JSON.stringify(result)}`);
  return result.ok;
}

function pyError(result: PyResult): PyError {
  assert.ok('error' in result, `Python did not raise: ${JSON.stringify(result)}`);
  return result;
}

/** Asserts that error is a GaiError for the same EAI_* value as Python's gaierror. */
function sameGaiError(error: unknown, expected: PyResult, code?: string): true {
  const py = pyError(expected);
  assert.equal(py.error, 'gaierror');
  assert.ok(error instanceof GaiError, `expected a GaiError, got ${error}`);
  assert.equal(error.errno, py.errno);
  assert.equal(C[error.code], error.errno);
  if (code !== undefined) assert.equal(error.code, code);
  return true;
}

describe('resolve: getaddrinfo against Python', () => {
  const CASES: Array<[string, Parameters<typeof getaddrinfoSync>]> = [
    ['"localhost", 80, socket.AF_INET, socket.SOCK_STREAM', ['localhost', 80, AF_INET, SOCK_STREAM]],
    ['"127.0.0.1", 80, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST', ['127.0.0.1', 80, AF_INET, SOCK_STREAM, 0, AI_NUMERICHOST]],
    ['"127.0.0.1", "http", 0, socket.SOCK_STREAM', ['127.0.0.1', 'http', 0, SOCK_STREAM]],
    ['"127.0.0.1", "8080", 0, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST', ['127.0.0.1', '8080', 0, SOCK_DGRAM, 0, AI_NUMERICHOST]],
    ['"127.1", None, socket.AF_INET, socket.SOCK_STREAM', ['127.1', null, AF_INET, SOCK_STREAM]],
    ['"127.0.0.1", 0, socket.AF_INET, 0, 0, socket.AI_NUMERICHOST', ['127.0.0.1', 0, AF_INET, 0, 0, AI_NUMERICHOST]],
    ['"::1", 443, socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST', ['::1', 443, AF_INET6, SOCK_STREAM, 0, AI_NUMERICHOST]],
    ['"::1", "http", socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST | socket.AI_CANONNAME', ['::1', 'http', AF_INET6, SOCK_STREAM, 0, AI_NUMERICHOST | AI_CANONNAME]],
    ['"2001:db8::1", 53, 0, socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST', ['2001:db8::1', 53, 0, SOCK_DGRAM, 0, AI_NUMERICHOST]],
    ['"fe80::1%lo", 80, socket.AF_INET6, socket.SOCK_STREAM', ['fe80::1%lo', 80, AF_INET6, SOCK_STREAM]],
    ['"localhost", 80, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_CANONNAME', ['localhost', 80, AF_INET, SOCK_STREAM, 0, AI_CANONNAME]],
    ['None, 8000, socket.AF_INET, socket.SOCK_STREAM, 0, socket.AI_PASSIVE', [null, 8000, AF_INET, SOCK_STREAM, 0, AI_PASSIVE]],
    ['None, 8000, socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_PASSIVE', [null, 8000, AF_INET6, SOCK_STREAM, 0, AI_PASSIVE]],
    ['"localhost", None, socket.AF_INET', ['localhost', null, AF_INET]],
  ];
  let expected: PyResult[];
  before(() => {
    expected = evalInPython(CASES.map(([args]) => `socket.getaddrinfo(${args})`));
  });

  it('getaddrinfoSync gives Python\'s list, in the same order and shapes', () => {
    CASES.forEach(([pyArgs, args], i) => {
      const want = pyOk(expected[i]);
      const got = getaddrinfoSync(...args);
      assert.deepEqual(got, want, `getaddrinfo(${pyArgs})`);
      assert.ok(got.length > 0);
    });
  });

  it('getaddrinfo (the Promise form) gives the same', async () => {
    const results = await Promise.all(CASES.map(([, args]) => getaddrinfo(...args)));
    results.forEach((got, i) => assert.deepEqual(got, pyOk(expected[i]), `getaddrinfo(${CASES[i][0]})`));
  });

  it('returns a pending Promise at once and never throws synchronously', async () => {
    let settled = false;
    const pending = getaddrinfo('localhost', 80, AF_INET, SOCK_STREAM).then((r) => { settled = true; return r; });
    assert.ok(pending instanceof Promise);
    assert.equal(settled, false);
    assert.deepEqual((await pending)[0][4], ['127.0.0.1', 80]);
    const bad = getaddrinfo(42 as unknown as string, 80);
    assert.ok(bad instanceof Promise);
    await assert.rejects(bad, { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('canonname is empty unless AI_CANONNAME is given', () => {
    assert.equal(getaddrinfoSync('localhost', 80, AF_INET, SOCK_STREAM)[0][3], '');
    assert.equal(getaddrinfoSync('localhost', 80, AF_INET, SOCK_STREAM, 0, AI_CANONNAME)[0][3], 'localhost');
  });

  it('failures are GaiError with Python\'s EAI_* value', async () => {
    const failing: Array<[string, Parameters<typeof getaddrinfoSync>, string]> = [
      ['"localhost", None, 0, 0, 0, socket.AI_NUMERICHOST', ['localhost', null, 0, 0, 0, AI_NUMERICHOST], 'EAI_NONAME'],
      ['"localhost", "no-such-service-xyz"', ['localhost', 'no-such-service-xyz'], 'EAI_SERVICE'],
      ['"127.0.0.1", 80, 12345', ['127.0.0.1', 80, 12345], 'EAI_FAMILY'],
      ['"127.0.0.1", 80, 0, 12345', ['127.0.0.1', 80, 0, 12345], 'EAI_SOCKTYPE'],
      ['"127.0.0.1", 80, 0, 0, 0, 0x12345678', ['127.0.0.1', 80, 0, 0, 0, 0x12345678], 'EAI_BADFLAGS'],
      ['None, None', [null, null], 'EAI_NONAME'],
      ['"::1", 80, socket.AF_INET, 0, 0, socket.AI_NUMERICHOST', ['::1', 80, AF_INET, 0, 0, AI_NUMERICHOST], ''],
    ];
    const wants = evalInPython(failing.map(([args]) => `socket.getaddrinfo(${args})`));
    for (const [i, [pyArgs, args, code]] of failing.entries()) {
      assert.throws(() => getaddrinfoSync(...args), (e: unknown) => sameGaiError(e, wants[i], code || undefined), pyArgs);
      await assert.rejects(getaddrinfo(...args), (e: unknown) => sameGaiError(e, wants[i], code || undefined), pyArgs);
    }
    const error = (() => {
      try { getaddrinfoSync('localhost', null, 0, 0, 0, AI_NUMERICHOST); } catch (e) { return e as GaiError; }
      return undefined;
    })();
    assert.ok(error instanceof GaiError);
    assert.equal(error.code, 'EAI_NONAME');
    assert.equal(error.errno, C.EAI_NONAME);
    assert.equal(error.syscall, 'getaddrinfo');
    assert.match(error.message, /EAI_NONAME/);
  });

  it('refuses bad arguments with Node\'s codes before resolving', async () => {
    assert.throws(() => getaddrinfoSync(123 as unknown as string, 80), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getaddrinfoSync(undefined as unknown as string, 80), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getaddrinfoSync('localhost', 70000), { name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getaddrinfoSync('localhost', -1), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getaddrinfoSync('localhost', 1.5), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getaddrinfoSync('localhost', {} as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getaddrinfoSync('local\0host', 80), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => getaddrinfoSync('localhost', 'ht\0tp'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => getaddrinfoSync('localhost', 80, '2' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getaddrinfoSync('localhost', 80, 0, 0, 0, 2 ** 40), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(getaddrinfo('localhost', 70000), { code: 'ERR_SOCKET_BAD_PORT' });
  });
});

describe('resolve: getnameinfo against Python', () => {
  const NUMERIC = NI_NUMERICHOST | NI_NUMERICSERV;
  const CASES: Array<[string, Parameters<typeof getnameinfoSync>]> = [
    [`("127.0.0.1", 80), ${NUMERIC}`, [['127.0.0.1', 80], NUMERIC]],
    [`("127.0.0.1", 80), ${NI_NUMERICHOST}`, [['127.0.0.1', 80], NI_NUMERICHOST]],
    [`("127.0.0.1", 22), ${NUMERIC}`, [['127.0.0.1', 22], NUMERIC]],
    [`("127.1", 443), ${NI_NUMERICHOST}`, [['127.1', 443], NI_NUMERICHOST]],
    [`("::1", 22), ${NI_NUMERICHOST}`, [['::1', 22], NI_NUMERICHOST]],
    [`("::1", 8080, 0, 0), ${NUMERIC}`, [['::1', 8080, 0, 0], NUMERIC]],
    [`("fe80::1", 22, 0, 1), ${NI_NUMERICHOST}`, [['fe80::1', 22, 0, 1], NI_NUMERICHOST]],
    [`("fe80::1%lo", 22), ${NUMERIC}`, [['fe80::1%lo', 22], NUMERIC]],
    [`("2001:db8::1", 53, 5, 0), ${NUMERIC}`, [['2001:db8::1', 53, 5, 0], NUMERIC]],
  ];

  it('getnameinfoSync and getnameinfo give Python\'s [host, port]', async () => {
    const expected = evalInPython(CASES.map(([args]) => `socket.getnameinfo(${args})`));
    for (const [i, [pyArgs, args]] of CASES.entries()) {
      const want = pyOk(expected[i]);
      assert.deepEqual(getnameinfoSync(...args), want, `getnameinfo(${pyArgs})`);
      assert.deepEqual(await getnameinfo(...args), want, `getnameinfo(${pyArgs})`);
    }
    assert.deepEqual(getnameinfoSync(['127.0.0.1', 80], NUMERIC), ['127.0.0.1', '80']);
  });

  it('a host that is not a numeric literal is a GaiError, as in Python', async () => {
    const [localhost, empty] = evalInPython([`socket.getnameinfo(("localhost", 80), ${NUMERIC})`,
      `socket.getnameinfo(("", 80), ${NUMERIC})`]);
    assert.throws(() => getnameinfoSync(['localhost', 80], NUMERIC), (e: unknown) => sameGaiError(e, localhost, 'EAI_NONAME'));
    await assert.rejects(getnameinfo(['localhost', 80], NUMERIC), (e: unknown) => sameGaiError(e, localhost));
    assert.throws(() => getnameinfoSync(['', 80], NUMERIC), (e: unknown) => sameGaiError(e, empty));
  });

  it('refuses what Python refuses, with Node\'s codes', async () => {
    const [ipv4Tuple, flowinfo] = evalInPython([`socket.getnameinfo(("127.0.0.1", 80, 0, 0), ${NUMERIC})`,
      `socket.getnameinfo(("::1", 80, 0x100000, 0), ${NUMERIC})`]);
    pyError(ipv4Tuple);
    pyError(flowinfo);
    assert.throws(() => getnameinfoSync(['127.0.0.1', 80, 0, 0], NUMERIC), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => getnameinfoSync(['::1', 80, 0x100000, 0], NUMERIC), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => getnameinfoSync(['127.0.0.1', 70000], NUMERIC), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getnameinfoSync('127.0.0.1' as unknown as [string, number], NUMERIC), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getnameinfoSync(['127.0.0.1'] as unknown as [string, number], NUMERIC), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => getnameinfoSync([127, 80] as unknown as [string, number], NUMERIC), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getnameinfoSync(['127.0.0.1', '80'] as unknown as [string, number], NUMERIC), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getnameinfoSync(['127.0.0.1', 80], 'x' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(getnameinfo(['127.0.0.1', 80, 0, 0], NUMERIC), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('resolve: the gethostby* family against Python', () => {
  it('gethostname() is Python\'s', () => {
    const [want] = evalInPython(['socket.gethostname()']);
    const got = gethostname();
    assert.equal(got, pyOk(want));
    assert.ok(got.length > 0);
  });

  it('gethostbyname gives Python\'s IPv4 text, Sync and Promise', async () => {
    const names = ['localhost', '', '<broadcast>', '255.255.255.255', '127.1', '10.1.2.3'];
    const expected = evalInPython(names.map((name) => `socket.gethostbyname(${JSON.stringify(name)})`));
    for (const [i, name] of names.entries()) {
      assert.equal(gethostbynameSync(name), pyOk(expected[i]), name);
      assert.equal(await gethostbyname(name), pyOk(expected[i]), name);
    }
    assert.equal(gethostbynameSync(''), '0.0.0.0');
  });

  it('gethostbyname of an IPv6 literal is the same GaiError as Python\'s', async () => {
    const [want] = evalInPython(['socket.gethostbyname("::1")']);
    assert.throws(() => gethostbynameSync('::1'), (e: unknown) => sameGaiError(e, want));
    await assert.rejects(gethostbyname('::1'), (e: unknown) => sameGaiError(e, want));
  });

  it('gethostbynameEx gives Python\'s [name, aliases, addresses]', async () => {
    const names = ['localhost', '127.0.0.1'];
    const expected = evalInPython(names.map((name) => `socket.gethostbyname_ex(${JSON.stringify(name)})`));
    for (const [i, name] of names.entries()) {
      assert.deepEqual(gethostbynameExSync(name), pyOk(expected[i]), name);
      assert.deepEqual(await gethostbynameEx(name), pyOk(expected[i]), name);
    }
  });

  it('gethostbynameEx failures are HostError where Python raises herror', async () => {
    const [want] = evalInPython(['socket.gethostbyname_ex("")']);
    const py = pyError(want);
    assert.equal(py.error, 'herror');
    // The portable build resolves through getaddrinfo, whose failure maps to another h_errno.
    const isSame = (e: unknown) => e instanceof HostError &&
      (features.portable || (e.errno === py.errno && e.detail === py.args[1] && e instanceof SocketError));
    assert.throws(() => gethostbynameExSync(''), isSame);
    await assert.rejects(gethostbynameEx(''), isSame);
  });

  it('gethostbyaddr gives Python\'s entry for the loopback address and for localhost', async () => {
    const ips = ['127.0.0.1', 'localhost'];
    const expected = evalInPython(ips.map((ip) => `socket.gethostbyaddr(${JSON.stringify(ip)})`));
    for (const [i, ip] of ips.entries()) {
      const want = pyOk(expected[i]);
      assert.deepEqual(gethostbyaddrSync(ip), want, ip);
      assert.deepEqual(await gethostbyaddr(ip), want, ip);
    }
  });

  it('gethostbyaddr fails where Python fails, with the same kind of error', async () => {
    const [wildcard, v6] = evalInPython(['socket.gethostbyaddr("")', 'socket.gethostbyaddr("::1")']);
    const w = pyError(wildcard);
    if (w.error === 'OSError') {
      assert.throws(() => gethostbyaddrSync(''), (e: unknown) => e instanceof SocketError && e.message === w.args[0]);
    } else {
      assert.throws(() => gethostbyaddrSync(''), (e: unknown) => e instanceof HostError && e.errno === w.errno);
    }
    if ('ok' in v6) {
      assert.deepEqual(gethostbyaddrSync('::1'), v6.ok);
    } else {
      const isSame = (e: unknown) => e instanceof HostError && e.errno === v6.errno && e.code === 'HOST_NOT_FOUND';
      assert.throws(() => gethostbyaddrSync('::1'), isSame);
      await assert.rejects(gethostbyaddr('::1'), isSame);
    }
  });

  it('refuses bad arguments with Node\'s codes', async () => {
    assert.throws(() => gethostbynameSync(1 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => gethostbynameExSync(null as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => gethostbyaddrSync('127.0.0.1\0'), { code: 'ERR_INVALID_ARG_VALUE' });
    await assert.rejects(gethostbyname(1 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    await assert.rejects(gethostbyaddr(undefined as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('resolve: services and protocols against Python', () => {
  it('getservbyname / getservbyport / getprotobyname give Python\'s answers', () => {
    const expected = evalInPython(['socket.getservbyname("http", "tcp")', 'socket.getservbyname("http")',
      'socket.getservbyname("domain", "udp")', 'socket.getservbyport(22)', 'socket.getservbyport(22, "tcp")',
      'socket.getservbyport(53, "udp")', 'socket.getprotobyname("tcp")', 'socket.getprotobyname("udp")',
      'socket.getprotobyname("icmp")']).map(pyOk);
    assert.deepEqual([getservbyname('http', 'tcp'), getservbyname('http'), getservbyname('domain', 'udp'),
      getservbyport(22), getservbyport(22, 'tcp'), getservbyport(53, 'udp'), getprotobyname('tcp'),
      getprotobyname('udp'), getprotobyname('icmp')], expected);
    assert.equal(getprotobyname('tcp'), C.IPPROTO_TCP);
  });

  it('unknown names and ports fail where Python fails, with Python\'s message', () => {
    const [service, port, proto] = evalInPython(['socket.getservbyname("no-such-service-xyz")',
      'socket.getservbyport(22, "no-such-proto")', 'socket.getprotobyname("no-such-proto")']).map(pyError);
    const same = (py: PyError) => (e: unknown) => e instanceof SocketError && e.code === 'ENOENT' && e.message === py.args[0];
    assert.throws(() => getservbyname('no-such-service-xyz'), same(service));
    assert.throws(() => getservbyport(22, 'no-such-proto'), same(port));
    assert.throws(() => getprotobyname('no-such-proto'), same(proto));
  });

  it('refuses bad arguments with Node\'s codes', () => {
    const [tooBig] = evalInPython(['socket.getservbyport(65536)']).map(pyError);
    assert.equal(tooBig.error, 'OverflowError');
    assert.throws(() => getservbyport(65536), { name: 'RangeError', code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getservbyport(-1), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => getservbyport('22' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getservbyname(80 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getservbyname('http', 6 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => getprotobyname('tcp\0'), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('resolve: inside Workers', () => {
  const lib = JSON.stringify(path.join(__dirname, '..', 'lib', 'input', 'resolve.js'));

  it('resolves in a Worker, and a Worker terminated with lookups pending ends cleanly', () => {
    const script = `
const { Worker, isMainThread, parentPort } = require('node:worker_threads');
if (isMainThread) {
  const results = [];
  let done = 0;
  for (let i = 0; i < 6; i++) {
    const w = new Worker(__filename);
    w.on('message', (m) => { results.push(m); w.terminate().then(() => { if (++done === 6) console.log(JSON.stringify(results)); }); });
    w.on('error', (e) => { console.error(e); process.exit(3); });
  }
} else {
  const r = require(${lib});
  for (let i = 0; i < 40; i++) { r.getaddrinfo('localhost', 80).catch(() => {}); r.gethostbyaddr('127.0.0.1').catch(() => {}); }
  r.getaddrinfo('127.0.0.1', 80, 0, 1, 0, 4).then((x) => parentPort.postMessage(x));
}`;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-resolve-'));
    const file = path.join(dir, 'workers.js');
    let out: string;
    try {
      fs.writeFileSync(file, script);
      out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 15000 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const results = JSON.parse(out) as unknown[];
    assert.equal(results.length, 6);
    for (const r of results) assert.deepEqual(r, [[AF_INET, SOCK_STREAM, C.IPPROTO_TCP, '', ['127.0.0.1', 80]]]);
  });
});
