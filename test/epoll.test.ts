// epoll() (lib/modules/epoll.ts) against Python's select.epoll: the same sequence of calls in both, results
// and errors compared step by step; then what Python cannot show (the Promise form, close under a
// pending poll, descriptors, CLOEXEC).
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { epoll, Epoll, socketpair, SocketError, EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT, EPOLLPRI, EPOLLRDHUP,
  EPOLLEXCLUSIVE, EPOLLERR, EPOLLHUP, EPOLL_CLOEXEC, type Socket } from '../lib';
import { native } from '../lib/binding/native';
import { countOpenFds } from './helpers';
import { poll } from '../lib/modules/select';
import { isWatched } from '../lib/engine/readiness';
import { WAKESET_MIN } from '../lib/engine/wakeset';

const { POLLIN, POLLOUT, POLLNVAL } = native.constants;

const linux = process.platform === 'linux';
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** One step's outcome, as both languages report it: a value, or the Python exception's class and errno. */
type Outcome = { ok: unknown } | { error: string; errno: number | null };

// The same steps in Python: `a`/`b` a socketpair, `f` a regular file, fds reported by name.
const PYTHON = String.raw`
import json, os, select, socket, sys, tempfile
a, b = socket.socketpair()
f = tempfile.TemporaryFile()
ep = select.epoll()
names = {a.fileno(): "a", b.fileno(): "b"}
def ev(lst): return [[names.get(fd, fd), e] for fd, e in lst]
steps = [
 ("register a", lambda: ep.register(a)),
 ("register a again", lambda: ep.register(a)),
 ("modify b", lambda: ep.modify(b, select.EPOLLIN)),
 ("unregister b", lambda: ep.unregister(b)),
 ("poll 0", lambda: ev(ep.poll(0))),
 ("send", lambda: b.send(b"x") and None),
 ("poll 0 readable", lambda: ev(ep.poll(0))),
 ("register b out", lambda: ep.register(b.fileno(), select.EPOLLOUT)),
 ("poll maxevents 1", lambda: len(ep.poll(0, 1))),
 ("poll maxevents 0", lambda: ep.poll(0, 0)),
 ("poll maxevents -2", lambda: ep.poll(0, -2)),
 ("modify a edge", lambda: ep.modify(a, select.EPOLLIN | select.EPOLLET)),
 ("unregister b", lambda: ep.unregister(b)),
 ("poll edge 1", lambda: ev(ep.poll(0))),
 ("poll edge 2", lambda: ev(ep.poll(0))),
 ("modify a oneshot", lambda: ep.modify(a, select.EPOLLIN | select.EPOLLONESHOT)),
 ("poll oneshot 1", lambda: ev(ep.poll(0))),
 ("poll oneshot 2", lambda: ev(ep.poll(0))),
 ("unregister a", lambda: ep.unregister(a)),
 ("register file", lambda: ep.register(f)),
 ("register -1", lambda: ep.register(-1)),
 ("poll None ready", lambda: (ep.register(a, select.EPOLLIN), ev(ep.poll(None)))[1]),
 ("poll -1 ready", lambda: ev(ep.poll(-1))),
 ("poll 0.05 timeout", lambda: (ep.unregister(a), ep.poll(0.05))[1]),
 ("closed before", lambda: ep.closed),
 ("close", lambda: ep.close()),
 ("closed after", lambda: ep.closed),
 ("close again", lambda: ep.close()),
 ("poll closed", lambda: ep.poll(0)),
 ("register closed", lambda: ep.register(b)),
 ("fileno closed", lambda: ep.fileno()),
 ("sizehint 0", lambda: select.epoll(0)),
 ("sizehint -2", lambda: select.epoll(-2)),
 ("sizehint 10", lambda: select.epoll(10).close()),
 ("flags 1", lambda: select.epoll(-1, 1)),
 ("flags CLOEXEC", lambda: select.epoll(-1, select.EPOLL_CLOEXEC).close()),
]
out = []
for name, step in steps:
    try:
        out.append({"ok": step()})
    except Exception as x:
        out.append({"error": type(x).__name__, "errno": getattr(x, "errno", None)})
print(json.dumps(out))
`;

