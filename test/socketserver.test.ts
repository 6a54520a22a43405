// The socketserver classes, driven by Python clients in child processes (and a few of our own).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as bs from '../lib';
import {
  BaseRequestHandler, DatagramRequestHandler, StreamRequestHandler, TCPServer, UDPServer,
  UnixDatagramServer, UnixStreamServer,
} from '../lib/modules/socketserver';
import { evalInPython } from './python-oracle';
import { Tracker, countOpenFds, pythonPeer, sleep, tempDir, within } from './helpers';

/** Echoes every line, upper-cased, with readline()/write(). */
class UpperLineHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) break;
      await this.write(line.toString().toUpperCase());
    }
  }
}

/** Replies to each datagram with its bytes upper-cased. */
class UpperDatagramHandler extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    await this.reply(this.packet.toString().toUpperCase());
  }
}

/** A promise the test opens when it chooses: handlers that wait on it finish only then. */
class Gate {
  open!: () => void;
  readonly opened = new Promise<void>((resolve) => { this.open = resolve; });
}

/** How many requests a handler class saw at once. */
interface Overlap { now: number; max: number }

/**
 * A handler that reads a line, counts how many requests are in handle() at once, waits for `gate`
 * (or 200 ms without one), then answers 'done'.
 */
function countingHandler(overlap: Overlap, gate?: Gate) {
  return class extends StreamRequestHandler {
    override async handle(): Promise<void> {
      await this.readline();
      overlap.max = Math.max(overlap.max, ++overlap.now);
      await (gate ? gate.opened : sleep(200));
      overlap.now--;
      await this.write('done\n');
    }
  };
}

function portOf(server: { serverAddress: unknown }): number {
  return (server.serverAddress as bs.InetAddress)[1];
}

/** Runs a Python script with the port as argv[1]; resolves with its stdout once it exits 0. */
async function runPython(script: string, args: Array<string | number>, ms = 20000): Promise<string> {
  const { line, done } = await pythonPeer(`print('ready', flush=True)\n${script}`, args.map(String));
  assert.equal(line, 'ready');
  const out = await within(done, ms, 'python client');
  return out.slice(out.indexOf('\n') + 1);
}

/** N Python threads connect at once, each sends one line and waits for the reply; prints seconds taken. */
const TIMED_CLIENTS = `
import socket, sys, threading, time
port, n = int(sys.argv[1]), int(sys.argv[2])
replies = []
def client():
    with socket.create_connection(('127.0.0.1', port), timeout=10) as c:
        c.sendall(b'go\\n')
        replies.append(c.makefile('rb').readline())
threads = [threading.Thread(target=client) for _ in range(n)]
start = time.monotonic()
for t in threads: t.start()
for t in threads: t.join()
assert replies == [b'done\\n'] * n, replies
print(round(time.monotonic() - start, 3))
`;

