// User code that runs in the middle of a call: getters and Proxies in the lists that sendmsg,
// recvmmsg and sendFds take, which answer differently on each read, shrink the list, or detach a
// buffer (ArrayBuffer.prototype.transfer) and force a garbage collection. Each user value is read
// once, before native code takes a pointer (STYLE.md 13), so the call either does what the values
// it read say or throws a clean error; it never reads or writes memory a buffer no longer owns.
// Each scenario runs in its own child process with --expose-gc, so that a crash is a failure of
// that scenario and not of the whole run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Ancillary } from '../lib';
import { features } from '../lib/modules/features';

type Bs = typeof import('../lib');

declare const gc: () => void;

/** Detaches `u`: its memory moves to a new ArrayBuffer that nothing holds, and is collected. */
function detach(u: Uint8Array): void {
  const buffer = u.buffer as ArrayBuffer & { transfer?: () => ArrayBuffer };
  if (buffer.transfer) buffer.transfer();
  else structuredClone(buffer, { transfer: [buffer] });  // Node 20: no ArrayBuffer.prototype.transfer
  gc();
}

function receivedFds(bs: Bs, anc: Ancillary[]): number[] {
  const fds: number[] = [];
  for (const [level, type, data] of anc) {
    if (level === bs.SOL_SOCKET && type === bs.SCM_RIGHTS) for (let i = 0; i + 4 <= data.length; i += 4) fds.push(data.readInt32LE(i));
  }
  return fds;
}

/** Datagram socketpair, closed after `fn`. */
async function withPair(bs: Bs, fn: (a: InstanceType<Bs['Socket']>, b: InstanceType<Bs['Socket']>) => Promise<void> | void): Promise<void> {
  const [a, b] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
  try {
    b.settimeout(5);
    await fn(a, b);
  } finally {
    a.close();
    b.close();
  }
}

/** An ancillary item [SOL_SOCKET, SCM_RIGHTS, data] whose data is `small` on the first reads and 1 MiB after. */
function growingRights(bs: Bs, small: Buffer, proxy: boolean): unknown {
  const big = Buffer.alloc(1 << 20, 0x41);
  let reads = 0;
  const next = (): Buffer => (++reads <= 2 ? small : big);
  if (proxy) {
    return new Proxy([bs.SOL_SOCKET, bs.SCM_RIGHTS, small], {
      get: (target, key, receiver) => (key === '2' ? next() : Reflect.get(target, key, receiver)),
    });
  }
  const item: unknown[] = [bs.SOL_SOCKET, bs.SCM_RIGHTS];
  Object.defineProperty(item, 2, { get: next, enumerable: true });
  return item;
}

type Sock = InstanceType<Bs['Socket']>;

/**
 * The address ['127.0.0.1', port] whose port getter closes `victim` and opens a socket that takes
 * its descriptor number (`reopened.socket`), as user code in a getter may.
 */
function closingAddress(bs: Bs, victim: Sock, port: number): { address: [string, number]; reopened: { socket?: Sock } } {
  const reopened: { socket?: Sock } = {};
  const address: unknown[] = ['127.0.0.1'];
  Object.defineProperty(address, 1, {
    enumerable: true,
    get: () => {
      if (!reopened.socket) {
        victim.close();
        reopened.socket = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
      }
      return port;
    },
  });
  return { address: address as [string, number], reopened };
}

/** Runs `call` with an address that closes the socket and reuses its number: EBADF, and the new socket untouched. */
async function closedByAddress(bs: Bs, call: (s: Sock, address: [string, number]) => unknown): Promise<void> {
  const receiver = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
  receiver.bind(['127.0.0.1', 0]);
  const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
  const fd = s.fd;
  const { address, reopened } = closingAddress(bs, s, receiver.getsockname()[1]);
  try {
    await assert.rejects(async () => call(s, address), (e: Error) => e instanceof bs.SocketError && e.code === 'EBADF');
    assert.equal(reopened.socket?.fd, fd, 'the new socket took the closed one\'s number');
    // Any bind, connect or send on it would have given it a local port.
    assert.deepEqual(reopened.socket.getsockname(), ['0.0.0.0', 0], 'the new socket was used');
    receiver.setblocking(false);
    assert.throws(() => receiver.recvSync(10), bs.BlockingIOError, 'something was sent');
  } finally {
    reopened.socket?.close();
    receiver.close();
  }
}

