// DefaultSelector and the named selectors (lib/modules/selectors.ts) against Python's selectors module: the
// same calls in both, keys, results and errors compared; then the Promise form on the event loop.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  DefaultSelector, EpollSelector, PollSelector, KqueueSelector, BaseSelector, KeyError, EVENT_READ, EVENT_WRITE,
  defaultSelectorMechanism, socketpair, SocketError, type Socket, type SelectorKey,
} from '../lib';
import { countOpenFds } from './helpers';

type Outcome = { ok: unknown } | { error: string };

// `a`, `b`: a socketpair; keys are reported as [name, events, data], fds by name.
const PYTHON = String.raw`
import json, selectors, socket, sys
sel = getattr(selectors, sys.argv[1])()
a, b = socket.socketpair()
names = {a.fileno(): "a", b.fileno(): "b"}
def k(key): return [names.get(key.fd, key.fd), key.events, key.data]
def ready(lst): return sorted([k(key), ev] for key, ev in lst)
steps = [
 lambda: k(sel.register(a, selectors.EVENT_READ, "da")),
 lambda: k(sel.register(a, selectors.EVENT_WRITE)),
 lambda: k(sel.register(a.fileno(), selectors.EVENT_WRITE)),
 lambda: k(sel.register(b, 0)),
 lambda: k(sel.register(b, 4)),
 lambda: k(sel.register(b, selectors.EVENT_READ | selectors.EVENT_WRITE, {"x": 1})),
 lambda: ready(sel.select(0)),
 lambda: (b.send(b"x"), ready(sel.select(0)))[1],
 lambda: ready(sel.select(-1)),
 lambda: k(sel.modify(a, selectors.EVENT_READ | selectors.EVENT_WRITE, "d2")),
 lambda: ready(sel.select(None)),
 lambda: k(sel.modify(b, selectors.EVENT_READ, {"x": 1})),
 lambda: k(sel.get_key(b)),
 lambda: sorted(names[fd] for fd in sel.get_map()),
 lambda: len(sel.get_map()),
 lambda: k(sel.unregister(b)),
 lambda: k(sel.unregister(b)),
 lambda: k(sel.get_key(b)),
 lambda: k(sel.modify(b, selectors.EVENT_READ)),
 lambda: (a.recv(10), ready(sel.select(0.03)))[1],
 lambda: (b.close(), None)[1],
 lambda: sel.close(),
 lambda: sel.get_map(),
 lambda: sel.close(),
]
out = []
for step in steps:
    try:
        out.append({"ok": step()})
    except Exception as x:
        out.append({"error": type(x).__name__})
print(json.dumps(out))
`;

function pythonName(error: unknown): Outcome {
  if (error instanceof KeyError) return { error: 'KeyError' };
  if (error instanceof RangeError) return { error: 'ValueError' };
  throw error;
}

function ours(selector: BaseSelector<Socket | number, unknown>): Outcome[] {
  const [a, b] = socketpair();
  const names = new Map([[a.fileno(), 'a'], [b.fileno(), 'b']]);
  const k = (key: SelectorKey<unknown, unknown>): unknown => [names.get(key.fd) ?? key.fd, key.events, key.data ?? null];
  const ready = (list: Array<[SelectorKey<unknown, unknown>, number]>): unknown =>
    list.map(([key, ev]) => [k(key), ev]).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1));
  const steps: Array<() => unknown> = [
    () => k(selector.register(a, EVENT_READ, 'da')),
    () => k(selector.register(a, EVENT_WRITE)),
    () => k(selector.register(a.fileno(), EVENT_WRITE)),
    () => k(selector.register(b, 0)),
    () => k(selector.register(b, 4)),
    () => k(selector.register(b, EVENT_READ | EVENT_WRITE, { x: 1 })),
    () => ready(selector.selectSync(0)),
    () => { b.sendSync(Buffer.from('x')); return ready(selector.selectSync(0)); },
    () => ready(selector.selectSync(-1)),
    () => k(selector.modify(a, EVENT_READ | EVENT_WRITE, 'd2')),
    () => ready(selector.selectSync(null)),
    () => k(selector.modify(b, EVENT_READ, { x: 1 })),
    () => k(selector.getKey(b)),
    () => [...selector.getMap()!.keys()].map((fd) => names.get(fd)).sort(),
    () => selector.getMap()!.size,
    () => k(selector.unregister(b)),
    () => k(selector.unregister(b)),
    () => k(selector.getKey(b)),
    () => k(selector.modify(b, EVENT_READ)),
    () => { a.recvSync(10); return ready(selector.selectSync(0.03)); },
    () => { b.close(); return null; },
    () => selector.close(),
    () => selector.getMap(),
    () => selector.close(),
  ];
  const out = steps.map((step): Outcome => {
    try {
      const value = step();
      return { ok: value === undefined ? null : value };
    } catch (error) {
      return pythonName(error);
    }
  });
  a.close();
  return out;
}

