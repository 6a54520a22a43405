// The model: what ../shared/API.md promises about one socket and its peer, as an executable check.
// The runner records, for every operation, the state it was called in (closed, mode, shutdowns,
// MSG_DONTWAIT, signal) and what happened while it was pending (close, detach, abort, shutdowns,
// the peer closing); the model turns that into the set of outcomes allowed, and checks:
//  - each outcome (value, or error class and code) is in its set, and every error is well formed;
//  - per direction, successful Promise operations settle in call order (FIFO turns);
//  - the bytes each peer received are the bytes sent, in turn order (checksums, stream prefix);
//  - a timed-out wait lasted at least its timeout, counted from the call, and of two timed-out waits
//    the one with the earlier deadline did not time out well after the other (the deadline is fixed at the call);
//  - accept never yields a connection that was not made.
import * as os from 'node:os';
import * as bsd from '../../lib/index';
import { isRecv, isSend, type Mode, type SignalSpec, type Step } from './steps';

/** An error as the model sees it: its class (the most derived one the contract names) and code. */
export interface ErrorInfo { cls: string; code?: string; errno?: number; message: string }

export type Outcome =
  | { ok: true; n?: number; data?: Buffer; datagrams?: Buffer[]; fd?: number; value?: unknown }
  | { ok: false; error: ErrorInfo };

/** The state an operation was called in. */
export interface CallState {
  closed: boolean;
  mode: Mode;
  t: number | null;
  dontwait: boolean;
  signal: SignalSpec;
  shutRd: boolean;
  shutWr: boolean;
  peerGone: boolean;
  /** toStream(): end() (a SHUT_WR to come) or destroy() was called on this socket's stream. */
  streamEnded: boolean;
  streamDestroyed: boolean;
  /** A toStream() exists: a write error destroys it, and its destroy() closes the socket at any time after. */
  streamed: boolean;
}

/** Something that happened to the socket while an operation was pending. */
export type PendingEvent = 'streamed' | 'destroyed' | 'closed' | 'aborted' | 'shutRd' | 'shutWr' | 'peerGone' | 'detached' | 'dupBlock' | 'mode';

export interface OpRecord {
  index: number;
  step: Step;
  on: string;
  /** The stream the operation writes (its socket) or reads (its peer): `a` is a→b, `b` is b→a. */
  stream?: string;
  call: CallState;
  events: Set<PendingEvent>;
  calledAt: number;
  settledAt?: number;
  /** The runner's tick when the call returned or settled: a Sync call has a tick of its own. */
  epoch?: number;
  outcome?: Outcome;
  /** Sync: whether it returned; Promise: whether it settled. */
  done: boolean;
}

export interface Divergence { kind: string; index: number; detail: string }

const SOCKET_ERROR_CLASSES: Array<[string, new (...args: never[]) => Error]> = [
  ['BlockingIOError', bsd.BlockingIOError], ['ConnectionRefusedError', bsd.ConnectionRefusedError],
  ['ConnectionResetError', bsd.ConnectionResetError], ['ConnectionAbortedError', bsd.ConnectionAbortedError],
  ['BrokenPipeError', bsd.BrokenPipeError], ['TimeoutError', bsd.TimeoutError], ['InterruptedError', bsd.InterruptedError],
  ['PermissionError', bsd.PermissionError], ['FileNotFoundError', bsd.FileNotFoundError],
  ['AddressInUseError', bsd.AddressInUseError], ['AddressNotAvailableError', bsd.AddressNotAvailableError],
  ['SocketError', bsd.SocketError],
];

export function classify(error: unknown): ErrorInfo {
  const e = error as { name?: string; code?: unknown; errno?: unknown; message?: string };
  const message = String(e?.message ?? error);
  const found = SOCKET_ERROR_CLASSES.find(([, cls]) => error instanceof cls);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const errno = typeof e?.errno === 'number' ? e.errno : undefined;
  if (found) return { cls: found[0], code, errno, message };
  if (e?.name === 'AbortError') return { cls: 'AbortError', code, message };
  if (error instanceof TypeError) return { cls: 'TypeError', code, message };
  if (error instanceof RangeError) return { cls: 'RangeError', code, message };
  return { cls: error instanceof Error ? `Error(${e.name})` : typeof error, code, errno, message };
}

/** API.md's shape of every error: a SocketError with a positive errno named by `code`, an AbortError, or Node's argument errors. */
function malformed(info: ErrorInfo): string | undefined {
  if (info.cls === 'AbortError') return info.code === 'ABORT_ERR' ? undefined : 'an AbortError without code ABORT_ERR';
  if (info.cls === 'TypeError' || info.cls === 'RangeError') return info.code?.startsWith('ERR_') ? undefined : `a ${info.cls} without a Node code`;
  if (info.cls === 'Error(Error)' && info.code?.startsWith('ERR_STREAM_')) return undefined;  // a stream's own errors, as net.Socket's
  if (!SOCKET_ERROR_CLASSES.some(([name]) => name === info.cls)) return `not a SocketError: ${info.cls}`;
  const expected = info.code === undefined ? undefined : (os.constants.errno as Record<string, number>)[info.code] ?? (bsd.errno as Readonly<Record<string, number | undefined>>)[info.code];
  if (!(typeof info.errno === 'number' && info.errno > 0)) return `errno ${info.errno} is not positive`;
  if (expected !== info.errno) return `code ${info.code} does not name errno ${info.errno}`;
  return undefined;
}

