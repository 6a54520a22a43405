// tls-echo-server: a TLS echo server with node:tls on top of a bsd-sockets Socket, on a listening
// socket set up the way `net` cannot: SO_REUSEPORT (several processes may share the port, the
// kernel spreads connections among them) and, on Linux, TCP_DEFER_ACCEPT (accept() returns only
// once the client has sent its first bytes, the TLS ClientHello). It can also listen on a Unix
// socket path: TLS then runs over a Unix stream socket (see tls-unix-client.ts).
//
// Usage: node dist/examples/tls-echo-server.js [port | unix-path = 0] [connections] [cert.pem key.pem]
//   Without a certificate, a self-signed one for localhost is made with `openssl` in a temporary
//   directory, and its path is printed (clients need it to verify the server).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tls from 'node:tls';
import {
  AF_INET, AF_UNIX, IPPROTO_TCP, SOL_SOCKET, SO_REUSEADDR, SO_REUSEPORT, TCP_DEFER_ACCEPT, socket,
  type InetAddress, type Socket,
} from '../lib';

const where = process.argv[2] ?? '0';
const limit = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);
const unix = !/^\d+$/.test(where);

/** A self-signed EC P-256 certificate for localhost: [cert.pem, key.pem]. */
function selfSigned(): [string, string] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tls-echo-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const [cert, key] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return [cert, key];
}

function listener(): Socket {
  if (unix) {
    fs.rmSync(where, { force: true });
    const server = socket(AF_UNIX);
    server.bind(where);
    server.listen();
    console.log(`tls-echo-server listening on unix ${where}`);
    return server;
  }
  const server = socket(AF_INET);
  server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  if (SO_REUSEPORT !== undefined) server.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1);
  // Wake accept() only when the ClientHello is there (seconds to wait for it before accepting anyway).
  if (TCP_DEFER_ACCEPT !== undefined) server.setsockopt(IPPROTO_TCP, TCP_DEFER_ACCEPT, 5);
  server.bind(['127.0.0.1', Number(where)]);
  server.listen();
  const [host, port] = server.getsockname() as InetAddress;
  console.log(`tls-echo-server listening on ${host} port ${port} (SO_REUSEPORT${TCP_DEFER_ACCEPT === undefined ? '' : ', TCP_DEFER_ACCEPT'})`);
  return server;
}

/** Echoes everything the client sends, over TLS, until it ends; resolves when the connection is closed. */
function serve(conn: Socket, context: tls.SecureContext): Promise<number> {
  const secure = new tls.TLSSocket(conn.toStream(), { isServer: true, secureContext: context });
  let total = 0;
  secure.on('data', (chunk: Buffer) => { total += chunk.length; secure.write(chunk); });
  return new Promise((resolve) => {
    secure.on('error', (error) => console.log(`tls-echo-server: ${error.message}`));
    secure.on('close', () => resolve(total));
  });
}

async function main(): Promise<void> {
  const [cert, key] = process.argv[5] ? [process.argv[4], process.argv[5]] : selfSigned();
  const context = tls.createSecureContext({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) });
  const server = listener();
  console.log(`tls-echo-server: certificate ${cert}`);
  const sessions: Array<Promise<void>> = [];
  for (let served = 0; served < limit; served++) {
    const [conn] = await server.accept();
    sessions.push(serve(conn, context).then((total) => {
      console.log(`tls-echo-server: echoed ${total} bytes over TLS, connection closed`);
    }));
  }
  server.close();
  if (unix) fs.rmSync(where, { force: true });
  await Promise.all(sessions);
}

main().catch((error) => {
  console.error(`tls-echo-server: ${error.message}`);
  process.exitCode = 1;
});
