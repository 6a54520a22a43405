// The streams examples (TLS over Socket streams, sendfile), run as child processes and checked by
// their output and by peers we did not write (Python's ssl and urllib).
import * as assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Tracker, tempDir, within } from './helpers';

const examples = path.resolve(__dirname, '..', 'examples');

interface Server { child: ChildProcess; out: () => string; line(pattern: RegExp): Promise<RegExpExecArray>; exited: Promise<number | null> }

function server(name: string, args: string[]): Server {
  const child = spawn(process.execPath, [path.join(examples, `${name}.js`), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiting: Array<[RegExp, (m: RegExpExecArray) => void]> = [];
  child.stdout!.on('data', (d) => {
    out += d;
    for (const [pattern, found] of waiting) { const m = pattern.exec(out); if (m) found(m); }
  });
  child.stderr!.on('data', (d) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => { if (code) out += err; resolve(code); }));
  return {
    child, exited, out: () => out,
    line: (pattern) => within(new Promise((resolve) => { waiting.push([pattern, resolve]); const m = pattern.exec(out); if (m) resolve(m); }), 15000, `${name} ${pattern}`),
  };
}

function run(file: string, args: string[]): Promise<string> {
  return within(new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 20000 }, (error, stdout, stderr) => (error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(stdout)));
  }), 25000, path.basename(args[0] ?? file));
}

describe('examples: TLS and sendfile', function () {
  this.timeout(40000);
  new Tracker().install();
  const running: ChildProcess[] = [];
  afterEach(() => { for (const c of running.splice(0)) if (c.exitCode === null) c.kill(); });

  it('tls-unix-client talks TLS to tls-echo-server over a Unix socket', async () => {
    const where = path.join(tempDir(), 'tls.sock');
    const srv = server('tls-echo-server', [where, '1']);
    running.push(srv.child);
    const [, cert] = await srv.line(/certificate (\S+)\n/);
    const out = await run(process.execPath, [path.join(examples, 'tls-unix-client.js'), where, cert, 'first', 'second one']);
    assert.deepEqual(out.trim().split('\n'), [
      'tls-unix-client: TLSv1.3 with localhost, certificate verified',
      'tls-unix-client: sent "first", received "first"',
      'tls-unix-client: sent "second one", received "second one"',
    ]);
    assert.equal(await within(srv.exited, 10000, 'server exit'), 0, srv.out());
    assert.match(srv.out(), /echoed 15 bytes over TLS, connection closed/);
  });

  it('tls-echo-server on SO_REUSEPORT + TCP_DEFER_ACCEPT echoes to a Python ssl client', async () => {
    const srv = server('tls-echo-server', ['0', '1']);
    running.push(srv.child);
    const [, port] = await srv.line(/port (\d+)/);
    const [, cert] = await srv.line(/certificate (\S+)\n/);
    assert.match(srv.out(), /SO_REUSEPORT/);
    const out = await run('python3', ['-c', `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
with ctx.wrap_socket(socket.create_connection(('127.0.0.1', int(sys.argv[1])), timeout=10), server_hostname='localhost') as t:
    data = b'x' * 100000
    t.sendall(data)
    got = b''
    while len(got) < len(data):
        got += t.recv(65536)
    print(got == data, t.version())
`, port, cert]);
    assert.equal(out.trim(), 'True TLSv1.3');
    assert.equal(await within(srv.exited, 10000, 'server exit'), 0, srv.out());
    assert.match(srv.out(), /echoed 100000 bytes over TLS/);
  });

  it('sendfile-server serves a 3 MB file that Python\'s urllib gets byte for byte', async () => {
    const file = path.join(tempDir(), 'data.bin');
    const data = randomBytes(3_000_000);
    fs.writeFileSync(file, data);
    const srv = server('sendfile-server', [file, '0', '2']);
    running.push(srv.child);
    const [, port] = await srv.line(/port (\d+)\n/);
    const out = await run('python3', ['-c', `
import hashlib, sys, urllib.request
for _ in range(2):
    with urllib.request.urlopen('http://127.0.0.1:%s/data.bin' % sys.argv[1], timeout=10) as r:
        body = r.read()
        print(r.status, r.headers['Content-Length'], len(body), hashlib.sha256(body).hexdigest())
`, port]);
    const expected = `200 3000000 3000000 ${createHash('sha256').update(data).digest('hex')}`;
    assert.deepEqual(out.trim().split('\n'), [expected, expected]);
    assert.equal(await within(srv.exited, 10000, 'server exit'), 0, srv.out());
    assert.match(srv.out(), /GET \/data.bin HTTP\/1.1 -> 3000000 bytes of data.bin with sendfile/);
  });
});