/** Python's name for the error we throw: the exception class Python raises in the same place. */
function pythonName(error: unknown): Outcome {
  if (error instanceof RangeError) return { error: 'ValueError', errno: null };
  if (error instanceof SocketError && /closed epoll/.test(error.message)) return { error: 'ValueError', errno: null };
  if (error instanceof SocketError) {
    const names: Record<string, string> = { EEXIST: 'FileExistsError', ENOENT: 'FileNotFoundError', EPERM: 'PermissionError' };
    return { error: names[error.code] ?? 'OSError', errno: error.errno };
  }
  throw error;
}

function ours(): Outcome[] {
  const [a, b] = socketpair();
  const file = fs.openSync('/proc/self/exe', 'r');
  const ep = epoll();
  const names = new Map([[a.fileno(), 'a'], [b.fileno(), 'b']]);
  const ev = (list: Array<[number, number]>): unknown => list.map(([fd, e]) => [names.get(fd) ?? fd, e]);
  const steps: Array<[string, () => unknown]> = [
    ['register a', () => ep.register(a)],
    ['register a again', () => ep.register(a)],
    ['modify b', () => ep.modify(b, EPOLLIN!)],
    ['unregister b', () => ep.unregister(b)],
    ['poll 0', () => ev(ep.pollSync(0))],
    ['send', () => void b.sendSync(Buffer.from('x'))],
    ['poll 0 readable', () => ev(ep.pollSync(0))],
    ['register b out', () => ep.register(b.fileno(), EPOLLOUT)],
    ['poll maxevents 1', () => ep.pollSync(0, 1).length],
    ['poll maxevents 0', () => ep.pollSync(0, 0)],
    ['poll maxevents -2', () => ep.pollSync(0, -2)],
    ['modify a edge', () => ep.modify(a, EPOLLIN! | EPOLLET!)],
    ['unregister b', () => ep.unregister(b)],
    ['poll edge 1', () => ev(ep.pollSync(0))],
    ['poll edge 2', () => ev(ep.pollSync(0))],
    ['modify a oneshot', () => ep.modify(a, EPOLLIN! | EPOLLONESHOT!)],
    ['poll oneshot 1', () => ev(ep.pollSync(0))],
    ['poll oneshot 2', () => ev(ep.pollSync(0))],
    ['unregister a', () => ep.unregister(a)],
    ['register file', () => ep.register(file)],
    ['register -1', () => ep.register(-1)],
    ['poll None ready', () => { ep.register(a, EPOLLIN); return ev(ep.pollSync(null)); }],
    ['poll -1 ready', () => ev(ep.pollSync(-1))],
    ['poll 0.05 timeout', () => { ep.unregister(a); return ep.pollSync(0.05); }],
    ['closed before', () => ep.closed],
    ['close', () => ep.close()],
    ['closed after', () => ep.closed],
    ['close again', () => ep.close()],
    ['poll closed', () => ep.pollSync(0)],
    ['register closed', () => ep.register(b)],
    ['fileno closed', () => ep.fileno()],
    ['sizehint 0', () => epoll(0)],
    ['sizehint -2', () => epoll(-2)],
    ['sizehint 10', () => epoll(10).close()],
    ['flags 1', () => epoll(-1, 1)],
    ['flags CLOEXEC', () => epoll(-1, EPOLL_CLOEXEC).close()],
  ];
  const out = steps.map(([, step]): Outcome => {
    try {
      const value = step();
      return { ok: value === undefined ? null : value };
    } catch (error) {
      return pythonName(error);
    }
  });
  a.close();
  b.close();
  fs.closeSync(file);
  return out;
}

