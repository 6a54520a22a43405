// node:tls over Socket.toStream(), both sides, against peers we did not write: Python's ssl module
// and openssl s_server / s_client, over TCP on loopback and over Unix stream sockets.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as bs from '../lib';
import { Tracker, pythonPeer, tempDir, within } from './helpers';

interface Certs { dir: string; key: Buffer; cert: Buffer; certFile: string; keyFile: string }

/** A self-signed EC P-256 certificate for localhost, made by openssl in a temporary directory. */
function makeCerts(): Certs {
  const dir = tempDir();
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore', timeout: 20000 });
  return { dir, keyFile, certFile, key: fs.readFileSync(keyFile), cert: fs.readFileSync(certFile) };
}

/**
 * Reads a TLS socket to its end. (Not with for-await: the iterator destroys the socket at the end,
 * before Node's TLS answers the peer's close_notify, and a strict peer then sees a bare EOF.)
 */
function readAll(stream: tls.TLSSocket): Promise<string> {
  let text = '';
  stream.on('data', (chunk) => { text += chunk; });
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(text));
    stream.once('error', reject);
  });
}

/** Resolves once a stream has closed (at once if it already has). */
function closed(stream: NodeJS.EventEmitter & { closed?: boolean }): Promise<unknown> {
  return stream.closed ? Promise.resolve() : once(stream, 'close');
}

type Transport = 'tcp' | 'unix';

