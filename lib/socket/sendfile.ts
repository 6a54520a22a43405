// Socket.sendfile / sendfileSync: Python's socket.sendfile. The kernel copies the file to the socket
// (sendfile(2)) where it can; elsewhere, and for files sendfile(2) refuses (pipes, some special
// files), the bytes are read and sent. It runs through the engine (wait.ts) as one operation of
// the writers' turn, taken at the call and held across its chunks, with one deadline fixed at the
// call; it holds a dup() of the file's descriptor for the whole transfer, so that closing the
// caller's FileHandle cannot send another file's bytes.
// This module takes the socket as a structural SendfileSocket, so that it does not import socket.ts.
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { native, type NativeFdHandle } from '../binding/native';
import { E, abortReason, closedError, socketError } from '../binding/errors';
import { POLLOUT } from '../engine/readiness';
import { deadlineOf } from '../engine/deadline';
import type { Session } from '../engine/wait';
import { checkInt, invalidArgType, invalidArgValue, outOfRange, readSignal } from '../input/validate';

const C = native.constants;
const MSG_DONTWAIT = C.MSG_DONTWAIT ?? 0;
/** Most bytes asked of one sendfile(2) call (Python's cap too: Linux stops at 2 GiB - 4 KiB). */
const MAX_BLOCK = 2 ** 30;
/** Read-and-send chunk where sendfile(2) is not used. */
const COPY_BLOCK = 64 * 1024;

/** What sendfile needs of a Socket: its writers' turn and its Sync twin (see Socket.writeSession). */
export interface SendfileSocket {
  readonly type: number;
  fileno(): number;
  readonly closed: boolean;
  gettimeout(): number | null;
  writeSession<T>(syscall: string, signal: AbortSignal | undefined, body: (session: Session) => Promise<T>): Promise<T>;
  writeSync(syscall: string, attempt: (fd: number) => number, deadline: number): number;
}

/** A file to send: a `FileHandle` (node:fs/promises) or a descriptor number. */
export type SendfileSource = FileHandle | number;

/** Options of `Socket.sendfile()`. */
export interface SendfileOptions {
  /** Aborts the transfer when signalled: the Promise rejects with an AbortError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** One call's state: where it reads, how far it got. */
class Transfer {
  sent = 0;
  /** sendfile(2) refused this file before sending anything: read and send instead. */
  copies = false;

  constructor(readonly fileFd: number, readonly offset: number, readonly count: number | undefined, readonly regular: boolean) {
    this.copies = !regular;
  }

  get remaining(): number {
    return this.count === undefined ? Infinity : this.count - this.sent;
  }

  /**
   * The attempt of the sendfile(2) path: sends until the end (the bytes sent), EAGAIN, or an
   * error (-errno); 0 with `copies` set when sendfile(2) failed before sending anything. As in
   * CPython, any error then means "read and send instead" (a file sendfile(2) refuses, and also a
   * peer's reset: the send that follows reports EPIPE, as Python's does).
   */
  readonly sendfileAttempt = (fd: number): number => {
    while (this.remaining > 0) {
      const r = native.sendfile(fd, this.fileFd, this.offset + this.sent, Math.min(this.remaining, MAX_BLOCK));
      if (r === 0) break;
      if (r < 0) {
        if (this.sent !== 0 || r === -E.EAGAIN) return r;
        this.copies = true;
        return 0;
      }
      this.sent += r;
    }
    return this.sent;
  };

  /** The attempt of the copying path for one chunk: sends all of `data` (each byte counts at once), or EAGAIN/-errno. */
  sendAttempt(data: Buffer, flags: number): (fd: number) => number {
    let offset = 0;
    return (fd) => {
      while (offset < data.length) {
        const r = native.send(fd, data, offset, data.length - offset, flags);
        if (r < 0) return r;
        offset += r;
        this.sent += r;
      }
      return offset;
    };
  }

  /** Bytes to read next for the copying path, and from where (null: the file's own position). */
  nextRead(): [number, number | null] {
    return [Math.min(this.remaining, COPY_BLOCK), this.regular ? this.offset + this.sent : null];
  }

