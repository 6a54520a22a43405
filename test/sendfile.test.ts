// Socket.sendfile / sendfileSync: Python's socket.sendfile, checked against Python itself.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as bs from '../lib';
import { native } from '../lib/binding/native';
import { Tracker, runPythonScript, pythonPeer, tempDir, within } from './helpers';

const CONTENT = 'hello world, sent by sendfile';
const CASES: Array<[number, number | null]> = [[0, null], [3, null], [3, 4], [0, 1], [28, null], [29, null], [40, 5], [5, 100]];

/** What Python's sendfile gives for each (offset, count): [returned, received, file position]. */
function pythonExpectations(file: string): Array<[number, string, number]> {
  return JSON.parse(runPythonScript(`
import json, socket, sys
cases = json.loads(sys.argv[2])
out = []
with open(sys.argv[1], 'rb') as f:
    for offset, count in cases:
        a, b = socket.socketpair()
        f.seek(0)
        n = a.sendfile(f, offset, count)
        a.close()
        got = b''
        while True:
            d = b.recv(1000)
            if not d: break
            got += d
        b.close()
        out.append([n, got.decode(), f.tell()])
print(json.dumps(out))
`, [file, JSON.stringify(CASES)])) as Array<[number, string, number]>;
}

function currentPosition(fd: number): number {
  // A read at the current position shows where it is: the bytes that follow it.
  const buffer = Buffer.alloc(100);
  const n = fs.readSync(fd, buffer, 0, 100, null);
  return CONTENT.length - n;
}

function recvAllSync(sock: bs.Socket): Buffer {
  const chunks: Buffer[] = [];
  for (let d = sock.recvSync(65536); d.length > 0; d = sock.recvSync(65536)) chunks.push(d);
  return Buffer.concat(chunks);
}

async function recvAll(sock: bs.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for (let d = await sock.recv(1 << 20); d.length > 0; d = await sock.recv(1 << 20)) chunks.push(d);
  return Buffer.concat(chunks);
}

