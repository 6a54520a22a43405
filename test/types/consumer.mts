// A consumer of the package's published types: every export of lib/index.ts, used as an
// application would, imported from 'bsd-sockets'. test/types.test.ts compiles it with
// `tsc --noEmit --strict` against dist/lib/*.d.ts (ES module, and again as CommonJS); it is
// never run. `@ts-expect-error` lines prove that wrong uses are refused (types are not `any`).
// This file is .mts so that the main build (tsconfig.json: test/**/*.ts) does not compile it.
import {
  // sockets
  Socket, socket, socketpair, fromfd, getdefaulttimeout, setdefaulttimeout,
  createConnection, createConnectionSync, createServer, hasDualstackIpv6,
  // errors
  SocketError, BlockingIOError, ConnectionError, ConnectionRefusedError, ConnectionResetError,
  ConnectionAbortedError, BrokenPipeError, TimeoutError, InterruptedError, PermissionError,
  FileNotFoundError, AddressInUseError, AddressNotAvailableError, GaiError, HostError, errno,
  // messages
  sendFds, sendFdsSync, recvFds, recvFdsSync,
  // readiness
  select, selectSync, poll, Poller,
  // names and numbers
  getaddrinfo, getaddrinfoSync, getnameinfo, getnameinfoSync, gethostname, gethostbyname,
  gethostbynameSync, gethostbynameEx, gethostbynameExSync, gethostbyaddr, gethostbyaddrSync,
  getservbyname, getservbyport, getprotobyname, inet_aton, inet_ntoa, inet_pton, inet_ntop,
  htons, ntohs, htonl, ntohl, if_nameindex, if_nametoindex, if_indextoname, CMSG_LEN, CMSG_SPACE,
  // socketserver
  BaseServer, SocketServer, TCPServer, UDPServer, UnixStreamServer, UnixDatagramServer, BaseRequestHandler,
  StreamRequestHandler, DatagramRequestHandler,
  // what this platform and build support
  features,
  // streams
  SocketStream,
  // struct helpers
  structSizes, packLinger, unpackLinger, packTimeval, unpackTimeval, packIpMreq, packIpMreqn, packIpv6Mreq,
  packUcred, unpackUcred, unpackInPktinfo, unpackIn6Pktinfo, unpackTcpInfo,
  // constants (a few by name; all of them in `constants`)
  constants, AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM, SOCK_DGRAM, SOL_SOCKET, SO_REUSEADDR,
  SHUT_RDWR, MSG_PEEK, POLLIN, NI_NUMERICHOST, SCM_RIGHTS,
} from 'bsd-sockets';
import type {
  Address, InetAddress, Inet6Address, UnixAddress, PacketAddress, NetlinkAddress, ReturnedAddress,
  OperationOptions, Ancillary, RecvmsgResult, RecvFdsResult, FileDescriptorLike, HasFileno,
  SelectOptions, AddrInfo, AddrInfoAddress, HostEntry, NameInfoAddress, ConnectionAddress, CreateConnectionOptions,
  CreateConnectionSyncOptions, CreateServerOptions, ServerOptions, RequestHandlerClass, DatagramRequest,
  Features, Linger, Ucred, InPktinfo, In6Pktinfo, TcpInfo, SocketStreamOptions, StreamSocket, SendfileOptions, SendfileSource,
} from 'bsd-sockets';
import {
  // epoll, kqueue, selectors and the third-round module functions
  epoll, Epoll, kqueue, Kqueue, kevent, KEvent, KQ_FILTER_READ, KQ_FILTER_WRITE, KQ_FILTER_AIO, KQ_FILTER_VNODE,
  KQ_FILTER_PROC, KQ_FILTER_SIGNAL, KQ_FILTER_TIMER, KQ_EV_ADD, KQ_EV_DELETE, KQ_EV_ENABLE, KQ_EV_DISABLE, KQ_EV_ONESHOT,
  KQ_EV_CLEAR, KQ_EV_EOF, KQ_EV_ERROR, KQ_EV_SYSFLAGS, KQ_EV_FLAG1, DefaultSelector, BaseSelector, EpollSelector,
  KqueueSelector, PollSelector, KeyError, EVENT_READ, EVENT_WRITE, defaultSelectorMechanism, EPOLLIN, EPOLLET,
  getfqdn, getfqdnSync, sethostname, has_ipv6, close, dup,
} from 'bsd-sockets';
import type { SelectorKey } from 'bsd-sockets';