function sawAny(rec: OpRecord, ...events: PendingEvent[]): boolean { return events.some((e) => rec.events.has(e)); }

const CONNECTION_CODES = ['EPIPE', 'ECONNRESET', 'ENOTCONN', 'ECONNREFUSED', 'ECONNABORTED', 'ESHUTDOWN', 'EINVAL'];

/** The errors (`Class:CODE`, or `Class` for any code) the contract allows for one operation. */
export function allowedErrors(rec: OpRecord): Set<string> {
  const { call, step } = rec;
  // closed and already aborted: either check may come first
  if (call.closed && step.form === 'promise' && call.signal === 'aborted') return new Set(['SocketError:EBADF', 'AbortError']);
  // a bad option is an argument error: found before the closed descriptor, as Python checks arguments first
  if (step.form === 'promise' && call.signal === 'bad') return new Set(['TypeError:ERR_INVALID_ARG_TYPE']);
  if (call.closed) {
    return new Set(step.op === 'write' && call.streamed
      ? ['SocketError:EBADF', 'Error(Error):ERR_STREAM_DESTROYED', 'Error(Error):ERR_STREAM_WRITE_AFTER_END'] : ['SocketError:EBADF']);
  }
  if (step.form === 'promise' && call.signal === 'aborted') return new Set(['AbortError']);
  const allowed = new Set<string>();
  const mayWouldBlock = call.mode === 'nonblocking' || call.dontwait;
  if (mayWouldBlock) allowed.add('BlockingIOError:EAGAIN');
  if (step.op === 'connect' && mayWouldBlock) allowed.add('BlockingIOError:EINPROGRESS');
  if (step.op === 'connect' && call.mode !== 'blocking') allowed.add('BlockingIOError:EAGAIN');  // a full Unix backlog
  if (call.mode === 'timeout' && !call.dontwait) allowed.add('TimeoutError:ETIMEDOUT');
  if (sawAny(rec, 'closed', 'detached')) allowed.add('SocketError:EBADF');
  if (sawAny(rec, 'aborted')) allowed.add('AbortError');
  if (sawAny(rec, 'dupBlock', 'mode')) {
    // a mode change while pending: the call keeps the deadline it was given, but a wait may end either way
    allowed.add('BlockingIOError:EAGAIN');
    allowed.add('TimeoutError:ETIMEDOUT');
  }
  const disturbed = call.shutRd || call.shutWr || call.peerGone || call.streamEnded || call.streamDestroyed || call.streamed ||
    sawAny(rec, 'shutRd', 'shutWr', 'peerGone', 'closed', 'streamed');
  if (disturbed || step.op === 'connect' || step.op === 'accept') {
    for (const code of CONNECTION_CODES) allowed.add(`*:${code}`);
  }
  if (step.op === 'sendfile' && step.src === 'dir') allowed.add('SocketError');
  if (step.op === 'write') addStreamErrors(rec, allowed);
  if (call.streamed || sawAny(rec, 'streamed')) allowed.add('SocketError:EBADF');
  return allowed;
}

/**
 * A stream write fails as a net.Socket's does (Node 22 on): cut short when the stream is destroyed
 * ECANCELED (queued ones too), after destroy() ERR_STREAM_DESTROYED, after end() ERR_STREAM_WRITE_AFTER_END.
 */
function addStreamErrors(rec: OpRecord, allowed: Set<string>): void {
  if (rec.call.streamed || rec.call.streamDestroyed || sawAny(rec, 'destroyed', 'closed', 'detached')) allowed.add('Error(Error):ERR_STREAM_DESTROYED');
  // the stream destroyed before this write finished: by destroy(), or by an error of the stream (a
  // timeout or a reset on another of its operations, as net.Socket's): either cancels it
  allowed.add('SocketError:ECANCELED');
  // the peer ended its side: with allowHalfOpen false (net.Socket's default) the stream ends ours
  if (rec.call.streamEnded || rec.call.peerGone || sawAny(rec, 'peerGone')) allowed.add('Error(Error):ERR_STREAM_WRITE_AFTER_END');
}

function errorAllowed(allowed: Set<string>, info: ErrorInfo): boolean {
  return allowed.has(info.cls) || allowed.has(`${info.cls}:${info.code}`) || allowed.has(`*:${info.code}`);
}

