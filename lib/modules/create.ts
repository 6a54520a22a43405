// Python's socket.create_connection, create_server and has_dualstack_ipv6, spelled the TypeScript
// way: createConnection (Promise) / createConnectionSync, createServer, hasDualstackIpv6.
import { native } from '../binding/native';
import { SocketError, TimeoutError, E, abortReason, timeoutError } from '../binding/errors';
import { getaddrinfo, getaddrinfoSync, type AddrInfo, type AddrInfoAddress } from '../input/resolve';
import { Socket, getdefaulttimeout, type OperationOptions } from '../socket/socket';
import type { AddressOf, Inet6Address, InetAddress } from '../input/address';
import type { AF_INET, AF_INET6 } from '../binding/constants';
import {
  checkBoolean, checkInt, checkTimeout, invalidArgType, invalidArgValue, readSignal,
} from '../input/validate';
import { LongTimer, deadlineOf, isTimed, now } from '../engine/deadline';

const C = native.constants;

/** The family of a socket that createConnection returns: AF_INET or AF_INET6, as the name resolved. */
export type InetFamily = AF_INET | AF_INET6;

/** `[host, port]` as createConnection takes it: a host name or literal, and a port number or service name. */
export type ConnectionAddress = [host: string, port: number | string];

/** Options of {@link createConnectionSync}. */
export interface CreateConnectionSyncOptions {
  /**
   * Seconds for the whole call (every attempt together); the returned socket keeps it as its
   * timeout, as in Python. `null` blocks; `0` is non-blocking (the connect then fails with
   * BlockingIOError). Left out: the default timeout ({@link getdefaulttimeout}).
   */
  timeout?: number | null;
  /** An address to bind to before connecting, e.g. `['127.0.0.1', 0]`. */
  sourceAddress?: InetAddress | Inet6Address;
  /**
   * When every attempt failed: `false` (the default) throws the last attempt's error; `true` throws
   * an `AggregateError` whose `errors` are those of every attempt, in order (Python's `all_errors`).
   */
  allErrors?: boolean;
}

