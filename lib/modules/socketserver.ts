// Python's socketserver module on the event loop: TCPServer, UDPServer, UnixStreamServer,
// UnixDatagramServer and the request handlers. The life cycle and the names of the overridable
// methods are Python's (camelCased); requests are served concurrently by default, each in its own
// async task, which is what ThreadingMixIn gives Python. Nothing here blocks the event loop: the
// servers wait in the Promise forms of accept() and recvfrom().
import { constants as C, AF_INET, AF_UNIX, type AF_INET6 } from '../binding/constants';
import { E, SocketError, abortReason, closedError } from '../binding/errors';
import { Socket } from '../socket/socket';
import type { AddressOf, ReturnedAddressOf } from '../input/address';
import { checkBoolean, checkFunction, checkInt, checkTimeout, invalidArgType } from '../input/validate';


/** What a server does with a request handler: setup(), handle(), then finish(); each may be async. */
export interface RequestHandler {
  /** Runs first. */
  setup(): void | Promise<void>;
  /** Serves the request. */
  handle(): void | Promise<void>;
  /** Runs last, even if handle() threw. */
  finish(): void | Promise<void>;
}

/**
 * The class of a request handler for requests `R` on a server of family `F`: constructed once per
 * request with `(request, clientAddress, server)`.
 */
export type RequestHandlerClass<R, F extends number = number> =
  new (request: R, clientAddress: ClientAddressOf<R, F>, server: BaseServer<R, F>) => RequestHandler;

/**
 * What a server keeps of its handler class: its requests' types are left out, so that a server of
 * one family (`TCPServer<AF_INET>`) is also a server of any (`BaseServer<Socket>`).
 */
export type AnyRequestHandlerClass = new (request: never, clientAddress: never, server: never) => RequestHandler;

/** What a datagram server passes as the request: the packet and the server's socket, as in Python. */
export type DatagramRequest<F extends number = number> = [packet: Buffer, socket: Socket<F>];

/**
 * The client's address that comes with a request `R` on a server of family `F`: what accept() or
 * recvfrom() gave. Only a Unix datagram can come from a sender with no name (`null`, Python's
 * None); a UDP datagram always has its sender's address.
 */
export type ClientAddressOf<R, F extends number> =
  R extends DatagramRequest ? (F extends AF_INET | AF_INET6 ? ReturnedAddressOf<F> : ReturnedAddressOf<F> | null) : ReturnedAddressOf<F>;

/** Options of the server constructors. */
export interface ServerOptions {
  /** Bind and listen in the constructor (default true); otherwise call serverBind()/serverActivate(). */
  bindAndActivate?: boolean;
  /** Set SO_REUSEADDR before binding (default true). */
  allowReuseAddress?: boolean;
  /** Set SO_REUSEPORT before binding (default false). */
  allowReusePort?: boolean;
  /** The listen() backlog of stream servers (default 5, Python's request_queue_size). */
  backlog?: number;
  /** Serve requests concurrently (default true, Python's ThreadingMixIn); false: one at a time. */
  concurrent?: boolean;
}

