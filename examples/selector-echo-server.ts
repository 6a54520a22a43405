// selector-echo-server: the select() echo server of the lecture (examples/select-server.ts),
// rewritten with DefaultSelector as Python's selectors documentation does it. Each socket is
// registered once with what to do when it is ready (the key's `data`); the selector (epoll on
// Linux) then reports only the ready ones, however many clients wait idle.
//
// Usage: node dist/examples/selector-echo-server.js [port=0] [connections]
//   Echoes what each client sends; with `connections`, exits after that many clients have closed.
import {
  AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, DefaultSelector, EVENT_READ, defaultSelectorMechanism, socket,
  type InetAddress, type Socket,
} from '../lib';

const port = Number(process.argv[2] ?? 0);
const limit = process.argv[3] === undefined ? Infinity : Number(process.argv[3]);

/** What to do with a ready socket: the datum registered with it. */
type Handler = (sock: Socket) => void;

const selector = new DefaultSelector<Socket, Handler>();
let connected = 0;
let closed = 0;

function accept(listener: Socket): void {
  const [conn, address] = listener.acceptSync();
  conn.setblocking(false);
  const peer = JSON.stringify(address);
  selector.register(conn, EVENT_READ, (sock) => read(sock, peer));
  connected++;
  console.log(`selector-echo-server: ${peer} connected (${connected} client(s) now)`);
}

function read(sock: Socket, peer: string): void {
  const data = sock.recvSync(4096);
  if (data.length > 0) {
    sock.sendallSync(data);  // a reply this small fits in the send buffer: no wait
    return;
  }
  console.log(`selector-echo-server: ${peer} closed`);
  selector.unregister(sock);
  sock.close();
  connected--;
  closed++;
}

const listener = socket(AF_INET, SOCK_STREAM);
listener.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
listener.bind(['127.0.0.1', port]);
listener.listen(16);
listener.setblocking(false);
selector.register(listener, EVENT_READ, accept);
const [host, bound] = listener.getsockname() as InetAddress;
console.log(`selector-echo-server (${defaultSelectorMechanism}) listening on ${host} port ${bound}`);

while (closed < limit) {
  // Blocks this thread until some registered socket is ready, as Python's sel.select() does.
  for (const [key] of selector.selectSync()) key.data(key.fileobj);
}
for (const key of [...selector.getMap()!.values()]) key.fileobj.close();
selector.close();
console.log(`selector-echo-server: served ${closed} client(s), bye`);
