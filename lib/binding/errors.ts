// The error classes of API.md, built in one place from the -errno that native calls return.
import * as os from 'node:os';
import * as path from 'node:path';
import { native } from './native';
import type { ErrnoTable } from './constants';

const libDir = path.join(__dirname, '..') + path.sep;

const nodeErrno = os.constants.errno as Readonly<Record<string, number>>;
/** Where two names share a number, the one Python's `errno.errorcode` gives (the other loses). */
const PYTHON_PICKS = new Set(['EAGAIN', 'ENOTSUP', 'EDEADLOCK']);

/**
 * Error numbers by name on this platform (`errno.ECONNREFUSED` …), like Python's `errno` module,
 * every alias included (EWOULDBLOCK, EOPNOTSUPP, EDEADLK …): the addon's names, and Node's for
 * any it lacks (both read from the same C headers).
 */
export const errno: ErrnoTable = Object.freeze(
  Object.fromEntries(Object.entries({ ...nodeErrno, ...native.errnoNames }).sort(([a], [b]) => (a < b ? -1 : 1)))) as Readonly<Record<string, number | undefined>> as ErrnoTable;

/** How much a name is wanted as the code of its number: lower is better. */
function rank(name: string): number {
  return (name in nodeErrno ? 0 : 2) + (PYTHON_PICKS.has(name) ? 0 : 1);
}

// errno value -> code: a name os.constants.errno has where there is one, Python's pick among those.
const errnoNames = new Map<number, string>();
for (const [name, value] of Object.entries(errno)) {
  const current = errnoNames.get(value);
  if (current === undefined || rank(name) < rank(current)) errnoNames.set(value, name);
}

/** The code of an error number: `'ECONNREFUSED'` …, or `'Unknown system error N'`. */
export function errnoName(value: number): string {
  return errnoNames.get(value) ?? `Unknown system error ${value}`;
}

/** Captures the caller's stack frames now (cheap), with room for the package's frames that are dropped later. */
function captureTrace(above: Function = captureTrace): { stack?: string } {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = limit + 10;
  Error.captureStackTrace(holder, above);  // frames above `above` are not even collected
  Error.stackTraceLimit = limit;
  return holder;
}

/** `name: message`, then the captured frames outside the package. */
function formatTrace(error: Error, holder: { stack?: string }): string {
  const frames = (holder.stack ?? '').split('\n').slice(1).filter((line) => !line.includes(libDir));
  return [`${error.name}: ${error.message}`, ...frames].join('\n');
}

/**
 * Makes `error.stack` start in the caller's code: the package's own frames are dropped. The trace
 * is captured now but formatted only when `stack` is read, since formatting costs microseconds
 * and most errors are never printed.
 */