  /** As Python does: leave the file positioned after the last byte sent. */
  seekAfter(): void {
    if (this.sent > 0 && this.regular) native.seekFile(this.fileFd, this.offset + this.sent);
  }
}

function fileDescriptor(file: unknown): number {
  if (typeof file === 'number') return checkInt(file, 'file', 0);
  if (typeof file === 'object' && file !== null && typeof (file as FileHandle).fd === 'number'
    && typeof (file as FileHandle).stat === 'function') {
    const fd = (file as FileHandle).fd;
    if (fd < 0) throw socketError(E.EBADF, 'sendfile');
    return fd;
  }
  throw invalidArgType('file', 'a FileHandle or a file descriptor (number)', file);
}

function checkOffset(offset: unknown): number {
  if (offset === undefined) return 0;
  if (typeof offset !== 'number') throw invalidArgType('offset', 'of type number', offset);
  if (!Number.isSafeInteger(offset) || offset < 0) throw outOfRange('offset', 'an integer >= 0', offset);
  return offset;
}

function checkCount(count: unknown): number | undefined {
  if (count === undefined || count === null) return undefined;
  if (typeof count !== 'number') throw invalidArgType('count', 'of type number', count);
  if (!Number.isSafeInteger(count) || count < 1) throw outOfRange('count', 'a positive integer', count);
  return count;
}

/** Checks the arguments (Python's rules) and opens the transfer; `stat` describes the file. */
function prepare(fileFd: number, offset: number, count: number | undefined, stat: fs.Stats): Transfer | null {
  const regular = stat.isFile() || stat.isBlockDevice();
  if (!regular && offset !== 0) throw socketError(E.ESPIPE, 'sendfile');
  if (regular && stat.size <= offset && stat.isFile()) return null;  // nothing left to send
  return new Transfer(fileFd, offset, count, regular);
}

function checkSocket(sock: SendfileSocket): void {
  if (sock.type !== C.SOCK_STREAM) {
    throw invalidArgValue('socket', sock.type, 'must be a SOCK_STREAM socket (sendfile sends a byte stream)');
  }
  if (sock.closed) throw closedError('sendfile');
}

/** A SocketError with the positive errno of a failed node:fs call. */
function fsError(error: unknown, syscall: string): unknown {
  const errno = (error as { errno?: unknown }).errno;
  return typeof errno === 'number' ? socketError(Math.abs(errno), syscall) : error;
}

function fstatSync(fd: number): fs.Stats {
  try {
    return fs.fstatSync(fd);
  } catch (error) {
    throw fsError(error, 'fstat');
  }
}

function readSync(job: Transfer, buffer: Buffer, length: number, position: number | null): number {
  try {
    return fs.readSync(job.fileFd, buffer, 0, length, position);
  } catch (error) {
    throw fsError(error, 'read');
  }
}

function readAsync(fd: number, buffer: Buffer, length: number, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, length, position, (error, n) => (error ? reject(fsError(error, 'read')) : resolve(n)));
  });
}

// --- Sync ----------------------------------------------------------------------------------------

function copySync(sock: SendfileSocket, job: Transfer, deadline: number): void {
  const buffer = Buffer.allocUnsafe(COPY_BLOCK);
  while (job.remaining > 0) {
    const [length, position] = job.nextRead();
    const n = readSync(job, buffer, length, position);
    if (n === 0) return;
    sock.writeSync('send', job.sendAttempt(buffer.subarray(0, n), 0), deadline);
  }
}

/** Sends `count` bytes (default: to the end) of `file` from `offset`; returns the bytes sent. */
export function sendfileSync(sock: SendfileSocket, file: SendfileSource, offset?: number, count?: number): number {
  checkSocket(sock);
  const deadline = deadlineOf(sock.gettimeout());
  const fileFd = fileDescriptor(file);
  const job = prepare(fileFd, checkOffset(offset), checkCount(count), fstatSync(fileFd));
  if (!job) return 0;
  try {
    if (!job.copies) sock.writeSync('sendfile', job.sendfileAttempt, deadline);
    if (job.copies) copySync(sock, job, deadline);
    return job.sent;
  } finally {
    job.seekAfter();
  }
}

// --- Promise -------------------------------------------------------------------------------------

/**
 * A dup() of the file's descriptor, held for the whole transfer (the caller may close theirs
 * meanwhile), owned by a handle: closed once, also if the environment ends mid-transfer.
 */
function holdFile(fd: number): NativeFdHandle {
  const held = native.dup(fd);
  if (held < 0) throw socketError(-held, 'dup');
  return new native.FdHandle(held, true);
}

/** The copying path, in the writers' turn: each read and each send is a phase of the one operation. */
async function copy(session: Session, job: Transfer, reads: Array<Promise<number>>): Promise<void> {
  const buffer = Buffer.allocUnsafe(COPY_BLOCK);
  while (job.remaining > 0) {
    const [length, position] = job.nextRead();
    const read = readAsync(job.fileFd, buffer, length, position);
    reads[0] = read;
    const n = await session.wait(read);
    if (n === 0) return;
    await session.run(POLLOUT, job.sendAttempt(buffer.subarray(0, n), MSG_DONTWAIT));
  }
}

async function transfer(session: Session, job: Transfer, reads: Array<Promise<number>>): Promise<number> {
  try {
    if (!job.copies) await session.run(POLLOUT, job.sendfileAttempt, { nonblocking: true });
    if (job.copies) await copy(session, job, reads);
    return job.sent;
  } finally {
    job.seekAfter();
  }
}

/**
 * Promise form of sendfileSync: one operation of the writers' turn, taken at the call, so that it
 * goes after the writes called before it and before those called after it. sendfile(2) has no
 * MSG_DONTWAIT: the engine makes the descriptor non-blocking before each try, through the Socket.
 */
export function sendfile(sock: SendfileSocket, file: SendfileSource, offset?: number, count?: number,
  options?: SendfileOptions): Promise<number> {
  let held: NativeFdHandle;
  let job: Transfer | null;
  let signal: AbortSignal | undefined;
  try {
    signal = readSignal(options);  // an argument: checked before the socket, as the other Promise forms do
    checkSocket(sock);
    const fileFd = fileDescriptor(file);
    const from = checkOffset(offset);
    const limit = checkCount(count);
    if (signal?.aborted) throw abortReason(signal);  // before the file is looked at: an abort wins over what sendfile(2) would say
    held = holdFile(fileFd);
    try {
      job = prepare(held.fd, from, limit, fstatSync(held.fd));
    } catch (error) {
      held.close();
      throw error;
    }
  } catch (error) {
    return Promise.reject(error);
  }
  const reads: Array<Promise<number>> = [];  // a read in flight, if any: the held descriptor outlives it
  const done = sock.writeSession('sendfile', signal, (session) => (job ? transfer(session, job, reads) : Promise.resolve(0)));
  const release = (): void => {
    void Promise.allSettled(reads).then(() => held.close());
  };
  done.then(release, release);
  return done;
}