describe('socketserver', () => {
  const track = new Tracker().install();
  const dir = tempDir();
  const servers: Array<{ serverClose(): void }> = [];
  afterEach(() => { for (const s of servers.splice(0)) s.serverClose(); });

  function tcp<S extends { serverClose(): void }>(server: S): S {
    servers.push(server);
    return server;
  }

  it('TCPServer + StreamRequestHandler serves 50 concurrent Python clients (readline/write)', async function () {
    this.timeout(60000);
    const server = tcp(new TCPServer(['127.0.0.1', 0], UpperLineHandler, { backlog: 64 }));
    assert.ok(portOf(server) > 0);
    const serving = server.serveForever();
    const out = await runPython(`
import socket, sys, threading
port = int(sys.argv[1])
errors = []
def client(i):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=10) as c:
            f = c.makefile('rwb')
            for j in range(20):
                line = ('client %d line %d ' % (i, j) + 'x' * (i * 37 % 500) + '\\n').encode()
                f.write(line); f.flush()
                assert f.readline() == line.upper(), (i, j)
            c.shutdown(socket.SHUT_WR)
            assert f.read() == b''
    except Exception as e:
        errors.append(repr(e))
threads = [threading.Thread(target=client, args=(i,)) for i in range(50)]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors), errors[:3])
`, [portOf(server)], 50000);
    assert.equal(out.trim(), '0 []');
    await within(server.shutdown(), 2000, 'shutdown');
    await serving;
  });

  it('UDPServer + DatagramRequestHandler answers 20 Python clients', async () => {
    const server = tcp(new UDPServer(['127.0.0.1', 0], UpperDatagramHandler));
    assert.equal(server.socket.type, bs.SOCK_DGRAM);
    const serving = server.serveForever();
    const out = await runPython(`
import socket, sys, threading
port = int(sys.argv[1])
ok = []
def client(i):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(5)
        for j in range(5):
            msg = ('datagram %d/%d' % (i, j)).encode()
            s.sendto(msg, ('127.0.0.1', port))
            data, addr = s.recvfrom(1000)
            assert data == msg.upper() and addr == ('127.0.0.1', port), (data, addr)
        ok.append(i)
threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
for t in threads: t.start()
for t in threads: t.join()
print(len(ok))
`, [portOf(server)]);
    assert.equal(out.trim(), '20');
    await server.shutdown();
    await serving;
  });

  it('serves requests concurrently by default: 10 clients are all in handle() at once', async () => {
    const overlap = { now: 0, max: 0 };
    const gate = new Gate();
    const server = tcp(new TCPServer(['127.0.0.1', 0], countingHandler(overlap, gate)));
    const serving = server.serveForever();
    const clients = runPython(TIMED_CLIENTS, [portOf(server), 10]);
    // Served one at a time, the first request would hold the gate shut and the others never come.
    while (overlap.max < 10) await sleep(10);
    gate.open();
    assert.ok(Number(await clients) >= 0);
    await server.shutdown();
    await serving;
  });

  it('{ concurrent: false } serves one at a time: 5 clients × 200 ms take at least 1 s', async () => {
    const overlap = { now: 0, max: 0 };
    const server = tcp(new TCPServer(['127.0.0.1', 0], countingHandler(overlap), { concurrent: false }));
    assert.equal(server.concurrent, false);
    const serving = server.serveForever();
    const seconds = Number(await runPython(TIMED_CLIENTS, [portOf(server), 5]));
    assert.equal(overlap.max, 1, 'never two requests in handle() at once');
    assert.ok(seconds >= 0.99, `took ${seconds} s`);
    await server.shutdown();
    await serving;
  });

  it('handleRequest() serves one request, or calls handleTimeout() after `timeout`', async () => {
    let timeouts = 0;
    class Server extends TCPServer {
      override handleTimeout(): void { timeouts++; }
    }
    const server = tcp(new Server(['127.0.0.1', 0], UpperLineHandler));
    server.timeout = 0.2;
    const start = performance.now();
    await within(server.handleRequest(), 10000, 'handleRequest');
    const took = performance.now() - start;
    assert.equal(timeouts, 1);
    assert.ok(took >= 190, `took ${took} ms`);

    server.timeout = 5;
    const client = track.add(bs.socket());
    await client.connect(['127.0.0.1', portOf(server)]);
    await client.sendall(Buffer.from('one\ntwo\n'));
    client.shutdown(bs.SHUT_WR);
    await within(server.handleRequest(), 3000, 'handleRequest');
    assert.equal(timeouts, 1, 'no timeout when a request came');
    assert.equal((await client.recv(100)).toString(), 'ONE\nTWO\n');
    assert.equal((await client.recv(100)).length, 0, 'the server closed the connection');
  });

  it('handleRequest() on a closed server rejects with EBADF, where Python raises (issue 19 #12)', async () => {
    const [python] = evalInPython([
      "(lambda s: (s.server_close(), s.handle_request()))(__import__('socketserver').TCPServer(('127.0.0.1', 0), __import__('socketserver').BaseRequestHandler))",
    ]);
    assert.ok('error' in python, 'Python raises');
    for (const server of [new TCPServer(['127.0.0.1', 0], BaseRequestHandler), new UDPServer(['127.0.0.1', 0], DatagramRequestHandler)]) {
      server.serverClose();
      await assert.rejects(server.handleRequest(), (e: unknown) => e instanceof bs.SocketError && e.code === 'EBADF' && e.syscall === 'handleRequest');
    }
  });

  it('shutdown() stops serveForever() promptly and settles when it has stopped', async () => {
    const server = tcp(new TCPServer(['127.0.0.1', 0], UpperLineHandler));
    let stopped = false;
    // With a poll interval of an hour, only a prompt shutdown settles before mocha's timeout.
    const serving = server.serveForever(3600).then(() => { stopped = true; });
    await sleep(50);
    assert.equal(stopped, false);
    await server.shutdown();
    await serving;
    assert.equal(stopped, true);
    assert.equal(stopped, true);
    assert.equal(server.socket.closed, false, 'shutdown does not close the socket; serverClose does');
    server.serverClose();
    assert.equal(server.socket.closed, true);
    assert.equal(server.fileno(), -1);
  });

  it('serveForever() twice at once is refused; a shutdown() before it makes it return at once (as Python)', async () => {
    const server = tcp(new TCPServer(['127.0.0.1', 0], UpperLineHandler));
    const serving = server.serveForever();
    await assert.rejects(server.serveForever(), { code: 'ERR_INVALID_STATE' });
    await server.shutdown();
    await serving;
    await server.shutdown();
    await within(server.serveForever(), 1000, 'serveForever after shutdown');
  });

  it('serverClose() during serveForever() ends it', async () => {
    const server = new TCPServer(['127.0.0.1', 0], UpperLineHandler);
    const serving = server.serveForever();
    await sleep(20);
    server.serverClose();
    await within(serving, 1000, 'serveForever');
  });

  it('a handler that throws goes to handleError(), finish() still runs, and the server keeps serving', async () => {
    const errors: Array<[unknown, unknown]> = [];
    let finished = 0;
    class Flaky extends StreamRequestHandler {
      override async handle(): Promise<void> {
        const line = (await this.readline()).toString();
        if (line.startsWith('boom')) throw new Error('handler failed');
        await this.write(`ok ${line}`);
      }
      override finish(): void { finished++; }
    }
    class Server extends TCPServer {
      override handleError(_request: bs.Socket, clientAddress: bs.ReturnedAddress, error: unknown): void {
        errors.push([clientAddress, error]);
      }
    }
    const server = tcp(new Server(['127.0.0.1', 0], Flaky));
    const serving = server.serveForever();
    const out = await runPython(`
import socket, sys
port = int(sys.argv[1])
for msg in [b'boom\\n', b'fine\\n', b'boom\\n', b'again\\n']:
    with socket.create_connection(('127.0.0.1', port), timeout=5) as c:
        c.sendall(msg)
        print(repr(c.makefile('rb').read()))
`, [portOf(server)]);
    assert.deepEqual(out.trim().split('\n'), ["b''", "b'ok fine\\n'", "b''", "b'ok again\\n'"]);
    assert.equal(errors.length, 2);
    assert.equal((errors[0][1] as Error).message, 'handler failed');
    assert.equal((errors[0][0] as bs.InetAddress)[0], '127.0.0.1');
    assert.equal(finished, 4);
    await server.shutdown();
    await serving;
  });

  it('the default handleError() prints to stderr and the server carries on', async () => {
    class Thrower extends BaseRequestHandler<bs.Socket> {
      override handle(): void { throw new Error('printed, not fatal'); }
    }
    const server = tcp(new TCPServer(['127.0.0.1', 0], Thrower));
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string | Uint8Array) => { written.push(String(chunk)); return true; }) as typeof process.stderr.write;
    try {
      for (let i = 0; i < 2; i++) {
        const c = track.add(bs.socket());
        await c.connect(['127.0.0.1', portOf(server)]);
        await within(server.handleRequest(), 2000, 'handleRequest');
        assert.equal((await c.recv(10)).length, 0);
      }
    } finally {
      process.stderr.write = original;
    }
    const text = written.join('');
    assert.match(text, /Exception occurred during processing of request from \["127\.0\.0\.1",\d+\]/);
    assert.equal(text.split('printed, not fatal').length - 1, 2);
  });

  it('verifyRequest() false closes the connection without a handler', async () => {
    let handled = 0;
    class Counting extends StreamRequestHandler {
      override handle(): void { handled++; }
    }
    class Picky extends TCPServer {
      override verifyRequest(): boolean { return false; }
    }
    const server = tcp(new Picky(['127.0.0.1', 0], Counting));
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    await server.handleRequest();
    assert.equal((await c.recv(10)).length, 0);
    assert.equal(handled, 0);
  });

  it('setup, handle and finish run in order and may be async; the handler sees request, clientAddress and server', async () => {
    const steps: string[] = [];
    let seen: BaseRequestHandler<bs.Socket> | undefined;
    class Ordered extends BaseRequestHandler<bs.Socket> {
      override async setup(): Promise<void> { await sleep(20); steps.push('setup'); }
      override async handle(): Promise<void> { await sleep(20); steps.push('handle'); seen = this; }
      override async finish(): Promise<void> { await sleep(20); steps.push('finish'); }
    }
    const server = tcp(new TCPServer(['127.0.0.1', 0], Ordered));
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    await server.handleRequest();
    assert.deepEqual(steps, ['setup', 'handle', 'finish']);
    assert.ok(seen!.request instanceof bs.Socket);
    assert.equal(seen!.server, server);
    assert.deepEqual(seen!.clientAddress, c.getsockname());
    assert.equal(seen!.request.closed, true, 'the request is closed afterwards');
  });

  it('StreamRequestHandler: readline() and read(n) over split writes, and what is left at EOF', async () => {
    const results: string[] = [];
    class Reader extends StreamRequestHandler {
      override async handle(): Promise<void> {
        results.push((await this.readline()).toString());
        results.push((await this.read(7)).toString());
        results.push((await this.readline(4)).toString());
        results.push((await this.readline()).toString());
        results.push((await this.readline()).toString());
        results.push((await this.read(100)).toString());
        await this.write(Buffer.from('bye'));
      }
    }
    const server = tcp(new TCPServer(['127.0.0.1', 0], Reader));
    const handled = server.handleRequest();
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    c.setsockopt(bs.IPPROTO_TCP, bs.TCP_NODELAY, 1);
    for (const piece of ['fir', 'st line', '\n12', '3456', '7abcdefg\nl', 'ast']) {
      await c.sendall(Buffer.from(piece));
      await sleep(10);
    }
    c.shutdown(bs.SHUT_WR);
    await within(handled, 3000, 'handleRequest');
    assert.deepEqual(results, ['first line\n', '1234567', 'abcd', 'efg\n', 'last', '']);
    assert.equal((await c.recv(10)).toString(), 'bye');
  });

  it('StreamRequestHandler: reads larger than rbufsize keep every byte of each chunk', async () => {
    const results: string[] = [];
    class Small extends StreamRequestHandler {
      override rbufsize = 3;
      override async handle(): Promise<void> {
        const first = await this.read(10);   // four reads of at most 3 bytes, kept together
        const second = await this.readline();
        results.push(first.toString(), second.toString());
      }
    }
    const server = tcp(new TCPServer(['127.0.0.1', 0], Small));
    const handled = server.handleRequest();
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    await c.sendall(Buffer.from('0123456789abcdefgh\n'));
    c.shutdown(bs.SHUT_WR);
    await within(handled, 3000, 'handleRequest');
    assert.deepEqual(results, ['0123456789', 'abcdefgh\n']);
  });

  it('StreamRequestHandler applies its timeout to the connection', async () => {
    let error: unknown;
    class Impatient extends StreamRequestHandler {
      override timeout = 0.1;
      override async handle(): Promise<void> {
        try { await this.readline(); } catch (e) { error = e; }
      }
    }
    const server = tcp(new TCPServer(['127.0.0.1', 0], Impatient));
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    await within(server.handleRequest(), 2000, 'handleRequest');
    assert.ok(error instanceof bs.TimeoutError);
  });

  it('connections being handled at shutdown() finish normally; asyncDispose waits for them and closes', async () => {
    const gate = new Gate();
    const server = new TCPServer(['127.0.0.1', 0], countingHandler({ now: 0, max: 0 }, gate));
    const serving = server.serveForever();
    const c = track.add(bs.socket());
    await c.connect(['127.0.0.1', portOf(server)]);
    await c.sendall(Buffer.from('go\n'));
    while (server.activeRequests === 0) await sleep(10);
    await server.shutdown();
    await serving;
    assert.equal(server.activeRequests, 1, 'shutdown does not wait for the handlers');
    let disposed = false;
    const disposing = server[Symbol.asyncDispose]().then(() => { disposed = true; });
    await sleep(50);
    assert.equal(disposed, false, 'asyncDispose waits for the handler');
    gate.open();
    await disposing;
    assert.equal(server.activeRequests, 0);
    assert.equal(server.socket.closed, true);
    assert.equal((await c.recv(100)).toString(), 'done\n');
  });

  it('`await using` disposes a serving server', async () => {
    const before = countOpenFds();
    let socket: bs.Socket | undefined;
    let serving: Promise<void> | undefined;
    {
      await using server = new TCPServer(['127.0.0.1', 0], UpperLineHandler);
      socket = server.socket;
      serving = server.serveForever();
      const c = track.add(bs.socket());
      await c.connect(['127.0.0.1', portOf(server)]);
      await c.sendall(Buffer.from('abc\n'));
      assert.equal((await c.recv(10)).toString(), 'ABC\n');
      c.close();
    }
    await within(serving!, 1000, 'serveForever');
    assert.equal(socket!.closed, true);
    assert.equal(countOpenFds(), before);
  });

  it('a failed bind closes the socket (descriptor count unchanged) and rethrows AddressInUseError', () => {
    const first = tcp(new TCPServer(['127.0.0.1', 0], UpperLineHandler));
    const before = countOpenFds();
    assert.throws(() => new TCPServer(['127.0.0.1', portOf(first)], UpperLineHandler),
      (e: any) => e instanceof bs.AddressInUseError && e.syscall === 'bind');
    assert.throws(() => new UDPServer(['127.0.0.1', 99999], UpperDatagramHandler), { code: 'ERR_SOCKET_BAD_PORT' });
    assert.equal(countOpenFds(), before);
  });

  it('bindAndActivate: false leaves binding to the caller; allowReuseAddress sets SO_REUSEADDR', () => {
    const server = tcp(new TCPServer(['127.0.0.1', 0], UpperLineHandler, { bindAndActivate: false, allowReuseAddress: false }));
    assert.deepEqual(server.socket.getsockname(), ['0.0.0.0', 0]);
    assert.equal(server.socket.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 0);
    server.allowReuseAddress = true;
    server.serverBind();
    server.serverActivate();
    assert.notEqual(server.socket.getsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR), 0);
    assert.equal(server.socket.getsockopt(bs.SOL_SOCKET, bs.SO_ACCEPTCONN), 1);
    assert.ok(portOf(server) > 0);
  });

  it('refuses a handler that is not a class, and bad options', () => {
    const before = countOpenFds();
    assert.throws(() => new TCPServer(['127.0.0.1', 0], 'nope' as any), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new TCPServer(['127.0.0.1', 0], UpperLineHandler, { concurrent: 'yes' as any }), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.equal(countOpenFds(), before);
  });

  it('serviceActions(), when overridden, runs every pollInterval while idle', async () => {
    let calls = 0;
    class Ticking extends TCPServer {
      override serviceActions(): void { calls++; }
    }
    const server = tcp(new Ticking(['127.0.0.1', 0], UpperLineHandler));
    const serving = server.serveForever(0.05);
    await sleep(300);
    await server.shutdown();
    await serving;
    assert.ok(calls >= 3 && calls <= 8, `${calls} calls`);
  });

  it('UnixStreamServer serves Python clients on a path', async () => {
    const file = path.join(dir, 'stream.sock');
    const server = tcp(new UnixStreamServer(file, UpperLineHandler));
    assert.equal(server.socket.family, bs.AF_UNIX);
    assert.equal(server.serverAddress, file);
    const serving = server.serveForever();
    const out = await runPython(`
import socket, sys, threading
results = []
def client(i):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect(sys.argv[1])  # blocking: with a timeout, a full Unix backlog is BlockingIOError
        c.settimeout(5)
        f = c.makefile('rwb')
        f.write(b'unix %d\\n' % i); f.flush()
        results.append(f.readline())
threads = [threading.Thread(target=client, args=(i,)) for i in range(10)]
for t in threads: t.start()
for t in threads: t.join()
print(sorted(results) == sorted(b'UNIX %d\\n' % i for i in range(10)))
`, [file]);
    assert.equal(out.trim(), 'True');
    await server.shutdown();
    await serving;
  });

  it('UnixDatagramServer answers Python clients bound to their own paths', async () => {
    const file = path.join(dir, 'dgram.sock');
    const seen: unknown[] = [];
    class Recording extends UpperDatagramHandler {
      override async handle(): Promise<void> {
        seen.push(this.clientAddress);
        assert.equal(this.socket, this.server.socket);
        await super.handle();
      }
    }
    const server = tcp(new UnixDatagramServer(file, Recording));
    assert.equal(server.socket.type, bs.SOCK_DGRAM);
    const serving = server.serveForever();
    const out = await runPython(`
import os, socket, sys
for i in range(3):
    me = os.path.join(os.path.dirname(sys.argv[1]), 'client%d.sock' % i)
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.bind(me)
        s.settimeout(5)
        s.sendto(b'hello %d' % i, sys.argv[1])
        data, addr = s.recvfrom(100)
        print(data.decode(), addr == sys.argv[1])
    os.unlink(me)
`, [file]);
    assert.deepEqual(out.trim().split('\n'), ['HELLO 0 True', 'HELLO 1 True', 'HELLO 2 True']);
    assert.deepEqual(seen, [0, 1, 2].map((i) => path.join(dir, `client${i}.sock`)));
    await server.shutdown();
    await serving;
  });
});
