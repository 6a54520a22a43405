// One owner per descriptor (issue 19): a Socket's FdHandle (native/handle.cc) closes the
// descriptor exactly once, on close(), on garbage collection or when its Worker ends, and never a
// number it no longer owns (after detach(), a module close(fd), or a close behind its back).
// Descriptors are identified by their /proc link, since a closed number is reused at once.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as bs from '../lib/index';
import { native, type NativeWatcherClass } from '../lib/binding/native';
import { countOpenFds } from './helpers';

const INDEX = JSON.stringify(path.join(__dirname, '..', 'lib', 'index.js'));

const link = (fd: number): string => {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'error';
  }
};

/** Runs `script` in a child node with --expose-gc and returns what it printed last, as JSON. */
function runChild(script: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--expose-gc', '-e', script], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20000,
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

// The child's helpers: /proc links, and a gc loop until `done()` or ten rounds.
const CHILD_PRELUDE = `
const bs = require(${INDEX});
const fs = require('fs');
const link = (fd) => { try { return fs.readlinkSync('/proc/self/fd/' + fd); } catch (e) { return e.code; } };
const collect = async (done) => {
  for (let i = 0; i < 10 && !done(); i++) {
    globalThis.gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setImmediate(r));
};
`;

describe('descriptor ownership (FdHandle)', function () {
  this.timeout(30000);

  it('closes the descriptors of Sockets dropped without close() after GC, even while watched', () => {
    const out = runChild(`${CHILD_PRELUDE}
const warned = [];
process.on('warning', (w) => { if (w.code === 'BSD_SOCKETS_UNCLOSED') warned.push(w.message); });
let fds, links;
(async () => {
  await (async () => {
    const [a, b] = bs.socketpair();
    b.sendSync(Buffer.from('x'));
    await a.recv(1);  // a Promise receive: a's descriptor now has a kept watch
    fds = [a.fd, b.fd];
    links = fds.map(link);
  })();
  await collect(() => fds.every((fd, i) => link(fd) !== links[i]));
  console.log(JSON.stringify({ links, now: fds.map(link), warned: warned.length }));
})();
`);
    const links = out.links as string[];
    assert.match(links[0], /^socket:\[\d+\]$/);
    assert.notEqual((out.now as string[])[0], links[0], `the watched socket stayed open: ${JSON.stringify(out)}`);
    assert.notEqual((out.now as string[])[1], links[1], `the unwatched socket stayed open: ${JSON.stringify(out)}`);
    assert.equal(out.warned, 2);
  });

  it('GC of a detached Socket, or of one whose number was closed with close(fd), spares the reused number', () => {
    const out = runChild(`${CHILD_PRELUDE}
let detachedFd, closedFd, keepers;
(() => {
  const d = bs.socket();
  detachedFd = d.detach();
  const c = bs.socket();
  closedFd = c.fd;
  bs.close(closedFd);  // the module's close(fd) of a Socket's number: its handle gives it up
})();
bs.close(detachedFd);
keepers = [bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM), bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM)];
const links = keepers.map((k) => link(k.fd));
(async () => {
  for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 20)); }
  await new Promise((r) => setImmediate(r));
  console.log(JSON.stringify({ fds: keepers.map((k) => k.fd), expected: [detachedFd, closedFd].sort(),
    links, now: keepers.map((k) => link(k.fd)) }));
})();
`);
    assert.deepEqual([...(out.fds as number[])].sort(), out.expected, 'the numbers were reused');
    assert.deepEqual(out.now, out.links, `a finalizer closed a reused number: ${JSON.stringify(out)}`);
  });

  it('a Worker that exits with open sockets (watched or not) closes them', async () => {
    const { Worker } = await import('node:worker_threads');
    const before = countOpenFds();
    const worker = new Worker(`
const bs = require(${INDEX});
const { parentPort } = require('worker_threads');
(async () => {
  const kept = [];
  for (let i = 0; i < 4; i++) kept.push(...bs.socketpair());
  const srv = bs.socket();
  srv.bind(['127.0.0.1', 0]);
  srv.listen();
  kept.push(srv);
  void srv.accept().catch(() => {});  // pending at exit: its watcher is open too
  kept[0].sendSync(Buffer.from('x'));
  await kept[1].recv(1);
  globalThis.kept = kept;
  parentPort.postMessage(kept.length);
})();
`, { eval: true });
    const opened = await new Promise<number>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.equal(opened, 9);
    assert.ok(countOpenFds() >= before + opened, 'the Worker\'s sockets are open while it runs');
    await worker.terminate();
    assert.equal(countOpenFds(), before, 'the Worker\'s sockets were left open');
  });

  /** Opens a socket on the number `fd` (just closed) and asserts that `act` leaves it open. */
  function assertReusedSpared(fd: number, act: () => void, what: string): void {
    const t = bs.socket(bs.AF_UNIX, bs.SOCK_DGRAM);
    try {
      assert.equal(t.fd, fd, 'the number was reused');
      const reused = link(fd);
      act();
      assert.equal(link(fd), reused, what);
    } finally {
      t.close();
    }
  }

  it('close() twice never closes a reused descriptor number', () => {
    const s = bs.socket();
    const fd = s.fd;
    s.close();
    assertReusedSpared(fd, () => s.close(), 'the second close() closed the new socket');
  });

  it('close() after detach() never closes the descriptor, nor its reused number', () => {
    const s = bs.socket();
    const fd = s.detach();
    const before = link(fd);
    s.close();
    assert.equal(link(fd), before, 'close() after detach() closed the detached descriptor');
    bs.close(fd);
    assertReusedSpared(fd, () => s.close(), 'close() after detach() closed the new socket');
  });

  it('a descriptor closed behind a Socket\'s back and reused by a new socket is not closed by the stale Socket', () => {
    const s = bs.socket();
    const fd = s.fd;
    fs.closeSync(fd);  // not through the Socket: its handle cannot know
    assertReusedSpared(fd, () => s.close(), 'the stale Socket closed the new socket');
  });

  it('handleOf() names the owner of our descriptors only, until it closes or gives them up', () => {
    const s = bs.socket();
    const fd = s.fd;
    assert.equal(native.handleOf(fd)?.fd, fd);
    assert.equal(native.handleOf(0), undefined);
    const raw = s.detach();
    assert.equal(native.handleOf(raw), undefined);
    const t = new bs.Socket(undefined, undefined, undefined, raw);
    assert.equal(native.handleOf(raw)?.fd, raw);
    t.close();
    assert.equal(native.handleOf(raw), undefined);
  });

  describe('a watcher built on a handle is stopped by it before the descriptor goes', () => {
    const backends: Array<[string, NativeWatcherClass | undefined, () => boolean]> = [
      ['libuv', native.UvWatcher, () => true],
      ['poll thread', native.ThreadWatcher, () => true],
      ['io_uring', native.UringWatcher, () => native.startUring!() === 0],
    ];
    for (const [name, Watcher, usable] of backends) {
      for (const ending of ['close', 'release'] as const) {
        it(`${name}: ${ending}() stops the watcher; no callback comes after it`, async function () {
          if (Watcher === undefined || !usable()) {
            console.log(`    skipped: no ${name} watcher here`);
            this.skip();
          }
          const fds = new Int32Array(2);
          assert.equal(native.socketpair(bs.AF_UNIX, bs.SOCK_STREAM, 0, true, fds), 0);
          const handle = new native.FdHandle(fds[0], true);
          let calls = 0;
          const watcher = new Watcher(handle, () => { calls++; });
          try {
            assert.equal(watcher.start(bs.POLLIN), 0);
            if (ending === 'close') {
              assert.equal(handle.close(), 0);
              assert.notEqual(link(fds[0]).startsWith('socket:'), true, 'close() left the descriptor open');
            } else {
              assert.equal(handle.release(), fds[0]);
              assert.match(link(fds[0]), /^socket:/, 'release() closed the descriptor');
            }
            assert.equal(handle.fd, -1);
            assert.equal(watcher.start(bs.POLLIN), -native.errnoNames.EBADF, 'the watcher still runs');
            if (ending === 'release') assert.equal(native.send(fds[1], Buffer.from('x'), 0, 1, 0), 1);
            await new Promise((resolve) => setTimeout(resolve, 50));
            assert.equal(calls, 0);
          } finally {
            watcher.close();
            if (ending === 'release') native.close(fds[0]);
            native.close(fds[1]);
          }
        });
      }
    }
  });
});
