// udp-echo: UDP is datagrams, not a stream: no listen/accept/connect, every sendto() names its
// destination and every recvfrom() tells who sent the datagram. Server and client both live in
// this one process, using the synchronous API; the kernel queues the datagrams between them.
//
// Usage: node dist/examples/udp-echo.js [port=0] [message ...]
import { AF_INET, SOCK_DGRAM, socket, type InetAddress } from '../lib';

const port = Number(process.argv[2] ?? 0);
const messages = process.argv.length > 3 ? process.argv.slice(3) : ['one', 'two', 'three'];

// The server: a datagram socket bound to a known address.
const server = socket(AF_INET, SOCK_DGRAM);
server.bind(['127.0.0.1', port]);
const address = server.getsockname() as InetAddress;
console.log(`udp-echo server bound to ${address[0]} port ${address[1]}`);

// The client: no bind needed, the kernel picks a port on the first sendto().
const client = socket(AF_INET, SOCK_DGRAM);
client.settimeout(2);  // a datagram may be lost: never wait forever for a reply

for (const message of messages) {
  client.sendtoSync(Buffer.from(message), address);

  // Server side: one recvfrom() is one whole datagram, with its sender's address...
  const [data, sender] = server.recvfromSync(1500);
  // ...which is where the echo goes.
  server.sendtoSync(data, sender as InetAddress);

  const [reply, from] = client.recvfromSync(1500);
  console.log(`udp-echo: sent ${JSON.stringify(message)} from port ${(sender as InetAddress)[1]}, `
    + `got ${JSON.stringify(reply.toString())} back from port ${(from as InetAddress)[1]}`);
}
client.close();
server.close();
