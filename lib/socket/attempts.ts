// How the calls of a Socket are described to the engine (wait.ts): each builder gives the Op of
// one call, with its deadline fixed from the socket's timeout at the call, for its Sync form (run
// by Waits.runSync) or its Promise form (run by Waits.run). The receive family is receives.ts's.
import { native } from '../binding/native';
import { E, check } from '../binding/errors';
import { packAddress, toBlobAsync } from '../input/address';
import { deadlineOf } from '../engine/deadline';
import { EndOfInput, type Op, type Waits } from '../engine/wait';
import { ringOps } from '../engine/readiness';
import { attached } from './views';
import type { RingWork } from '../engine/completion';
import type { Ancillary } from './messages';

const { AF_INET, AF_INET6, AF_UNIX, POLLIN, POLLOUT, SOCK_DGRAM, SOCK_STREAM } = native.constants;
const MSG_DONTWAIT = native.constants.MSG_DONTWAIT ?? 0;
const MSG_ERRQUEUE = native.constants.MSG_ERRQUEUE ?? 0;

/** Options accepted by every Promise form. */
export interface OperationOptions {
  /** Aborts the operation when signalled: the Promise rejects with an AbortError whose `cause` is the signal's reason. */
  signal?: AbortSignal;
}

/** The call an Op is built for: the socket's timeout when it was made, its form and (Promise forms) its signal. */
export interface Caller {
  readonly timeout: number | null;
  readonly promise: boolean;
  readonly signal?: AbortSignal;
  /** A Promise form on a socket whose calls the ring takes (ringKind), while it takes operations (readiness.ts's ringOps). */
  readonly ring?: RingKind;
}

/**
 * The sockets whose Promise calls go to the ring: streams, and datagrams of the IP and Unix
 * families. A Unix datagram socket receives on the ring but sends on readiness: unconnected, it
 * polls writable while the receiver is full, so the ring's send says EAGAIN at once where
 * readiness tries again until the deadline.
 */
export type RingKind = 'stream' | 'datagram' | 'unix-datagram';

export function ringKind(family: number, type: number): RingKind | undefined {
  if (type === SOCK_STREAM) return 'stream';
  if (type !== SOCK_DGRAM) return undefined;
  return family === AF_UNIX ? 'unix-datagram' : family === AF_INET || family === AF_INET6 ? 'datagram' : undefined;
}

/** The most one submission moves (native/uring_ops.cc's kMaxBytes): a longer datagram call takes the readiness path. */
const RING_MAX = 1 << 20;

/**
 * Whether a call goes to the ring (completion.ts): one the ring takes, with no flags; on a
 * datagram socket, one of at most RING_MAX bytes (a datagram moves whole or not at all).
 */
export const onRing = (caller: Caller, flags: number, length = 0): boolean =>
  caller.ring !== undefined && flags === 0 && (caller.ring === 'stream' || length <= RING_MAX);

/** Whether a send goes to the ring: onRing, and not from a Unix datagram socket (RingKind). */
const sendsOnRing = (caller: Caller, flags: number, length = 0): boolean => onRing(caller, flags, length) && caller.ring !== 'unix-datagram';

/** The first `length` bytes of `data`, checked still there. */
function firstBytes(data: Uint8Array, length: number): Uint8Array {
  return attached(data, length, 'data') === data.length ? data : data.subarray(0, length);
}

/** An Op but for its attempt. */
export type Call = Omit<Op, 'attempt'>;

/** A receive: waits for POLLIN, gives 0 bytes at the end of input; `ring`, its work on the ring where it goes there. */
export function receiving(caller: Caller, syscall: string, flags: number, attempt: (fd: number) => number, ring?: RingWork): Op {
  const { timeout, signal } = caller;
  return { events: POLLIN, syscall, deadline: deadlineOf(timeout, flags), signal, attempt, atEnd: EndOfInput.RECEIVE, ring };
}

/**
 * Whether a Sync call in non-blocking mode must not trust the descriptor's O_NONBLOCK: a dup held
 * elsewhere may have cleared it (CPython then blocks; a non-blocking Socket never waits).
 */
export const nonblockingSync = (caller: Caller): boolean => !caller.promise && caller.timeout === 0;

/**
 * The flags of a receive's system call: MSG_DONTWAIT in a Promise form (it never blocks the loop)
 * and in a Sync one in non-blocking mode; a Sync one in timeout mode polls first (wait.ts). A read
 * of the error queue never waits (deadline.ts), also where the family ignores the flag and would
 * wait for data on a blocking descriptor (AF_UNIX).
 */
export function recvFlags(caller: Caller, flags: number): number {
  const neverBlocks = caller.promise || nonblockingSync(caller) || (flags & MSG_ERRQUEUE) !== 0;
  return neverBlocks ? flags | MSG_DONTWAIT : flags;
}

/** A send: waits for POLLOUT. */
export function sendCall(caller: Caller, syscall: string, flags: number, address?: unknown): Call {
  return { events: POLLOUT, syscall, deadline: deadlineOf(caller.timeout, flags), signal: caller.signal, address };
}