function platform(): void {
  const f: Features = features;
  expectType<boolean>(f.recvmmsg);
  const linger: Linger = unpackLinger(packLinger({ onoff: 1, linger: 5 }));
  expectType<number>(linger.linger);
  expectType<Buffer>(packTimeval(1.5));
  expectType<number>(unpackTimeval(Buffer.alloc(16)));
  expectType<Buffer>(packIpMreq('239.1.1.1'));
  expectType<Buffer>(packIpMreqn('239.1.1.1', '127.0.0.1', 1));
  expectType<Buffer>(packIpv6Mreq('ff02::1', 1));
  const cred: Ucred = unpackUcred(packUcred({ pid: 1, uid: 0, gid: 0 }));
  const info4: InPktinfo = unpackInPktinfo(Buffer.alloc(12));
  const info6: In6Pktinfo = unpackIn6Pktinfo(Buffer.alloc(20));
  const tcp: TcpInfo = unpackTcpInfo(Buffer.alloc(structSizes.tcp_info ?? 104));
  void cred; void info4; void info6; void tcp;
}

/** Compile-time equality: `expectType<T>(value)` fails unless value's type is exactly T. */
type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false;
function expectType<T>(value: T): T { return value; }
function assertTrue<T extends true>(): T | undefined { return undefined; }

// ---- constants
const family: number = AF_INET;
const all: Readonly<Record<string, number>> = constants;
const flags: number = MSG_PEEK | NI_NUMERICHOST;
assertTrue<Equal<typeof SOCK_STREAM, number>>();
// @ts-expect-error constants are frozen
constants.AF_INET = 3;
void [family, all, flags, AF_INET6, SOCK_DGRAM, SCM_RIGHTS, SHUT_RDWR, POLLIN];

// ---- addresses
const inet: InetAddress = ['127.0.0.1', 80];
const inet6: Inet6Address = ['::1', 80, 0, 0];
const unixPath: UnixAddress = '/tmp/sock';
const packet: PacketAddress = ['lo', 0x0800];
const netlink: NetlinkAddress = [0, 0];
const any: Address[] = [inet, inet6, unixPath, Buffer.from('\0abstract'), packet, netlink];
// @ts-expect-error a port is a number
const badInet: InetAddress = ['127.0.0.1', '80'];
void [any, badInet];

