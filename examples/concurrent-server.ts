// concurrent-server: many clients at once on ONE thread, with the Promise API. Each `await`
// (accept, recv, sendall) yields to the event loop instead of blocking, so while one connection
// waits for data the others are served. Here the server and N clients run in the same process.
//
// Usage: node dist/examples/concurrent-server.js [port=0] [clients=100]
//   With clients = 0 the server just runs (forever) for outside clients.
import { type InetAddress, type Socket } from '../lib';
import { createConnection, createServer } from '../lib/modules/create';

const port = Number(process.argv[2] ?? 0);
const clientCount = Number(process.argv[3] ?? 100);

// One connection: echo until the client closes. An async function per connection plays the part
// of a thread per connection.
async function serve(conn: Socket): Promise<void> {
  try {
    for (;;) {
      const data = await conn.recv(4096);
      if (data.length === 0) break;
      await conn.sendall(data);
    }
  } finally {
    conn.close();
  }
}

// The accept loop: every connection gets its own task; we do not wait for it to end.
async function acceptLoop(server: Socket, signal: AbortSignal): Promise<void> {
  for (;;) {
    let conn: Socket;
    try {
      [conn] = await server.accept({ signal });
    } catch (error) {
      if (signal.aborted) return;  // shutting down
      throw error;
    }
    void serve(conn);
  }
}

// A client: connect, send a message, read the same number of bytes back.
async function client(i: number, serverPort: number): Promise<boolean> {
  const sock = await createConnection(['127.0.0.1', serverPort], { timeout: 10 });
  try {
    const message = Buffer.from(`client ${i}: ${'*'.repeat(i % 50)}`);
    await sock.sendall(message);
    const parts: Buffer[] = [];
    let got = 0;
    while (got < message.length) {
      const part = await sock.recv(message.length - got);
      if (part.length === 0) break;
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts).equals(message);
  } finally {
    sock.close();
  }
}

async function main(): Promise<void> {
  // createServer = socket + SO_REUSEADDR + bind + listen, as Python's socket.create_server().
  const server = createServer(['127.0.0.1', port], { backlog: 1024 });
  const bound = (server.getsockname() as InetAddress)[1];
  console.log(`concurrent-server listening on 127.0.0.1 port ${bound}`);
  const stop = new AbortController();
  const accepting = acceptLoop(server, stop.signal);
  if (clientCount === 0) return accepting;  // serve forever

  const start = performance.now();
  const results = await Promise.all(Array.from({ length: clientCount }, (_, i) => client(i, bound)));
  const ms = Math.round(performance.now() - start);
  const ok = results.filter(Boolean).length;
  console.log(`concurrent-server: ${clientCount} clients at once, ${ok} echoes verified, in ${ms} ms`);

  stop.abort();  // ends the pending accept()
  await accepting;
  server.close();
  if (ok !== clientCount) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