export function sending(caller: Caller, syscall: string, flags: number, attempt: (fd: number) => number, address?: unknown,
  ring?: RingWork): Op {
  return { events: POLLOUT, syscall, deadline: deadlineOf(caller.timeout, flags), signal: caller.signal, address, attempt, ring };
}

/**
 * The flags of a send's system call: MSG_DONTWAIT in a Promise form, and in a Sync one in timeout
 * mode, so that it never blocks past its deadline when another holder of the descriptor cleared
 * O_NONBLOCK. (A Sync receive polls first instead, as CPython's; a send tries first, since a Unix
 * socket may poll unwritable while a small message still fits.)
 */
export function sendFlags(caller: Caller, flags: number): number {
  return caller.promise || caller.timeout !== null ? flags | MSG_DONTWAIT : flags;
}

/** send(): `length` bytes of `data`, checked still there at each attempt. */
export function sendOp(caller: Caller, data: Uint8Array, length: number, flags: number): Op {
  const f = sendFlags(caller, flags);
  const attempt = (fd: number): number => native.send(fd, data, 0, attached(data, length, 'data'), f);
  return sending(caller, 'send', flags, attempt, undefined, sendsOnRing(caller, flags, length) ? ringSend(caller, data, length) : undefined);
}

/**
 * sendall(): sends from where the last attempt stopped until every byte is gone or it would block;
 * on the ring, submits the rest after each short send. The attempt and the ring share the offset:
 * a try that sent part leaves the rest to the ring.
 */
export function sendallOp(caller: Caller, data: Uint8Array, length: number, flags: number): Op {
  const f = sendFlags(caller, flags);
  let offset = 0;
  const attempt = (fd: number): number => {
    do {  // at least one send, as Python: sendall(b'') still reports EPIPE, ENOTCONN ...
      const r = native.send(fd, data, offset, attached(data, length, 'data') - offset, f);
      if (r < 0) return r;
      offset += r;
    } while (offset < length);
    return offset;
  };
  const ring: RingWork | undefined = onRing(caller, flags) && caller.ring === 'stream' ? {  // a datagram's: on readiness
    tries: triesAtOnce,
    submit: (r) => r.send(data, offset, attached(data, length, 'data') - offset, 0),
    complete: (_, count) => {
      offset += count;
      return offset < length ? undefined : offset;
    },
  } : undefined;
  return sending(caller, 'send', flags, attempt, undefined, ring);
}

/**
 * Whether an operation on the ring tries its system call first: unless the ring is delivering a
 * batch of completions, whose sends and receives then go to the kernel together in one
 * io_uring_enter (a receive whose data is there completes inside it). A single completion (a round
 * trip on one connection) has nothing to share the enter with, and an operation made at once
 * settles without a completion of its own.
 */
export const triesAtOnce = (): boolean => (native.uringBatch?.() ?? 0) <= 1;

/**
 * send() on the ring: the first `length` bytes of `data`, copied when submitted; on a stream, the
 * first MiB of them; a datagram whole, to `blob` (sendto) or the peer.
 */
function ringSend(caller: Caller, data: Uint8Array, length: number, blob: Buffer | null = null): RingWork {
  if (caller.ring !== 'stream' || blob !== null) return ringSendmsg(() => [firstBytes(data, length)], blob);
  return {
    tries: triesAtOnce,
    submit: (ring) => ring.send(data, 0, attached(data, length, 'data'), 0),
    complete: (_, count) => count,
  };
}

/** sendmsg() on the ring of the `parts` made at submission, to `blob` or (null) the peer, with no ancillary data. */
function ringSendmsg(parts: () => Uint8Array[], blob: Buffer | null): RingWork {
  return {
    tries: triesAtOnce,
    submit: (ring) => ring.sendmsg(parts(), null, 0, blob),
    complete: (_, count) => count,
  };
}

/** sendto() on the ring, once the address blob is known; undefined where it does not go there. */
export function sendtoRing(caller: Caller, data: Uint8Array, length: number, flags: number): ((blob: Buffer) => RingWork) | undefined {
  return sendsOnRing(caller, flags, length) ? (blob) => ringSend(caller, data, length, blob) : undefined;
}

/**
 * sendmsg() on the ring, to a blob or (null) the peer; undefined where it does not go there. Not
 * with ancillary data: descriptors passed (SCM_RIGHTS) would be looked up by the kernel whenever it
 * sends, after the call has returned to its caller, who may have closed them by then.
 */
export function sendmsgRing(caller: Caller, parts: Uint8Array[], anc: Ancillary[] | null, flags: number):
  ((blob: Buffer | null) => RingWork) | undefined {
  if (!sendsOnRing(caller, flags) || (anc !== null && anc.length > 0)) return undefined;
  return (blob) => ringSendmsg(() => parts, blob);
}

/** sendto(): `length` bytes of `data` to an address blob, checked still there at each attempt. */
export function sendtoAttempt(caller: Caller, data: Uint8Array, length: number, flags: number): (fd: number, blob: Buffer) => number {
  const f = sendFlags(caller, flags);
  return (fd, blob) => native.sendto(fd, data, 0, attached(data, length, 'data'), f, blob);
}