const scenarios: Record<string, (bs: Bs) => Promise<void> | void> = {
  'bind: an address getter that closes the socket and reuses its number gets EBADF, the new socket untouched':
    (bs) => closedByAddress(bs, (s, address) => s.bind(address)),
  'connectSync / connect: the same': async (bs) => {
    await closedByAddress(bs, (s, address) => s.connectSync(address));
    await closedByAddress(bs, (s, address) => s.connect(address));
  },
  'sendtoSync / sendto / sendmsgSync / sendmmsgSync: the same': async (bs) => {
    const data = Buffer.from('x');
    await closedByAddress(bs, (s, address) => s.sendtoSync(data, address));
    await closedByAddress(bs, (s, address) => s.sendto(data, 0, address));
    await closedByAddress(bs, (s, address) => s.sendmsgSync([data], null, 0, address));
    if (bs.features.sendmmsg) await closedByAddress(bs, (s, address) => s.sendmmsgSync([[data, address]]));
  },
  "send: a subclass's byteLength getter is not consulted once the descriptor is taken": async (bs) => {
    const receiver = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    receiver.bind(['127.0.0.1', 0]);
    const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    s.connectSync(receiver.getsockname());
    let other: Sock | undefined;
    class Closing extends Uint8Array {
      override get byteLength(): number {
        if (!other) {
          s.close();
          other = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
        }
        return super.byteLength;
      }
    }
    try {
      assert.equal(await s.send(new Closing(3)), 3);
      await s.sendall(new Closing(2));
      assert.equal(other, undefined, 'the getter ran');
      receiver.settimeout(5);
      assert.equal(receiver.recvSync(10).length, 3);
      assert.equal(receiver.recvSync(10).length, 2);
    } finally {
      other?.close();
      s.close();
      receiver.close();
    }
  },
  'sendmsgSync: ancillary data small when sized, 1 MiB when copied (getter)': (bs) => withPair(bs, (a, b) => {
    const fd = Buffer.from(Int32Array.of(a.fd).buffer);
    assert.equal(a.sendmsgSync([Buffer.from('x')], [growingRights(bs, fd, false) as Ancillary]), 1);
    const [data, anc] = b.recvmsgSync(10, bs.CMSG_SPACE(64));
    const fds = receivedFds(bs, anc);
    fds.forEach((f) => fs.closeSync(f));
    assert.equal(data.toString(), 'x');
    assert.equal(fds.length, 1, 'one descriptor: the data as it was read, once');
  }),

  'sendmsg (Promise): ancillary data that grows on each read (Proxy)': (bs) => withPair(bs, async (a, b) => {
    const fd = Buffer.from(Int32Array.of(a.fd).buffer);
    assert.equal(await a.sendmsg([Buffer.from('y')], [growingRights(bs, fd, true) as Ancillary]), 1);
    const [data, anc] = b.recvmsgSync(10, bs.CMSG_SPACE(64));
    const fds = receivedFds(bs, anc);
    fds.forEach((f) => fs.closeSync(f));
    assert.equal(data.toString(), 'y');
    assert.equal(fds.length, 1);
  }),

  'sendmsgSync: a getter on buffers[1] detaches the buffer then at buffers[0] and runs gc': (bs) => withPair(bs, (a, b) => {
    const list: unknown[] = [Buffer.alloc(4096, 0x61)];
    Object.defineProperty(list, 1, {
      enumerable: true,
      get() {
        const victim = list[0] as Uint8Array;
        list[0] = Buffer.alloc(4096, 0x62);  // the next reader of list[0] gets a fresh buffer…
        detach(victim);                       // …and the one read before is gone
        return Buffer.from('tail');
      },
    });
    const sent = a.sendmsgSync(list as Uint8Array[]);
    const data = b.recvSync(10000);
    assert.equal(data.toString(), 'tail', 'a buffer detached during the call sends nothing');
    assert.equal(sent, 4);
  }),

  'recvmmsgSync: a getter on buffers[1] detaches the buffer then at buffers[0] and runs gc': (bs) => {
    const rx = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    const tx = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    try {
      rx.bind(['127.0.0.1', 0]);
      rx.settimeout(5);
      const to = rx.getsockname() as [string, number];
      tx.sendtoSync(Buffer.alloc(3000, 0x63), to);
      tx.sendtoSync(Buffer.from('second'), to);
      const list: unknown[] = [new Uint8Array(4096)];
      Object.defineProperty(list, 1, {
        enumerable: true,
        get() {
          const victim = list[0] as Uint8Array;
          list[0] = new Uint8Array(4096);
          detach(victim);
          return new Uint8Array(100);
        },
      });
      const got = rx.recvmmsgSync(list as Uint8Array[]);
      assert.ok(got.length >= 1);
      assert.equal(got[0][0], 0, 'the kernel wrote nothing for a buffer that was detached');
    } finally {
      rx.close();
      tx.close();
    }
  },

  'sendmsgSync: a getter shrinks the list: what was read is sent': (bs) => withPair(bs, (a, b) => {
    const list: unknown[] = [Buffer.from('ab')];
    Object.defineProperty(list, 1, { enumerable: true, configurable: true, get() { list.length = 1; return Buffer.from('cd'); } });
    list.length = 2;
    const sent = a.sendmsgSync(list as Uint8Array[]);
    assert.equal(b.recvSync(100).toString(), 'abcd');
    assert.equal(sent, 4);
  }),

  'sendmsgSync: buffers that change size on every read (Proxy of the list)': (bs) => withPair(bs, (a, b) => {
    let reads = 0;
    const list = new Proxy([Buffer.alloc(1)], {
      get: (target, key, receiver) => (key === '0' ? Buffer.alloc(++reads === 1 ? 3 : 60000, 0x64) : Reflect.get(target, key, receiver)),
    });
    const sent = a.sendmsgSync(list);
    assert.equal(reads, 1, 'each element is read once');
    assert.equal(sent, 3);
    assert.equal(b.recvSync(100000).length, 3);
  }),

  'sendmsgSync: a Proxy of a Buffer in the list is a TypeError': (bs) => withPair(bs, (a) => {
    assert.throws(() => a.sendmsgSync([new Proxy(Buffer.from('x'), {})]), (e: unknown) => e instanceof TypeError && (e as { code?: string }).code === 'ERR_INVALID_ARG_TYPE');
  }),

  'sendFdsSync: a getter in fds closes the socket: EBADF, nothing sent': (bs) => withPair(bs, (a, b) => {
    const fds: unknown[] = [];
    Object.defineProperty(fds, 0, { enumerable: true, get() { a.close(); return b.fd; } });
    assert.throws(() => bs.sendFdsSync(a, [Buffer.from('z')], fds as number[]), (e: unknown) => e instanceof bs.SocketError && (e as { code?: string }).code === 'EBADF');
  }),

  'sendFds (Promise): fds from a Proxy that answers differently on each read': (bs) => withPair(bs, async (a, b) => {
    let reads = 0;
    const fds = new Proxy([a.fd], { get: (t, k, r) => (k === '0' ? (++reads === 1 ? a.fd : -1) : Reflect.get(t, k, r)) });
    assert.equal(await bs.sendFds(a, [Buffer.from('w')], fds), 1);
    const [data, received] = bs.recvFdsSync(b, 10, 4);
    received.forEach((f) => fs.closeSync(f));
    assert.equal(data.toString(), 'w');
    assert.equal(received.length, 1);
  }),
};

if (process.env.BSD_USER_CODE_SCENARIO) {
  const bs = require('../lib') as Bs;
  Promise.resolve().then(() => scenarios[process.env.BSD_USER_CODE_SCENARIO!](bs)).then(
    () => process.exit(0),
    (e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exit(1); },
  );
} else if (typeof describe === 'function') {
  describe('user code in the middle of a call (getters, Proxies, detach + gc)', () => {
    for (const name of Object.keys(scenarios)) {
      it(name, function () {
        this.timeout(30000);
        if (name.startsWith('recvmmsg') && !features.recvmmsg) {
          console.log(`      (skipped: recvmmsg is not available in this build for ${process.platform})`);
          this.skip();
        }
        const r = spawnSync(process.execPath, ['--expose-gc', __filename], {
          env: { ...process.env, BSD_USER_CODE_SCENARIO: name }, encoding: 'utf8', timeout: 25000,
        });
        assert.equal(r.signal, null, `the child died of ${r.signal}:\n${r.stderr.slice(-3000)}`);
        assert.equal(r.status, 0, `the scenario failed (exit ${r.status}):\n${r.stderr.slice(-3000)}`);
      });
    }
  });
}
