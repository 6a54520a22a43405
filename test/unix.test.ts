// Unix domain sockets: stream, datagram and seqpacket; abstract and unnamed addresses; peer
// credentials (SO_PEERCRED, SCM_CREDENTIALS); Python peers, descriptors passed both ways.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bs from '../lib';
import { packUcred, unpackUcred, structSizes } from '../lib/modules/structs';
import { Tracker, pythonPeer, tempDir, within } from './helpers';

const linux = process.platform === 'linux';

describe('Unix domain sockets', () => {
  const track = new Tracker().install();
  const dir = tempDir();
  let n = 0;
  const fresh = (): string => path.join(dir, `u${n++}.sock`);

  function listener(type = bs.SOCK_STREAM, address: bs.UnixAddress = fresh()): bs.Socket<bs.AF_UNIX> {
    const s = track.add(bs.socket(bs.AF_UNIX, type));
    s.bind(address);
    s.listen(4);
    return s;
  }

  it('SOCK_STREAM on a path: connect, accept, addresses, data both ways', async () => {
    const where = fresh();
    const server = listener(bs.SOCK_STREAM, where);
    assert.equal(server.getsockname(), where);
    const client = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    const accepting = server.accept();
    await client.connect(where);
    const [conn, peer] = track.add(await within(accepting, 2000, 'accept'));
    assert.equal(peer, '');  // the client is unnamed
    assert.equal(client.getpeername(), where);
    client.sendallSync(Buffer.from('over the stream'));
    assert.equal((await conn.recv(100)).toString(), 'over the stream');
    await conn.sendall(Buffer.from('and back'));
    assert.equal(client.recvSync(100).toString(), 'and back');
    client.close();
    assert.equal(conn.recvSync(100).length, 0);  // end of stream
  });

  it('SOCK_DGRAM: named and unnamed senders (recvfrom gives the path, or null as Python\'s None)', async () => {
    const where = fresh();
    const r = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    r.bind(where);
    const unnamed = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    assert.equal(unnamed.sendtoSync(Buffer.from('anon'), where), 4);
    const [data, from] = r.recvfromSync(100);
    assert.equal(data.toString(), 'anon');
    // Linux gives no address (addrlen 0) for an unnamed sender: Python's recvfrom says None.
    assert.equal(from, null);
    const namedPath = fresh();
    const named = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    named.bind(namedPath);
    await named.sendto(Buffer.from('named'), where);
    const [data2, from2] = await r.recvfrom(100);
    assert.equal(data2.toString(), 'named');
    assert.equal(from2, namedPath);
    r.sendtoSync(Buffer.from('reply'), from2 as string);
    assert.deepEqual(named.recvfromSync(100), [Buffer.from('reply'), where]);
  });

  it('SOCK_SEQPACKET keeps message boundaries (Sync and Promise forms)', async () => {
    const where = fresh();
    const server = listener(bs.SOCK_SEQPACKET, where);
    const client = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_SEQPACKET));
    client.connectSync(where);
    const [conn] = track.add(server.acceptSync());
    for (const text of ['one', 'two two', 'three three three']) client.sendSync(Buffer.from(text));
    assert.equal(conn.recvSync(100).toString(), 'one');
    assert.equal((await conn.recv(100)).toString(), 'two two');
    const [part, , flags] = conn.recvmsgSync(5);  // a record longer than the buffer is truncated, not split
    assert.equal(part.toString(), 'three');
    assert.equal(flags & bs.MSG_TRUNC, bs.MSG_TRUNC);
    await conn.send(Buffer.from('x'));
    await conn.send(Buffer.from('yz'));
    assert.equal((await client.recv(100)).toString(), 'x');
    assert.equal(client.recvSync(100).toString(), 'yz');
  });

  it('abstract names (Linux): bound with a Buffer or "\\0…", returned as a Buffer', async function () {
    if (!linux) { console.log('      skipped: the abstract namespace is Linux-only'); this.skip(); }
    const name = Buffer.from(`\0bsd-sockets-test-${process.pid}`);
    const server = listener(bs.SOCK_STREAM, name);
    assert.deepEqual(server.getsockname(), name);
    const client = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    await client.connect(name.toString('latin1'));
    assert.deepEqual(client.getpeername(), name);
    const [conn] = track.add(server.acceptSync());
    conn.sendallSync(Buffer.from('abstract'));
    assert.equal(client.recvSync(100).toString(), 'abstract');
    const d = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    d.bind(Buffer.from(`\0bsd-sockets-dgram-${process.pid}`));
    const sender = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    sender.bind(Buffer.from(`\0bsd-sockets-sender-${process.pid}`));
    sender.sendtoSync(Buffer.from('hi'), d.getsockname() as Buffer);
    const [, from] = d.recvfromSync(10);
    assert.deepEqual(from, Buffer.from(`\0bsd-sockets-sender-${process.pid}`));
  });

  it('SO_PEERCRED gives our pid, uid and gid', function () {
    if (!linux) { console.log('      skipped: SO_PEERCRED is Linux-only'); this.skip(); }
    const where = fresh();
    const server = listener(bs.SOCK_STREAM, where);
    const client = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    client.connectSync(where);
    const [conn] = track.add(server.acceptSync());
    const expected = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
    assert.deepEqual(unpackUcred(conn.getsockopt(bs.SOL_SOCKET, bs.SO_PEERCRED!, structSizes.ucred!)), expected);
    assert.deepEqual(unpackUcred(client.getsockopt(bs.SOL_SOCKET, bs.SO_PEERCRED!, structSizes.ucred!)), expected);
  });

  it('SO_PASSCRED: SCM_CREDENTIALS arrive with recvmsg, implicit and sent with packUcred', async function () {
    if (!linux) { console.log('      skipped: SCM_CREDENTIALS is Linux-only'); this.skip(); }
    const [a, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
    b.setsockopt(bs.SOL_SOCKET, bs.SO_PASSCRED!, 1);
    assert.equal(b.getsockopt(bs.SOL_SOCKET, bs.SO_PASSCRED!), 1);
    const me = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
    const creds = (anc: bs.Ancillary[]) => {
      const item = anc.find(([level, type]) => level === bs.SOL_SOCKET && type === bs.SCM_CREDENTIALS);
      assert.ok(item, `no SCM_CREDENTIALS in ${JSON.stringify(anc)}`);
      return unpackUcred(item[2]);
    };
    a.sendSync(Buffer.from('implicit'));
    const [data, anc] = b.recvmsgSync(100, bs.CMSG_SPACE(structSizes.ucred!));
    assert.equal(data.toString(), 'implicit');
    assert.deepEqual(creds(anc), me);
    await a.sendmsg([Buffer.from('explicit')], [[bs.SOL_SOCKET, bs.SCM_CREDENTIALS!, packUcred(me)]]);
    const [data2, anc2] = await b.recvmsg(100, bs.CMSG_SPACE(structSizes.ucred!));
    assert.equal(data2.toString(), 'explicit');
    assert.deepEqual(creds(anc2), me);
    // Someone else's pid is refused (EPERM) unless we hold CAP_SYS_ADMIN; pid 1 exists everywhere.
    if (process.getuid!() !== 0) {
      assert.throws(() => a.sendmsgSync([Buffer.from('x')], [[bs.SOL_SOCKET, bs.SCM_CREDENTIALS!, packUcred({ ...me, pid: 1 })]]),
        bs.PermissionError);
    }
  });

  it('Python stream peer: data, and descriptors passed both ways with send_fds/recv_fds', async function () {
    this.timeout(15000);
    const where = fresh();
    const file = path.join(dir, 'for-python.txt');
    fs.writeFileSync(file, 'written by node');
    const peer = await pythonPeer(`
import os, socket, sys
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sys.argv[1]); srv.listen(1)
print('ready', flush=True)
conn, _ = srv.accept()
conn.settimeout(10)
r, w = os.pipe()
os.write(w, b'through a pipe from python')
os.close(w)
socket.send_fds(conn, [b'take this'], [r])
os.close(r)
msg, fds, flags, addr = socket.recv_fds(conn, 100, 4)
text = os.read(fds[0], 100)
conn.sendall(msg + b'|' + text + b'|' + str(len(fds)).encode())
for fd in fds: os.close(fd)
conn.close()
`, [where]);
    try {
      assert.equal(peer.line, 'ready');
      const s = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
      s.connectSync(where);
      const [data, fds] = await within(bs.recvFds(s, 100, 4), 5000, 'recvFds');
      assert.equal(data.toString(), 'take this');
      assert.equal(fds.length, 1);
      const got = Buffer.alloc(100);
      const nread = fs.readSync(fds[0], got);
      fs.closeSync(fds[0]);
      assert.equal(got.subarray(0, nread).toString(), 'through a pipe from python');
      const fd = fs.openSync(file, 'r');
      try {
        assert.equal(bs.sendFdsSync(s, [Buffer.from('yours')], [fd]), 5);
      } finally {
        fs.closeSync(fd);
      }
      s.settimeout(5);
      const chunks: Buffer[] = [];
      for (let chunk = s.recvSync(1000); chunk.length > 0; chunk = s.recvSync(1000)) chunks.push(chunk);
      assert.equal(Buffer.concat(chunks).toString(), 'yours|written by node|1');
      await within(peer.done, 5000, 'python exit');
    } finally {
      peer.child.kill();
    }
  });

  it('Python datagram peer: both directions on paths', async () => {
    const mine = fresh();
    const theirs = fresh();
    const me = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM));
    me.bind(mine);
    const peer = await pythonPeer(`
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1]); s.settimeout(10)
print('ready', flush=True)
data, addr = s.recvfrom(100)
s.sendto(data.upper() + b' ' + addr.encode(), addr)
`, [theirs, mine]);
    try {
      await me.sendto(Buffer.from('hello python'), theirs);
      const [reply, from] = await within(me.recvfrom(200), 5000, 'reply');
      assert.equal(reply.toString(), `HELLO PYTHON ${mine}`);
      assert.equal(from, theirs);
      await within(peer.done, 5000, 'python exit');
    } finally {
      peer.child.kill();
    }
  });
});
