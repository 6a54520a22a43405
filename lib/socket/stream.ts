// Socket.toStream(): a stream.Duplex over a connected SOCK_STREAM or SOCK_SEQPACKET socket, built on
// the socket's Promise operations (recvInto, sendall, sendmsg), so that node:tls, stream.pipeline
// and readline can use any stream socket, Unix ones included. toNetSocket() hands the descriptor
// to Node instead. This module takes the socket as a structural StreamSocket: it does not import
// socket.ts.
import * as net from 'node:net';
import { Duplex } from 'node:stream';
import { native } from '../binding/native';
import { E, SocketError, abortError, closedError, socketError } from '../binding/errors';
import { invalidArgValue, checkBoolean, checkInt } from '../input/validate';

const C = native.constants;
/** Where recv(2) reports a SOCK_SEQPACKET message's real length with MSG_TRUNC (Linux): as the build says. */
const MSG_TRUNC = native.buildFeatures.recvTruncLength ? (C.MSG_TRUNC ?? 0) : 0;
/** The most buffers one sendmsg takes (IOV_MAX), from the build. */
const IOV_BATCH = native.iovMax;
/** Where MSG_TRUNC gives the real length, a peek learns each message's size before reading it. */
const PEEK_SIZE = MSG_TRUNC !== 0 ? MSG_TRUNC | C.MSG_PEEK : 0;
const DEFAULT_READ_SIZE = 64 * 1024;

/** The Socket methods the stream uses. */
export interface StreamSocket {
  /** SOCK_STREAM or SOCK_SEQPACKET. */
  readonly type: number;
  /** The descriptor, or -1 once closed. */
  fileno(): number;
  /** Whether close() or detach() has been called. */
  readonly closed: boolean;
  /** The socket's timeout, as Socket.gettimeout(). */
  gettimeout(): number | null;
  /** Sets the socket's timeout, as Socket.settimeout(). */
  settimeout(timeout: number | null): void;
  /** The peer's address (a stream needs a connected socket). */
  getpeername(): unknown;
  /** Reads an integer option, as Socket.getsockopt(). */
  getsockopt(level: number, name: number): number;
  /** The Promise receive the stream reads with. */
  recvInto(buffer: Uint8Array, nbytes?: number, flags?: number, options?: { signal?: AbortSignal }): Promise<number>;
  /** The Promise send the stream writes with. */
  sendall(data: Uint8Array, flags?: number, options?: { signal?: AbortSignal }): Promise<void>;
  /** The Promise gather-send of writev. */
  sendmsg(buffers: Uint8Array[], ancdata?: null, flags?: number, address?: undefined,
    options?: { signal?: AbortSignal }): Promise<number>;
  /** end() shuts the writing side down with it. */
  shutdown(how: number): void;
  /** destroy() closes the socket with it, unless keepOpen. */
  close(): void;
  /** Gives up the descriptor (toNetSocket). */
  detach(): number;
  /** Pending operations keep the process alive. */
  ref(): unknown;
  /** Pending operations no longer keep the process alive. */
  unref(): unknown;
}

/** Options of `Socket.toStream()`. */
export interface SocketStreamOptions {
  /** destroy() leaves the socket open (default false: destroy() closes it). */
  keepOpen?: boolean;
  /** Whether the writable side stays open after the peer ends (default false, as net.Socket). */
  allowHalfOpen?: boolean;
  /**
   * Bytes asked of each recvInto (default 64 KiB). For SOCK_SEQPACKET on Linux a larger message is
   * read whole all the same (its size is peeked first); elsewhere the read buffer is at least the
   * socket's own SO_RCVBUF and SO_SNDBUF, and a larger message ends the stream with EMSGSIZE.
   */
  readSize?: number;
  /** The readable side's highWaterMark, as for any Duplex. */
  readableHighWaterMark?: number;
  /** The writable side's highWaterMark, as for any Duplex. */
  writableHighWaterMark?: number;
}

/** Rejects a read in flight so that it starts again (after ref()/unref(), with the new setting). */
const RESTART = Symbol('restart');

/**
 * A `stream.Duplex` over a connected stream or seqpacket socket. Each chunk written to a
 * SOCK_SEQPACKET stream is one message, and each chunk read is one message. `end()` shuts the
 * writing side down (SHUT_WR); `destroy()` closes the socket unless `keepOpen`.
 */
export class SocketStream extends Duplex {
  /** The socket under the stream. */
  readonly socket: StreamSocket;
  private readonly keepOpen: boolean;
  private readonly messages: boolean;
  private readonly readSize: number;
  private spare: Buffer | undefined;
  private reading = false;
  private readAbort = new AbortController();
  private readonly probe = Buffer.alloc(1);
  private readonly writeAbort = new AbortController();