const linux = process.platform === 'linux';
const kinds: Array<[string, () => BaseSelector<Socket | number, unknown>, boolean]> = [
  ['EpollSelector', () => new EpollSelector(), linux],
  ['PollSelector', () => new PollSelector(), true],
  ['KqueueSelector', () => new KqueueSelector(), process.platform === 'darwin' || process.platform.endsWith('bsd')],
];

describe('selectors against Python\'s selectors', () => {
  for (const [name, make, here] of kinds) {
    (here ? it : it.skip)(`${name} gives Python's keys, results and errors`, () => {
      const expected = JSON.parse(execFileSync('python3', ['-c', PYTHON, name], { encoding: 'utf8' })) as Outcome[];
      const actual = ours(make());
      assert.equal(actual.length, expected.length);
      actual.forEach((outcome, i) => assert.deepEqual(outcome, expected[i], `step ${i + 1}`));
    });
  }

  it('DefaultSelector is the platform\'s best, as Python\'s', () => {
    const python = execFileSync('python3', ['-c', 'import selectors; print(selectors.DefaultSelector.__name__)'],
      { encoding: 'utf8' }).trim();
    assert.equal(`${defaultSelectorMechanism[0].toUpperCase()}${defaultSelectorMechanism.slice(1)}Selector`, python);
    const selector = new DefaultSelector();
    selector.close();
  });

  it('has Python\'s EVENT_READ and EVENT_WRITE', () => {
    const py = execFileSync('python3', ['-c', 'import selectors; print(selectors.EVENT_READ, selectors.EVENT_WRITE)'],
      { encoding: 'utf8' }).trim();
    assert.equal(`${EVENT_READ} ${EVENT_WRITE}`, py);
  });
});

