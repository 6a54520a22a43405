// Socket.sendfile / sendfileSync: Python's socket.sendfile. The kernel copies the file to the socket
// (sendfile(2)) where it can; elsewhere, and for files sendfile(2) refuses (pipes, some special
// files), the bytes are read and sent. One deadline covers the whole call, as in sendall.
// This module takes the socket as a structural SendfileSocket, so that it does not import socket.ts.
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { native } from './native';
import { E, EAGAIN, abortReason, closedError, socketError, timeoutError } from './errors';
import { POLLOUT, waitFor } from './readiness';
import { checkInt, invalidArgType, invalidArgValue, outOfRange } from './validate';

const C = native.constants;
const MSG_DONTWAIT = C.MSG_DONTWAIT ?? 0;
/** Most bytes asked of one sendfile(2) call (Python's cap too: Linux stops at 2 GiB - 4 KiB). */
const MAX_BLOCK = 2 ** 30;
/** Read-and-send chunk where sendfile(2) is not used. */
const COPY_BLOCK = 64 * 1024;
/** sendfile(2) failing with these before any byte was sent means "not for this file": copy instead. */
const FALLBACK = new Set([E.ENOSYS, E.EINVAL, E.EOPNOTSUPP, E.ENOTSUP, E.ESPIPE].filter((e) => e !== undefined));

/** What sendfile needs of a Socket. */
export interface SendfileSocket {
  readonly type: number;
  fileno(): number;
  gettimeout(): number | null;
  sendall(data: Uint8Array): Promise<void>;
}

/** A file to send: a `FileHandle` (node:fs/promises) or a descriptor number. */
export type SendfileSource = FileHandle | number;

/** Options of `Socket.sendfile()`. */
export interface SendfileOptions {
  /** Aborts the transfer when signalled: the Promise rejects with an AbortError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** One call's state: where it reads, how far it got, and its deadline. */
class Transfer {
  sent = 0;
  private deadline = -1;

  constructor(readonly sock: SendfileSocket, readonly fileFd: number, readonly offset: number,
    readonly count: number | undefined, readonly regular: boolean) {}

  get remaining(): number {
    return this.count === undefined ? Infinity : this.count - this.sent;
  }

  socketFd(): number {
    const fd = this.sock.fileno();
    if (fd < 0) throw closedError('sendfile');
    return fd;
  }

  /** After EAGAIN: the milliseconds left to wait (-1: no limit), or a throw if the mode forbids waiting. */
  waitMs(syscall: string): number {
    const timeout = this.sock.gettimeout();
    if (timeout === 0) throw socketError(EAGAIN, syscall);
    if (timeout === null) return -1;
    if (this.deadline < 0) this.deadline = performance.now() + timeout * 1000;
    const left = this.deadline - performance.now();
    if (left <= 0) throw timeoutError(syscall);
    return left;
  }

  /** One sendfile(2) from where the transfer stands: bytes sent, 0 at end of file, or -errno. */
  sendfileOnce(): number {
    const r = native.sendfile(this.socketFd(), this.fileFd, this.offset + this.sent, Math.min(this.remaining, MAX_BLOCK));
    if (r > 0) this.sent += r;
    return r;
  }

  /** Whether a failed sendfile(2) should give way to read-and-send. */
  fallsBack(r: number): boolean {
    return this.sent === 0 && FALLBACK.has(-r);
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
function prepare(sock: SendfileSocket, fileFd: number, offset: number, count: number | undefined,
  stat: fs.Stats): Transfer | null {
  const regular = stat.isFile() || stat.isBlockDevice();
  if (!regular && offset !== 0) throw socketError(E.ESPIPE, 'sendfile');
  if (regular && stat.size <= offset && stat.isFile()) return null;  // nothing left to send
  return new Transfer(sock, fileFd, offset, count, regular);
}

function checkSocket(sock: SendfileSocket): void {
  if (sock.type !== C.SOCK_STREAM) {
    throw invalidArgValue('socket', sock.type, 'must be a SOCK_STREAM socket (sendfile sends a byte stream)');
  }
  if (sock.fileno() < 0) throw closedError('sendfile');
}

function fstatSync(fd: number): fs.Stats {
  try {
    return fs.fstatSync(fd);
  } catch (error) {
    throw socketError((error as { errno: number }).errno < 0 ? -(error as { errno: number }).errno : E.EBADF, 'fstat');
  }
}

// --- Sync ----------------------------------------------------------------------------------------

/** Sends every byte of `data`, waiting on this thread as the mode allows; each byte sent counts at once. */
function sendAllSync(job: Transfer, data: Buffer): void {
  let offset = 0;
  while (offset < data.length) {
    const r = native.send(job.socketFd(), data, offset, data.length - offset, 0);
    if (r < 0) waitSync(job, r, 'send');
    else {
      offset += r;
      job.sent += r;
    }
  }
}

function waitSync(job: Transfer, r: number, syscall: string): void {
  if (r !== -EAGAIN) throw socketError(-r, syscall);
  const ms = job.waitMs(syscall);
  const ready = native.waitFd(job.socketFd(), POLLOUT, ms);
  if (ready < 0) throw socketError(-ready, syscall);
  if (ready === 0) throw timeoutError(syscall);
}

function copySync(job: Transfer): void {
  const buffer = Buffer.allocUnsafe(COPY_BLOCK);
  while (job.remaining > 0) {
    const [length, position] = job.nextRead();
    const n = fs.readSync(job.fileFd, buffer, 0, length, position);
    if (n === 0) return;
    sendAllSync(job, buffer.subarray(0, n));
  }
}

/** Sends `count` bytes (default: to the end) of `file` from `offset`; returns the bytes sent. */
export function sendfileSync(sock: SendfileSocket, file: SendfileSource, offset?: number, count?: number): number {
  checkSocket(sock);
  const fileFd = fileDescriptor(file);
  const from = checkOffset(offset);
  const limit = checkCount(count);
  const job = prepare(sock, fileFd, from, limit, fstatSync(fileFd));
  if (!job) return 0;
  try {
    if (!job.regular) copySync(job);
    else {
      while (job.remaining > 0) {
        const r = job.sendfileOnce();
        if (r === 0) break;
        if (r > 0) continue;
        if (job.fallsBack(r)) {
          copySync(job);
          break;
        }
        waitSync(job, r, 'sendfile');
      }
    }
    return job.sent;
  } finally {
    job.seekAfter();
  }
}

// --- Promise -------------------------------------------------------------------------------------

function readAsync(fd: number, buffer: Buffer, length: number, position: number | null): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, buffer, 0, length, position, (error, n) => (error ? reject(error) : resolve(n)));
  });
}

