// echo-client: the lecture's TCP echo client, synchronous API. It connects to an echo server on
// the loopback address, sends each message and reads the same number of bytes back.
//
// Usage: node dist/examples/echo-client.js port [message ...]
import { AF_INET, SHUT_WR, SOCK_STREAM, socket } from '../lib';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: echo-client.js port [message ...]');
  process.exit(2);
}
const messages = process.argv.length > 3 ? process.argv.slice(3) : ['Hello, world', 'and goodbye'];

// 1. A TCP socket; 2. connect() does the three-way handshake with the server.
const client = socket(AF_INET, SOCK_STREAM);
client.settimeout(5);  // never hang forever: any wait longer than 5 s raises TimeoutError
client.connectSync(['127.0.0.1', port]);

for (const message of messages) {
  const data = Buffer.from(message);
  client.sendallSync(data);
  // TCP is a byte stream, not a message service: the echo may come back in several pieces,
  // so read until we have as many bytes as we sent.
  const parts: Buffer[] = [];
  let received = 0;
  while (received < data.length) {
    const part = client.recvSync(data.length - received);
    if (part.length === 0) throw new Error('server closed the connection early');
    parts.push(part);
    received += part.length;
  }
  console.log(`echo-client: sent ${JSON.stringify(message)}, received ${JSON.stringify(Buffer.concat(parts).toString())}`);
}

// 3. shutdown(SHUT_WR) tells the server "no more data" (it sees EOF); then close.
client.shutdown(SHUT_WR);
client.close();
