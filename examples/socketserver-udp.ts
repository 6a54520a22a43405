// socketserver-udp: a UDPServer with a DatagramRequestHandler. Each datagram is one request:
// the handler gets it as this.packet and answers with this.reply(), a sendto() back to the sender.
//
// Usage: node dist/examples/socketserver-udp.js [port=0] [clients=3]
//   The demo clients run in this process; with clients = 0 the server runs forever.
import { AF_INET, SOCK_DGRAM, socket, type InetAddress } from '../lib';
import { DatagramRequestHandler, UDPServer } from '../lib/modules/socketserver';

const port = Number(process.argv[2] ?? 0);
const clientCount = Number(process.argv[3] ?? 3);

// Replies with the datagram reversed.
class ReverseHandler extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    const text = this.packet.toString();
    await this.reply([...text].reverse().join(''));
  }
}

async function client(i: number, address: InetAddress): Promise<string> {
  const sock = socket(AF_INET, SOCK_DGRAM);
  sock.settimeout(5);  // UDP may lose datagrams: do not wait forever
  try {
    await sock.sendto(Buffer.from(`datagram number ${i}`), address);
    const [reply] = await sock.recvfrom(1500);
    return reply.toString();
  } finally {
    sock.close();
  }
}

async function main(): Promise<void> {
  const server = new UDPServer(['127.0.0.1', port], ReverseHandler);
  const address = server.serverAddress as InetAddress;
  console.log(`socketserver-udp bound to 127.0.0.1 port ${address[1]}`);
  const serving = server.serveForever();
  if (clientCount === 0) return serving;

  const replies = await Promise.all(Array.from({ length: clientCount }, (_, i) => client(i, address)));
  for (const reply of replies) console.log(`socketserver-udp: client got ${JSON.stringify(reply)}`);

  await server.shutdown();
  await serving;
  server.serverClose();
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