function stateError(message: string): Error {
  const error = new Error(message);
  (error as Error & { code: string }).code = 'ERR_INVALID_STATE';
  return error;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The base of the servers, as Python's `socketserver.BaseServer`: the serving loop and the
 * per-request life cycle. Subclasses provide getRequest() and the socket.
 *
 * Life cycle of one request: getRequest() → verifyRequest() → processRequest() →
 * finishRequest() (constructs the handler, runs setup/handle/finish) → shutdownRequest() →
 * closeRequest(). An error thrown on the way goes to handleError(), and the server carries on.
 */
export abstract class BaseServer<R, F extends number = number> {
  /** The address given, replaced by the bound address (getsockname()) once bound. */
  serverAddress: AddressOf<F> | ReturnedAddressOf<F>;
  /** The handler class constructed for each request. */
  readonly RequestHandlerClass: AnyRequestHandlerClass;
  /** Seconds that handleRequest() waits before calling handleTimeout(); null waits forever. */
  timeout: number | null = null;
  /** Whether requests are served concurrently (true) or one at a time. */
  concurrent: boolean;

  private _shutdownRequest = false;
  private _serving: Promise<void> | undefined;
  private _wake: AbortController | undefined;
  private readonly _active = new Set<Promise<void>>();

  constructor(serverAddress: AddressOf<F>, RequestHandlerClass: RequestHandlerClass<R, F>, concurrent = true) {
    checkFunction(RequestHandlerClass, 'RequestHandlerClass');
    this.serverAddress = serverAddress;
    this.RequestHandlerClass = RequestHandlerClass;
    this.concurrent = concurrent;
  }

  /** Waits for the next request: `[request, clientAddress]`; rejects when `signal` aborts. */
  protected abstract getRequest(signal?: AbortSignal): Promise<[R, ClientAddressOf<R, F>]>;

  /** The descriptor waited on (the listening socket's), so that a server can be given to select(). */
  abstract fileno(): number;

  /** Whether the server still has its descriptor (serveForever's loop runs while it does). */
  protected isOpen(): boolean {
    return this.fileno() >= 0;
  }

  /** Called by the constructor to bind the socket. */
  serverBind(): void {}

  /** Called by the constructor to activate the server (listen, for stream servers). */
  serverActivate(): void {}

  /** Cleans up the server: closes its socket. A running serveForever() then ends. */
  serverClose(): void {}

  /** The number of requests being processed now. */
  get activeRequests(): number {
    return this._active.size;
  }

  /**
   * Serves requests until shutdown() (or serverClose()) is called, and settles then.
   * Waits in accept()/recvfrom() on the event loop, so it never busy-loops. If serviceActions()
   * is overridden, it is called at least every `pollInterval` seconds, as in Python.
   */
  async serveForever(pollInterval = 0.5): Promise<void> {
    const interval = checkTimeout(pollInterval, 'pollInterval') ?? 0.5;
    if (this._serving) throw stateError('serveForever() is already running');
    let done!: () => void;
    this._serving = new Promise<void>((resolve) => { done = resolve; });
    const ticking = this.serviceActions !== BaseServer.prototype.serviceActions;
    let wake = new AbortController();
    try {
      while (!this._shutdownRequest && this.isOpen()) {
        if (wake.signal.aborted) wake = new AbortController();  // one per abort, not one per request
        this._wake = wake;
        const timer = ticking ? setTimeout(() => wake.abort(), interval * 1000) : undefined;
        let got: [R, ClientAddressOf<R, F>] | undefined;
        try {
          got = await this.getRequest(wake.signal);
        } catch (error) {
          if (!wake.signal.aborted && this.isOpen()) {
            // accept() failed (ECONNABORTED, EMFILE…): as Python, skip it; a pause avoids spinning.
            if (!(error instanceof SocketError)) throw error;
            await delay(Math.min(interval * 1000, 50));
          }
        } finally {
          if (timer !== undefined) clearTimeout(timer);
          this._wake = undefined;
        }
        if (got) {
          const work = this.dispatch(got[0], got[1]);
          if (!this.concurrent) await work;
        }
        this.serviceActions();
      }
    } finally {
      this._shutdownRequest = false;
      this._serving = undefined;
      done();
    }
  }

  /**
   * Stops serveForever(): the Promise returned settles once it has stopped (requests still being
   * handled by a concurrent server go on to finish). Called while serveForever() is not running,
   * it makes the next serveForever() return at once, as in Python.
   */
  shutdown(): Promise<void> {
    this._shutdownRequest = true;
    this._wake?.abort();
    return this._serving ?? Promise.resolve();
  }

  /** Called by serveForever() after each request, and every pollInterval when overridden. */
  serviceActions(): void {}

  /**
   * Waits for one request and processes it; resolves once that request has been handled. If no
   * request comes within `timeout` seconds (the property, or the socket's timeout if shorter),
   * calls handleTimeout() instead. On a closed server it rejects with EBADF: Python raises
   * (ValueError, from registering descriptor -1 with its selector), and API.md makes a closed socket
   * given to select() a SocketError EBADF.
   */
  async handleRequest(): Promise<void> {
    if (!this.isOpen()) throw closedError('handleRequest');
    let timeout = this.timeout;
    const own = this.socket.gettimeout();
    if (own !== null && own > 0) timeout = timeout === null ? own : Math.min(timeout, own);
    const wake = new AbortController();
    const timer = timeout === null ? undefined : setTimeout(() => wake.abort(), timeout * 1000);
    let got: [R, ClientAddressOf<R, F>];
    try {
      got = await this.getRequest(wake.signal);
    } catch (error) {
      if (wake.signal.aborted) {
        await this.handleTimeout();
        return;
      }
      if (error instanceof SocketError) return;  // as Python: an OSError from get_request is ignored
      throw error;
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
    await this.dispatch(got[0], got[1]);
  }

  /** Called when handleRequest() times out; does nothing by default. */
  handleTimeout(): void | Promise<void> {}

  /** Whether to serve a request; true by default. A request refused is shut down at once. */
  verifyRequest(_request: R, _clientAddress: ClientAddressOf<R, F>): boolean | Promise<boolean> {
    return true;
  }

  /** verifyRequest(), then processRequest(); errors go to handleError(). Never rejects. */
  private dispatch(request: R, clientAddress: ClientAddressOf<R, F>): Promise<void> {
    const work = (async () => {
      let ok = false;
      try {
        ok = await this.verifyRequest(request, clientAddress);
      } catch (error) {
        this.reportError(request, clientAddress, error);
      }
      if (!ok) {
        this.safeShutdownRequest(request, clientAddress);
        return;
      }
      try {
        await this.processRequest(request, clientAddress);
      } catch (error) {
        this.reportError(request, clientAddress, error);
        this.safeShutdownRequest(request, clientAddress);
      }
    })();
    this._active.add(work);
    void work.finally(() => this._active.delete(work));
    return work;
  }

  /**
   * Processes one request: finishRequest(), then shutdownRequest(); an error from the handler goes
   * to handleError(). The Promise settles when the request is done.
   */
  async processRequest(request: R, clientAddress: ClientAddressOf<R, F>): Promise<void> {
    try {
      await this.finishRequest(request, clientAddress);
    } catch (error) {
      this.reportError(request, clientAddress, error);
    } finally {
      this.shutdownRequest(request);
    }
  }

  /** Constructs the handler and runs its setup(), handle() and finish() (finish() even if handle() throws). */
  async finishRequest(request: R, clientAddress: ClientAddressOf<R, F>): Promise<void> {
    const handler = new (this.RequestHandlerClass as RequestHandlerClass<R, F>)(request, clientAddress, this);
    await handler.setup();
    try {
      await handler.handle();
    } finally {
      await handler.finish();
    }
  }

  /** Ends a request: by default closeRequest(). */
  shutdownRequest(request: R): void {
    this.closeRequest(request);
  }

  /** Cleans up a request; does nothing by default. */
  closeRequest(_request: R): void {}

  /**
   * Called with the error that a request's processing threw; the server then carries on with the
   * next request. By default prints the error, as Python prints the traceback, to stderr.
   */
  handleError(_request: R, clientAddress: ClientAddressOf<R, F>, error: unknown): void {
    const line = '-'.repeat(40);
    process.stderr.write(`${line}\nException occurred during processing of request from ${JSON.stringify(clientAddress)}\n`
      + `${error instanceof Error ? error.stack ?? String(error) : String(error)}\n${line}\n`);
  }

  private reportError(request: R, clientAddress: ClientAddressOf<R, F>, error: unknown): void {
    try {
      this.handleError(request, clientAddress, error);
    } catch (again) {
      process.stderr.write(`handleError() threw: ${again instanceof Error ? again.stack : String(again)}\n`);
    }
  }

  private safeShutdownRequest(request: R, clientAddress: ClientAddressOf<R, F>): void {
    try {
      this.shutdownRequest(request);
    } catch (error) {
      this.reportError(request, clientAddress, error);
    }
  }

  /** The server's socket. */
  abstract readonly socket: Socket<F>;

  /**
   * For `await using`: stops serveForever() if it runs, closes the server, then waits for the
   * requests still being handled to finish (Python's block_on_close).
   */
  async [Symbol.asyncDispose](): Promise<void> {
    if (this._serving) await this.shutdown();
    this.serverClose();
    while (this._active.size > 0) await Promise.allSettled([...this._active]);
  }
}

/**
 * What TCPServer and UDPServer share, as Python's UDPServer shares TCPServer's code: the socket,
 * the options, binding and closing. Subclasses give the socket's family and type (getters: class
 * fields would be set too late, the constructor already uses them) and how requests arrive.
 */
export abstract class SocketServer<R, F extends number = number> extends BaseServer<R, F> {
  /** The server's socket. */
  readonly socket: Socket<F>;
  /** Whether serverBind() sets SO_REUSEADDR. */
  allowReuseAddress: boolean;
  /** Whether serverBind() sets SO_REUSEPORT. */
  allowReusePort: boolean;
  /** The listen() backlog of stream servers (Python's request_queue_size, 5 by default). */
  requestQueueSize: number;

  /**
   * The family of the server's socket: AF_INET unless a subclass says otherwise (a subclass whose
   * `F` is another family overrides it).
   */
  get addressFamily(): F { return AF_INET as number as F; }
  /** The type of the server's socket: SOCK_STREAM unless a subclass says otherwise. */
  get socketType(): number { return C.SOCK_STREAM; }

  /**
   * Creates the socket and, unless `bindAndActivate` is false, binds it (serverBind()) and
   * activates it (serverActivate()). If either fails, the socket is closed and the error thrown.
   */
  constructor(serverAddress: AddressOf<F>, RequestHandlerClass: RequestHandlerClass<R, F>, options: ServerOptions = {}) {
    if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
    const o = options as Record<string, unknown>;
    const bindAndActivate = o.bindAndActivate === undefined ? true : checkBoolean(o.bindAndActivate, 'options.bindAndActivate');
    // Python's UDPServer leaves allow_reuse_address False; the option's default here is true for all servers.
    const allowReuseAddress = o.allowReuseAddress === undefined ? true : checkBoolean(o.allowReuseAddress, 'options.allowReuseAddress');
    const allowReusePort = o.allowReusePort === undefined ? false : checkBoolean(o.allowReusePort, 'options.allowReusePort');
    const backlog = o.backlog === undefined ? 5 : checkInt(o.backlog, 'options.backlog');
    const concurrent = o.concurrent === undefined ? true : checkBoolean(o.concurrent, 'options.concurrent');
    super(serverAddress, RequestHandlerClass, concurrent);
    this.allowReuseAddress = allowReuseAddress;
    this.allowReusePort = allowReusePort;
    this.requestQueueSize = backlog;
    this.socket = new Socket(this.addressFamily, this.socketType);
    if (bindAndActivate) {
      try {
        this.serverBind();
        this.serverActivate();
      } catch (error) {
        this.serverClose();
        throw error;
      }
    }
  }

  /** Sets the reuse options, binds to serverAddress and records the bound address. */
  override serverBind(): void {
    if (this.allowReuseAddress && C.SO_REUSEADDR !== undefined) this.socket.setsockopt(C.SOL_SOCKET, C.SO_REUSEADDR, 1);
    if (this.allowReusePort && C.SO_REUSEPORT !== undefined) this.socket.setsockopt(C.SOL_SOCKET, C.SO_REUSEPORT, 1);
    this.socket.bind(this.serverAddress as AddressOf<F>);
    this.serverAddress = this.socket.getsockname();
  }

  /** Closes the socket. */
  override serverClose(): void {
    this.socket.close();
  }

  /** The socket's descriptor. */
  fileno(): number {
    return this.socket.fileno();
  }

  // Not fileno(): a listener whose number was never handed out skips the O_NONBLOCK check per accept.
  protected override isOpen(): boolean {
    return !this.socket.closed;
  }
}

/**
 * A TCP server, as Python's `socketserver.TCPServer` (with ThreadingMixIn's concurrency unless
 * `{ concurrent: false }`). Each request is the accepted `Socket`.
 *
 * Subclasses may change the socket they make by overriding the getters `addressFamily` and
 * `socketType`.
 */
export class TCPServer<F extends number = AF_INET> extends SocketServer<Socket<F>, F> {
  /**
   * @param serverAddress where to listen, e.g. `['127.0.0.1', 0]` (0: an ephemeral port).
   * @param RequestHandlerClass a class extending BaseRequestHandler (e.g. StreamRequestHandler). It
   *   is `NoInfer` (TypeScript 5.4+): the family comes from the address or the server class (a
   *   TCPServer is AF_INET unless a subclass says otherwise), never from a handler written for any.
   * @param options see {@link ServerOptions}.
   */
  constructor(serverAddress: AddressOf<F>, RequestHandlerClass: NoInfer<RequestHandlerClass<Socket<F>, F>>, options?: ServerOptions) {
    super(serverAddress, RequestHandlerClass, options);
  }

  /** Listens with a backlog of requestQueueSize. */
  override serverActivate(): void {
    this.socket.listen(this.requestQueueSize);
  }

  /** Accepts a connection: `[socket, clientAddress]`. */
  protected getRequest(signal?: AbortSignal): Promise<[Socket<F>, ClientAddressOf<Socket<F>, F>]> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return this.socket.accept(signal ? { signal } : undefined);
  }

  /** Shuts the connection down for writing (the peer sees EOF), then closeRequest(). */
  override shutdownRequest(request: Socket<F>): void {
    try {
      request.shutdown(C.SHUT_WR);
    } catch {
      // the peer may be gone already; as Python, ignore it
    }
    this.closeRequest(request);
  }

  /** Closes the connection. */
  override closeRequest(request: Socket<F>): void {
    request.close();
  }
}


/**
 * A UDP server, as Python's `socketserver.UDPServer`. Each request is `[packet, socket]`, one
 * datagram of at most `maxPacketSize` bytes; handlers extend DatagramRequestHandler.
 */
export class UDPServer<F extends number = AF_INET> extends SocketServer<DatagramRequest<F>, F> {
  /** The largest datagram received whole (longer ones are truncated), 8192 as in Python. */
  maxPacketSize = 8192;

  /** The type of the server's socket: SOCK_DGRAM. */
  override get socketType(): number { return C.SOCK_DGRAM; }

  /**
   * @param serverAddress where to receive, e.g. `['127.0.0.1', 0]`.
   * @param RequestHandlerClass a class extending DatagramRequestHandler (or BaseRequestHandler).
   * @param options see {@link ServerOptions}; `backlog` is not used.
   */
  constructor(serverAddress: AddressOf<F>, RequestHandlerClass: NoInfer<RequestHandlerClass<DatagramRequest<F>, F>>, options?: ServerOptions) {
    super(serverAddress, RequestHandlerClass, options);
  }

  /** Receives a datagram: `[[packet, socket], clientAddress]`. */
  protected async getRequest(signal?: AbortSignal): Promise<[DatagramRequest<F>, ClientAddressOf<DatagramRequest<F>, F>]> {
    if (signal?.aborted) throw abortReason(signal);
    const [packet, clientAddress] = await this.socket.recvfrom(this.maxPacketSize, 0, signal ? { signal } : undefined);
    // A UDP datagram always has a sender's address; an unnamed Unix sender has none (null), which
    // reply() refuses with EDESTADDRREQ.
    return [[packet, this.socket], clientAddress as ClientAddressOf<DatagramRequest<F>, F>];
  }
}

/** A stream server on a Unix socket path, as Python's `socketserver.UnixStreamServer`. */
export class UnixStreamServer extends TCPServer<AF_UNIX> {
  /** AF_UNIX. */
  override get addressFamily(): AF_UNIX { return AF_UNIX; }
}

/** A datagram server on a Unix socket path, as Python's `socketserver.UnixDatagramServer`. */
export class UnixDatagramServer extends UDPServer<AF_UNIX> {
  /** AF_UNIX. */
  override get addressFamily(): AF_UNIX { return AF_UNIX; }
}

/**
 * The base of request handlers, as Python's `socketserver.BaseRequestHandler`. A new handler is
 * made for each request; the server then awaits `setup()`, `handle()` and `finish()` in order
 * (`finish()` even if `handle()` throws). Each may be async.
 */
export class BaseRequestHandler<R = unknown, F extends number = number> implements RequestHandler {
  /** The request: the connected Socket (stream servers) or `[packet, socket]` (datagram servers). */
  readonly request: R;
  /** The client's address. */
  readonly clientAddress: ClientAddressOf<R, F>;
  /** The server that received the request (cast it to your server's class to reach its own members). */
  readonly server: BaseServer<R, F>;

  /** Called by the server; override setup(), handle() and finish() rather than this. */
  constructor(request: R, clientAddress: ClientAddressOf<R, F>, server: BaseServer<R, F>) {
    this.request = request;
    this.clientAddress = clientAddress;
    this.server = server;
  }

  /** Runs before handle(); does nothing by default. */
  setup(): void | Promise<void> {}

  /** Serves the request; does nothing by default. */
  handle(): void | Promise<void> {}

  /** Runs after handle(), even if it threw; does nothing by default. */
  finish(): void | Promise<void> {}
}

/**
 * A handler for stream servers, as Python's `socketserver.StreamRequestHandler`: `readline()`,
 * `read(n)` and `write(data)` over the connection, reads going through an internal buffer.
 */
export class StreamRequestHandler<F extends number = number> extends BaseRequestHandler<Socket<F>, F> {
  /** If not null, setup() puts this timeout (seconds) on the connection. */
  timeout: number | null = null;
  /** If true, setup() sets TCP_NODELAY. */
  disableNagleAlgorithm = false;
  /** How many bytes each recv() asks for. */
  rbufsize = 16384;

  private readonly _chunks: Buffer[] = [];
  private _buffered = 0;
  private _eof = false;
  private _scratch?: Buffer;

  /** Applies `timeout` and `disableNagleAlgorithm` to the connection. */
  override setup(): void | Promise<void> {
    if (this.timeout !== null) this.request.settimeout(this.timeout);
    if (this.disableNagleAlgorithm) this.request.setsockopt(C.IPPROTO_TCP, C.TCP_NODELAY, 1);
  }

  /**
   * Reads once more from the connection into the buffer; false at end of stream. Each read goes
   * into one scratch buffer of `rbufsize` bytes kept by the handler, and only the bytes received
   * are copied out: a request of 64 bytes does not pin 16 KiB.
   */
  private async fill(): Promise<boolean> {
    if (this._eof) return false;
    if (this._scratch === undefined || this._scratch.length !== this.rbufsize) this._scratch = Buffer.allocUnsafe(this.rbufsize);
    const n = await this.request.recvInto(this._scratch);
    if (n === 0) {
      this._eof = true;
      return false;
    }
    this._chunks.push(Buffer.from(this._scratch.subarray(0, n)));
    this._buffered += n;
    return true;
  }

  /** Removes and returns the first `n` buffered bytes. */
  private take(n: number): Buffer {
    n = Math.min(n, this._buffered);
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const head = this._chunks[0];
      if (head.length <= need) {
        parts.push(head);
        this._chunks.shift();
        need -= head.length;
      } else {
        parts.push(head.subarray(0, need));
        this._chunks[0] = head.subarray(need);
        need = 0;
      }
    }
    this._buffered -= n;
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }

  /**
   * Reads a line: the bytes up to and including the next `'\n'`, or what is left at the end of
   * the stream (an empty Buffer once nothing is). With `limit`, at most that many bytes.
   */
  async readline(limit = -1): Promise<Buffer> {
    checkInt(limit, 'limit', -1);
    let scanned = 0;
    for (;;) {
      let offset = 0;
      for (const chunk of this._chunks) {
        if (offset + chunk.length > scanned) {
          const i = chunk.indexOf(10, Math.max(0, scanned - offset));
          if (i >= 0) {
            const end = offset + i + 1;
            return this.take(limit >= 0 ? Math.min(end, limit) : end);
          }
        }
        offset += chunk.length;
      }
      scanned = this._buffered;
      if (limit >= 0 && this._buffered >= limit) return this.take(limit);
      if (!(await this.fill())) return this.take(this._buffered);
    }
  }

  /**
   * Reads `n` bytes (fewer only at the end of the stream), or with no `n` (or a negative one)
   * everything up to the end of the stream.
   */
  read(n = -1): Promise<Buffer> {
    try {
      checkInt(n, 'n', -1);
    } catch (error) {
      return Promise.reject(error);
    }
    if (n >= 0 && this._buffered >= n) return Promise.resolve(this.take(n));
    return this.readMore(n);
  }

  private async readMore(n: number): Promise<Buffer> {
    while ((n < 0 || this._buffered < n) && await this.fill());
    return this.take(n < 0 ? this._buffered : n);
  }

  /** Sends all of `data` (a string is sent as UTF-8). */
  write(data: Uint8Array | string): Promise<void> {
    return this.request.sendall(typeof data === 'string' ? Buffer.from(data) : data);
  }
}

