// Every example in examples/, run as a child process (node dist/examples/<name>.js) and checked
// by its output, with Python peers where an example is a server waiting for outside clients.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tracker, runPythonScript, within } from './helpers';

const examples = path.resolve(__dirname, '..', 'examples');

interface Run {
  child: ChildProcess;
  /** Settles at exit: `{ code, out, err }`. */
  exited: Promise<{ code: number | null; out: string; err: string }>;
  /** Resolves with the port from the first line saying `port N`. */
  port: Promise<number>;
}

function start(name: string, args: Array<string | number> = []): Run {
  const file = path.join(examples, `${name}.js`);
  const child = spawn(process.execPath, [file, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let gotPort: (port: number) => void;
  let noPort: (error: Error) => void;
  const port = new Promise<number>((resolve, reject) => { gotPort = resolve; noPort = reject; });
  port.catch(() => undefined);
  child.stdout!.on('data', (d) => {
    out += d;
    const m = /port (\d+)\n/.exec(out);
    if (m) gotPort(Number(m[1]));
  });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
    child.on('close', (code) => {
      noPort(new Error(`${name} exited (${code}) without printing a port: ${err}`));
      resolve({ code, out, err });
    });
  });
  return { child, exited, port };
}

/** Runs an example to its end (bounded) and returns its output; asserts exit code 0. */
async function run(name: string, args: Array<string | number> = [], ms = 15000): Promise<string> {
  const r = start(name, args);
  const { code, out, err } = await within(r.exited, ms, name).catch((e) => { r.child.kill(); throw e; });
  assert.equal(code, 0, `${name} failed: ${err}`);
  return out;
}

/** The network namespaces tours make (examples/tour-tools.ts names them bsdtour-<pid>-…). */
function tourNamespaces(): string[] {
  if (process.platform !== 'linux' || process.getuid!() !== 0) return [];
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).split('\n')
    .map((line) => line.split(' ')[0]).filter((name) => name.startsWith('bsdtour-'));
}

function lines(text: string): string[] {
  return text.trim().split('\n');
}

