// Type fixtures for the per-family rules of API.md ("a socket knows its family in its type"):
// compiled by test/types.test.ts with `tsc --noEmit --strict` against dist/lib/*.d.ts, never run.
// Each `@ts-expect-error` line must fail to compile (tsc reports an unused one as an error), so
// every wrong use below is proved refused, and every other line proved accepted.
import {
  Socket, socket, socketpair, fromfd, createConnection, createConnectionSync, createServer,
  sendFds, recvFdsSync, TCPServer, UDPServer, UnixStreamServer, UnixDatagramServer,
  StreamRequestHandler, DatagramRequestHandler, BaseRequestHandler, BaseServer,
  AF_INET, AF_INET6, AF_UNIX, AF_PACKET, AF_NETLINK, AF_LOCAL, AF_APPLETALK, SOCK_STREAM, SOCK_DGRAM, SOCK_RAW,
  SOL_SOCKET, SCM_RIGHTS, NETLINK_ROUTE, ETH_P_ALL, htons, constants, errno,
} from 'bsd-sockets';
import type {
  Family, AddressOf, ReturnedAddressOf, ReceivedAddressOf, ReturnedAddress, Address, Ancillary,
  InetFamily, RecvmsgResult, DatagramRequest, ClientAddressOf, ReturnedInetAddress, ReturnedInet6Address, ReturnedUnixAddress,
  ReturnedPacketAddress, RequestHandler, RequestHandlerClass, AnyRequestHandlerClass, Constants, ErrnoTable,
  RecvmmsgResult,
} from 'bsd-sockets';

type Equal<A, B> = (<G>() => G extends A ? 1 : 2) extends (<G>() => G extends B ? 1 : 2) ? true : false;
function assertTrue<T extends true>(): T | undefined { return undefined; }
function expectType<T>(value: T): T { return value; }
const data = new Uint8Array(4);

// ---- constants: a brand per family, `| undefined` where a platform lacks it
assertTrue<Equal<typeof AF_INET, AF_INET>>();
assertTrue<Equal<typeof AF_INET6, AF_INET6>>();
assertTrue<Equal<typeof AF_UNIX, AF_UNIX>>();
assertTrue<Equal<typeof AF_LOCAL, AF_UNIX>>();
assertTrue<Equal<typeof AF_PACKET, AF_PACKET | undefined>>();
assertTrue<Equal<typeof AF_NETLINK, AF_NETLINK | undefined>>();
assertTrue<Equal<AF_INET, Family<'AF_INET'>>>();
assertTrue<Equal<typeof AF_APPLETALK, number>>();
const asNumber: number = AF_INET6;
// @ts-expect-error a family's value differs across platforms: no literal is a family
const literal: AF_INET = 2;
// @ts-expect-error one family is not another
const other: AF_INET = AF_INET6;
// @ts-expect-error a platform-only constant may be undefined
const packetNumber: number = AF_PACKET;
void [asNumber, literal, other, packetNumber];

// ---- the address types, per family
assertTrue<Equal<AddressOf<AF_INET>, [host: string, port: number]>>();
assertTrue<Equal<ReturnedAddressOf<AF_INET6>, [host: string, port: number, flowinfo: number, scopeId: number]>>();
assertTrue<Equal<ReturnedAddressOf<AF_UNIX>, string | Buffer>>();
assertTrue<Equal<ReceivedAddressOf<AF_UNIX>, string | Buffer | null>>();
assertTrue<Equal<ReceivedAddressOf<AF_INET>, [host: string, port: number] | null>>();
assertTrue<Equal<ReturnedAddressOf<AF_INET>, ReturnedInetAddress>>();
assertTrue<Equal<ReturnedAddressOf<AF_INET6>, ReturnedInet6Address>>();
assertTrue<Equal<ReturnedAddressOf<AF_UNIX>, ReturnedUnixAddress>>();
assertTrue<Equal<ReturnedAddressOf<AF_PACKET>, ReturnedPacketAddress>>();
assertTrue<Equal<ReturnedAddressOf<AF_NETLINK>, [pid: number, groups: number]>>();
assertTrue<Equal<AddressOf<number>, Address>>();
assertTrue<Equal<ReturnedAddressOf<number>, ReturnedAddress>>();
assertTrue<Equal<AddressOf<InetFamily>, AddressOf<AF_INET> | AddressOf<AF_INET6>>>();

