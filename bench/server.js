'use strict';
// A server under test of the concurrent-server benchmark (bench/README.md, "Concurrent servers").
//
//   node bench/server.js <promise|tcpserver|net> <rr|accept> [workers=1] [limit_seconds=60]
//
// rr: echo every connection's 64-byte requests; accept: accept each connection and close it.
// Prints "PORT <n>" (127.0.0.1) once every worker listens. With workers > 1, each worker_thread has
// its own SO_REUSEPORT listener on the same port (bench/server.js is also the workers' script), and
// the kernel spreads the connections over them. Stops by itself after limit_seconds.
const net = require('node:net');
const path = require('node:path');
const { Worker, isMainThread, parentPort, workerData } = require('node:worker_threads');
const lib = require(path.join(__dirname, '..', 'dist', 'lib'));
const { TCPServer, StreamRequestHandler } = require(path.join(__dirname, '..', 'dist', 'lib', 'modules', 'socketserver'));

const MSG = 64;

async function promiseEcho(conn) {
  const buf = Buffer.allocUnsafe(4096);
  try {
    for (;;) {
      const n = await conn.recvInto(buf);
      if (n === 0) break;
      await conn.sendall(buf.subarray(0, n));
    }
  } catch {
    // a reset connection ends its loop
  } finally {
    conn.close();
  }
}

async function promiseServer(port, workload) {
  const server = lib.createServer(['127.0.0.1', port], { reusePort: true, backlog: 511 });
  serveWith(async () => {
    for (;;) {
      const [conn] = await server.accept();
      if (workload === 'accept') conn.close();
      else {
        conn.setsockopt(lib.IPPROTO_TCP, lib.TCP_NODELAY, 1);
        void promiseEcho(conn);
      }
    }
  });
  return server.getsockname()[1];
}

class Echo extends StreamRequestHandler {
  disableNagleAlgorithm = true;

  async handle() {
    for (;;) {
      const data = await this.read(MSG);
      if (data.length === 0) return;
      await this.write(data);
    }
  }
}

class Close extends StreamRequestHandler {
  async handle() {}
}

async function tcpServer(port, workload) {
  const server = new TCPServer(['127.0.0.1', port], workload === 'accept' ? Close : Echo,
    { allowReusePort: true, backlog: 511 });
  serveWith(() => server.serveForever());
  return server.serverAddress[1];
}

async function netServer(port, workload) {
  const server = net.createServer({ noDelay: true }, (conn) => {
    if (workload === 'accept') return void conn.destroy();
    conn.on('data', (d) => conn.write(d));
    conn.on('error', () => conn.destroy());
  });
  await new Promise((resolve) => server.listen({ host: '127.0.0.1', port, reusePort: port !== 0, backlog: 511 }, resolve));
  return server.address().port;
}

function serveWith(loop) {
  loop().catch((error) => {
    process.stderr.write(`server: ${error && error.stack || error}\n`);
    process.exit(1);
  });
}

const SERVERS = { promise: promiseServer, tcpserver: tcpServer, net: netServer };

async function main() {
  const [kind, workload, workersArg = '1', limitArg = '60'] = process.argv.slice(2);
  const start = SERVERS[kind];
  if (!start || !['rr', 'accept'].includes(workload)) {
    process.stderr.write('usage: node bench/server.js <promise|tcpserver|net> <rr|accept> [workers] [limit]\n');
    process.exit(2);
  }
  setTimeout(() => process.exit(0), Number(limitArg) * 1000).unref();
  if (!isMainThread) {
    await start(workerData.port, workload);
    parentPort.postMessage('listening');
    return;
  }
  const workers = Number(workersArg);
  if (workers <= 1) {
    const port = await start(0, workload);
    process.stdout.write(`PORT ${port}\n`);
    setTimeout(() => process.exit(0), Number(limitArg) * 1000);
    return;
  }
  // Reserve a port with a listener of the same kind (SO_REUSEPORT), then start the workers on it.
  const probe = lib.createServer(['127.0.0.1', 0], { reusePort: true });
  const port = probe.getsockname()[1];
  await Promise.all(Array.from({ length: workers }, () => new Promise((resolve, reject) => {
    const w = new Worker(__filename, { argv: process.argv.slice(2), workerData: { port } });
    w.once('message', resolve);
    w.once('error', reject);
  })));
  probe.close();
  process.stdout.write(`PORT ${port}\n`);
  setTimeout(() => process.exit(0), Number(limitArg) * 1000);
}

main().catch((error) => {
  process.stderr.write(`server: ${error && error.stack || error}\n`);
  process.exit(1);
});