describe('DefaultSelector', () => {
  let open: Socket[] = [];
  const newPair = (): [Socket, Socket] => {
    const p = socketpair();
    open.push(...p);
    return p;
  };
  afterEach(() => {
    for (const s of open) s.close();
    open = [];
  });

  it('waits on the event loop in select() and gives the key with its data', async () => {
    const [a, b] = newPair();
    using selector = new DefaultSelector<Socket, string>();
    selector.register(a, EVENT_READ, 'mine');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    const pending = selector.select();
    setTimeout(() => b.sendSync(Buffer.from('x')), 60);
    const ready = await pending;
    clearInterval(ticker);
    assert.equal(ready.length, 1);
    assert.equal(ready[0][0].fileobj, a);
    assert.equal(ready[0][0].data, 'mine');
    assert.equal(ready[0][1], EVENT_READ);
    assert.ok(ticks >= 3, `the loop ran (${ticks} ticks) while select() waited`);
  });

  it('times out in select() no sooner than asked', async () => {
    const [a] = newPair();
    using selector = new DefaultSelector();
    selector.register(a, EVENT_READ);
    const start = performance.now();
    assert.deepEqual(await selector.select(0.06), []);
    assert.ok(performance.now() - start >= 59);
  });

  it('unregisters a socket closed first, found by identity as in Python', () => {
    const [a] = newPair();
    using selector = new DefaultSelector();
    const key = selector.register(a, EVENT_READ);
    a.close();
    assert.equal(selector.unregister(a), key);
    assert.equal(selector.getMap()!.size, 0);
  });

  it('throws KeyError with the file object, and SocketError EBADF once closed', () => {
    const [a] = newPair();
    const selector = new DefaultSelector();
    assert.throws(() => selector.getKey(a), (e: KeyError) => e instanceof KeyError && e.key === a && e.name === 'KeyError');
    assert.throws(() => selector.register({} as never, EVENT_READ), { code: 'ERR_INVALID_ARG_TYPE' });
    selector.close();
    assert.equal(selector.getMap(), null);
    assert.throws(() => selector.register(a, EVENT_READ), (e: SocketError) => e.code === 'EBADF');
    assert.throws(() => selector.selectSync(0), (e: SocketError) => e.code === 'EBADF');
  });

  it('modify() of a file object not registered is KeyError whatever the events, as Python looks the key up first', () => {
    // regression (differential suite, issue 22): ours checked the events first (RangeError, TypeError)
    const [a] = newPair();
    using selector = new DefaultSelector();
    const python = execFileSync('python3', ['-c', `import selectors, socket
a, b = socket.socketpair()
sel = selectors.DefaultSelector()
for events in (4, 0, 'x'):
    try: sel.modify(a, events); print('no error')
    except KeyError: print('KeyError')`], { encoding: 'utf8' }).trim().split('\n');
    const ours = [4, 0, 'x'].map((events) => {
      try {
        selector.modify(a, events as number);
        return 'no error';
      } catch (error) {
        return (error as Error).name;
      }
    });
    assert.deepEqual(ours, python);
    assert.deepEqual(ours, ['KeyError', 'KeyError', 'KeyError']);
  });

  it('unregisters a file object whose modify() the kernel refused, as Python', () => {
    // regression (differential suite, issue 22): the key stayed in the map after epoll_ctl failed (EBADF)
    const python = execFileSync('python3', ['-c', `import selectors, socket
a, b = socket.socketpair()
sel = selectors.DefaultSelector()
sel.register(a, selectors.EVENT_READ)
a.close()
try: sel.modify(a, selectors.EVENT_WRITE); print('no error')
except OSError as e: print(e.errno)
print(len(sel.get_map()))`], { encoding: 'utf8' }).trim().split('\n');
    const [a] = newPair();
    using selector = new DefaultSelector();
    selector.register(a, EVENT_READ);
    a.close();
    assert.throws(() => selector.modify(a, EVENT_WRITE), (e: SocketError) => String(e.errno) === python[0]);
    assert.equal(String(selector.getMap()!.size), python[1]);
    assert.deepEqual(python, ['9', '0']);
  });

  it('rejects a pending select() when aborted', async () => {
    const [a] = newPair();
    using selector = new DefaultSelector();
    selector.register(a, EVENT_READ);
    const controller = new AbortController();
    const pending = selector.select(null, { signal: controller.signal });
    controller.abort(new Error('stop'));
    await assert.rejects(pending, (e: Error) => e.name === 'AbortError' && (e as { code?: string }).code === 'ABORT_ERR' && (e.cause as Error).message === 'stop');
  });

  it('leaves no descriptor open', async () => {
    const before = countOpenFds();
    for (let i = 0; i < 20; i++) {
      const [a, b] = socketpair();
      const selector = new DefaultSelector();
      selector.register(a, EVENT_READ);
      const p = selector.select(1);
      b.sendSync(Buffer.from('x'));
      await p;
      selector.close();
      a.close();
      b.close();
    }
    assert.equal(countOpenFds(), before);
  });
});

describe('epoll and DefaultSelector in a worker thread', () => {
  it('work there, and what the worker leaves open is closed when it exits', async () => {
    const before = countOpenFds();
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       const lib = require(workerData.lib);
       (async () => {
         const [a, b] = lib.socketpair();
         const selector = new lib.DefaultSelector();
         selector.register(a, lib.EVENT_READ, 'w');
         const pending = selector.select(5);
         b.sendSync(Buffer.from('x'));
         const [[key, events]] = await pending;
         parentPort.postMessage([key.data, events]);
         // selector, a and b are left open on purpose: the environment's end must close them
       })();`,
      { eval: true, workerData: { lib: path.join(__dirname, '..', 'lib', 'index.js') } },
    );
    const message = await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    assert.deepEqual(message, ['w', EVENT_READ]);
    await worker.terminate();
    assert.equal(countOpenFds(), before);
  });
});