async function inet(): Promise<void> {
  const s = socket(AF_INET, SOCK_STREAM);
  expectType<Socket<AF_INET>>(s);
  expectType<Socket<AF_INET>>(socket());
  expectType<AF_INET>(s.family);
  s.bind(['127.0.0.1', 0]);
  // @ts-expect-error an AF_INET socket takes [host, port], not a path
  s.bind('/tmp/x');
  // @ts-expect-error nor an IPv6 four-tuple
  s.bind(['::1', 0, 0, 0]);
  // @ts-expect-error nor a port alone
  s.bind(8080);
  s.listen();
  const [host, port] = s.getsockname();
  expectType<string>(host);
  expectType<number>(port);
  const [peerHost, peerPort] = s.getpeername();
  void [peerHost, peerPort];
  const [conn, [clientHost, clientPort]] = await s.accept();
  expectType<Socket<AF_INET>>(conn);
  const [conn2, from2] = s.acceptSync();
  expectType<Socket<AF_INET>>(conn2);
  expectType<[host: string, port: number]>(from2);
  void [clientHost, clientPort];
  await s.connect(['localhost', 80]);
  s.connectSync(['127.0.0.1', 80]);
  expectType<number>(s.connectEx(['127.0.0.1', 80]));
  // @ts-expect-error connect takes [host, port]
  await s.connect('/tmp/x');
  // @ts-expect-error a port is a number
  s.connectSync(['127.0.0.1', '80']);
  await s.sendto(data, ['127.0.0.1', 9]);
  s.sendtoSync(data, 0, ['127.0.0.1', 9]);
  // @ts-expect-error sendto takes this family's address
  s.sendtoSync(data, '/tmp/x');
  // A stream socket gives no sender: recvfrom's address may be null.
  const [bytes, sender] = await s.recvfrom(10);
  expectType<Buffer>(bytes);
  expectType<[host: string, port: number] | null>(sender);
  expectType<[number, [host: string, port: number] | null]>(s.recvfromSync(10) && s.recvfromIntoSync(data));
  expectType<[number, [host: string, port: number] | null]>(await s.recvfromInto(data));
  if (sender) {
    const [h, p] = sender;
    void [h, p];
  }
  // @ts-expect-error it may be null
  const [h2] = sender;
  void h2;
  const [, , , msgFrom] = await s.recvmsg(10);
  expectType<[host: string, port: number] | null>(msgFrom);
  expectType<RecvmsgResult<AF_INET>>(s.recvmsgSync(10));
  expectType<Array<[number, [host: string, port: number] | null, number]>>(await s.recvmmsg([data]));
  expectType<RecvmmsgResult<AF_INET>[]>(s.recvmmsgSync([data]));
  const [[nbytes, mmsgFrom, mmsgFlags]] = s.recvmmsgSync([data]);
  expectType<number>(nbytes + mmsgFlags);
  // @ts-expect-error the sender may be null
  void mmsgFrom[0];
  await s.sendmsg([data], [], 0, ['127.0.0.1', 9]);
  // @ts-expect-error sendmsg's address is this family's
  s.sendmsgSync([data], null, 0, '/tmp/x');
  await s.sendmmsg([[data, ['127.0.0.1', 9]], [data]]);
  // @ts-expect-error sendmmsg's addresses are this family's
  s.sendmmsgSync([[data, '/tmp/x']]);
  expectType<Socket<AF_INET>>(s.dup());
}

async function inet6(): Promise<void> {
  const s = socket(AF_INET6, SOCK_DGRAM);
  expectType<Socket<AF_INET6>>(s);
  expectType<AF_INET6>(s.family);
  s.bind(['::1', 0]);
  s.bind(['::1', 0, 0, 0]);
  // @ts-expect-error an AF_INET6 socket takes no path
  s.bind('/tmp/x');
  const [host, port, flowinfo, scopeId] = s.getsockname();
  expectType<[string, number, number, number]>([host, port, flowinfo, scopeId]);
  const [, from] = await s.recvfrom(10);
  if (from) expectType<number>(from[3]);
  // @ts-expect-error [pid, groups] is netlink's
  s.sendtoSync(data, [0, 0]);
  expectType<Socket<AF_INET6>>(s.dup());
  const [conn, [peerHost, , , peerScope]] = s.acceptSync();
  expectType<Socket<AF_INET6>>(conn);
  void [peerHost, peerScope];
}

