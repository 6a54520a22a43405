// The error classes of API.md, built in one place from the -errno that native calls return.
import * as path from 'node:path';
import { native } from './native';

const libDir = __dirname + path.sep;

// errno value -> name. Where two names share a value the usual one wins (EAGAIN over EWOULDBLOCK).
const PREFERRED = ['EAGAIN', 'EDEADLK', 'EOPNOTSUPP'];
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(native.errnoNames)) {
  if (!errnoNames.has(value) || PREFERRED.includes(name)) errnoNames.set(value, name);
}

/** Error numbers by name on this platform (`errno.ECONNREFUSED` …), like Python's `errno` module. */
export const errno: Readonly<Record<string, number>> = Object.freeze({ ...native.errnoNames });

export function errnoName(value: number): string {
  return errnoNames.get(value) ?? `Unknown system error ${value}`;
}

/**
 * Makes `error.stack` start in the caller's code: the package's own frames are dropped. The trace
 * is captured now but formatted only when `stack` is read, since formatting costs microseconds
 * and most errors (EAGAIN in a non-blocking loop) are never printed.
 */
export function hideInternalFrames(error: Error): void {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = limit + 10;  // room for the package's frames, which are dropped
  Error.captureStackTrace(holder, hideInternalFrames);
  Error.stackTraceLimit = limit;
  let stack: string | undefined;
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get(): string {
      if (stack === undefined) {
        const frames = (holder.stack ?? '').split('\n').slice(1).filter((line) => !line.includes(libDir));
        stack = [`${error.name}: ${error.message}`, ...frames].join('\n');
      }
      return stack;
    },
    set(value: string) {
      stack = value;
    },
  });
}

/** An operating-system error from a socket call: `errno`, `code`, `syscall`, and `address` where one was involved. */
export class SocketError extends Error {
  /** The positive error number, equal to `os.constants.errno[code]`. */
  errno: number;
  /** The error's name, such as `'ECONNREFUSED'`. */
  code: string;
  /** The system call that failed, such as `'connect'`. */
  syscall: string;
  /** The address the call was given, where there was one. */
  declare address?: unknown;

  constructor(errnoValue: number, syscall: string, address?: unknown, message?: string) {
    const code = errnoName(errnoValue);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;  // hideInternalFrames captures the trace that is kept
    super(message ?? `${syscall} ${code}: ${native.strerror(errnoValue)}${address === undefined ? '' : ` ${formatAddress(address)}`}`);
    Error.stackTraceLimit = limit;
    this.errno = errnoValue;
    this.code = code;
    this.syscall = syscall;
    if (address !== undefined) this.address = address;
    hideInternalFrames(this);
  }

}

function formatAddress(address: unknown): string {
  if (Array.isArray(address)) {
    const [host, port] = address;
    return typeof port === 'number' ? `${String(host).includes(':') ? `[${host}]` : host}:${port}` : String(address);
  }
  if (Buffer.isBuffer(address)) return JSON.stringify(address.toString('latin1'));
  return String(address);
}

/** EAGAIN/EWOULDBLOCK, EINPROGRESS, EALREADY: the operation would have to wait. */
export class BlockingIOError extends SocketError {}
/** The base of the connection errors, as in Python. */
export class ConnectionError extends SocketError {}
export class ConnectionRefusedError extends ConnectionError {}
export class ConnectionResetError extends ConnectionError {}
export class ConnectionAbortedError extends ConnectionError {}
/** EPIPE, ESHUTDOWN: writing to a peer that has gone. */
export class BrokenPipeError extends ConnectionError {}
/** ETIMEDOUT, and waits that outlast the socket's timeout. */
export class TimeoutError extends SocketError {}
export class InterruptedError extends SocketError {}
/** EACCES, EPERM. */
export class PermissionError extends SocketError {}
export class FileNotFoundError extends SocketError {}
export class AddressInUseError extends SocketError {}
export class AddressNotAvailableError extends SocketError {}

type ErrorClass = new (errnoValue: number, syscall: string, address?: unknown, message?: string) => SocketError;

