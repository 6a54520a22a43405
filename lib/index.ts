// bsd-sockets: the Berkeley socket API for Node.js. Every name of ../shared/API.md is exported here.
export * from './constants';
export { features, type Features } from './features';
export {
  SocketError, BlockingIOError, ConnectionError, ConnectionRefusedError, ConnectionResetError,
  ConnectionAbortedError, BrokenPipeError, TimeoutError, InterruptedError, PermissionError,
  FileNotFoundError, AddressInUseError, AddressNotAvailableError, GaiError, HostError, errno,
} from './errors';
export type {
  Address, InetAddress, Inet6Address, UnixAddress, PacketAddress, NetlinkAddress, ReturnedAddress,
  ReturnedInetAddress, ReturnedInet6Address, ReturnedUnixAddress, ReturnedPacketAddress,
  AddressOf, ReturnedAddressOf, ReceivedAddressOf,
} from './address';
export {
  Socket, getdefaulttimeout, setdefaulttimeout, type OperationOptions,
} from './socket';
export { socket, socketpair, fromfd } from './factories';
export * from './resolve';
export { close, dup, has_ipv6 } from './descriptors';
export * from './convert';
export { type Ancillary, type RecvmsgResult, type RecvFdsResult } from './messages';
export type { RecvmmsgResult } from './messages';
export { sendFds, sendFdsSync, recvFds, recvFdsSync } from './fds';
export { select, selectSync, poll, Poller } from './select';
export type { FileDescriptorLike, HasFileno, SelectOptions } from './select';
export { epoll, Epoll } from './epoll';
export {
  kqueue, Kqueue, kevent, KEvent, KQ_FILTER_READ, KQ_FILTER_WRITE, KQ_FILTER_AIO, KQ_FILTER_VNODE, KQ_FILTER_PROC,
  KQ_FILTER_SIGNAL, KQ_FILTER_TIMER, KQ_EV_ADD, KQ_EV_DELETE, KQ_EV_ENABLE, KQ_EV_DISABLE, KQ_EV_ONESHOT, KQ_EV_CLEAR,
  KQ_EV_EOF, KQ_EV_ERROR, KQ_EV_SYSFLAGS, KQ_EV_FLAG1,
} from './kqueue';
export {
  DefaultSelector, BaseSelector, EpollSelector, KqueueSelector, PollSelector, KeyError, EVENT_READ, EVENT_WRITE,
  defaultSelectorMechanism, type SelectorKey,
} from './selectors';
export {
  createConnection, createConnectionSync, createServer, hasDualstackIpv6,
  type ConnectionAddress, type InetFamily, type CreateConnectionOptions, type CreateConnectionSyncOptions, type CreateServerOptions,
} from './create';
export {
  BaseServer, SocketServer, TCPServer, UDPServer, UnixStreamServer, UnixDatagramServer,
  BaseRequestHandler, StreamRequestHandler, DatagramRequestHandler,
  type ServerOptions, type RequestHandler, type RequestHandlerClass, type AnyRequestHandlerClass, type DatagramRequest, type ClientAddressOf,
} from './socketserver';
export {
  structSizes, packLinger, unpackLinger, packTimeval, unpackTimeval, packIpMreq, packIpMreqn, packIpv6Mreq,
  packUcred, unpackUcred, unpackInPktinfo, unpackIn6Pktinfo, unpackTcpInfo,
  type Linger, type Ucred, type InPktinfo, type In6Pktinfo, type TcpInfo,
} from './structs';
export { SocketStream, type SocketStreamOptions, type StreamSocket } from './stream';
export type { SendfileOptions, SendfileSource } from './sendfile';
