// Regression tests for the defects that the differential suite (test/differential/) found: each
// asks python3 what CPython does and checks that bsd-sockets does the same.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import * as bs from '../lib';
import { Tracker, runPythonScript, tempDir, within } from './helpers';

/** Runs a Python snippet (socket, os, errno imported) and returns its printed line. */
function py(body: string): string {
  return runPythonScript(`import socket, os, errno, tempfile\n${body}`).trim();
}

/** The errno code of a rejected operation, or 'ok'. */
async function outcome(op: () => unknown): Promise<string> {
  try {
    await op();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

describe('defects found by the differential suite', () => {
  const track = new Tracker().install();
  const dir = tempDir();

  it('a Unix path that is not UTF-8 comes back as the same bytes, usable to connect', () => {
    const oracle = py(`d = tempfile.mkdtemp(); p = os.fsencode(d) + b'/l\\xff'
s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen()
c = socket.socket(socket.AF_UNIX); c.connect(s.getsockname())
print(os.fsencode(s.getsockname()) == p, c.getpeername() == s.getsockname())`);
    assert.equal(oracle, 'True True');
    const where = Buffer.concat([Buffer.from(path.join(dir, 'l')), Buffer.from([0xff])]);
    const server = track.add(bs.socket(bs.AF_UNIX));
    server.bind(where);
    server.listen();
    const name = server.getsockname();
    assert.deepEqual(name, where);
    const client = track.add(bs.socket(bs.AF_UNIX));
    client.connectSync(name!);
    assert.deepEqual(client.getpeername(), where);
  });

  it('a valid UTF-8 Unix path still comes back as a string', () => {
    const where = path.join(dir, 'é');
    const s = track.add(bs.socket(bs.AF_UNIX));
    s.bind(where);
    assert.equal(s.getsockname(), where);
  });

  it('recvfrom, recvfromInto and recvmsg with no sender address give null (Python: None)', async () => {
    assert.equal(py(`a, b = socket.socketpair(); a.send(b'xyz')
print(b.recvfrom(1)[1], b.recvfrom_into(bytearray(1))[1], b.recvmsg(1)[3])`), 'None None None');
    const [a, b] = track.add(bs.socketpair());
    a.sendSync(Buffer.from('xyz'));
    assert.equal(b.recvfromSync(1)[1], null);
    assert.equal((await b.recvfromInto(Buffer.alloc(1)))[1], null);
    assert.equal(b.recvmsgSync(1)[3], null);
  });

  it('sendall of 0 bytes makes the system call and reports its error, Sync and Promise', async () => {
    const expected = py(`s = socket.socket(socket.AF_INET6)
try:
    s.sendall(b'')
    print('ok')
except OSError as e:
    print(errno.errorcode[e.errno])`);
    assert.notEqual(expected, 'ok');
    const s = track.add(bs.socket(bs.AF_INET6));
    assert.equal(await outcome(() => s.sendallSync(Buffer.alloc(0))), expected);
    assert.equal(await outcome(() => s.sendall(Buffer.alloc(0))), expected);
    const [a] = track.add(bs.socketpair());
    a.sendallSync(Buffer.alloc(0));  // connected: one send of 0 bytes succeeds
  });

  it('a Promise receive on a Unix datagram socket shut for reading returns 0 bytes, as the blocking call', async () => {
    assert.equal(py(`a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM); b.shutdown(socket.SHUT_RD)
print(b.recv(5), b.recvfrom_into(bytearray(2)))`), "b'' (0, None)");
    const [, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
    b.shutdown(bs.SHUT_RD);
    assert.equal((await within(b.recv(5), 2000, 'recv')).length, 0);
    assert.deepEqual(await within(b.recvfromInto(Buffer.alloc(2)), 2000, 'recvfromInto'), [0, null]);
    assert.equal(b.recvSync(5).length, 0);
  });

  it('recvmsg with MSG_ERRQUEUE never waits: EAGAIN at once, as the kernel\'s blocking call, in every form', async () => {
    assert.equal(py(`l = socket.create_server(('127.0.0.1', 0)); a = socket.create_connection(l.getsockname())
b = l.accept()[0]; a.close()
try:
    b.recvmsg(1, 0, socket.MSG_ERRQUEUE)
except OSError as e:
    print(errno.errorcode[e.errno])`), 'EAGAIN');
    const [a, b] = track.tcpPair();
    a.close();
    b.settimeout(5);
    assert.equal(await outcome(() => b.recvmsgSync(1, 0, bs.MSG_ERRQUEUE)), 'EAGAIN');
    assert.equal(await within(outcome(() => b.recvmsg(1, 0, bs.MSG_ERRQUEUE)), 2000, 'recvmsg'), 'EAGAIN');
    b.settimeout(null);
    assert.equal(await within(outcome(() => b.recvmsg(1, 0, bs.MSG_ERRQUEUE)), 2000, 'recvmsg'), 'EAGAIN');
  });

  it('a receive in timeout mode on a Unix datagram socket shut for reading gives 0 bytes and no address', async () => {
    const [, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
    b.shutdown(bs.SHUT_RD);
    b.settimeout(5);
    assert.deepEqual(b.recvfromSync(4), [Buffer.alloc(0), null]);
    assert.deepEqual(b.recvmsgSync(4), [Buffer.alloc(0), [], 0, null]);
    assert.deepEqual(await within(b.recvmsg(4), 2000, 'recvmsg'), [Buffer.alloc(0), [], 0, null]);
  });

  it('after a Promise connect, connect and connectEx again fail with EISCONN', async () => {
    const expected = py(`l = socket.create_server(('127.0.0.1', 0)); c = socket.socket()
c.connect(l.getsockname())
print(errno.errorcode[c.connect_ex(l.getsockname())])`);
    assert.equal(expected, 'EISCONN');
    const l = track.add(bs.createServer(['127.0.0.1', 0]));
    const c = track.add(bs.socket());
    const to = l.getsockname() as [string, number];
    await within(c.connect(to), 5000, 'connect');
    assert.equal(c.connectEx(to), os.constants.errno.EISCONN);
    assert.equal(await outcome(() => c.connectSync(to)), expected);
    assert.equal(await outcome(() => c.connect(to)), expected);
  });
});