function fstatAsync(fd: number): Promise<fs.Stats> {
  return new Promise((resolve, reject) => {
    fs.fstat(fd, (error, stat) => (error ? reject(socketError(error.errno! < 0 ? -error.errno! : E.EBADF, 'fstat')) : resolve(stat)));
  });
}

class AsyncTransfer {
  constructor(readonly job: Transfer, readonly ref: boolean, readonly signal: AbortSignal | undefined) {}

  /** After a failed call `r`: waits for writability on the event loop, as the socket's mode allows. */
  async wait(r: number, syscall: string): Promise<void> {
    const { job } = this;
    if (r !== -EAGAIN) throw socketError(-r, syscall);
    const timeoutMs = job.waitMs(syscall);
    await waitFor(job.socketFd(), POLLOUT, { timeoutMs, signal: this.signal, ref: this.ref, keep: true, syscall });
  }

  async sendAll(data: Buffer): Promise<void> {
    let offset = 0;
    while (offset < data.length) {
      const r = native.send(this.job.socketFd(), data, offset, data.length - offset, MSG_DONTWAIT);
      if (r < 0) await this.wait(r, 'send');
      else {
        offset += r;
        this.job.sent += r;
      }
    }
  }

  async copy(): Promise<void> {
    const { job } = this;
    const buffer = Buffer.allocUnsafe(COPY_BLOCK);
    while (job.remaining > 0) {
      const [length, position] = job.nextRead();
      const n = await readAsync(job.fileFd, buffer, length, position);
      if (n === 0) return;
      await this.sendAll(buffer.subarray(0, n));
      if (this.signal?.aborted) throw abortReason(this.signal);
    }
  }

  async run(): Promise<void> {
    const { job } = this;
    if (!job.regular) return this.copy();
    // sendfile(2) has no MSG_DONTWAIT: the descriptor must be non-blocking, or it would block the loop.
    const fd = job.socketFd();
    if ((native.getFdFlags(fd) & 1) === 0 && native.setNonblocking(fd, true) < 0) throw socketError(E.EBADF, 'fcntl');
    while (job.remaining > 0) {
      const r = job.sendfileOnce();
      if (r === 0) return;
      if (r > 0) continue;
      if (job.fallsBack(r)) return this.copy();
      await this.wait(r, 'sendfile');
    }
  }
}

/**
 * Promise form of sendfileSync: waits for writability on the event loop. It starts after the
 * writes already queued on the socket (sendall(header) then sendfile(body) keep their order).
 */
export async function sendfile(sock: SendfileSocket, file: SendfileSource, offset?: number, count?: number,
  options?: SendfileOptions, ref = true): Promise<number> {
  checkSocket(sock);
  const fileFd = fileDescriptor(file);
  const from = checkOffset(offset);
  const limit = checkCount(count);
  const signal = options?.signal;
  if (signal?.aborted) throw abortReason(signal);
  const job = prepare(sock, fileFd, from, limit, await fstatAsync(fileFd));
  await sock.sendall(new Uint8Array(0));  // waits for the writes queued before this call
  if (!job) return 0;
  try {
    await new AsyncTransfer(job, ref, signal).run();
    return job.sent;
  } finally {
    job.seekAfter();
  }
}