/** Checks one operation's outcome against the set the model allows. */
export function checkOutcome(rec: OpRecord, out: Divergence[]): void {
  const o = rec.outcome;
  if (!o) return;
  if (!o.ok) {
    const bad = malformed(o.error);
    if (bad) out.push({ kind: `${rec.step.op} malformed error`, index: rec.index, detail: `${bad}: ${o.error.message}` });
    const allowed = allowedErrors(rec);
    if (!errorAllowed(allowed, o.error)) {
      out.push({ kind: `${rec.step.op} ${rec.step.form} unexpected ${o.error.cls}:${o.error.code}`, index: rec.index,
        detail: `${o.error.message}; allowed: ${[...allowed].join(' ') || 'none'}` });
    }
    if (o.error.cls === 'TimeoutError' && rec.call.t !== null && rec.settledAt !== undefined) {
      const waited = rec.settledAt - rec.calledAt;
      if (waited < rec.call.t * 1000 - 2) {
        out.push({ kind: `${rec.step.op} timed out early`, index: rec.index, detail: `after ${waited.toFixed(1)} ms of ${rec.call.t * 1000}` });
      }
    }
    return;
  }
  if (rec.step.op === 'recvmmsg' && !o.datagrams) {
    out.push({ kind: 'recvmmsg gave no array', index: rec.index, detail: `${JSON.stringify(o.value)} (API.md: an empty array at end of input, never undefined)` });
  }
  const must = mustFail(rec);
  if (must) out.push({ kind: `${rec.step.op} ${rec.step.form} succeeded ${must}`, index: rec.index, detail: JSON.stringify(summary(o)) });
}

/** Why a success is impossible here, or undefined. */
function mustFail(rec: OpRecord): string | undefined {
  const { call, step } = rec;
  if (call.closed) return 'on a closed socket';
  if (step.form === 'promise' && call.signal === 'bad') return `with a signal '${call.signal}'`;
  // an aborted signal and "a zero-byte recv returns at once" disagree: either is allowed
  if (step.form === 'promise' && call.signal === 'aborted' && !isZeroRecv(step)) return `with a signal '${call.signal}'`;
  if (isSend(step.op) && call.shutWr && (step.n ?? 0) > 0 && step.op !== 'sendfile') return 'after SHUT_WR';
  return undefined;
}

/** recv/recvInto of 0 bytes: returns at once, without a system call and without its turn (API.md). */
export function isZeroRecv(step: Step): boolean {
  return (step.op === 'recv' || step.op === 'recvInto') && (step.n ?? 0) === 0;
}

export function summary(o: Outcome): unknown {
  if (!o.ok) return { error: `${o.error.cls}:${o.error.code}`, message: o.error.message };
  return { n: o.n, data: o.data?.length, datagrams: o.datagrams?.map((d) => d.length), fd: o.fd, value: o.value };
}

/** FIFO turns: per socket and direction, successful Promise operations settle in call order. */
export function checkTurnOrder(records: OpRecord[], out: Divergence[]): void {
  const lastEpoch = new Map<string, OpRecord>();
  for (const rec of records) {
    if (rec.step.form !== 'promise' || !rec.outcome?.ok || rec.epoch === undefined || isZeroRecv(rec.step)) continue;
    const direction = isSend(rec.step.op) || rec.step.op === 'connect' ? 'w' : isRecv(rec.step.op) || rec.step.op === 'accept' ? 'r' : '';
    if (!direction) continue;
    const key = `${rec.on}/${direction}`;
    const before = lastEpoch.get(key);
    if (before && before.epoch! > rec.epoch) {
      out.push({ kind: `${rec.step.op} overtook ${before.step.op}`, index: rec.index,
        detail: `step ${rec.index} settled at tick ${rec.epoch}, before step ${before.index} (called earlier) at tick ${before.epoch}` });
    }
    lastEpoch.set(key, rec);
  }
}

/**
 * `close()` settles pending operations: every Promise operation pending when its socket was
 * closed must have settled once the microtasks that close() queued have run.
 */
export function checkSettledByClose(rec: OpRecord, closeIndex: number, out: Divergence[]): void {
  if (!rec.done) {
    out.push({ kind: `${rec.step.op} not settled by close()`, index: rec.index, detail: `still pending after close() at step ${closeIndex}` });
  }
}

/** How much later than another timeout with a later deadline a timeout may fire (timer lists, a busy loop). */
const DEADLINE_SLACK_MS = 25;

/**
 * The deadline is fixed at the call: of two operations that timed out, the one whose deadline
 * (call + timeout) came first must not settle well after the other. This compares two waits
 * with each other, so a slow machine delays both; it never bounds a wait from above.
 */
export function checkDeadlineOrder(records: OpRecord[], out: Divergence[]): void {
  const timedOut = records.filter((r) => r.step.form === 'promise' && r.outcome && !r.outcome.ok &&
    r.outcome.error.cls === 'TimeoutError' && r.call.t !== null && r.settledAt !== undefined);
  for (const a of timedOut) {
    const deadline = a.calledAt + a.call.t! * 1000;
    const later = timedOut.find((b) => b !== a && b.calledAt + b.call.t! * 1000 > deadline + 5 &&
      a.settledAt! > b.settledAt! + DEADLINE_SLACK_MS);
    if (later) {
      out.push({ kind: `${a.step.op} deadline not fixed at the call`, index: a.index,
        detail: `timed out ${(a.settledAt! - later.settledAt!).toFixed(0)} ms after step ${later.index} (${later.step.op}), whose deadline was later` });
      return;
    }
  }
}
