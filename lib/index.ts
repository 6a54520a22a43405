// bsd-sockets: the Berkeley socket API for Node.js. Every name of ../shared/API.md is exported here.
export * from './binding/constants';
export { features, type Features } from './modules/features';
export {
  SocketError, BlockingIOError, ConnectionError, ConnectionRefusedError, ConnectionResetError,
  ConnectionAbortedError, BrokenPipeError, TimeoutError, InterruptedError, PermissionError,
  FileNotFoundError, AddressInUseError, AddressNotAvailableError, GaiError, HostError, errno,
} from './binding/errors';
export type {
  Address, InetAddress, Inet6Address, UnixAddress, PacketAddress, NetlinkAddress, ReturnedAddress,
  ReturnedInetAddress, ReturnedInet6Address, ReturnedUnixAddress, ReturnedPacketAddress,
  AddressOf, ReturnedAddressOf, ReceivedAddressOf,
} from './input/address';
export {
  Socket, getdefaulttimeout, setdefaulttimeout, type OperationOptions,
} from './socket/socket';
export { socket, socketpair, fromfd } from './modules/factories';
export * from './input/resolve';
export { close, dup, has_ipv6 } from './modules/descriptors';
export * from './modules/convert';
export { type Ancillary, type RecvmsgResult, type RecvFdsResult } from './socket/messages';
export type { RecvmmsgResult } from './socket/messages';
export { sendFds, sendFdsSync, recvFds, recvFdsSync } from './modules/fds';
export { select, selectSync, poll, Poller } from './modules/select';
export type { FileDescriptorLike, HasFileno, SelectOptions } from './modules/select';
export { epoll, Epoll } from './modules/epoll';
export {
  kqueue, Kqueue, kevent, KEvent, KQ_FILTER_READ, KQ_FILTER_WRITE, KQ_FILTER_AIO, KQ_FILTER_VNODE, KQ_FILTER_PROC,
  KQ_FILTER_SIGNAL, KQ_FILTER_TIMER, KQ_EV_ADD, KQ_EV_DELETE, KQ_EV_ENABLE, KQ_EV_DISABLE, KQ_EV_ONESHOT, KQ_EV_CLEAR,
  KQ_EV_EOF, KQ_EV_ERROR, KQ_EV_SYSFLAGS, KQ_EV_FLAG1,
} from './modules/kqueue';
export {
  DefaultSelector, BaseSelector, EpollSelector, KqueueSelector, PollSelector, KeyError, EVENT_READ, EVENT_WRITE,
  defaultSelectorMechanism, type SelectorKey,
} from './modules/selectors';
export {
  createConnection, createConnectionSync, createServer, hasDualstackIpv6,
  type ConnectionAddress, type InetFamily, type CreateConnectionOptions, type CreateConnectionSyncOptions, type CreateServerOptions,
} from './modules/create';
export {
  BaseServer, SocketServer, TCPServer, UDPServer, UnixStreamServer, UnixDatagramServer,
  BaseRequestHandler, StreamRequestHandler, DatagramRequestHandler,
  type ServerOptions, type RequestHandler, type RequestHandlerClass, type AnyRequestHandlerClass, type DatagramRequest, type ClientAddressOf,
} from './modules/socketserver';
export {
  structSizes, packLinger, unpackLinger, packTimeval, unpackTimeval, packIpMreq, packIpMreqn, packIpv6Mreq,
  packUcred, unpackUcred, unpackInPktinfo, unpackIn6Pktinfo, unpackTcpInfo,
  type Linger, type Ucred, type InPktinfo, type In6Pktinfo, type TcpInfo,
} from './modules/structs';
export { SocketStream, type SocketStreamOptions, type StreamSocket } from './socket/stream';
export type { SendfileOptions, SendfileSource } from './socket/sendfile';