  constructor(sock: StreamSocket, options: SocketStreamOptions = {}) {
    const messages = sock.type === C.SOCK_SEQPACKET;
    super({
      allowHalfOpen: options.allowHalfOpen ?? false,
      // A read gives one message: object mode keeps them apart (read() would join bytes).
      readableObjectMode: messages,
      readableHighWaterMark: options.readableHighWaterMark,
      writableHighWaterMark: options.writableHighWaterMark,
    });
    // A seqpacket stream sends each chunk as its own message: no gathering writev for it.
    if (messages) (this as { _writev?: unknown })._writev = undefined;
    this.socket = sock;
    this.keepOpen = options.keepOpen ?? false;
    this.messages = messages;
    const readSize = options.readSize ?? DEFAULT_READ_SIZE;
    this.readSize = messages && PEEK_SIZE === 0 ? Math.max(readSize, ...this.bufferSizes()) : readSize;
    // As net.Socket: reading starts without a reader, so that the peer's end is seen whether or not
    // anyone reads; on the next tick, so that a consumer made in this one (a TLSSocket) is set up first.
    process.nextTick(() => { if (!this.destroyed) this.read(0); });
  }

  /** SO_RCVBUF and SO_SNDBUF: a seqpacket message can be no larger than the sender's buffer. */
  private bufferSizes(): number[] {
    try {
      return [this.socket.getsockopt(C.SOL_SOCKET, C.SO_RCVBUF), this.socket.getsockopt(C.SOL_SOCKET, C.SO_SNDBUF)];
    } catch {
      return [];
    }
  }

  /** Lets pending reads and writes keep the process alive (the default), as net.Socket.ref(). */
  ref(): this {
    this.socket.ref();
    this.restartRead();
    return this;
  }

  /** Pending reads and writes no longer keep the process alive, as net.Socket.unref(). */
  unref(): this {
    this.socket.unref();
    this.restartRead();
    return this;
  }

  /** A read already waiting keeps the setting it started with: start it again with the new one. */
  private restartRead(): void {
    if (!this.reading) return;
    const previous = this.readAbort;
    this.readAbort = new AbortController();
    previous.abort(RESTART);
  }

  /** @internal The Duplex hook. */
  override _read(): void {
    if (!this.reading) void this.readLoop();
  }

  /** Reads until the consumer has enough (push() returns false), the peer ends, or an error. */
  private async readLoop(): Promise<void> {
    this.reading = true;
    try {
      for (;;) {
        let buffer: Buffer | undefined;
        let n: number;
        try {
          buffer = this.readBuffer(await this.nextMessageSize());
          n = await this.socket.recvInto(buffer, 0, this.messages ? MSG_TRUNC : 0, { signal: this.readAbort.signal });
        } catch (error) {
          if (buffer !== undefined && buffer.length === this.readSize) this.spare = buffer;
          if ((error as Error | undefined)?.cause === RESTART) continue;  // aborts reject with an AbortError whose cause is the reason
          throw error;
        }
        if (this.destroyed) return;
        if (n > buffer.length) throw new SocketError(E.EMSGSIZE, 'recv', undefined, `recv EMSGSIZE: a ${n}-byte message does not fit the stream's ${buffer.length}-byte read buffer (readSize)`);
        if (n === 0) {
          this.push(null);
          this.read(0);  // ends the readable side now if nothing is buffered, as net.Socket does at EOF
          return;
        }
        if (!this.push(this.chunk(buffer, n))) return;
      }
    } catch (error) {
      // The socket closed under the stream by its owner ends the stream, without an error of its own.
      if (!this.destroyed) this.destroy(this.socket.closed ? undefined : error as Error);
    } finally {
      this.reading = false;
    }
  }

  /** The size of the next seqpacket message, peeked where the kernel tells it (0 otherwise). */
  private async nextMessageSize(): Promise<number> {
    if (!this.messages || PEEK_SIZE === 0) return 0;
    return this.socket.recvInto(this.probe, 1, PEEK_SIZE, { signal: this.readAbort.signal });
  }

  /** The buffer to read into: the spare one, a new one of readSize, or one that fits a larger message. */
  private readBuffer(size: number): Buffer {
    if (size > this.readSize) return Buffer.allocUnsafe(size);
    const buffer = this.spare ?? Buffer.allocUnsafe(this.readSize);
    this.spare = undefined;
    return buffer;
  }