async function sockets(): Promise<void> {
  // ---- class Socket
  const server: Socket = new Socket(AF_INET, SOCK_STREAM, 0);
  server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
  server.setsockopt(SOL_SOCKET, SO_REUSEADDR, true);
  server.bind(['127.0.0.1', 0]);
  server.listen(16);
  const here: ReturnedAddress = server.getsockname();
  const opt: number = server.getsockopt(SOL_SOCKET, SO_REUSEADDR);
  const raw: Buffer = server.getsockopt(SOL_SOCKET, SO_REUSEADDR, 4);
  const [fam, type, proto, fd, closed]: [number, number, number, number, boolean] =
    [server.family, server.type, server.proto, server.fd, server.closed];
  expectType<number>(server.fileno());
  server.setblocking(true);
  expectType<boolean>(server.getblocking());
  server.settimeout(2.5);
  server.settimeout(null);
  expectType<number | null>(server.gettimeout());
  server.setInheritable(false);
  expectType<boolean>(server.getInheritable());
  expectType<Socket>(server.ref().unref());
  // @ts-expect-error bind takes an address, not a port
  server.bind(8080);

  const ac = new AbortController();
  const options: OperationOptions = { signal: ac.signal };
  const client = socket();
  await client.connect(here as InetAddress, options);
  client.connectSync(['localhost', 80]);
  expectType<number>(client.connectEx(['localhost', 80]));
  const [conn, peer]: [Socket, ReturnedAddress] = await server.accept(options);
  const [conn2] = server.acceptSync();
  expectType<number>(await client.send(Buffer.from('x'), 0, options));
  expectType<number>(client.sendSync(new Uint8Array(1)));
  expectType<void>(await client.sendall(Buffer.from('x')));
  client.sendallSync(Buffer.from('x'), 0);
  expectType<number>(await client.sendto(Buffer.from('x'), inet));
  expectType<number>(client.sendtoSync(Buffer.from('x'), 0, inet));
  expectType<Buffer>(await conn.recv(10));
  expectType<Buffer>(conn.recvSync(10, MSG_PEEK));
  const into = Buffer.alloc(10);
  expectType<number>(await conn.recvInto(into, 5));
  expectType<number>(conn.recvIntoSync(into));
  expectType<[Buffer, ReturnedAddress]>(await conn.recvfrom(10));
  expectType<[Buffer, ReturnedAddress]>(conn.recvfromSync(10));
  expectType<[number, ReturnedAddress]>(await conn.recvfromInto(into));
  expectType<[number, ReturnedAddress]>(conn.recvfromIntoSync(into));
  const anc: Ancillary[] = [[SOL_SOCKET, SCM_RIGHTS, Buffer.alloc(4)]];
  expectType<number>(await client.sendmsg([Buffer.from('a')], anc, 0));
  expectType<number>(client.sendmsgSync([Buffer.from('a')]));
  const msg: RecvmsgResult = await conn.recvmsg(10, CMSG_SPACE(4));
  const [msgData, msgAnc, msgFlags, msgFrom] = conn.recvmsgSync(10);
  expectType<Buffer>(msgData);
  expectType<Ancillary[]>(msgAnc);
  expectType<number>(msgFlags);
  expectType<ReturnedAddress>(msgFrom);
  expectType<Array<[number, ReturnedAddress, number]>>(await conn.recvmmsg([Buffer.alloc(10)]));
  expectType<Array<[nbytes: number, address: ReturnedAddress, msgFlags: number]>>(conn.recvmmsgSync([Buffer.alloc(10)]));
  expectType<number>(await client.sendmmsg([[Buffer.from('a'), inet], [Buffer.from('b')]]));
  expectType<number>(client.sendmmsgSync([[Buffer.from('a')]]));
  // @ts-expect-error recv takes a size, not a buffer (that is recvInto)
  await conn.recv(into);
  conn.shutdown(SHUT_RDWR);
  expectType<ReturnedAddress>(client.getpeername());
  const copy: Socket = conn.dup();
  expectType<number>(copy.detach());
  {
    using scoped = socket(AF_UNIX, SOCK_DGRAM);
    scoped[Symbol.dispose]();
  }
  for (const s of [server, client, conn, conn2]) s.close();

  // ---- module functions
  const [a, b]: [Socket, Socket] = socketpair(AF_UNIX, SOCK_STREAM);
  const c: Socket = fromfd(a.fileno(), AF_UNIX, SOCK_STREAM, 0);
  setdefaulttimeout(null);
  setdefaulttimeout(3);
  expectType<number | null>(getdefaulttimeout());
  const connectionAddress: ConnectionAddress = ['localhost', 'http'];
  const connOptions: CreateConnectionOptions = { timeout: 1, sourceAddress: ['127.0.0.1', 0], signal: ac.signal };
  const syncOptions: CreateConnectionSyncOptions = { timeout: null };
  expectType<Socket>(await createConnection(connectionAddress, connOptions));
  expectType<Socket>(createConnectionSync(['localhost', 80], syncOptions));
  const serverOptions: CreateServerOptions = { family: AF_INET6, backlog: 5, reusePort: true, dualstackIpv6: true };
  expectType<Socket>(createServer(['', 0], serverOptions));
  expectType<boolean>(hasDualstackIpv6());

  // ---- descriptor passing
  expectType<number>(await sendFds(a, [Buffer.from('f')], [0, 1]));
  expectType<number>(sendFdsSync(a, [Buffer.from('f')], [0]));
  const fdsResult: RecvFdsResult = await recvFds(b, 10, 2);
  const [, fds] = recvFdsSync(b, 10, 2, 0);
  expectType<number[]>(fds);
  void [fdsResult, msg, peer, opt, raw, fam, type, proto, fd, closed, c];

  // ---- select and poll
  const withFileno: HasFileno = { fileno: () => 0 };
  const items: FileDescriptorLike[] = [a, 0, withFileno];
  const selectOptions: SelectOptions = { signal: ac.signal };
  const [readable] = await select([a, b], [], [], 0.5, selectOptions);
  expectType<Socket[]>(readable);
  const [, writable] = selectSync([], [1, 2], [], null);
  expectType<number[]>(writable);
  const poller: Poller = poll();
  poller.register(a, POLLIN);
  poller.modify(a, POLLIN);
  expectType<Array<[number, number]>>(await poller.poll(100));
  expectType<Array<[number, number]>>(poller.pollSync(0));
  poller.unregister(a);
  void items;
}

