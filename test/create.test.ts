// createConnection / createConnectionSync, createServer and hasDualstackIpv6 (Python's
// create_connection, create_server, has_dualstack_ipv6), against our own listeners and Python peers.
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import { createConnection, createConnectionSync, createServer, hasDualstackIpv6 } from '../lib/modules/create';
import { Tracker, countOpenFds, runPythonScript, pythonPeer, within } from './helpers';

function listener(track: Tracker, backlog = 16): [bs.Socket, number] {
  const server = track.add(bs.socket());
  server.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, 1);
  server.bind(['127.0.0.1', 0]);
  server.listen(backlog);
  return [server, (server.getsockname() as bs.InetAddress)[1]];
}

/** A port on 127.0.0.1 with nothing listening (bound once, then released). */
function freePort(): number {
  const s = bs.socket();
  try {
    s.bind(['127.0.0.1', 0]);
    return (s.getsockname() as bs.InetAddress)[1];
  } finally {
    s.close();
  }
}

/**
 * A listener whose accept queue is full (backlog 0 plus un-accepted connections), so that the
 * kernel drops further SYNs and a new connect() waits until its timeout.
 */
function fullListener(track: Tracker): number {
  const [, port] = listener(track, 0);
  for (let i = 0; i < 4; i++) {
    const filler = track.add(bs.socket());
    filler.setblocking(false);
    filler.connectEx(['127.0.0.1', port]);
  }
  return port;
}

function elapsed(start: number): number {
  return (performance.now() - start) / 1000;
}