/**
 * A handler for datagram servers, as Python's `socketserver.DatagramRequestHandler`: the datagram
 * is `packet`, and `reply(data)` sends a datagram back to the client from the server's `socket`.
 */
export class DatagramRequestHandler<F extends number = number> extends BaseRequestHandler<DatagramRequest<F>, F> {
  /** The datagram received. */
  readonly packet: Buffer;
  /** The server's socket (replies go out from it). */
  readonly socket: Socket<F>;

  /** Called by the server, as BaseRequestHandler's. */
  constructor(request: DatagramRequest<F>, clientAddress: ClientAddressOf<DatagramRequest<F>, F>, server: BaseServer<DatagramRequest<F>, F>) {
    super(request, clientAddress, server);
    [this.packet, this.socket] = request;
  }

  /** Sends `data` (a string as UTF-8) to the client; resolves with the bytes sent. */
  reply(data: Uint8Array | string): Promise<number> {
    if (this.clientAddress === null || this.clientAddress === '') {
      return Promise.reject(new SocketError(E.EDESTADDRREQ, 'sendto', this.clientAddress,
        'sendto EDESTADDRREQ: the client has no address to reply to'));
    }
    return this.socket.sendto(typeof data === 'string' ? Buffer.from(data) : data, this.clientAddress as AddressOf<F>);
  }
}
