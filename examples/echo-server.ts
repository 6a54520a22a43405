// echo-server: the lecture's TCP echo server, written with the synchronous API exactly as one
// would write it in Python (socket, bind, listen, accept, recv, sendall, close). It serves one
// client at a time; see select-server.ts and concurrent-server.ts for more than one.
//
// Usage: node dist/examples/echo-server.js [port=0] [connections]
//   port 0 asks the kernel for a free (ephemeral) port; the port bound is printed.
//   With `connections`, the server exits after serving that many clients; otherwise it runs forever.
import { AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, socket, type InetAddress } from '../lib';

const port = Number(process.argv[2] ?? 0);
const limit = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);

// 1. Make a TCP/IPv4 socket. SO_REUSEADDR lets a restarted server bind the port again at once,
//    even while old connections linger in TIME_WAIT.
const server = socket(AF_INET, SOCK_STREAM);
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);

// 2. Give it an address (loopback only) and 3. turn it into a listening socket.
server.bind(['127.0.0.1', port]);
server.listen(5);
const [host, bound] = server.getsockname() as InetAddress;
console.log(`echo-server listening on ${host} port ${bound}`);

for (let served = 0; served < limit; served++) {
  // 4. accept() waits for a client and returns a NEW socket for that conversation.
  const [conn, address] = server.acceptSync();
  console.log(`echo-server: connection from ${JSON.stringify(address)}`);
  let total = 0;
  for (;;) {
    // 5. recv() returns what has arrived (at most 1024 bytes); an empty Buffer means the client
    //    closed its side. sendall() loops until every byte has been handed to the kernel.
    const data = conn.recvSync(1024);
    if (data.length === 0) break;
    conn.sendallSync(data);
    total += data.length;
  }
  // 6. Close the conversation; the listening socket stays open for the next client.
  conn.close();
  console.log(`echo-server: echoed ${total} bytes, connection closed`);
}
server.close();