describe('TLS over Socket.toStream', function () {
  this.timeout(30000);
  const track = new Tracker().install();
  let certs: Certs;
  const children: ChildProcess[] = [];

  before(() => { certs = makeCerts(); });
  afterEach(() => { for (const c of children.splice(0)) if (c.exitCode === null) c.kill(); });

  /** Our TLS client on `sock` (connected): sends a line, returns the whole answer. */
  async function tlsClient(sock: bs.Socket, line: string): Promise<{ answer: string; protocol: string | null }> {
    const stream = sock.toStream();
    const secure = tls.connect({ socket: stream, ca: certs.cert, servername: 'localhost' });
    await within(once(secure, 'secureConnect'), 10000, 'handshake');
    assert.ok(secure.authorized, String(secure.authorizationError));
    const protocol = secure.getProtocol();
    // The peer answers and sends close_notify; the TLS socket then ends and answers in kind.
    secure.write(line);
    const answer = await within(readAll(secure), 10000, 'answer');
    await within(Promise.all([closed(secure), closed(stream)]), 5000, 'close');
    assert.ok(sock.closed, 'the socket closed with the stream');
    return { answer, protocol };
  }

  /** Our TLS server on an accepted `conn`: reads one line, answers it in upper case, ends. */
  async function tlsServe(conn: bs.Socket): Promise<string> {
    const stream = conn.toStream();
    const secure = new tls.TLSSocket(stream, { isServer: true, secureContext: tls.createSecureContext({ key: certs.key, cert: certs.cert }) });
    let got = '';
    await within(new Promise<void>((resolve, reject) => {
      secure.on('data', (chunk) => { got += chunk; if (got.includes('\n')) resolve(); });
      secure.on('error', reject);
    }), 10000, 'request');
    secure.end(got.toUpperCase());
    await within(Promise.all([closed(secure), closed(stream)]), 10000, 'server close');
    assert.ok(conn.closed);
    return got;
  }

  async function connectTo(transport: Transport, target: string): Promise<bs.Socket> {
    const sock: bs.Socket = track.add(transport === 'tcp' ? bs.socket() : bs.socket(bs.AF_UNIX));
    await sock.connect(transport === 'tcp' ? ['127.0.0.1', Number(target)] : target);
    return sock;
  }

  function listen(transport: Transport): [bs.Socket, string] {
    const server: bs.Socket = track.add(transport === 'tcp' ? bs.socket() : bs.socket(bs.AF_UNIX));
    const where = transport === 'tcp' ? '' : path.join(tempDir(), 's.sock');
    server.bind(transport === 'tcp' ? ['127.0.0.1', 0] : where);
    server.listen();
    return [server, transport === 'tcp' ? String((server.getsockname() as bs.InetAddress)[1]) : where];
  }

  const PY_SERVER = `
import os, socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
if sys.argv[3] == 'tcp':
    s = socket.create_server(('127.0.0.1', 0)); print(s.getsockname()[1], flush=True)
else:
    s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[4]); s.listen(); print(sys.argv[4], flush=True)
c, _ = s.accept()
t = ctx.wrap_socket(c, server_side=True)
data = b''
while not data.endswith(b'\\n'):
    d = t.recv(100)
    if not d: break
    data += d
t.sendall(b'python heard: ' + data)
version = t.version()
t.unwrap().close()
print(version)
`;

  const PY_CLIENT = `
import socket, ssl, sys
ctx = ssl.create_default_context(cafile=sys.argv[1])
if sys.argv[2] == 'tcp':
    raw = socket.create_connection(('127.0.0.1', int(sys.argv[3])))
else:
    raw = socket.socket(socket.AF_UNIX); raw.connect(sys.argv[3])
t = ctx.wrap_socket(raw, server_hostname='localhost')
t.sendall(b'hello from python\\n')
got = b''
while True:
    d = t.recv(100)
    if not d: break
    got += d
print(got.decode().strip(), t.version())
t.close()
`;

  for (const transport of ['tcp', 'unix'] as Transport[]) {
    it(`client: tls.connect({ socket: s.toStream() }) to a Python ssl server over ${transport}`, async () => {
      const peer = await pythonPeer(PY_SERVER, [certs.certFile, certs.keyFile, transport, path.join(tempDir(), 'py.sock')]);
      children.push(peer.child);
      const { answer, protocol } = await tlsClient(await connectTo(transport, peer.line), 'hello from node\n');
      assert.equal(answer, 'python heard: hello from node\n');
      const out = (await within(peer.done, 10000, 'python')).trim().split('\n');
      assert.equal(out[1], protocol);
    });

    it(`server: new tls.TLSSocket(s.toStream(), { isServer: true }) for a Python ssl client over ${transport}`, async () => {
      const [server, where] = listen(transport);
      const accepting = server.accept();
      const { execFile } = await import('node:child_process');
      const client = new Promise<string>((resolve, reject) => {
        const child = execFile('python3', ['-c', PY_CLIENT, certs.certFile, transport, where], { timeout: 20000 },
          (error, stdout, stderr) => (error ? reject(new Error(`${error.message}: ${stderr}`)) : resolve(stdout)));
        children.push(child);
      });
      const [conn] = track.add(await within(accepting, 10000, 'accept'));
      assert.equal(await tlsServe(conn), 'hello from python\n');
      assert.match(await client, /^HELLO FROM PYTHON TLSv1\.[23]$/m);
    });

    it(`client: to openssl s_server over ${transport}`, async () => {
      const where = transport === 'tcp' ? ['-accept', '127.0.0.1:0'] : ['-unix', path.join(tempDir(), 'o.sock')];
      const child = spawn('openssl', ['s_server', ...where, '-cert', certs.certFile, '-key', certs.keyFile, '-naccept', '1', '-rev'],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      const ready = await within(new Promise<string>((resolve) => {
        child.stdout!.on('data', () => { const m = /ACCEPT (?:127\.0\.0\.1:(\d+)|localhost:(\S+))/.exec(out); if (m) resolve(m[1] ?? m[2]); });
      }), 10000, 's_server start');
      const sock = await connectTo(transport, ready);
      const stream = sock.toStream();
      const secure = tls.connect({ socket: stream, ca: certs.cert, servername: 'localhost' });
      await within(once(secure, 'secureConnect'), 10000, 'handshake');
      assert.ok(secure.authorized);
      secure.write('stressed\n');
      const [answer] = await within(once(secure, 'data'), 10000, 'answer');
      assert.equal(String(answer).trim(), 'desserts', 's_server -rev sends the line back reversed');
      secure.destroy();
      await within(Promise.all([closed(secure), closed(stream)]), 5000, 'close');
      assert.ok(sock.closed);
    });

    it(`server: for openssl s_client over ${transport}`, async () => {
      const [server, where] = listen(transport);
      const accepting = server.accept();
      const target = transport === 'tcp' ? ['-connect', `127.0.0.1:${where}`] : ['-unix', where];
      const child = spawn('openssl', ['s_client', ...target, '-CAfile', certs.certFile, '-servername', 'localhost',
        '-verify_return_error', '-quiet'], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      let out = '';
      let err = '';
      child.stdout!.on('data', (d) => { out += d; });
      child.stderr!.on('data', (d) => { err += d; });
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      child.stdin!.end('hello from s_client\n');
      const [conn] = track.add(await within(accepting, 10000, 'accept'));
      assert.equal(await tlsServe(conn), 'hello from s_client\n');
      assert.equal(await within(exited, 10000, 's_client exit'), 0, err);
      assert.equal(out, 'HELLO FROM S_CLIENT\n');
      assert.match(err, /verify return:1/);
    });
  }
});
