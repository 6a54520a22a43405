// select-server: one thread, many clients. Instead of blocking in accept() or in one client's
// recv(), the server asks selectSync() which sockets are ready, and only then calls accept() or
// recv(), which therefore do not wait. This is the classic I/O multiplexing loop of the lecture.
//
// Usage: node dist/examples/select-server.js [port=0] [connections]
//   Echoes what each client sends; with `connections`, exits after that many clients have closed.
import {
  AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, selectSync, socket, type InetAddress, type Socket,
} from '../lib';

const port = Number(process.argv[2] ?? 0);
const limit = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);

const listener = socket(AF_INET, SOCK_STREAM);
listener.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
listener.bind(['127.0.0.1', port]);
listener.listen(16);
const [host, bound] = listener.getsockname() as InetAddress;
console.log(`select-server listening on ${host} port ${bound}`);

const clients = new Map<Socket, string>();  // connected socket -> its peer, for the log
let closed = 0;

while (closed < limit) {
  // Wait (blocking this thread, as in Python) until the listener has a connection to accept or a
  // client has data (or has closed). select returns the very objects we gave it.
  const [readable] = selectSync([listener, ...clients.keys()], [], [], null);
  for (const sock of readable) {
    if (sock === listener) {
      const [conn, address] = listener.acceptSync();
      const peer = JSON.stringify(address);
      clients.set(conn, peer);
      console.log(`select-server: ${peer} connected (${clients.size} client(s) now)`);
      continue;
    }
    const data = sock.recvSync(4096);
    if (data.length === 0) {
      console.log(`select-server: ${clients.get(sock)} closed`);
      clients.delete(sock);
      sock.close();
      closed++;
    } else {
      // A reply this small fits in the socket's send buffer, so sendall() will not wait.
      sock.sendallSync(data);
    }
  }
}
for (const sock of clients.keys()) sock.close();
listener.close();
console.log(`select-server: served ${closed} client(s), bye`);