async function unix(): Promise<void> {
  const s = socket(AF_UNIX, SOCK_DGRAM);
  expectType<Socket<AF_UNIX>>(s);
  expectType<AF_UNIX>(socket(AF_LOCAL).family);
  s.bind('/tmp/x');
  s.bind(Buffer.from('\0abstract'));
  s.bind(new Uint8Array(4));
  // @ts-expect-error an AF_UNIX socket takes a path, not [host, port]
  s.bind(['127.0.0.1', 0]);
  expectType<string | Buffer>(s.getsockname());
  // An unnamed Unix sender (or a socketpair's peer) gives no address: null, as Python's None.
  const [, from] = await s.recvfrom(10);
  expectType<string | Buffer | null>(from);
  // @ts-expect-error the sender may have no address
  s.sendtoSync(data, from);
  if (from !== null) s.sendtoSync(data, from);
  const [conn, peer] = await s.accept();
  expectType<Socket<AF_UNIX>>(conn);
  expectType<string | Buffer>(peer);
  // @ts-expect-error connect takes a path
  s.connectSync(['localhost', 80]);
  const [a, b] = socketpair();
  expectType<[Socket<AF_UNIX>, Socket<AF_UNIX>]>([a, b]);
  expectType<[Socket<AF_UNIX>, Socket<AF_UNIX>]>(socketpair(AF_UNIX, SOCK_STREAM));
  expectType<Socket<AF_UNIX>>(a.dup());
  expectType<Socket<AF_UNIX>>(fromfd(a.fd, AF_UNIX));
  expectType<Socket>(fromfd(a.fd));
  await sendFds(a, [data], [0], 0, '/tmp/x');
  // @ts-expect-error sendFds' address is the socket's family's
  await sendFds(a, [data], [0], 0, ['127.0.0.1', 0]);
  const [, fds, , fdsFrom] = recvFdsSync(b, 10, 1);
  expectType<number[]>(fds);
  expectType<string | Buffer | null>(fdsFrom);
  // Ancillary data goes out as any Uint8Array and comes back as Buffers.
  const out: Ancillary<Uint8Array>[] = [[SOL_SOCKET, SCM_RIGHTS, new Uint8Array(new Int32Array([0]).buffer)]];
  a.sendmsgSync([data], out);
  const [, ancdata] = b.recvmsgSync(10, 64);
  expectType<Ancillary[]>(ancdata);
  expectType<Buffer>(ancdata[0][2]);
}

function packet(): void {
  // A platform-only family is `AF_PACKET | undefined`: check it or assert it (`AF_PACKET!`).
  // @ts-expect-error it may be undefined on this platform
  socket(AF_PACKET, SOCK_RAW);
  if (AF_PACKET !== undefined) expectType<Socket<AF_PACKET>>(socket(AF_PACKET, SOCK_RAW));
  const s = socket(AF_PACKET!, SOCK_RAW, htons(ETH_P_ALL!));
  expectType<Socket<AF_PACKET>>(s);
  s.bind(['lo', ETH_P_ALL!]);
  s.bind(['lo', 0x0800, 0, 0, new Uint8Array(6)]);
  // @ts-expect-error an AF_PACKET socket takes [ifname, proto, …]
  s.bind(['127.0.0.1', 'x']);
  // @ts-expect-error nor a path
  s.bind('/tmp/x');
  const [ifname, proto, pkttype, hatype, addr] = s.getsockname();
  expectType<[string, number, number, number, Buffer]>([ifname, proto, pkttype, hatype, addr]);
  const [, from] = s.recvfromSync(1500);
  if (from) expectType<Buffer>(from[4]);
  expectType<Socket<AF_PACKET>>(s.dup());
  // @ts-expect-error the constructor too refuses a family that may be undefined
  new Socket(AF_PACKET);
  expectType<Socket<AF_PACKET>>(new Socket(AF_PACKET!, SOCK_RAW));
}

function netlink(): void {
  // @ts-expect-error it may be undefined on this platform
  socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
  const s = socket(AF_NETLINK!, SOCK_RAW, NETLINK_ROUTE);
  expectType<Socket<AF_NETLINK>>(s);
  s.bind([0, 0]);
  // @ts-expect-error an AF_NETLINK socket takes [pid, groups]
  s.bind(['lo', 0]);
  const [pid, groups] = s.getsockname();
  expectType<[number, number]>([pid, groups]);
  s.sendtoSync(data, [0, 0]);
  // @ts-expect-error [pid, groups] are numbers
  s.sendtoSync(data, ['0', 0]);
  expectType<Socket<AF_NETLINK>>(s.dup());
  // @ts-expect-error socketpair refuses a family that may be undefined
  socketpair(AF_NETLINK);
}