function sha(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

describe('Socket.sendfile', () => {
  const track = new Tracker().install();
  let dir: string;
  let small: string;
  let big: string;
  let bigData: Buffer;

  before(() => {
    dir = tempDir();
    small = path.join(dir, 'small');
    fs.writeFileSync(small, CONTENT);
    big = path.join(dir, 'big');
    bigData = randomBytes(8 * 1024 * 1024 + 123);
    fs.writeFileSync(big, bigData);
  });

  function openTracked(file: string): number {
    const fd = fs.openSync(file, 'r');
    track.defer(() => fs.closeSync(fd));
    return fd;
  }

  it('returns what Python returns, sends the same bytes and leaves the file where Python does (Sync, fd)', () => {
    const expected = pythonExpectations(small);
    const got = CASES.map(([offset, count]) => {
      const [a, b] = track.add(bs.socketpair());
      const fd = openTracked(small);
      const n = a.sendfileSync(fd, offset, count ?? undefined);
      a.close();
      return [n, recvAllSync(b).toString(), currentPosition(fd)];
    });
    assert.deepEqual(got, expected);
  });

  it('returns what Python returns (Promise, FileHandle)', async () => {
    const expected = pythonExpectations(small);
    const got = [];
    for (const [offset, count] of CASES) {
      const [a, b] = track.add(bs.socketpair());
      const handle = await fs.promises.open(small, 'r');
      try {
        const n = await a.sendfile(handle, offset, count ?? undefined);
        a.close();
        got.push([n, (await recvAll(b)).toString(), currentPosition(handle.fd)]);
      } finally {
        await handle.close();
      }
    }
    assert.deepEqual(got, expected);
  });

  it('sends 8 MiB over TCP with the Promise form while the peer reads on the event loop', async function () {
    this.timeout(30000);
    const [client, accepted] = track.tcpPair();
    const fd = openTracked(big);
    const [n, received] = await within(Promise.all([
      client.sendfile(fd).then((sent) => { client.shutdown(bs.SHUT_WR); return sent; }),
      recvAll(accepted),
    ]), 20000, 'transfer');
    assert.equal(n, bigData.length);
    assert.equal(received.length, bigData.length);
    assert.equal(sha(received), sha(bigData));
  });

  it('sends 8 MiB with the Sync form to a Python reader, in timeout mode', async function () {
    this.timeout(30000);
    const peer = await pythonPeer(`
import hashlib, socket
s = socket.create_server(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
h = hashlib.sha256(); n = 0
while True:
    d = c.recv(1 << 20)
    if not d: break
    h.update(d); n += len(d)
print(n, h.hexdigest())
`);
    const sock = track.add(bs.socket());
    sock.settimeout(10);
    sock.connectSync(['127.0.0.1', Number(peer.line)]);
    const n = sock.sendfileSync(openTracked(big), 1000, 5 * 1024 * 1024);
    sock.close();
    const out = (await within(peer.done, 20000, 'python')).trim().split('\n')[1].split(' ');
    assert.equal(n, 5 * 1024 * 1024);
    assert.deepEqual(out, [String(n), sha(bigData.subarray(1000, 1000 + n))]);
  });

  it('keeps the order of writes queued before it: sendall(header) then sendfile(body)', async () => {
    const [a, b] = track.add(bs.socketpair());
    const header = Buffer.alloc(600 * 1024, 'h');  // more than the socket buffer: sendall must wait
    const sending = Promise.all([a.sendall(header), a.sendfile(openTracked(small))]);
    const receiving = recvAll(b);
    await sending;
    a.close();
    const got = await receiving;
    assert.equal(got.length, header.length + CONTENT.length);
    assert.ok(got.subarray(0, header.length).equals(header));
    assert.equal(got.subarray(header.length).toString(), CONTENT);
  });

  it('timeout mode: one deadline for the whole call, TimeoutError, and the file left after the bytes sent', async function () {
    this.timeout(20000);
    for (const form of ['sync', 'promise']) {
      const [a, b] = track.add(bs.socketpair());
      a.settimeout(0.3);
      const fd = openTracked(big);
      const started = performance.now();
      const error = await (async () => {
        try {
          if (form === 'sync') a.sendfileSync(fd);
          else await a.sendfile(fd);
        } catch (e) {
          return e;
        }
        return undefined;
      })();
      const elapsed = performance.now() - started;
      assert.ok(error instanceof bs.TimeoutError, `${form}: ${String(error)}`);
      assert.ok(elapsed >= 290 && elapsed < 5000, `${form}: ${elapsed} ms`);
      const buffered = recvAllAvailable(b);
      assert.ok(buffered > 0);
      const position = fs.readSync(fd, Buffer.alloc(1), 0, 1, null);  // reads the byte at the position
      assert.equal(position, 1);
      assert.equal(lseekPosition(fd), buffered + 1, `${form}: positioned after what was sent`);
    }
  });

  function recvAllAvailable(sock: bs.Socket): number {
    let total = 0;
    sock.setblocking(false);
    for (;;) {
      try {
        total += sock.recvSync(1 << 20).length;
      } catch (e) {
        if (e instanceof bs.BlockingIOError) return total;
        throw e;
      }
    }
  }

  function lseekPosition(fd: number): number {
    return Number(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').match(/^pos:\s*(\d+)/m)![1]);
  }

  it('non-blocking mode: BlockingIOError once the socket is full, as sendall', () => {
    const [a] = track.add(bs.socketpair());
    a.setblocking(false);
    assert.throws(() => a.sendfileSync(openTracked(big)), bs.BlockingIOError);
  });

  it('reads and sends where sendfile(2) cannot read the file (a FIFO)', function () {
    if (process.platform !== 'linux') this.skip();  // opening a FIFO read-write is Linux's
    const fifo = path.join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = fs.openSync(fifo, 'r+');  // read-write: the open does not wait for a writer
    track.defer(() => fs.closeSync(fd));
    fs.writeSync(fd, 'through a pipe');
    const [a, b] = track.add(bs.socketpair());
    assert.equal(a.sendfileSync(fd, 0, 7), 7);
    a.settimeout(5);
    assert.equal(a.sendfileSync(fd, 0, 7), 7, 'the rest');
    a.close();
    assert.equal(recvAllSync(b).toString(), 'through a pipe');
    assert.throws(() => a.sendfileSync(fd, 3), (e: unknown) => e instanceof bs.SocketError);
  });

  it('BrokenPipeError when the peer has gone, and the process lives', async () => {
    const [a, b] = track.add(bs.socketpair());
    b.close();
    assert.throws(() => a.sendfileSync(openTracked(small)), bs.BrokenPipeError);
    await assert.rejects(a.sendfile(openTracked(small)), bs.BrokenPipeError);
  });

  it('an AbortSignal ends a waiting transfer', async () => {
    const [a] = track.add(bs.socketpair());
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(within(a.sendfile(openTracked(big), 0, undefined, { signal: controller.signal }), 5000), (e) => (e as Error).name === 'AbortError' && (e as Error & { code: string }).code === 'ABORT_ERR' && (e as Error).cause === reason);
    await assert.rejects(a.sendfile(openTracked(big), 0, undefined, { signal: AbortSignal.abort(reason) }),
      (e) => (e as Error).name === 'AbortError' && (e as Error).cause === reason, 'an already aborted signal');
  });

  it('bad arguments: RangeError/TypeError with Node\'s codes; the Promise form rejects', async () => {
    const [a] = track.add(bs.socketpair());
    const fd = openTracked(small);
    assert.throws(() => a.sendfileSync(fd, -1), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => a.sendfileSync(fd, 1.5), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    for (const count of [0, -1, 2.5]) {
      assert.throws(() => a.sendfileSync(fd, 0, count), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    }
    assert.throws(() => a.sendfileSync(fd, '1' as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => a.sendfileSync('file' as unknown as number), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const rejected = a.sendfile(fd, 0, 0);
    await assert.rejects(rejected, { code: 'ERR_OUT_OF_RANGE' });
    const [d] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
    assert.throws(() => d.sendfileSync(fd), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    const handle = await fs.promises.open(small, 'r');
    await handle.close();
    await assert.rejects(a.sendfile(handle), (e: unknown) => e instanceof bs.SocketError && e.code === 'EBADF');
    a.close();
    assert.throws(() => a.sendfileSync(fd), (e: unknown) => e instanceof bs.SocketError && e.code === 'EBADF');
  });

  // Differential seed 9477: CPython gives up on sendfile(2) after any error before the first byte
  // and sends instead, so a peer's reset is reported by that send: EPIPE.
  it('a peer that reset before the first byte: the error Python gives, Sync and Promise', async () => {
    // Where this build has no sendfile(2) (the portable build), Python's send() path is the oracle.
    const method = native.sendfile(-1, -1, 0, 1) === -bs.errno.ENOSYS ? '_sendfile_use_send' : 'sendfile';
    const expected = runPythonScript(`
import socket, struct, sys, time
l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen()
c = socket.create_connection(l.getsockname()); s, _ = l.accept()
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0)); s.close()
time.sleep(0.05)
try:
    getattr(c, sys.argv[2])(open(sys.argv[1], 'rb')); print('sent')
except OSError as e:
    print(e.errno)
`, [small, method]).trim();
    assert.equal(expected, String(method === 'sendfile' ? bs.errno.EPIPE : bs.errno.ECONNRESET));
    for (const form of ['sync', 'promise'] as const) {
      const listener = track.add(new bs.Socket(bs.AF_INET));
      listener.bind(['127.0.0.1', 0]);
      listener.listen();
      const client = track.add(bs.createConnectionSync(listener.getsockname() as [string, number]));
      const [server] = listener.acceptSync();
      server.setsockopt(bs.SOL_SOCKET, bs.SO_LINGER, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
      server.close();
      await new Promise((resolve) => setTimeout(resolve, 50));
      const fd = openTracked(small);
      const check = (e: unknown): boolean => e instanceof bs.SocketError && String(e.errno) === expected;
      if (form === 'sync') assert.throws(() => client.sendfileSync(fd), check);
      else await assert.rejects(client.sendfile(fd), check);
    }
  });
});