/** sendmsg(): `parts` and ancillary data to an address blob, or (null) to the connected peer. */
export function sendmsgAttempt(caller: Caller, parts: Uint8Array[], anc: Ancillary[] | null, flags: number):
  (fd: number, blob: Buffer | null) => number {
  const f = sendFlags(caller, flags);
  return (fd, blob) => native.sendmsg(fd, parts, anc, f, blob);
}

/**
 * An accept into `addressOut`: a Promise form, and a Sync one in non-blocking mode, ask for an
 * O_NONBLOCK listener (accept has no MSG_DONTWAIT); `nonblock` makes the new descriptor non-blocking.
 * On the ring (a Promise form while the ring takes operations), an accept that would wait waits
 * for the listener's accept queue, which a multishot accept fills (native/uring_accept.h). Not on
 * a Unix listener: shut down, its non-blocking accept says EAGAIN for ever and the kernel's ring
 * accept never completes, where readiness sees the hang-up (EndOfInput.ACCEPT).
 */
export function accepting(caller: Caller, family: number, nonblock: boolean, addressOut: Buffer): Op {
  const { timeout, signal, promise } = caller;
  const ring = caller.ring === 'stream' && family !== AF_UNIX;
  return {
    events: POLLIN, syscall: 'accept', deadline: deadlineOf(timeout), signal, atEnd: EndOfInput.ACCEPT,
    nonblocking: promise || nonblockingSync(caller),
    attempt: ring ? acceptAttempt(nonblock, addressOut) : (s) => native.accept(s, addressOut, nonblock),
    ring: ring ? ringAccept(nonblock, addressOut) : undefined,
  };
}

const ENOENT = E.ENOENT;

/** accept's try on the ring: the oldest descriptor the ring has accepted for this listener, else accept(2). */
function acceptAttempt(nonblock: boolean, addressOut: Buffer): (fd: number) => number {
  const queued = native.uringAccepted;
  if (queued === undefined) return (s) => native.accept(s, addressOut, nonblock);
  return (s) => {
    const r = queued(s, addressOut, nonblock, false);
    return r === -ENOENT ? native.accept(s, addressOut, nonblock) : r;
  };
}

/**
 * Before a Sync accept, which waits in poll(2) off the loop: the oldest descriptor the ring has
 * accepted for this listener (its peer in `addressOut`), or -1 when there is none; the ring's
 * multishot accept is stopped first, as poll(2) would never see the connections it takes.
 */
export function acceptedByRing(fd: number, nonblock: boolean, addressOut: Buffer): number {
  if (!ringOps || native.uringAccepted === undefined) return -1;
  const r = native.uringAccepted(fd, addressOut, nonblock, true);
  return r === -ENOENT ? -1 : check(r, 'accept');
}

/** accept() on the ring: waits for the accept queue, and takes its oldest descriptor at the completion. */
function ringAccept(nonblock: boolean, addressOut: Buffer): RingWork {
  return {
    tries: () => true,
    submit: (ring) => ring.accept(nonblock),
    complete: (ring) => ring.accepted(addressOut, nonblock),
  };
}

/**
 * Where a Promise call sends to: the address blob at once for a literal address; for a host name,
 * the `lookup` that gives it, awaited as a phase of the call so that it keeps its place in the order.
 */
export interface Destination {
  blob?: Buffer;
  lookup?: Promise<Buffer>;
}

export function destination(family: number, address: unknown, syscall: string): Destination {
  const packed = packAddress(family, address, syscall);
  if (Buffer.isBuffer(packed)) return { blob: packed };
  const lookup = toBlobAsync(family, address, syscall);
  lookup.catch(() => undefined);  // awaited in the call's turn; never "unhandled" if the call ends before
  return { lookup };
}

/**
 * Runs `send` (from sendCall()) to `send.address`, which may need a name look-up first: the
 * look-up is a phase of the operation, in the writers' turn taken at the call (it keeps its place
 * in the order of calls).
 */
export function sendingTo(waits: Waits, family: number, send: Call, attempt: (fd: number, blob: Buffer) => number,
  ring?: (blob: Buffer) => RingWork): Promise<number> {
  const to = destination(family, send.address, send.syscall);
  if (!to.lookup) {
    waits.fd(send.syscall);  // a name is looked up first, then the descriptor checked
    const blob = to.blob!;
    // Built field by field as sending() builds it: a spread made a new hidden class per call (~4 µs).
    const { events, syscall, deadline, signal, address } = send;
    return waits.run(waits.writers, { events, syscall, deadline, signal, address, attempt: (fd) => attempt(fd, blob), ring: ring?.(blob) });
  }
  return waits.session(waits.writers, send.deadline, send.signal, send.syscall, send.address, async (session) => {
    const blob = await session.wait(to.lookup!);
    return session.run(POLLOUT, (fd) => attempt(fd, blob));
  });
}

/** `body()`, with a synchronous throw (a bad argument) turned into a rejection, as a Promise form must. */
export function rejecting<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}