function anyFamily(family: number): void {
  // A family known only at run time: a Socket<number>, any address shape, the loose returns.
  const s = socket(family);
  expectType<Socket<number>>(s);
  expectType<Socket>(s);
  expectType<Socket>(new Socket());
  s.bind('/tmp/x');
  s.bind(['127.0.0.1', 0]);
  s.bind([0, 0]);
  expectType<ReturnedAddress>(s.getsockname());
  // @ts-expect-error a ReturnedAddress is a union: no [host, port] without a check
  const [host, port] = s.getsockname();
  void [host, port];
  // Every typed socket is also a Socket.
  const sockets: Socket[] = [socket(AF_INET), socket(AF_INET6), socket(AF_UNIX), socket(AF_PACKET!)];
  void sockets;
}

async function create(): Promise<void> {
  const c = await createConnection(['localhost', 80], { sourceAddress: ['127.0.0.1', 0] });
  expectType<Socket<InetFamily>>(c);
  const [host, port] = c.getsockname();
  void [host, port];
  expectType<Socket<AF_INET | AF_INET6>>(createConnectionSync(['::1', 'http']));
  // @ts-expect-error a source address is an IP address
  createConnectionSync(['localhost', 80], { sourceAddress: '/tmp/x' });
  const server = createServer(['', 0]);
  expectType<Socket<AF_INET>>(server);
  const [, p] = server.getsockname();
  void p;
  const server6 = createServer(['::', 0], { family: AF_INET6, dualstackIpv6: true });
  expectType<Socket<AF_INET6>>(server6);
  expectType<number>(server6.getsockname()[3]);
  // @ts-expect-error an AF_INET server binds [host, port]
  createServer('/tmp/x');
}

// ---- socketserver: servers and handlers carry the family too
class Echo4 extends StreamRequestHandler<AF_INET> {
  override async handle(): Promise<void> {
    const [host, port] = this.clientAddress;
    expectType<Socket<AF_INET>>(this.request);
    expectType<BaseServer<Socket<AF_INET>, AF_INET>>(this.server);
    // @ts-expect-error the server is typed, not any
    this.server.noSuchMember();
    await this.write(`${host}:${port}`);
  }
}
class EchoUnix extends StreamRequestHandler<AF_UNIX> {
  override handle(): void {
    expectType<string | Buffer>(this.clientAddress);
  }
}
class AnyStream extends StreamRequestHandler {
  override handle(): void {
    expectType<ReturnedAddress>(this.clientAddress);
  }
}
class Pong4 extends DatagramRequestHandler<AF_INET> {
  override async handle(): Promise<void> {
    const [host] = this.clientAddress;
    expectType<ReturnedInetAddress>(this.clientAddress);  // a UDP datagram always has a sender
    expectType<Socket<AF_INET>>(this.socket);
    expectType<DatagramRequest<AF_INET>>(this.request);
    await this.reply(host);
  }
}
class PongUnix extends DatagramRequestHandler<AF_UNIX> {
  override handle(): void {
    expectType<string | Buffer | null>(this.clientAddress);  // an unnamed Unix sender has none
    expectType<ClientAddressOf<DatagramRequest<AF_UNIX>, AF_UNIX>>(this.clientAddress);
    // @ts-expect-error a Unix datagram's sender may have no name
    const named: string | Buffer = this.clientAddress;
    void named;
  }
}
class Plain extends BaseRequestHandler<Socket<AF_INET>, AF_INET> {}

function servers(): void {
  const tcp = new TCPServer(['127.0.0.1', 0], Echo4);
  expectType<TCPServer<AF_INET>>(tcp);
  expectType<Socket<AF_INET>>(tcp.socket);
  expectType<TCPServer<AF_INET>>(new TCPServer(['127.0.0.1', 0], Plain));
  // @ts-expect-error a TCPServer binds [host, port]
  new TCPServer('/tmp/x', Echo4);
  const loose: BaseServer<Socket> = new TCPServer(['127.0.0.1', 0], AnyStream);
  const stream = new UnixStreamServer('/tmp/stream.sock', EchoUnix);
  expectType<Socket<AF_UNIX>>(stream.socket);
  expectType<AF_UNIX>(stream.addressFamily);
  new UnixStreamServer('/tmp/stream.sock', AnyStream);
  // @ts-expect-error a handler of AF_INET requests cannot serve a Unix server
  new UnixStreamServer('/tmp/stream.sock', Echo4);
  // @ts-expect-error a Unix server binds a path
  new UnixStreamServer(['127.0.0.1', 0], EchoUnix);
  const udp = new UDPServer(['127.0.0.1', 0], Pong4);
  expectType<UDPServer<AF_INET>>(udp);
  // @ts-expect-error a datagram handler cannot serve a stream server
  new TCPServer(['127.0.0.1', 0], Pong4);
  const dgram = new UnixDatagramServer('/tmp/dgram.sock', PongUnix);
  // @ts-expect-error nor an AF_INET one a Unix datagram server
  new UnixDatagramServer('/tmp/dgram.sock', Pong4);
  class Tcp6 extends TCPServer<AF_INET6> {
    override get addressFamily(): AF_INET6 { return AF_INET6; }
  }
  const v6 = new Tcp6(['::1', 0], StreamRequestHandler);
  expectType<Socket<AF_INET6>>(v6.socket);
  const handlerClass: RequestHandlerClass<Socket<AF_INET>, AF_INET> = Echo4;
  const kept: AnyRequestHandlerClass = tcp.RequestHandlerClass;
  const handler: RequestHandler = new Plain(socket(), ['127.0.0.1', 1], tcp);
  // @ts-expect-error a request handler is built with its server, which is no `any`
  new Plain(socket(), ['127.0.0.1', 1], {});
  void [handlerClass, kept, handler];
  for (const s of [tcp, loose, stream, udp, dgram, v6]) s.serverClose();
}

