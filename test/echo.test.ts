// The lecture notes' programs, ported: echo over TCP, UDP, Unix stream and datagram, socketpair.
// Both ends live in this thread; the Sync calls interleave the way the kernel's buffers allow.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as bs from '../lib';
import { createHash } from 'node:crypto';
import { Tracker, pythonPeer, tempDir } from './helpers';

function pattern(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('echo programs (Sync API)', () => {
  const track = new Tracker().install();
  const dir = tempDir();

  function tcpServer(family: bs.AF_INET | bs.AF_INET6 = bs.AF_INET, host = '127.0.0.1'): bs.Socket {
    const server = track.add(new bs.Socket(family, bs.SOCK_STREAM));
    server.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, 1);
    server.bind([host, 0]);
    server.listen(5);
    return server;
  }

  function echoOnce(conn: bs.Socket): void {
    const data = conn.recvSync(65536);
    conn.sendallSync(data);
  }

  it('TCP echo server and client exchange messages', () => {
    const server = tcpServer();
    const client = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    client.connectSync(server.getsockname() as bs.InetAddress);
    const [conn, peer] = track.add(server.acceptSync());
    assert.deepEqual(peer, client.getsockname());
    assert.deepEqual(conn.getpeername(), client.getsockname());
    for (const text of ['hello', 'world', 'x'.repeat(1000)]) {
      client.sendallSync(Buffer.from(text));
      echoOnce(conn);
      assert.equal(client.recvSync(4096).toString(), text);
    }
    client.shutdown(bs.SHUT_WR);
    assert.equal(conn.recvSync(10).length, 0, 'EOF is an empty Buffer');
  });

  it('TCP over IPv6 loopback gives 4-element addresses', () => {
    const server = tcpServer(bs.AF_INET6, '::1');
    const [host, port, flowinfo, scope] = server.getsockname() as [string, number, number, number];
    assert.equal(host, '::1');
    assert.ok(port > 0);
    assert.equal(flowinfo, 0);
    assert.equal(scope, 0);
    const client = track.add(bs.socket(bs.AF_INET6));
    client.connectSync(['::1', port]);
    const [conn] = track.add(server.acceptSync());
    client.sendallSync(Buffer.from('six'));
    echoOnce(conn);
    assert.equal(client.recvSync(10).toString(), 'six');
  });

  it('sendallSync retries partial sends: 2 MiB through a small send buffer to a Python reader', async () => {
    const peer = await pythonPeer(`
import socket, hashlib
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
print(srv.getsockname()[1], flush=True)
conn, _ = srv.accept(); h = hashlib.sha256(); n = 0
while True:
    d = conn.recv(65536)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())
`);
    const client = track.add(bs.socket());
    client.setsockopt(bs.SOL_SOCKET, bs.SO_SNDBUF, 4096);
    client.connectSync(['127.0.0.1', Number(peer.line)]);
    const data = pattern(2 << 20);
    client.sendallSync(data);
    client.close();
    const [, summary] = (await peer.done).trim().split('\n');
    assert.equal(summary, `${data.length} ${createHash('sha256').update(data).digest('hex')}`);
  });

  it('UDP echo keeps datagram boundaries and reports senders', () => {
    const server = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    server.bind(['127.0.0.1', 0]);
    const client = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    client.bind(['127.0.0.1', 0]);
    const target = server.getsockname() as bs.InetAddress;
    for (const text of ['one', 'two', 'three']) assert.equal(client.sendtoSync(Buffer.from(text), target), text.length);
    for (const text of ['one', 'two', 'three']) {
      const [data, from] = server.recvfromSync(100);
      assert.equal(data.toString(), text);
      assert.deepEqual(from, client.getsockname());
      server.sendtoSync(data, 0, from as bs.InetAddress);
    }
    const into = Buffer.alloc(16);
    for (const text of ['one', 'two', 'three']) {
      const [n, from] = client.recvfromIntoSync(into);
      assert.equal(into.subarray(0, n).toString(), text);
      assert.deepEqual(from, target);
    }
  });

  it('Unix stream echo on a filesystem path', () => {
    const file = path.join(dir, 'stream.sock');
    const server = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    server.bind(file);
    server.listen();
    assert.equal(server.getsockname(), file);
    const client = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    client.connectSync(file);
    const [conn, peer] = track.add(server.acceptSync());
    assert.equal(peer, '', 'an unbound client is unnamed');
    assert.equal(client.getpeername(), file);
    client.sendallSync(Buffer.from('over unix'));
    echoOnce(conn);
    assert.equal(client.recvSync(100).toString(), 'over unix');
  });

  it('Unix datagram echo between two bound paths', () => {
    const a = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    const b = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    const pa = path.join(dir, 'a.sock');
    const pb = path.join(dir, 'b.sock');
    a.bind(pa);
    b.bind(pb);
    a.sendtoSync(Buffer.from('ping'), pb);
    const [data, from] = b.recvfromSync(100);
    assert.equal(data.toString(), 'ping');
    assert.equal(from, pa);
    b.sendtoSync(Buffer.from('pong'), from as string);
    assert.deepEqual(a.recvfromSync(100), [Buffer.from('pong'), pb]);
  });

  it('Unix abstract names (Linux) come back as Buffers', function () {
    if (process.platform !== 'linux') this.skip();
    const name = `\0bsd-sockets-test-${process.pid}`;
    const a = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    a.bind(name);
    const got = a.getsockname();
    assert.ok(Buffer.isBuffer(got));
    assert.equal(got.toString('latin1'), name);
    const b = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    b.sendtoSync(Buffer.from('abstract'), Buffer.from(name, 'latin1'));
    assert.equal(a.recvSync(100).toString(), 'abstract');
  });

  it('socketpair echoes both ways', () => {
    const [a, b] = track.add(bs.socketpair());
    assert.equal(a.family, bs.AF_UNIX);
    assert.equal(a.type, bs.SOCK_STREAM);
    a.sendallSync(Buffer.from('left'));
    echoOnce(b);
    assert.equal(a.recvSync(10).toString(), 'left');
    b.close();
    assert.equal(a.recvSync(10).length, 0);
  });
});