export function hideInternalFrames(error: Error): void {
  const holder = captureTrace();
  let stack: string | undefined;
  Object.defineProperty(error, 'stack', {
    configurable: true,
    enumerable: false,
    get(): string {
      return (stack ??= formatTrace(error, holder));
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
  /** The resolver's own words for a lookup failure (GaiError, HostError). */
  declare detail?: string;

  // The captured frames, and the text of `stack` once read or set. `stack` is an accessor of the
  // prototype: redefining an error's own `stack` costs several microseconds per error, more than
  // capturing the frames (a non-blocking loop meets one EAGAIN error per empty read).
  #trace: { stack?: string };
  #stack?: string;

  constructor(errnoValue: number, syscall: string, address?: unknown, message?: string) {
    const code = errnoName(errnoValue);
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;  // captureTrace takes the frames that are kept
    super(message ?? systemMessage(errnoValue, syscall, code, address));
    Error.stackTraceLimit = limit;
    delete (this as { stack?: string }).stack;  // the prototype's accessor serves it
    this.#trace = captureTrace(new.target);
    this.errno = errnoValue;
    this.code = code;
    this.syscall = syscall;
    if (address !== undefined) this.address = address;
  }

  static {
    Object.defineProperty(SocketError.prototype, 'stack', {
      configurable: true,
      enumerable: false,
      get(this: SocketError): string {
        return (this.#stack ??= formatTrace(this, this.#trace));
      },
      set(this: SocketError, value: string) {
        this.#stack = value;
      },
    });
  }
}

/** As Node words it: the call, the code, and the address where there is one (`connect ECONNREFUSED ::1:80`). */
function nodeStyleMessage(syscall: string, code: string, address: unknown): string {
  return address === undefined || address === '' ? `${syscall} ${code}` : `${syscall} ${code} ${formatAddress(address)}`;
}

/**
 * As Node words a system error: the call, the code, the plain words, then the address where there
 * is one (`bind EADDRINUSE: address already in use 127.0.0.1:80`). A connect to an address reads as
 * Node's `net` says it, without the words (`connect ECONNREFUSED 127.0.0.1:80`).
 */
function systemMessage(errnoValue: number, syscall: string, code: string, address: unknown): string {
  const named = address !== undefined && address !== '';
  if (syscall === 'connect' && named) return nodeStyleMessage(syscall, code, address);
  const words = `${syscall} ${code}: ${plainWords(errnoValue)}`;
  return named ? `${words} ${formatAddress(address)}` : words;
}

const wordsByErrno = new Map<number, string>();

/** strerror's text as Node (libuv) gives it: `'address already in use'`. */
function plainWords(errnoValue: number): string {
  let words = wordsByErrno.get(errnoValue);
  if (words === undefined) {
    words = native.strerror(errnoValue).replace(/^[A-Z](?=[a-z ])/, (first) => first.toLowerCase());
    wordsByErrno.set(errnoValue, words);
  }
  return words;
}

function formatAddress(address: unknown): string {
  if (Array.isArray(address)) {
    const [host, port] = address;
    return typeof port === 'number' ? `${host}:${port}` : String(address);
  }
  if (Buffer.isBuffer(address)) return JSON.stringify(address.toString('latin1'));
  if (typeof address === 'string' && /[\x00-\x1f]/.test(address)) return JSON.stringify(address);
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

export const E: Readonly<Record<string, number>> = native.errnoNames;
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

/**
 * The error of an operation that was aborted, as Node's own APIs make it: name `AbortError`, code
 * `ABORT_ERR`, and what aborted it as `cause`.
 */
export function abortError(cause?: unknown): Error {
  const error = new Error('The operation was aborted', cause === undefined ? undefined : { cause });
  error.name = 'AbortError';
  return Object.assign(error, { code: 'ABORT_ERR' });
}

/** What an operation aborted by `signal` rejects with: an AbortError whose `cause` is the signal's reason. */
export function abortReason(signal: AbortSignal): Error {
  return abortError(signal.reason);
}

/** A wait that outlasted its timeout: `connect ETIMEDOUT 10.0.0.1:80`, as Node words it. */
export function timeoutError(syscall: string, address?: unknown): TimeoutError {
  return new TimeoutError(ETIMEDOUT, syscall, address);
}

export function closedError(syscall: string): SocketError {
  return new SocketError(EBADF, syscall, undefined, `${syscall} EBADF: the socket is closed`);
}

/**
 * A getaddrinfo/getnameinfo failure, a SocketError as Python's gaierror is an OSError: `code` is the
 * EAI_* name, `errno` its value (as Python's), the message names the host
 * (`getaddrinfo EAI_NONAME nosuchhost`).
 */
export class GaiError extends SocketError {
  /**
   * @param detail gai_strerror's text, kept as `detail`.
   * @param host the host (or address) that was looked up.
   */
  constructor(errnoValue: number, code: string, detail: string, syscall = 'getaddrinfo', host?: unknown) {
    super(errnoValue, syscall, host, nodeStyleMessage(syscall, code, host));
    this.code = code;
    this.detail = detail;
  }
}

/**
 * A failure of the gethostby* family (h_errno), a SocketError as Python's herror is an OSError:
 * `code` is HOST_NOT_FOUND, TRY_AGAIN, NO_RECOVERY or NO_DATA, `errno` the h_errno value.
 */
export class HostError extends SocketError {
  /**
   * @param detail hstrerror's text, kept as `detail`.
   * @param host the name or address that was looked up.
   */
  constructor(errnoValue: number, code: string, detail: string, syscall: string, host?: unknown) {
    super(errnoValue, syscall, host, nodeStyleMessage(syscall, code, host));
    this.code = code;
    this.detail = detail;
  }
}

for (const Class of [SocketError, BlockingIOError, ConnectionError, ConnectionRefusedError, ConnectionResetError,
  ConnectionAbortedError, BrokenPipeError, TimeoutError, InterruptedError, PermissionError, FileNotFoundError,
  AddressInUseError, AddressNotAvailableError, GaiError, HostError]) {
  Object.defineProperty(Class.prototype, 'name', { value: Class.name, writable: true, configurable: true });
}

/** A call this platform or build lacks (recvmmsg off Linux, a struct the headers do not define): ENOSYS, saying so. */
export function unavailable(name: string): SocketError {
  const enosys = E.ENOSYS ?? E.EOPNOTSUPP;
  return new SocketError(enosys, name, undefined, `${name} is not available in this build for ${process.platform}`);
}