// ---- a server's family comes from its address or its class, never from a handler for any family
class AnyFamilyEcho extends StreamRequestHandler {}
class OwnConstructor extends StreamRequestHandler<AF_INET> {
  readonly started: number;
  constructor(request: Socket<AF_INET>, clientAddress: [string, number], server: BaseServer<Socket<AF_INET>, AF_INET>) {
    super(request, clientAddress, server);
    this.started = Date.now();
  }
}
class LooseConstructor extends BaseRequestHandler<Socket, number> {
  constructor(...args: ConstructorParameters<typeof BaseRequestHandler<Socket, number>>) {
    super(...args);
  }
}
class ExtraOptional extends StreamRequestHandler<AF_INET> {
  constructor(request: Socket<AF_INET>, clientAddress: [string, number], server: BaseServer<Socket<AF_INET>, AF_INET>, readonly label = 'x') {
    super(request, clientAddress, server);
  }
}
class NeedsMore extends StreamRequestHandler<AF_INET> {
  constructor(request: Socket<AF_INET>, clientAddress: [string, number], server: BaseServer<Socket<AF_INET>, AF_INET>, readonly label: string) {
    super(request, clientAddress, server);
  }
}
class Reply4 extends DatagramRequestHandler<AF_INET> {
  override async handle(): Promise<void> {
    await this.socket.sendto(this.packet, this.clientAddress);
  }
}

function inferred(): void {
  const srv = new TCPServer(['127.0.0.1', 0], AnyFamilyEcho);
  expectType<TCPServer<AF_INET>>(srv);
  const [host, port] = srv.serverAddress;
  const [boundHost, boundPort] = srv.socket.getsockname();
  void [host, port, boundHost, boundPort];
  expectType<UDPServer<AF_INET>>(new UDPServer(['127.0.0.1', 0], DatagramRequestHandler));
  expectType<UDPServer<AF_INET>>(new UDPServer(['127.0.0.1', 0], Reply4));
  expectType<UnixStreamServer>(new UnixStreamServer('/tmp/s', AnyFamilyEcho));
  expectType<TCPServer<AF_INET>>(new TCPServer(['127.0.0.1', 0], OwnConstructor));
  expectType<TCPServer<AF_INET>>(new TCPServer(['127.0.0.1', 0], LooseConstructor));
  expectType<TCPServer<AF_INET>>(new TCPServer(['127.0.0.1', 0], ExtraOptional));
  // @ts-expect-error a handler whose constructor needs a fourth argument cannot be built by the server
  new TCPServer(['127.0.0.1', 0], NeedsMore);
  // @ts-expect-error a TCPServer is AF_INET: a handler of AF_INET6 requests does not fit it
  new TCPServer(['127.0.0.1', 0], class extends StreamRequestHandler<AF_INET6> {});
}

// ---- constants and errno are records of their known names
function records(): void {
  expectType<Constants>(constants);
  expectType<AF_INET>(constants.AF_INET);
  expectType<number>(constants.SOCK_STREAM);
  expectType<number | undefined>(constants.SO_REUSEPORT);
  expectType<number | undefined>(constants.AF_PACKET);
  // @ts-expect-error a typo does not compile
  void constants.AF_INTE;
  expectType<ErrnoTable>(errno);
  expectType<number>(errno.ECONNREFUSED);
  expectType<number>(errno.EWOULDBLOCK);
  expectType<number | undefined>(errno.EBADE);
  // @ts-expect-error a typo does not compile
  void errno.ECONNREFUSD;
  const byName: Readonly<Record<string, number | undefined>> = constants;
  void byName;
}

export { inferred, records, inet, inet6, unix, packet, netlink, anyFamily, create, servers };