const CLASSES: Array<[string[], ErrorClass]> = [
  [['EAGAIN', 'EWOULDBLOCK', 'EINPROGRESS', 'EALREADY'], BlockingIOError],
  [['ECONNREFUSED'], ConnectionRefusedError],
  [['ECONNRESET'], ConnectionResetError],
  [['ECONNABORTED'], ConnectionAbortedError],
  [['EPIPE', 'ESHUTDOWN'], BrokenPipeError],
  [['ETIMEDOUT'], TimeoutError],
  [['EINTR'], InterruptedError],
  [['EACCES', 'EPERM'], PermissionError],
  [['ENOENT'], FileNotFoundError],
  [['EADDRINUSE'], AddressInUseError],
  [['EADDRNOTAVAIL'], AddressNotAvailableError],
];
const classByErrno = new Map<number, ErrorClass>();
for (const [names, cls] of CLASSES) {
  for (const name of names) {
    const value = native.errnoNames[name];
    if (value !== undefined) classByErrno.set(value, cls);
  }
}

export const E = native.errnoNames as Readonly<Record<string, number>>;
export const EAGAIN = E.EAGAIN;
export const EWOULDBLOCK = E.EWOULDBLOCK ?? E.EAGAIN;
export const EINPROGRESS = E.EINPROGRESS;
export const EBADF = E.EBADF;
export const ETIMEDOUT = E.ETIMEDOUT;

/** The typed error for a positive error number. */
export function socketError(errnoValue: number, syscall: string, address?: unknown): SocketError {
  const Class = classByErrno.get(errnoValue) ?? SocketError;
  return new Class(errnoValue, syscall, address);
}

/** Returns a native result, or throws the typed error for a negative one. */
export function check(result: number, syscall: string, address?: unknown): number {
  if (result < 0) throw socketError(-result, syscall, address);
  return result;
}

export function timeoutError(syscall: string, address?: unknown): TimeoutError {
  return new TimeoutError(ETIMEDOUT, syscall, address, 'timed out');
}

export function closedError(syscall: string): SocketError {
  return new SocketError(EBADF, syscall, undefined, `${syscall} EBADF: the socket is closed`);
}

/** A getaddrinfo/getnameinfo failure; `code` is the EAI_* name and `errno` its value. */
export class GaiError extends Error {
  /** The EAI_* value that getaddrinfo/getnameinfo returned (negative on Linux). */
  errno: number;
  /** The EAI_* name of `errno`, e.g. `'EAI_NONAME'`. */
  code: string;
  /** The failed call, e.g. `'getaddrinfo'` or `'getnameinfo'`. */
  syscall: string;
  constructor(errnoValue: number, code: string, message: string, syscall = 'getaddrinfo') {
    super(`${syscall} ${code}: ${message}`);
    this.errno = errnoValue;
    this.code = code;
    this.syscall = syscall;
    hideInternalFrames(this);
  }
}

/** A failure of the gethostby* family (h_errno); `code` is HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY or NO_DATA. */
export class HostError extends Error {
  /** The h_errno value the lookup failed with. */
  errno: number;
  /** The name of `errno`: HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY or NO_DATA. */
  code: string;
  /** The failed call, e.g. `'gethostbyname'` or `'gethostbyaddr'`. */
  syscall: string;
  constructor(errnoValue: number, code: string, message: string, syscall: string) {
    super(`${syscall} ${code}: ${message}`);
    this.errno = errnoValue;
    this.code = code;
    this.syscall = syscall;
    hideInternalFrames(this);
  }
}

for (const Class of [SocketError, BlockingIOError, ConnectionError, ConnectionRefusedError, ConnectionResetError,
  ConnectionAbortedError, BrokenPipeError, TimeoutError, InterruptedError, PermissionError, FileNotFoundError,
  AddressInUseError, AddressNotAvailableError, GaiError, HostError]) {
  Object.defineProperty(Class.prototype, 'name', { value: Class.name, writable: true, configurable: true });
}