async function names(): Promise<void> {
  const infos: AddrInfo[] = await getaddrinfo('localhost', 80, AF_INET, SOCK_STREAM);
  const [[f, t, p, canon, addr]] = getaddrinfoSync(null, 'http');
  expectType<[number, number, number, string]>([f, t, p, canon]);
  expectType<AddrInfoAddress>(addr);
  const where: NameInfoAddress = ['127.0.0.1', 80];
  expectType<[host: string, port: string]>(await getnameinfo(where, NI_NUMERICHOST));
  expectType<[host: string, port: string]>(getnameinfoSync(['::1', 80, 0, 0], 0));
  expectType<string>(gethostname());
  expectType<string>(await gethostbyname('localhost'));
  expectType<string>(gethostbynameSync('localhost'));
  const entry: HostEntry = await gethostbynameEx('localhost');
  expectType<HostEntry>(gethostbynameExSync('localhost'));
  expectType<HostEntry>(await gethostbyaddr('127.0.0.1'));
  expectType<HostEntry>(gethostbyaddrSync('127.0.0.1'));
  expectType<number>(getservbyname('http', 'tcp'));
  expectType<string>(getservbyport(80));
  expectType<number>(getprotobyname('tcp'));
  expectType<Buffer>(inet_aton('1.2.3.4'));
  expectType<string>(inet_ntoa(Buffer.alloc(4)));
  expectType<Buffer>(inet_pton(AF_INET6, '::1'));
  expectType<string>(inet_ntop(AF_INET, new Uint8Array(4)));
  expectType<number>(htons(1) + ntohs(1) + htonl(1) + ntohl(1));
  expectType<Array<[number, string]>>(if_nameindex());
  expectType<number>(if_nametoindex('lo'));
  expectType<string>(if_indextoname(1));
  expectType<number>(CMSG_LEN(4) + CMSG_SPACE(4));
  // @ts-expect-error inet_pton takes the family first
  inet_pton('::1', AF_INET6);
  void [infos, addr, entry];
}

function errors(error: unknown): string {
  if (error instanceof SocketError) {
    const fields: [number, string, string, unknown] = [error.errno, error.code, error.syscall, error.address];
    if (error instanceof ConnectionError) {
      return [ConnectionRefusedError, ConnectionResetError, ConnectionAbortedError, BrokenPipeError]
        .some((C) => error instanceof C) ? 'connection' : String(fields);
    }
    for (const C of [BlockingIOError, TimeoutError, InterruptedError, PermissionError, FileNotFoundError,
      AddressInUseError, AddressNotAvailableError]) {
      if (error instanceof C) return C.name;
    }
    return error.code;
  }
  if (error instanceof GaiError || error instanceof HostError) return `${error.code} ${error.errno} ${error.syscall}`;
  const e: number | undefined = errno.ECONNREFUSED;
  return String(e);
}
const made: SocketError = new SocketError(errno.EBADF, 'recv');
void made;

// ---- socketserver
class Echo extends StreamRequestHandler {
  override async handle(): Promise<void> {
    for (let line = await this.readline(); line.length > 0; line = await this.readline()) await this.write(line);
    const more: Buffer = await this.read(10);
    await this.write(more.toString());
    expectType<Socket>(this.request);
    expectType<ReturnedAddress>(this.clientAddress);
  }
}
class Pong extends DatagramRequestHandler {
  override async handle(): Promise<void> {
    expectType<Buffer>(this.packet);
    expectType<Socket>(this.socket);
    expectType<number>(await this.reply('pong'));
  }
}
class Plain extends BaseRequestHandler<Socket> {
  override setup(): void { this.request.setblocking(true); }
  override finish(): void {}
}