/** The names of the steps, to say which one differs. */
const STEP_NAMES = [...PYTHON.matchAll(/^ \("([^"]+)"/gm)].map((m) => m[1]);

(linux ? describe : describe.skip)('epoll() against Python\'s select.epoll', () => {
  it('has Python\'s EPOLL* values', () => {
    const py = JSON.parse(execFileSync('python3', ['-c',
      'import json, select; print(json.dumps({n: getattr(select, n) for n in dir(select) if n.startswith("EPOLL")}))'],
    { encoding: 'utf8' })) as Record<string, number>;
    const ourValues: Record<string, number | undefined> = { EPOLLIN, EPOLLOUT, EPOLLET, EPOLLONESHOT, EPOLLPRI, EPOLLRDHUP,
      EPOLLEXCLUSIVE, EPOLLERR, EPOLLHUP, EPOLL_CLOEXEC };
    assert.ok(Object.keys(py).length >= 10);
    for (const [name, value] of Object.entries(py)) {
      assert.equal(native.constants[name], value, name);
    }
    for (const [name, value] of Object.entries(ourValues)) assert.equal(value, py[name], name);
  });

  it('gives the same results and errors for the same calls', () => {
    const expected = JSON.parse(execFileSync('python3', ['-c', PYTHON], { encoding: 'utf8' })) as Outcome[];
    const actual = ours();
    assert.equal(actual.length, expected.length);
    assert.equal(STEP_NAMES.length, expected.length);
    actual.forEach((outcome, i) => {
      const want = expected[i];
      // Python raises OSError('invalid flags') without an errno; ours says EINVAL.
      if ('error' in want && want.error === 'OSError' && want.errno === null && 'error' in outcome) outcome.errno = null;
      assert.deepEqual(outcome, want, `step "${STEP_NAMES[i]}"`);
    });
  });
});

(linux ? describe : describe.skip)('epoll()', () => {
  let pairs: Socket[][] = [];
  const newPair = (): [Socket, Socket] => {
    const p = socketpair();
    pairs.push(p);
    return p;
  };
  afterEach(() => {
    for (const p of pairs) for (const s of p) s.close();
    pairs = [];
  });

  it('makes a close-on-exec descriptor', () => {
    const ep = epoll();
    try {
      assert.equal(native.getFdFlags(ep.fileno()) & 2, 2);
      assert.match(fs.readlinkSync(`/proc/self/fd/${ep.fileno()}`), /eventpoll/);
    } finally {
      ep.close();
    }
  });

  it('waits on the event loop in poll() until a descriptor is ready', async () => {
    const [a, b] = newPair();
    using ep = epoll();
    ep.register(a, EPOLLIN);
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const pending = ep.poll();
    setTimeout(() => b.sendSync(Buffer.from('x')), 60);
    const ready = await pending;
    clearInterval(ticker);
    assert.deepEqual(ready, [[a.fileno(), EPOLLIN]]);
    assert.ok(ticks >= 3, `the loop ran (${ticks} ticks) while poll() waited`);
  });

  it('times out in poll() no sooner than asked, with an empty list', async () => {
    const [a] = newPair();
    using ep = epoll();
    ep.register(a, EPOLLIN);
    const start = performance.now();
    assert.deepEqual(await ep.poll(0.08), []);
    assert.ok(performance.now() - start >= 79);
    assert.deepEqual(await ep.poll(0), []);
  });

  it('rejects a pending poll() when closed, and an aborted one with an AbortError whose cause is the reason', async () => {
    const [a] = newPair();
    const ep = epoll();
    ep.register(a, EPOLLIN);
    const pending = ep.poll();
    await sleep(10);
    ep.close();
    await assert.rejects(pending, (e: SocketError) => e.code === 'EBADF');
    using ep2 = epoll();
    ep2.register(a, EPOLLIN);
    const controller = new AbortController();
    const aborted = ep2.poll(null, -1, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(aborted, (e: Error) => e.name === 'AbortError' && (e as { code?: string }).code === 'ABORT_ERR' && (e.cause as Error).message === 'stop');
  });

  it('accepts objects with fileno() and refuses other items with TypeError', () => {
    const [a, b] = newPair();
    using ep = epoll();
    ep.register({ fileno: () => a.fileno() }, EPOLLOUT);
    assert.deepEqual(ep.pollSync(0), [[a.fileno(), EPOLLOUT]]);
    assert.throws(() => ep.register({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => ep.register(b, 2 ** 32), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ep.register(b, 0.5), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ep.register(b, 'x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('checks the descriptor before the event mask, in Python\'s order', () => {
    // regression (differential suite, issue 22): register(-1, 'x') was a TypeError for the mask, Python's a ValueError for -1
    const python = execFileSync('python3', ['-c', `import select
ep = select.epoll()
for fd in (-1, 'x'):
    try: ep.register(fd, 'x'); print('no error')
    except Exception as e: print(type(e).__name__)`], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(python, ['ValueError', 'TypeError']);
    using ep = epoll();
    assert.throws(() => ep.register(-1, 'x' as never), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });  // ValueError
    assert.throws(() => ep.modify(-1, 'x' as never), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => ep.register('x' as never, 'x' as never), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('wraps an epoll descriptor with fromfd() and owns it', () => {
    const [a] = newPair();
    const ep = epoll();
    ep.register(a, EPOLLOUT);
    const copy = native.dup(ep.fileno());
    const wrapped = Epoll.fromfd(copy);
    assert.equal(epoll.fromfd, epoll.fromfd);
    assert.deepEqual(wrapped.pollSync(0), [[a.fileno(), EPOLLOUT]]);
    wrapped.close();
    assert.equal(native.getFdFlags(copy) < 0, true, 'close() closed the adopted descriptor');
    ep.close();
  });

  it('leaves no descriptor open', async () => {
    const before = countOpenFds();
    for (let i = 0; i < 20; i++) {
      const [a, b] = socketpair();
      const ep = epoll();
      ep.register(a, EPOLLIN);
      const p = ep.poll(1);
      b.sendSync(Buffer.from('x'));
      await p;
      ep.close();
      a.close();
      b.close();
    }
    assert.equal(countOpenFds(), before);
  });
});

(linux ? describe : describe.skip)('Poller with many descriptors (the epoll wake-up of wakeset.ts)', () => {
  const pairs: Socket[][] = [];
  afterEach(() => {
    for (const p of pairs.splice(0)) for (const s of p) s.close();
  });
  const many = (n: number): Array<[Socket, Socket]> => Array.from({ length: n }, () => {
    const p = socketpair();
    pairs.push(p);
    return p;
  });

  it('waits on one epoll descriptor, not a watch per descriptor, and reports what pollSync reports', async () => {
    const fdsBefore = countOpenFds();
    const set = many(WAKESET_MIN + 36);
    const poller = poll();
    for (const [a] of set) poller.register(a, POLLIN);
    const pending = poller.poll();
    await sleep(20);
    assert.equal(set.filter(([a]) => isWatched(a.fileno())).length, 0, 'no descriptor is watched on its own');
    set[7][1].sendSync(Buffer.from('x'));
    set[70][1].sendSync(Buffer.from('y'));
    const ready = await pending;
    assert.deepEqual(ready, poller.pollSync(0));
    assert.deepEqual(ready.map(([fd]) => fd).sort((x, y) => x - y), [set[7][0].fileno(), set[70][0].fileno()].sort((x, y) => x - y));
    poller.unregister(set[7][0]);
    poller.modify(set[70][0], POLLOUT);
    assert.deepEqual(await poller.poll(1), [[set[70][0].fileno(), POLLOUT]]);
    for (const [a] of set) if (a !== set[7][0]) poller.unregister(a);
    assert.equal(countOpenFds(), fdsBefore + 2 * set.length, 'the epoll descriptor is closed once nothing is registered');
  });

  it('reports a registered descriptor closed since (POLLNVAL), as poll(2) does', async () => {
    const set = many(WAKESET_MIN);
    const poller = poll();
    for (const [a] of set) poller.register(a, POLLIN);
    assert.deepEqual(await poller.poll(0), []);
    const fd = set[3][0].detach();
    native.close(fd);
    pairs[3] = [set[3][1]];
    assert.deepEqual(await poller.poll(5), [[fd, POLLNVAL]]);
    poller.unregister(fd);
    for (const [a] of set) if (!a.closed) poller.unregister(a);
  });

  it('falls back to watches for a descriptor epoll refuses (a regular file), with the same results', async () => {
    const set = many(WAKESET_MIN);
    const file = fs.openSync('/proc/self/exe', 'r');
    try {
      const poller = poll();
      for (const [a] of set) poller.register(a, POLLIN);
      poller.register(file, POLLIN);
      assert.deepEqual(await poller.poll(1), [[file, POLLIN]]);
      poller.unregister(file);
      for (const [a] of set) poller.unregister(a);
    } finally {
      fs.closeSync(file);
    }
  });
});
