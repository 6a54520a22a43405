// Reads that answer a write (issue 13): once the peer's answers are seen to come later than the
// read, the Promise read after a write waits for readiness first instead of making a system call
// that says EAGAIN; a read with a deadline, or one that may not wait, still tries at once. The
// answers must be the same bytes either way. The peer is python3; the system calls are counted by
// wrapping the binding's recv (the kernel is real).
import * as assert from 'node:assert/strict';
import { once } from 'node:events';
import * as bs from '../lib';
import { native } from '../lib/native';
import { Tracker, pythonPeer } from './helpers';

const EAGAIN = -bs.errno.EAGAIN;

// Echoes each byte it gets, after `delay` seconds while the byte is "s" (slow), at once otherwise.
const SLOW_ECHO = `
import socket, sys, time
l = socket.create_server(('127.0.0.1', 0))
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
while True:
    b = c.recv(1)
    if not b: break
    if b == b's': time.sleep(0.003)
    c.sendall(b)
`;

/** Counts the binding's recv results while `body` runs. */
async function countingRecv<T>(body: (results: number[]) => Promise<T>): Promise<T> {
  const original = native.recv;
  const results: number[] = [];
  native.recv = (...args: Parameters<typeof original>): number => {
    const r = original(...args);
    results.push(r);
    return r;
  };
  try {
    return await body(results);
  } finally {
    native.recv = original;
  }
}

describe('reads that answer a write (Promise)', function () {
  this.timeout(20000);
  const track = new Tracker();
  afterEach(() => track.closeAll());

  type Peer = Awaited<ReturnType<typeof pythonPeer>>;

  /** Closes the connection; the peer then exits, and its pipes are closed before the next test counts descriptors. */
  async function endPeer(s: bs.Socket, peer: Peer): Promise<void> {
    const closed = once(peer.child, 'close');
    s.close();
    await peer.done;
    await closed;
  }

  async function connectToEcho(): Promise<[bs.Socket, Peer]> {
    const peer = await pythonPeer(SLOW_ECHO);
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    await s.connect(['127.0.0.1', Number(peer.line)]);
    s.setsockopt(bs.IPPROTO_TCP, bs.TCP_NODELAY, 1);
    return [s, peer];
  }

  async function roundTrips(s: bs.Socket, byte: string, count: number): Promise<string> {
    const buf = Buffer.alloc(1);
    let answers = '';
    for (let i = 0; i < count; i++) {
      await s.send(Buffer.from(byte));
      const n = await s.recvInto(buf);
      answers += buf.toString('latin1', 0, n);
    }
    return answers;
  }

  it('stop trying before the answer once answers come late, and get every answer', async () => {
    const [s, peer] = await connectToEcho();
    try {
      await countingRecv(async (results) => {
        assert.equal(await roundTrips(s, 's', 40), 's'.repeat(40));
        const misses = results.filter((r) => r === EAGAIN).length;
        // Trying first would miss once per round trip (40); awaiting answers misses 2 to start,
        // then one try per 16 awaited answers.
        assert.ok(misses <= 8, `${misses} reads said EAGAIN in 40 slow round trips`);
        assert.equal(results.filter((r) => r === 1).length, 40);
      });
    } finally {
      await endPeer(s, peer);
    }
  });

  it('go back to trying at once when answers become quick, still getting every answer', async () => {
    const [s, peer] = await connectToEcho();
    try {
      assert.equal(await roundTrips(s, 's', 10), 's'.repeat(10));
      // Quick answers: the peer answers within a millisecond; the reads must stay correct, and a
      // read that finds its answer already there must not be made to wait for a timer.
      assert.equal(await roundTrips(s, 'q', 50), 'q'.repeat(50));
    } finally {
      await endPeer(s, peer);
    }
  });

  it('a read with a deadline tries at once even while answers are awaited', async () => {
    const [s, peer] = await connectToEcho();
    try {
      await roundTrips(s, 's', 6);  // answers are now awaited
      await countingRecv(async (results) => {
        // Without a deadline: no system call in the caller's tick.
        await s.send(Buffer.from('s'));
        const buf = Buffer.alloc(1);
        const awaited = s.recvInto(buf);
        assert.equal(results.length, 0, 'a blocking-mode read after a write tried at once');
        assert.equal(await awaited, 1);
        // With a timeout: the read tries at once (a short deadline must not expire while its
        // answer is already there).
        s.settimeout(5);
        await s.send(Buffer.from('s'));
        await new Promise((resolve) => setTimeout(resolve, 50));  // the answer is there
        const before = results.length;
        const timed = s.recvInto(buf);
        assert.equal(results.length, before + 1, 'a read with a deadline did not try at once');
        assert.equal(results[before], 1);
        assert.equal(await timed, 1);
      });
    } finally {
      await endPeer(s, peer);
    }
  });

  it('an awaited answer can be aborted or cut by close(), and the answer stays for the next read', async () => {
    const [s, peer] = await connectToEcho();
    try {
      await roundTrips(s, 's', 6);  // answers are now awaited
      await countingRecv(async (results) => {
        await s.send(Buffer.from('s'));
        const controller = new AbortController();
        const aborted = s.recvInto(Buffer.alloc(1), 1, 0, { signal: controller.signal });
        controller.abort();
        await assert.rejects(aborted, (e: Error) => e.name === 'AbortError');
        assert.equal(results.length, 0, 'the aborted read made no system call');
        assert.deepEqual(await s.recv(1), Buffer.from('s'), 'the answer is still there');
      });
      await s.send(Buffer.from('s'));
      const cut = s.recvInto(Buffer.alloc(1));
      s.close();
      await assert.rejects(cut, (e: bs.SocketError) => e.code === 'EBADF');
    } finally {
      await endPeer(s, peer);
    }
  });

  it('MSG_DONTWAIT after a write still fails at once when nothing is there', async () => {
    const [s, peer] = await connectToEcho();
    try {
      await roundTrips(s, 's', 6);
      await s.send(Buffer.from('s'));
      await assert.rejects(s.recvInto(Buffer.alloc(1), 1, bs.MSG_DONTWAIT), bs.BlockingIOError);
      assert.deepEqual(await s.recv(1), Buffer.from('s'));
    } finally {
      await endPeer(s, peer);
    }
  });
});