async function servers(): Promise<void> {
  const options: ServerOptions = { bindAndActivate: true, allowReuseAddress: true, backlog: 8, concurrent: false };
  const tcp = new TCPServer(['127.0.0.1', 0], Echo, options);
  const handlerClass: RequestHandlerClass<Socket> = Plain;
  const unixStream = new UnixStreamServer('/tmp/stream.sock', handlerClass);
  const udp = new UDPServer(['127.0.0.1', 0], Pong);
  const unixDgram = new UnixDatagramServer('/tmp/dgram.sock', Pong);
  const request: DatagramRequest = [Buffer.alloc(1), udp.socket];
  const base: BaseServer<Socket> = tcp;
  const shared: SocketServer<DatagramRequest> = udp;
  expectType<number>(shared.requestQueueSize);
  const serving: Promise<void> = tcp.serveForever(0.5);
  await tcp.handleRequest();
  expectType<Address | ReturnedAddress>(base.serverAddress);
  expectType<Socket>(tcp.socket);
  expectType<number>(tcp.fileno());
  await tcp.shutdown();
  await serving;
  tcp.serverClose();
  await udp[Symbol.asyncDispose]();
  // @ts-expect-error a TCP server takes a stream handler class, not an instance
  new TCPServer(['127.0.0.1', 0], new Plain(socket(), null, null));
  for (const s of [unixStream, unixDgram]) s.serverClose();
  void request;
}

async function streams(fh: import('node:fs/promises').FileHandle): Promise<void> {
  const [a, b] = socketpair();
  const options: SocketStreamOptions = { keepOpen: true, allowHalfOpen: true, readSize: 4096 };
  const stream: SocketStream = a.toStream(options);
  expectType<SocketStream>(stream.unref().ref());
  expectType<import('node:stream').Duplex>(stream);
  const under: StreamSocket = stream.socket;
  expectType<number>(under.fileno());
  const file: SendfileSource = fh;
  const sendOptions: SendfileOptions = { signal: AbortSignal.timeout(1000) };
  expectType<number>(await a.sendfile(file, 0, 10, sendOptions));
  expectType<number>(b.sendfileSync(3));
  expectType<import('node:net').Socket>(b.toNetSocket());
  // @ts-expect-error a file path is not a FileHandle or a descriptor
  a.sendfileSync('/etc/hosts');
  // @ts-expect-error keepOpen is a boolean
  a.toStream({ keepOpen: 1 });
}

async function selectors(): Promise<void> {
  const [a, b] = socketpair();
  const ep: Epoll = epoll();
  ep.register(a, (EPOLLIN ?? 0) | (EPOLLET ?? 0));
  expectType<Array<[number, number]>>(await ep.poll(1, -1, { signal: AbortSignal.timeout(10) }));
  expectType<Array<[number, number]>>(ep.pollSync(0));
  expectType<boolean>(ep.closed);
  // @ts-expect-error the event mask is a number
  ep.modify(a, 'in');
  ep.close();
  const kq: () => Kqueue = kqueue;
  const change: KEvent = kevent(b, KQ_FILTER_READ, KQ_EV_ADD);
  const kqNames: Array<number | undefined> = [KQ_FILTER_WRITE, KQ_FILTER_AIO, KQ_FILTER_VNODE, KQ_FILTER_PROC, KQ_FILTER_SIGNAL,
    KQ_FILTER_TIMER, KQ_EV_DELETE, KQ_EV_ENABLE, KQ_EV_DISABLE, KQ_EV_ONESHOT, KQ_EV_CLEAR, KQ_EV_EOF, KQ_EV_ERROR,
    KQ_EV_SYSFLAGS, KQ_EV_FLAG1];
  void kq; void change; void kqNames;
  const selector = new DefaultSelector<Socket, string>();
  const key: SelectorKey<Socket, string> = selector.register(a, EVENT_READ | EVENT_WRITE, 'datum');
  expectType<string>(key.data);
  for (const [ready, events] of await selector.select(0)) {
    expectType<Socket>(ready.fileobj);
    expectType<number>(events);
  }
  expectType<Array<[SelectorKey<Socket, string>, number]>>(selector.selectSync(null));
  expectType<ReadonlyMap<number, SelectorKey<Socket, string>> | null>(selector.getMap());
  // @ts-expect-error the datum is a string here
  selector.modify(a, EVENT_READ, 5);
  selector.close();
  const others: Array<BaseSelector> = [new EpollSelector(), new PollSelector(), new KqueueSelector()];
  const mechanism: 'epoll' | 'kqueue' | 'poll' = defaultSelectorMechanism;
  const error: KeyError = new KeyError(a, 'not registered');
  void others; void mechanism; void error.key;
  expectType<string>(await getfqdn('localhost'));
  expectType<string>(getfqdnSync());
  sethostname(Buffer.from('name'));
  expectType<boolean>(has_ipv6);
  close(dup(b.fileno()));
}

export { sockets, names, errors, servers, platform, streams, selectors };