describe('examples', () => {
  new Tracker().install();
  const running: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of running.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.on('close', resolve));
        child.kill();
        await gone;
      }
    }
  });

  function server(name: string, args: Array<string | number>): Run {
    const r = start(name, args);
    running.push(r.child);
    return r;
  }

  it('every example is compiled', () => {
    for (const name of ['echo-server', 'echo-client', 'udp-echo', 'select-server', 'concurrent-server',
      'socketserver-tcp', 'socketserver-udp', 'multicore-server', 'lookup', 'tour']) {
      assert.ok(fs.existsSync(path.join(examples, `${name}.js`)), name);
    }
  });

  it('echo-server and echo-client talk over TCP, and the server exits after its one connection', async () => {
    const srv = server('echo-server', [0, 1]);
    const port = await within(srv.port, 10000, 'echo-server port');
    assert.ok(port > 0 && port < 65536);
    const out = await run('echo-client', [port, 'first message', 'second']);
    assert.deepEqual(lines(out), [
      'echo-client: sent "first message", received "first message"',
      'echo-client: sent "second", received "second"',
    ]);
    const { code, out: sout } = await within(srv.exited, 10000, 'echo-server exit');
    assert.equal(code, 0);
    assert.match(sout, /^echo-server listening on 127\.0\.0\.1 port \d+\n/);
    assert.match(sout, /connection from \["127\.0\.0\.1",\d+\]/);
    assert.match(sout, /echoed 19 bytes, connection closed/);
  });

  it('echo-server serves Python clients one after another', async () => {
    const srv = server('echo-server', [0, 2]);
    const port = await within(srv.port, 10000, 'echo-server port');
    const out = runPythonScript(`
import socket, sys
for word in [b'alpha', b'omega' * 1000]:
    with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as c:
        c.sendall(word)
        c.shutdown(socket.SHUT_WR)
        got = b''
        while True:
            part = c.recv(65536)
            if not part: break
            got += part
        print(got == word)
`, [String(port)]);
    assert.deepEqual(lines(out), ['True', 'True']);
    const { code, out: sout } = await within(srv.exited, 10000, 'echo-server exit');
    assert.equal(code, 0);
    assert.match(sout, /echoed 5 bytes/);
    assert.match(sout, /echoed 5000 bytes/);
  });

  it('echo-client without a port prints its usage and exits 2', async () => {
    const r = start('echo-client');
    const { code, err } = await within(r.exited, 10000, 'echo-client');
    assert.equal(code, 2);
    assert.match(err, /usage/);
  });

  it('udp-echo sends datagrams from one socket to the other and back', async () => {
    const out = lines(await run('udp-echo', [0, 'a', 'bb', 'ccc']));
    const port = Number(/port (\d+)$/.exec(out[0])![1]);
    assert.equal(out.length, 4);
    ['a', 'bb', 'ccc'].forEach((word, i) => {
      assert.match(out[i + 1], new RegExp(`^udp-echo: sent "${word}" from port \\d+, got "${word}" back from port ${port}$`));
    });
  });

  it('select-server multiplexes three Python clients that speak in reverse order', async () => {
    const srv = server('select-server', [0, 3]);
    const port = await within(srv.port, 10000, 'select-server port');
    const out = runPythonScript(`
import socket, sys
port = int(sys.argv[1])
clients = [socket.create_connection(('127.0.0.1', port), timeout=5) for _ in range(3)]
for i in (2, 1, 0):
    clients[i].sendall(b'client %d' % i)
    print(clients[i].recv(100).decode())
for c in clients: c.close()
`, [String(port)]);
    assert.deepEqual(lines(out), ['client 2', 'client 1', 'client 0']);
    const { code, out: sout } = await within(srv.exited, 10000, 'select-server exit');
    assert.equal(code, 0);
    assert.match(sout, /\(3 client\(s\) now\)/, 'all three were connected at once');
    assert.equal((sout.match(/ closed\n/g) ?? []).length, 3);
    assert.match(sout, /served 3 client\(s\), bye\n$/);
  });

  it('concurrent-server serves 200 in-process clients at once', async () => {
    const out = lines(await run('concurrent-server', [0, 200]));
    assert.match(out[0], /^concurrent-server listening on 127\.0\.0\.1 port \d+$/);
    assert.match(out[1], /^concurrent-server: 200 clients at once, 200 echoes verified, in \d+ ms$/);
  });

  it('concurrent-server with 0 clients keeps serving outside (Python) clients', async () => {
    const srv = server('concurrent-server', [0, 0]);
    const port = await within(srv.port, 10000, 'concurrent-server port');
    const out = runPythonScript(`
import socket, sys, threading
port = int(sys.argv[1])
ok = []
def client(i):
    with socket.create_connection(('127.0.0.1', port), timeout=5) as c:
        c.sendall(b'x%d' % i)
        ok.append(c.recv(100) == b'x%d' % i)
threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
for t in threads: t.start()
for t in threads: t.join()
print(sum(ok))
`, [String(port)]);
    assert.equal(out.trim(), '20');
  });

  it('socketserver-tcp: the handler upper-cases each client\'s line', async () => {
    const out = lines(await run('socketserver-tcp', [0, 4]));
    assert.match(out[0], /^socketserver-tcp listening on 127\.0\.0\.1 port \d+$/);
    assert.equal(out.filter((l) => l.startsWith('socketserver-tcp: handling ')).length, 4);
    for (let i = 0; i < 4; i++) assert.ok(out.includes(`socketserver-tcp: client got "HELLO FROM CLIENT ${i}"`), `client ${i}`);
  });

  it('socketserver-tcp with 0 clients serves a Python client until stopped', async () => {
    const srv = server('socketserver-tcp', [0, 0]);
    const port = await within(srv.port, 10000, 'socketserver-tcp port');
    const out = runPythonScript(`
import socket, sys
with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as c:
    f = c.makefile('rwb')
    f.write(b'one\\ntwo\\n'); f.flush()
    print(f.readline().decode().strip(), f.readline().decode().strip())
`, [String(port)]);
    assert.equal(out.trim(), 'ONE TWO');
  });

  it('multicore-server: two worker_threads share one port with SO_REUSEPORT and both serve', async () => {
    const out = lines(await run('multicore-server', [0, 2, 40], 30000));
    assert.match(out[0], /^multicore-server: 2 workers listening on 127\.0\.0\.1 port \d+$/);
    const served = out.filter((l) => / served \d+ clients$/.test(l));
    assert.deepEqual(served.map((l) => l.split(' ')[2]), ['0', '1'], 'each worker served at least one client');
    assert.equal(served.reduce((n, l) => n + Number(/served (\d+)/.exec(l)![1]), 0), 40);
    assert.equal(out.at(-1), 'multicore-server: 40/40 replies correct');
  });

  it('multicore-server with 0 clients serves Python clients from both workers', async () => {
    const srv = server('multicore-server', [0, 2, 0]);
    const port = await within(srv.port, 10000, 'multicore-server port');
    const out = runPythonScript(`
import socket, sys
seen = set()
for i in range(40):
    with socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=5) as c:
        c.sendall(b'ping %d\\n' % i)
        reply = c.makefile('rb').readline().decode().strip()
        assert reply.endswith('ping %d' % i), reply
        seen.add(reply.split(':')[0])
print(' '.join(sorted(seen)))
`, [String(port)]);
    assert.equal(out.trim(), 'worker 0 worker 1');
  });

  it('socketserver-udp: the handler replies with the datagram reversed', async () => {
    const out = lines(await run('socketserver-udp', [0, 3]));
    assert.match(out[0], /^socketserver-udp bound to 127\.0\.0\.1 port \d+$/);
    for (let i = 0; i < 3; i++) assert.ok(out.includes(`socketserver-udp: client got "${i} rebmun margatad"`), `client ${i}`);
  });

  it('socketserver-udp with 0 clients answers a Python client', async () => {
    const srv = server('socketserver-udp', [0, 0]);
    const port = await within(srv.port, 10000, 'socketserver-udp port');
    const out = runPythonScript(`
import socket, sys
with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
    s.settimeout(5)
    s.sendto(b'stressed', ('127.0.0.1', int(sys.argv[1])))
    print(s.recvfrom(100)[0].decode())
`, [String(port)]);
    assert.equal(out.trim(), 'desserts');
  });

  it('lookup resolves localhost (the default) and maps the address back to a name', async () => {
    const out = await run('lookup');
    assert.match(out, /getaddrinfo\("localhost", 80\) gave \d+ result\(s\)/);
    assert.match(out, /AF_INET SOCK_STREAM tcp \["127\.0\.0\.1",80\]/);
    assert.match(out, /getnameinfo\(\["127\.0\.0\.1",80\]\) = \["localhost","http"\]/);
  });

  it('lookup of a numeric address', async () => {
    const out = await run('lookup', ['127.0.0.1']);
    assert.match(out, /getaddrinfo\("127\.0\.0\.1", 80\)/);
    assert.match(out, /AF_INET SOCK_DGRAM udp \["127\.0\.0\.1",80\]/);
  });

  // No upper bound on its time (it runs under sanitizers and valgrind too): it must end by itself.
  it('the tour (npm start) runs every example and exits 0 by itself', async function () {
    this.timeout(190000);
    const namespacesBefore = tourNamespaces();
    const out = await run('tour', [], 180000);
    for (let i = 1; i <= 7; i++) assert.match(out, new RegExp(`\\n== ${i}\\. `), `section ${i}`);
    assert.match(out, /tour: client 0 got "client 0"/);
    assert.match(out, /100 echoes verified/);
    assert.match(out, /tour finished in [\d.]+ s: every example ran\.\n$/);
    assert.match(out, /\n== 12\. Packets and netlink/);
    if (process.platform !== 'linux') return;
    assert.match(out, /^ {4}\d+: lo mtu \d+ /m);  // links
    assert.match(out, /^ {4}traceroute to 127\.0\.0\.1, 3 hops max, ICMP errors read from the error queue \(IP_RECVERR\)\n {5}1 {2}127\.0\.0\.1 {2}\d+\.\d{3} ms$/m);
    if (process.getuid!() !== 0) {
      assert.match(out, /tour: traceroute across a router, sniff and ip-monitor skipped: making network namespaces needs root/);
      return;
    }
    assert.match(out, /^ {4}2 packets transmitted, 2 received, 0% packet loss$/m);  // ping
    assert.match(out, /^ {4}a0 \w+ [\da-f:]+ > [\da-f:]+ ethertype 0x0800 length \d+ IPv4 10\.32\.1\.1:\d+ > 10\.32\.2\.2:\d+ UDP/m);  // sniff
    // traceroute, raw: hop 1 then hop 2 (sniff, running beside it, may print between the two)
    const hop1 = out.search(/^ {5}1 {2}10\.32\.1\.2 {2}\d+\.\d{3} ms$/m);
    const hop2 = out.search(/^ {5}2 {2}10\.32\.2\.2 {2}\d+\.\d{3} ms$/m);
    assert.ok(hop1 >= 0 && hop2 > hop1, `traceroute's hops 1 and 2, in order:\n${out}`);
    assert.match(out, /^ {4}address new 10\.41\.0\.1\/24 on \d+$/m);  // ip-monitor
    const left = tourNamespaces().filter((name) => !namespacesBefore.includes(name));
    assert.deepEqual(left, [], 'the namespaces the tour made are gone');
  });
});