  /** What to push for `n` bytes read into `buffer`; small reads are copied so that the buffer is reused. */
  private chunk(buffer: Buffer, n: number): Buffer {
    if (buffer.length > this.readSize) return buffer.subarray(0, n);  // made for this one message
    if (!this.messages && n >= buffer.length / 4) return n === buffer.length ? buffer : buffer.subarray(0, n);
    this.spare = buffer;
    return Buffer.from(buffer.subarray(0, n));
  }

  /** @internal The Duplex hook. */
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.socket.sendall(chunk, 0, { signal: this.writeAbort.signal }).then(() => callback(), this.afterWriteError(callback));
  }

  /**
   * A write cut short by destroy() fails with ECANCELED (syscall 'write'), as net.Socket's does
   * since Node 22 (libuv cancels its write request); the Writable then gives the writes still
   * queued the same error. Never an AbortError: the abort is our own means of stopping the write.
   */
  private afterWriteError(callback: (error?: Error | null) => void): (error: Error) => void {
    return (error) => callback(this.destroyed ? socketError(E.ECANCELED, 'write') : error);
  }

  /** Several small writes go out in as few sendmsg calls as the kernel takes. */
  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    this.sendBuffers(chunks.map((c) => c.chunk)).then(() => callback(), this.afterWriteError(callback));
  }

  private async sendBuffers(buffers: Buffer[]): Promise<void> {
    let parts = buffers.filter((b) => b.length > 0);
    while (parts.length > 0) {
      const batch = parts.length > IOV_BATCH ? parts.slice(0, IOV_BATCH) : parts;
      let sent = await this.socket.sendmsg(batch, null, 0, undefined, { signal: this.writeAbort.signal });
      let i = 0;
      while (i < parts.length && sent >= parts[i].length) sent -= parts[i++].length;
      parts = parts.slice(i);
      if (sent > 0) parts[0] = parts[0].subarray(sent);
    }
  }

  /** @internal The Duplex hook. */
  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.socket.shutdown(C.SHUT_WR);
      callback();
    } catch (error) {
      // The peer may have gone already; there is then nothing left to shut.
      callback((error as SocketError).code === 'ENOTCONN' ? null : error as Error);
    }
  }

  /** @internal The Duplex hook. */
  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const reason = abortError();
    this.readAbort.abort(reason);
    this.writeAbort.abort(reason);
    let closeError: Error | null = null;
    if (!this.keepOpen) {
      try {
        this.socket.close();
      } catch (e) {
        closeError = e as Error;
      }
    }
    callback(error ?? closeError);
  }
}

function checkConnectedStream(sock: StreamSocket, what: string, types: number[]): void {
  if (sock.closed) throw closedError(what);
  if (!types.includes(sock.type)) {
    throw invalidArgValue('socket', sock.type, `must be a ${types.length > 1 ? 'SOCK_STREAM or SOCK_SEQPACKET' : 'SOCK_STREAM'} socket for ${what}()`);
  }
  sock.getpeername();  // ENOTCONN unless connected
}

/**
 * The Duplex of `Socket.toStream()`. A stream waits as long as it must: a non-blocking socket is put
 * in blocking mode (its Promise operations never block the event loop anyway); a timeout stays,
 * and a read or write that waits longer ends the stream with TimeoutError.
 */
export function toStream(sock: StreamSocket, options: SocketStreamOptions = {}): SocketStream {
  if (typeof options !== 'object' || options === null) throw invalidArgValue('options', options, 'must be an object');
  if (options.keepOpen !== undefined) checkBoolean(options.keepOpen, 'options.keepOpen');
  if (options.allowHalfOpen !== undefined) checkBoolean(options.allowHalfOpen, 'options.allowHalfOpen');
  if (options.readSize !== undefined) checkInt(options.readSize, 'options.readSize', 1, 1 << 30);
  checkConnectedStream(sock, 'toStream', [C.SOCK_STREAM, C.SOCK_SEQPACKET]);
  if (sock.gettimeout() === 0) sock.settimeout(null);
  return new SocketStream(sock, options);
}

/**
 * `Socket.toNetSocket()`: hands the descriptor to Node as a `net.Socket` (the Socket is detached
 * and reads as closed). Only a connected SOCK_STREAM socket can be handed over.
 */
export function toNetSocket(sock: StreamSocket): net.Socket {
  checkConnectedStream(sock, 'toNetSocket', [C.SOCK_STREAM]);
  const fd = sock.detach();
  try {
    return new net.Socket({ fd, readable: true, writable: true });
  } catch (error) {
    native.close(fd);
    throw error;
  }
}