describe('createConnection', () => {
  const track = new Tracker().install();

  for (const host of ['localhost', '127.0.0.1']) {
    it(`connects to a loopback listener by '${host}' (Promise form)`, async () => {
      const [server, port] = listener(track);
      const client = track.add(await createConnection([host, port]));
      const [conn, peer] = track.add(await server.accept());
      assert.deepEqual(peer, client.getsockname());
      assert.equal((client.getpeername() as bs.InetAddress)[1], port);
      assert.equal(client.type, bs.SOCK_STREAM);
      await client.sendall(Buffer.from('ping'));
      assert.equal((await conn.recv(10)).toString(), 'ping');
    });

    it(`connects to a loopback listener by '${host}' (Sync form)`, () => {
      const [server, port] = listener(track);
      const client = track.add(createConnectionSync([host, port]));
      const [, peer] = track.add(server.acceptSync());
      assert.deepEqual(peer, client.getsockname());
      assert.deepEqual(client.getpeername(), ['127.0.0.1', port]);
    });
  }

  it('accepts the port as a numeric string (a service)', async () => {
    const [server, port] = listener(track);
    const client = track.add(await createConnection(['127.0.0.1', String(port)]));
    track.add(await server.accept());
    assert.equal((client.getpeername() as bs.InetAddress)[1], port);
  });

  it('binds to sourceAddress first (getsockname matches; the server sees it)', async () => {
    const [server, port] = listener(track);
    const source = freePort();
    const client = track.add(await createConnection(['127.0.0.1', port], { sourceAddress: ['127.0.0.1', source] }));
    assert.deepEqual(client.getsockname(), ['127.0.0.1', source]);
    const [, peer] = track.add(await server.accept());
    assert.deepEqual(peer, ['127.0.0.1', source]);

    const source2 = freePort();
    const sync = track.add(createConnectionSync(['localhost', port], { sourceAddress: ['127.0.0.1', source2] }));
    assert.deepEqual(sync.getsockname(), ['127.0.0.1', source2]);
    track.add(server.acceptSync());
  });

  it('a source address that cannot be bound fails with its bind error and closes the socket', async () => {
    const [, port] = listener(track);
    const [, busy] = listener(track);
    const before = countOpenFds();
    await assert.rejects(createConnection(['127.0.0.1', port], { sourceAddress: ['127.0.0.1', busy] }),
      (e: any) => e instanceof bs.AddressInUseError && e.syscall === 'bind');
    assert.equal(countOpenFds(), before);
  });

  it('a refused port gives ConnectionRefusedError, and nothing stays open', async () => {
    const port = freePort();
    const before = countOpenFds();
    await assert.rejects(createConnection(['127.0.0.1', port]), (e: any) =>
      e instanceof bs.ConnectionRefusedError && e.code === 'ECONNREFUSED' && e.syscall === 'connect');
    assert.throws(() => createConnectionSync(['localhost', port]), bs.ConnectionRefusedError);
    assert.equal(countOpenFds(), before);
  });

  it('allErrors gives an AggregateError with one error per address tried', async () => {
    const port = freePort();
    const tried = bs.getaddrinfoSync('localhost', port, 0, bs.SOCK_STREAM).length;
    await assert.rejects(createConnection(['localhost', port], { allErrors: true }), (e: any) => {
      assert.ok(e instanceof AggregateError);
      assert.equal(e.errors.length, tried);
      for (const inner of e.errors) assert.ok(inner instanceof bs.ConnectionRefusedError);
      return true;
    });
    assert.throws(() => createConnectionSync(['127.0.0.1', port], { allErrors: true }),
      (e: any) => e instanceof AggregateError && e.errors.length === 1);
  });

  it('one overall timeout: a connect the kernel leaves unanswered fails with TimeoutError in time (Promise)', async () => {
    const port = fullListener(track);
    const before = countOpenFds();
    const start = performance.now();
    await within(assert.rejects(createConnection(['127.0.0.1', port], { timeout: 0.3 }), bs.TimeoutError), 5000);
    const took = elapsed(start);
    assert.ok(took >= 0.28 && took < 4.5, `took ${took} s`);  // generous: a loaded machine is slow, never early
    assert.equal(countOpenFds(), before);
  });

  it('one overall timeout (Sync form)', () => {
    const port = fullListener(track);
    const start = performance.now();
    assert.throws(() => createConnectionSync(['127.0.0.1', port], { timeout: 0.3 }), bs.TimeoutError);
    const took = elapsed(start);
    assert.ok(took >= 0.28 && took < 4.5, `took ${took} s`);  // generous: a loaded machine is slow, never early
  });

  it('the event loop keeps running while the Promise form waits', async () => {
    const port = fullListener(track);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      await assert.rejects(createConnection(['127.0.0.1', port], { timeout: 0.3 }), bs.TimeoutError);
    } finally {
      clearInterval(timer);
    }
    assert.ok(ticks >= 5, `only ${ticks} ticks`);
  });

  it('the socket returned keeps the timeout given, the default timeout, or blocks with null', async () => {
    const [server, port] = listener(track);
    const a = track.add(await createConnection(['127.0.0.1', port], { timeout: 2.5 }));
    assert.equal(a.gettimeout(), 2.5);
    const b = track.add(createConnectionSync(['127.0.0.1', port], { timeout: 3 }));
    assert.equal(b.gettimeout(), 3);
    const saved = bs.getdefaulttimeout();
    bs.setdefaulttimeout(7);
    try {
      const c = track.add(await createConnection(['127.0.0.1', port]));
      assert.equal(c.gettimeout(), 7);
      const d = track.add(createConnectionSync(['127.0.0.1', port], { timeout: null }));
      assert.equal(d.gettimeout(), null);
    } finally {
      bs.setdefaulttimeout(saved);
    }
    for (let i = 0; i < 4; i++) track.add(server.acceptSync());
  });

  it('timeout 0 is non-blocking: the connect fails with BlockingIOError, as in Python', () => {
    const [, port] = listener(track);
    assert.throws(() => createConnectionSync(['127.0.0.1', port], { timeout: 0 }),
      (e: any) => e instanceof bs.BlockingIOError && e.code === 'EINPROGRESS');
  });

  it('an AbortSignal stops a waiting connect and closes its socket', async () => {
    const port = fullListener(track);
    const before = countOpenFds();
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 100);
    const start = performance.now();
    await within(assert.rejects(createConnection(['127.0.0.1', port], { signal: controller.signal }), (e) => (e as Error).name === 'AbortError' && (e as Error & { code: string }).code === 'ABORT_ERR' && (e as Error).cause === reason), 5000);
    assert.ok(elapsed(start) >= 0.09 && elapsed(start) < 4.5, `took ${elapsed(start)} s`);
    assert.equal(countOpenFds(), before);
    await assert.rejects(createConnection(['127.0.0.1', port], { signal: AbortSignal.abort(reason) }), (e) => (e as Error).name === 'AbortError' && (e as Error & { code: string }).code === 'ABORT_ERR' && (e as Error).cause === reason);
  });

  it('connects to a Python server, and the bytes go both ways', async () => {
    const { line, done } = await pythonPeer(`
import socket
srv = socket.create_server(('127.0.0.1', 0))
print(srv.getsockname()[1], flush=True)
c, _ = srv.accept()
c.sendall(c.recv(100).upper())
c.close()
`);
    const client = track.add(await createConnection(['localhost', Number(line)], { timeout: 5 }));
    await client.sendall(Buffer.from('hello python'));
    assert.equal((await client.recv(100)).toString(), 'HELLO PYTHON');
    await within(done, 10000, 'python peer');
  });

  it('refuses bad arguments before any system call', async () => {
    const before = countOpenFds();
    await assert.rejects(createConnection('127.0.0.1:80' as any), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createConnectionSync([80, '127.0.0.1'] as any), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createConnectionSync(['127.0.0.1', 70000]), { code: 'ERR_SOCKET_BAD_PORT' });
    await assert.rejects(createConnection(['127.0.0.1', 1], { timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
    await assert.rejects(createConnection(['127.0.0.1', 1], { signal: 'no' as any }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(countOpenFds(), before);
  });
});

describe('createServer and hasDualstackIpv6', () => {
  const track = new Tracker().install();

  it('makes a listening TCP socket with SO_REUSEADDR that a Python client can reach', async () => {
    const server = track.add(createServer(['127.0.0.1', 0]));
    assert.equal(server.family, bs.AF_INET);
    assert.equal(server.type, bs.SOCK_STREAM);
    assert.notEqual(server.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 0);
    assert.equal(server.getsockopt(bs.SOL_SOCKET, bs.SO_ACCEPTCONN), 1);
    const port = (server.getsockname() as bs.InetAddress)[1];
    const client = pythonPeer(`
import socket
with socket.create_connection(('127.0.0.1', ${port}), timeout=5) as c:
    c.sendall(b'from python')
    print(c.recv(100).decode(), flush=True)
`);
    const [conn] = track.add(await server.accept());
    const data = await conn.recv(100);
    await conn.sendall(Buffer.concat([Buffer.from('got: '), data]));
    const { line } = await within(client, 10000, 'python client');
    assert.equal(line, 'got: from python');
  });

  it('reusePort lets two sockets listen on the same port; without it the second bind fails', () => {
    const first = track.add(createServer(['127.0.0.1', 0], { reusePort: true }));
    const port = (first.getsockname() as bs.InetAddress)[1];
    assert.notEqual(first.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEPORT!), 0);
    const second = track.add(createServer(['127.0.0.1', port], { reusePort: true }));
    assert.deepEqual(second.getsockname(), ['127.0.0.1', port]);
    const before = countOpenFds();
    assert.throws(() => createServer(['127.0.0.1', port]), (e: any) =>
      e instanceof bs.AddressInUseError && e.syscall === 'bind' && JSON.stringify(e.address) === JSON.stringify(['127.0.0.1', port]));
    assert.equal(countOpenFds(), before, 'the failed socket was closed');
  });

  it('AF_INET6 is IPv6-only by default; dualstackIpv6 accepts an IPv4 client on "::"', async function () {
    if (!hasDualstackIpv6()) this.skip();
    const v6only = track.add(createServer(['::', 0], { family: bs.AF_INET6 }));
    assert.equal(v6only.getsockopt(bs.IPPROTO_IPV6, bs.IPV6_V6ONLY), 1);
    const v6port = (v6only.getsockname() as bs.Inet6Address)[1];
    const ipv4 = track.add(bs.socket());
    const refused = ipv4.connectEx(['127.0.0.1', v6port]);
    assert.equal(refused, bs.errno.ECONNREFUSED, 'an IPv6-only listener does not take IPv4 clients');

    const dual = track.add(createServer(['::', 0], { family: bs.AF_INET6, dualstackIpv6: true }));
    assert.equal(dual.getsockopt(bs.IPPROTO_IPV6, bs.IPV6_V6ONLY), 0);
    const port = (dual.getsockname() as bs.Inet6Address)[1];
    const client = track.add(await createConnection(['127.0.0.1', port], { timeout: 5 }));
    const [conn, peer] = track.add(await dual.accept());
    assert.equal(conn.family, bs.AF_INET6);
    assert.equal((peer as bs.Inet6Address)[0], '::ffff:127.0.0.1', 'the IPv4 client appears as a mapped address');
    assert.equal((peer as bs.Inet6Address)[1], (client.getsockname() as bs.InetAddress)[1]);
    const six = track.add(await createConnection(['::1', port], { timeout: 5 }));
    track.add(await dual.accept());
    assert.equal(six.family, bs.AF_INET6);
  });

  it('dualstackIpv6 with another family is refused (ERR_INVALID_ARG_VALUE, as Python\'s ValueError), opening nothing', () => {
    const before = countOpenFds();
    assert.throws(() => createServer(['127.0.0.1', 0], { dualstackIpv6: true }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => createServer(['127.0.0.1', 0], { family: bs.AF_INET, dualstackIpv6: true }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => createServer(['127.0.0.1', 0], { reusePort: 1 as any }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => createServer(['127.0.0.1', 0], 5 as any), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(countOpenFds(), before);
  });

  it('a bad address closes the socket and rethrows', () => {
    const before = countOpenFds();
    assert.throws(() => createServer(['127.0.0.1', 99999]), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.throws(() => createServer(['::1', 0]), (e: any) => e.code !== undefined, 'an IPv6 address on AF_INET');
    assert.equal(countOpenFds(), before);
  });

  it('honours backlog', () => {
    const server = track.add(createServer(['127.0.0.1', 0], { backlog: 1 }));
    assert.equal(server.getsockopt(bs.SOL_SOCKET, bs.SO_ACCEPTCONN), 1);
  });

  it('hasDualstackIpv6() agrees with Python\'s socket.has_dualstack_ipv6()', () => {
    const expected = runPythonScript('import socket; print(socket.has_dualstack_ipv6())').trim() === 'True';
    const before = countOpenFds();
    assert.equal(hasDualstackIpv6(), expected);
    assert.equal(countOpenFds(), before);
  });
});
