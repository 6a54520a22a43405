// socketserver-tcp: Python's socketserver, the TypeScript way. You write a handler class, the
// server does the rest: bind, listen, accept, one handler per connection, clean-up. Handlers run
// concurrently (like Python's ThreadingTCPServer) unless the server is given { concurrent: false }.
//
// Usage: node dist/examples/socketserver-tcp.js [port=0] [clients=3]
//   The demo clients run in this process; with clients = 0 the server runs forever.
import { type InetAddress } from '../lib';
import { createConnection } from '../lib/modules/create';
import { StreamRequestHandler, TCPServer } from '../lib/modules/socketserver';

const port = Number(process.argv[2] ?? 0);
const clientCount = Number(process.argv[3] ?? 3);

// The handler: upper-cases every line it receives. readline()/write() are buffered reads and
// sendall() writes on this.request, the connected socket.
class UpperCaseHandler extends StreamRequestHandler {
  override async handle(): Promise<void> {
    console.log(`socketserver-tcp: handling ${JSON.stringify(this.clientAddress)}`);
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) break;  // the client closed its side
      await this.write(line.toString().toUpperCase());
    }
  }
}

async function client(i: number, serverPort: number): Promise<string> {
  const sock = await createConnection(['127.0.0.1', serverPort], { timeout: 5 });
  try {
    await sock.sendall(Buffer.from(`hello from client ${i}\n`));
    const reply = await sock.recv(100);
    return reply.toString().trim();
  } finally {
    sock.close();
  }
}

async function main(): Promise<void> {
  const server = new TCPServer(['127.0.0.1', port], UpperCaseHandler);
  console.log(`socketserver-tcp listening on 127.0.0.1 port ${(server.serverAddress as InetAddress)[1]}`);
  const serving = server.serveForever();  // settles after shutdown()
  if (clientCount === 0) return serving;

  const replies = await Promise.all(Array.from({ length: clientCount }, (_, i) => client(i, (server.serverAddress as InetAddress)[1])));
  for (const reply of replies) console.log(`socketserver-tcp: client got ${JSON.stringify(reply)}`);

  await server.shutdown();  // serveForever() stops...
  await serving;
  server.serverClose();     // ...and the listening socket is closed
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
