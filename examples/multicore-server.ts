// multicore-server: serving on every core, the Node counterpart of Python's ForkingTCPServer and
// ThreadingTCPServer. JavaScript runs one thread per event loop, so one TCPServer uses one core.
// Here each worker_thread runs its own TCPServer with its own SO_REUSEPORT listener on the same
// port; the kernel spreads incoming connections over the listeners, with no acceptor in between.
// The same works with processes (child_process or cluster): SO_REUSEPORT groups listeners of one
// user, whatever process they live in.
//
// Usage: node dist/examples/multicore-server.js [port=0] [workers=os.availableParallelism()] [clients=40]
//   With clients = 0 the servers run until the process is killed.
import * as os from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { type InetAddress } from '../lib';
import { createConnection, createServer } from '../lib/modules/create';
import { StreamRequestHandler, TCPServer } from '../lib/modules/socketserver';

// The handler: echoes each line back, prefixed with the worker that served it.
class EchoHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) break;
      await this.write(`worker ${workerData.id}: ${line}`);
    }
  }
}

// Inside a worker: one server on the shared port, until the main thread says stop.
async function runWorker(): Promise<void> {
  const server = new TCPServer(['127.0.0.1', workerData.port], EchoHandler, { allowReusePort: true });
  const serving = server.serveForever();
  parentPort!.postMessage('listening');
  parentPort!.once('message', () => { void server.shutdown(); });
  await serving;
  server.serverClose();
}

function startWorker(id: number, port: number): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(__filename, { workerData: { id, port } });
    worker.once('message', () => resolve(worker));
    worker.once('error', reject);
  });
}

async function client(i: number, port: number): Promise<string> {
  const sock = await createConnection(['127.0.0.1', port], { timeout: 5 });
  try {
    await sock.sendall(Buffer.from(`hello ${i}\n`));
    let reply = Buffer.alloc(0);
    while (!reply.includes(10)) {
      const part = await sock.recv(100);
      if (part.length === 0) break;
      reply = Buffer.concat([reply, part]);
    }
    return reply.toString().trim();
  } finally {
    sock.close();
  }
}

async function main(): Promise<void> {
  const workerCount = Number(process.argv[3] ?? os.availableParallelism());
  const clientCount = Number(process.argv[4] ?? 40);
  // Port 0 picks a port per listener: hold one with SO_REUSEPORT while the workers join it.
  const holder = createServer(['127.0.0.1', Number(process.argv[2] ?? 0)], { reusePort: true });
  const port = (holder.getsockname() as InetAddress)[1];
  const workers = await Promise.all(Array.from({ length: workerCount }, (_, id) => startWorker(id, port)));
  holder.close();
  console.log(`multicore-server: ${workerCount} workers listening on 127.0.0.1 port ${port}`);
  if (clientCount === 0) return;

  const replies = await Promise.all(Array.from({ length: clientCount }, (_, i) => client(i, port)));
  const served = new Map<string, number>();
  for (const reply of replies) {
    const who = reply.split(':')[0];
    served.set(who, (served.get(who) ?? 0) + 1);
  }
  for (const [who, n] of [...served].sort()) console.log(`multicore-server: ${who} served ${n} clients`);
  console.log(`multicore-server: ${replies.filter((r, i) => r.endsWith(`hello ${i}`)).length}/${clientCount} replies correct`);
  for (const worker of workers) worker.postMessage('stop');
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
}

(isMainThread ? main() : runWorker()).catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