/** Options of {@link createConnection}: those of the Sync form, and an AbortSignal. */
export interface CreateConnectionOptions extends CreateConnectionSyncOptions {
  /** Aborts the whole call; the Promise rejects with an AbortError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** Options of {@link createServer}; `F` is the family's type. */
export interface CreateServerOptions<F extends number = number> {
  /** AF_INET (the default) or AF_INET6. */
  family?: F;
  /** The listen() backlog; left out, listen()'s default. */
  backlog?: number;
  /** Set SO_REUSEPORT, so that several sockets may listen on the same port. */
  reusePort?: boolean;
  /** With AF_INET6: accept IPv4 connections too (IPV6_V6ONLY off). */
  dualstackIpv6?: boolean;
}

interface Checked {
  host: string;
  port: number | string;
  timeout: number | null;
  sourceAddress: InetAddress | Inet6Address | undefined;
  allErrors: boolean;
}

function checkOptionsObject(options: unknown, name: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object') throw invalidArgType(name, 'of type object', options);
  return options as Record<string, unknown>;
}

function checkConnection(address: unknown, options: unknown): Checked {
  if (!Array.isArray(address) || address.length !== 2) {
    throw invalidArgType('address', 'an array [host, port]', address);
  }
  const [host, port] = address;
  if (typeof host !== 'string') throw invalidArgType('address[0]', 'of type string', host);
  if (typeof port !== 'number' && typeof port !== 'string') {
    throw invalidArgType('address[1]', 'of type number or string', port);
  }
  const o = checkOptionsObject(options, 'options');
  const timeout = o.timeout === undefined ? getdefaulttimeout() : checkTimeout(o.timeout, 'options.timeout');
  const sourceAddress = o.sourceAddress === undefined || o.sourceAddress === null ? undefined : o.sourceAddress as InetAddress | Inet6Address;
  const allErrors = o.allErrors === undefined ? false : checkBoolean(o.allErrors, 'options.allErrors');
  return { host, port, timeout, sourceAddress, allErrors };
}

/** The one deadline of a createConnection call: a time, or Infinity when it has none (blocking or non-blocking). */
function callDeadline(timeout: number | null): number {
  return timeout === 0 ? Infinity : deadlineOf(timeout);
}

/** Puts the time left before the deadline on `sock`; throws TimeoutError when none is left. */
function applyTimeout(sock: Socket, timeout: number | null, deadline: number, address: unknown): void {
  if (!isTimed(deadline)) {
    sock.settimeout(timeout);
    return;
  }
  const left = deadline - now();
  if (left <= 0) throw timeoutError('connect', address);
  sock.settimeout(left / 1000);
}

function failure(errors: unknown[], allErrors: boolean, address: unknown): Error {
  if (errors.length === 0) {
    return new SocketError(E.EINVAL, 'getaddrinfo', address, 'getaddrinfo returns an empty list');
  }
  if (allErrors) return new AggregateError(errors, 'createConnection failed');
  return errors[errors.length - 1] as Error;
}

/** Whether a failed attempt ends the call (rather than letting the next address be tried). */
function isFinal(error: unknown, deadline: number): boolean {
  if (!(error instanceof SocketError)) return true;  // a bad argument, an abort: not the network's fault
  return error instanceof TimeoutError && now() >= deadline;
}

/**
 * Connects a TCP socket to `[host, port]`, as Python's `socket.create_connection()`: resolves the
 * host with `getaddrinfo(host, port, 0, SOCK_STREAM)` and tries each address in order until one
 * accepts, closing the sockets of the failed attempts.
 *
 * Unlike Python, `timeout` bounds the whole call, not each attempt: each attempt gets the time that
 * is left, and once the time is up no further address is tried. The socket returned has
 * `settimeout(timeout)` (or the default timeout when no timeout is given).
 *
 * @param address `[host, port]`; the host is a name or a literal address, the port a number or a
 *   service name.
 * @param options `timeout`, `sourceAddress`, `allErrors`: see {@link CreateConnectionSyncOptions}.
 * @returns the connected socket.
 * @throws the last attempt's error (e.g. `ConnectionRefusedError`, `TimeoutError`), or with
 *   `allErrors` an `AggregateError` of all of them; a `GaiError` if the host cannot be resolved.
 */
export function createConnectionSync(address: ConnectionAddress, options?: CreateConnectionSyncOptions): Socket<InetFamily> {
  const { host, port, timeout, sourceAddress, allErrors } = checkConnection(address, options);
  const deadline = callDeadline(timeout);
  const infos = getaddrinfoSync(host, port, 0, C.SOCK_STREAM);
  const errors: unknown[] = [];
  for (const [family, type, proto, , sa] of infos) {
    let sock: Socket<InetFamily> | undefined;
    try {
      sock = boundSocket(family, type, proto, timeout, deadline, sa, sourceAddress);
      sock.connectSync(sa);
      sock.settimeout(timeout);
      return sock;
    } catch (error) {
      sock?.close();
      if (recordFailure(error, deadline, allErrors, errors)) break;
    }
  }
  throw failure(errors, allErrors, address);
}

/** A socket for one address of the look-up: its timeout for the connect, bound to `sourceAddress` if given. */
function boundSocket(family: number, type: number, proto: number, timeout: number | null, deadline: number,
  sa: AddrInfoAddress, sourceAddress: InetAddress | Inet6Address | undefined): Socket<InetFamily> {
  const sock = new Socket(family as InetFamily, type, proto);
  try {
    applyTimeout(sock, timeout, deadline, sa);
    if (sourceAddress !== undefined) sock.bind(sourceAddress);
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}

/**
 * After an address failed: keeps its error for the final one, or throws it (a final error
 * without allErrors); true when no other address is to be tried (the deadline passed).
 */
function recordFailure(error: unknown, deadline: number, allErrors: boolean, errors: unknown[]): boolean {
  const final = isFinal(error, deadline);
  if (final && (!(error instanceof SocketError) || !allErrors)) throw error;
  errors.push(error);
  return final;
}

/** Resolves as getaddrinfo does, but gives up at the deadline or on abort (the look-up itself runs on). */
function lookup(host: string, port: number | string, deadline: number, signal: AbortSignal | undefined): Promise<AddrInfo[]> {
  const query = getaddrinfo(host, port, 0, C.SOCK_STREAM);
  if (!isTimed(deadline) && !signal) return query;
  return new Promise<AddrInfo[]>((resolve, reject) => {
    let timer: LongTimer | undefined;
    const onAbort = (): void => {
      cleanup();
      reject(abortReason(signal!));
    };
    const cleanup = (): void => {
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
    };
    if (isTimed(deadline)) {
      timer = new LongTimer(() => {
        cleanup();
        reject(timeoutError('getaddrinfo', [host, port]));
      }, Math.max(0, deadline - now()));
    }
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    query.then((infos) => { cleanup(); resolve(infos); }, (error) => { cleanup(); reject(error); });
  });
}

/**
 * The Promise form of {@link createConnectionSync}: the name is resolved and each connection
 * attempted without blocking the event loop. The timeout covers the look-up as well.
 *
 * @param address `[host, port]`.
 * @param options as {@link createConnectionSync}, plus `signal` to abort the whole call.
 * @returns a Promise of the connected socket.
 * @throws (as a rejection) the errors of {@link createConnectionSync}; an AbortError (the signal's reason as `cause`) on abort.
 */
export async function createConnection(address: ConnectionAddress, options?: CreateConnectionOptions): Promise<Socket<InetFamily>> {
  const { host, port, timeout, sourceAddress, allErrors } = checkConnection(address, options);
  const signal = readSignal(options);
  const deadline = callDeadline(timeout);
  const infos = await lookup(host, port, deadline, signal);
  const operation: OperationOptions | undefined = signal ? { signal } : undefined;
  const errors: unknown[] = [];
  for (const [family, type, proto, , sa] of infos) {
    if (signal?.aborted) throw abortReason(signal);
    let sock: Socket<InetFamily> | undefined;
    try {
      sock = boundSocket(family, type, proto, timeout, deadline, sa, sourceAddress);
      await sock.connect(sa, operation);
      sock.settimeout(timeout);
      return sock;
    } catch (error) {
      sock?.close();
      if (recordFailure(error, deadline, allErrors, errors)) break;
    }
  }
  throw failure(errors, allErrors, address);
}

/**
 * Whether this host can have an AF_INET6 socket accept IPv4 connections too (IPV6_V6ONLY can be
 * turned off), as Python's `socket.has_dualstack_ipv6()`.
 */
export function hasDualstackIpv6(): boolean {
  if (C.AF_INET6 === undefined || C.IPPROTO_IPV6 === undefined || C.IPV6_V6ONLY === undefined) return false;
  let sock: Socket | undefined;
  try {
    sock = new Socket(C.AF_INET6, C.SOCK_STREAM);
    sock.setsockopt(C.IPPROTO_IPV6, C.IPV6_V6ONLY, 0);
    return true;
  } catch (error) {
    if (error instanceof SocketError) return false;
    throw error;
  } finally {
    sock?.close();
  }
}

/**
 * A TCP socket bound to `address` and listening, as Python's `socket.create_server()`:
 * SO_REUSEADDR is set, SO_REUSEPORT if `reusePort`, and for AF_INET6 IPV6_V6ONLY is set to
 * `!dualstackIpv6`. If any step fails, the socket is closed and the error thrown (a failed bind's
 * error carries the address).
 *
 * @param address `[host, port]` for the family (`['', 0]`: any address, an ephemeral port).
 * @param options `family` (AF_INET), `backlog`, `reusePort` (false), `dualstackIpv6` (false).
 * @returns the listening socket.
 * @throws TypeError `ERR_INVALID_ARG_VALUE` where Python raises ValueError: `reusePort` on a
 *   platform without SO_REUSEPORT, `dualstackIpv6` with a family other than AF_INET6 or on a host
 *   without dual-stack support; `AddressInUseError` and the other socket errors of bind/listen.
 */
export function createServer<F extends number = AF_INET>(address: AddressOf<F>, options?: CreateServerOptions<F>): Socket<F> {
  const o = checkOptionsObject(options, 'options');
  const family = o.family === undefined ? C.AF_INET : checkInt(o.family, 'options.family');
  const backlog = o.backlog === undefined || o.backlog === null ? undefined : checkInt(o.backlog, 'options.backlog');
  const reusePort = o.reusePort === undefined ? false : checkBoolean(o.reusePort, 'options.reusePort');
  const dualstack = o.dualstackIpv6 === undefined ? false : checkBoolean(o.dualstackIpv6, 'options.dualstackIpv6');
  if (reusePort && C.SO_REUSEPORT === undefined) {
    throw invalidArgValue('options.reusePort', reusePort, 'is not supported on this platform (no SO_REUSEPORT)');
  }
  if (dualstack) {
    if (family !== C.AF_INET6) throw invalidArgValue('options.dualstackIpv6', dualstack, 'requires the AF_INET6 family');
    if (!hasDualstackIpv6()) throw invalidArgValue('options.dualstackIpv6', dualstack, 'is not supported on this platform');
  }
  const sock = new Socket(family as F, C.SOCK_STREAM);
  try {
    try {
      sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    } catch (error) {
      if (!(error instanceof SocketError)) throw error;  // as Python: a family without it is fine
    }
    if (reusePort) sock.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    if (family === C.AF_INET6 && C.IPPROTO_IPV6 !== undefined && C.IPV6_V6ONLY !== undefined) {
      sock.setsockopt(C.IPPROTO_IPV6, C.IPV6_V6ONLY, dualstack ? 0 : 1);
    }
    sock.bind(address);
    sock.listen(backlog);
    return sock;
  } catch (error) {
    sock.close();
    throw error;
  }
}
