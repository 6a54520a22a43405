// What each peer saw: the bytes (stream sockets) or datagrams received in one direction, compared
// with what the model says was sent — the writes of that direction in turn order, each with the
// count it reported. A write that failed part-way (sendall or sendfile with an error) leaves the rest
// of the stream unknown: only the prefix before it is compared.
import type { Divergence, OpRecord } from './contract';
import { ringOps } from '../../lib/engine/readiness';

/** One write's bytes; `part` numbers the messages of one sendmmsg. */
export interface Sent { rec: OpRecord; bytes: Buffer; part?: number }
export interface Received { rec?: OpRecord; epoch: number; index: number; data: Buffer }

/** Bytes a failed write certainly did not send: errors raised before any byte could go. */
function sentNothing(rec: OpRecord): boolean {
  const o = rec.outcome;
  if (!o || o.ok) return false;
  if (rec.call.closed || rec.call.signal === 'bad' || rec.call.signal === 'aborted') return true;
  const partial = rec.step.op === 'sendall' || rec.step.op === 'sendfile' || rec.step.op === 'write';
  return !partial;
}

/** How many of `bytes` the write put on the wire, or undefined when unknown. */
function countSent(w: Sent): number | undefined {
  const o = w.rec.outcome;
  if (!o) return undefined;
  if (o.ok && w.part !== undefined) return w.part < (o.n ?? 0) ? w.bytes.length : 0;  // 0 also for an empty message sent
  if (o.ok) return w.rec.step.op === 'sendall' ? w.bytes.length : o.n;
  return sentNothing(w.rec) ? 0 : undefined;
}

/** Whether `p` was still pending when `w` was called. */
const pendingAt = (p: Sent, w: Sent): boolean => p.rec.settledAt === undefined || p.rec.settledAt > w.rec.calledAt;

/**
 * Writes whose bytes may interleave: a Sync write called while an earlier Promise write of the same
 * socket was pending; or a write on the socket itself called while an earlier write of its
 * toStream() was pending (the stream hands its chunks to the socket one at a time, so the socket's
 * own write may go between two of them, as with net.Socket's buffer).
 */
function interleaves(writes: Sent[]): boolean {
  return writes.some((w, i) => writes.slice(0, i).some((p) => pendingAt(p, w) && (
    (w.rec.step.form === 'sync' && p.rec.step.form === 'promise') || (p.rec.step.op === 'write' && w.rec.step.op !== 'write'))));
}

/**
 * Reads whose bytes may come in another order than they settle: on the io_uring backend with its
 * operations (ringOps), a Promise read (or a toStream() read) pending on the ring takes its bytes
 * when the kernel completes it, which may be before a Sync read made later on the same socket,
 * although it settles after it. Where both kinds read one direction, only counts are compared.
 */
function readsInterleave(reads: Received[]): boolean {
  if (!ringOps) return false;
  const sync = reads.some((r) => r.rec?.step.form === 'sync');
  const pending = reads.some((r) => r.rec === undefined || r.rec.step.form === 'promise');
  return sync && pending;
}

function byDelivery(reads: Received[]): Received[] {
  return [...reads].sort((x, y) => x.epoch - y.epoch || x.index - y.index);
}

export function checkStream(name: string, writes: Sent[], reads: Received[], drained: boolean, out: Divergence[]): void {
  const parts: Buffer[] = [];
  let certain = true;
  for (const w of [...writes].sort((x, y) => x.rec.index - y.rec.index)) {
    const n = countSent(w);
    if (n === undefined) { certain = false; break; }
    parts.push(w.bytes.subarray(0, n));
  }
  const expected = Buffer.concat(parts);
  const got = Buffer.concat(byDelivery(reads).map((r) => r.data));
  if (interleaves(writes) || readsInterleave(reads)) return checkCounts(name, expected, got, certain && drained, out);
  const upTo = Math.min(expected.length, got.length);
  const at = firstDifference(expected, got, upTo);
  if (at >= 0) {
    out.push({ kind: `stream ${name} bytes differ`, index: writerAt(writes, at), detail: `byte ${at}: got ${got[at]}, sent ${expected[at]} (${got.length} received, ${expected.length} sent)` });
  } else if (certain && got.length > expected.length) {
    out.push({ kind: `stream ${name} received more than sent`, index: -1, detail: `${got.length} received, ${expected.length} sent` });
  } else if (certain && drained && got.length < expected.length) {
    out.push({ kind: `stream ${name} bytes lost`, index: writerAt(writes, got.length), detail: `${got.length} received, ${expected.length} sent` });
  }
}

/** Sync and Promise writes interleaved: only the number of bytes and their sum can be compared. */
function checkCounts(name: string, expected: Buffer, got: Buffer, exact: boolean, out: Divergence[]): void {
  if (!exact) return;
  const sum = (b: Buffer) => b.reduce((s, x) => s + x, 0);
  if (got.length !== expected.length || sum(got) !== sum(expected)) {
    out.push({ kind: `stream ${name} checksum differs`, index: -1, detail: `${got.length} bytes (sum ${sum(got)}) received, ${expected.length} (sum ${sum(expected)}) sent` });
  }
}

function firstDifference(a: Buffer, b: Buffer, n: number): number {
  if (a.subarray(0, n).equals(b.subarray(0, n))) return -1;
  let lo = 0;
  let hi = n;  // the first difference lies in [lo, hi)
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (a.subarray(lo, mid).equals(b.subarray(lo, mid))) lo = mid; else hi = mid;
  }
  return lo;
}

/** The step whose write holds stream offset `offset`. */
function writerAt(writes: Sent[], offset: number): number {
  let at = 0;
  for (const w of [...writes].sort((x, y) => x.rec.index - y.rec.index)) {
    at += countSent(w) ?? Infinity;
    if (offset < at) return w.rec.index;
  }
  return -1;
}

/**
 * Datagrams: each one received is (the head of) one sent, each sent is received at most once, in
 * send order; on a reliable socket (Unix) none is lost once every send settled and the peer drained.
 */
export function checkDatagrams(name: string, writes: Sent[], reads: Received[], drained: boolean, reliable: boolean, out: Divergence[]): void {
  const sent = [...writes].sort((x, y) => x.rec.index - y.rec.index);
  const certain = sent.every((w) => countSent(w) !== undefined);
  // empty datagrams are left out on both sides (an empty read says nothing)
  const pool = sent.filter((w) => w.bytes.length > 0 && !sentNothing(w.rec) && !(w.rec.outcome?.ok && w.part !== undefined && countSent(w) === 0));
  let next = 0;
  // An empty read is an empty datagram, one truncated to 0 bytes (bufsize 0), or the end of input
  // (SHUT_RD): it may have consumed any one datagram, so it excuses one loss and the order.
  const emptyReads = reads.filter((x) => x.data.length === 0).length;
  let unmatched = 0;
  for (const r of byDelivery(reads).filter((x) => x.data.length > 0)) {
    const k = pool.findIndex((w, i) => i >= next && matches(w.bytes, r));
    if (k < 0) {
      out.push({ kind: `datagrams ${name} unknown datagram`, index: r.rec?.index ?? -1, detail: `${r.data.length} bytes, first ${r.data[0]}` });
      return;
    }
    // only Promise sends keep call order: a Sync send goes at once, past a Promise send still waiting
    const promise = (w: Sent) => w.rec.step.form === 'promise';
    if (reliable && emptyReads === 0 && promise(pool[k]) && pool.slice(next, k).some((w) => w.rec.outcome?.ok && promise(w))) {
      out.push({ kind: `datagrams ${name} out of order`, index: r.rec?.index ?? -1, detail: `got the datagram of step ${pool[k].rec.index} first` });
      return;
    }
    unmatched += pool.slice(next, k).filter((w) => w.rec.outcome?.ok).length;
    next = k + 1;
  }
  const lost = unmatched + pool.slice(next).filter((w) => w.rec.outcome?.ok).length;
  if (reliable && certain && drained && lost > emptyReads) {
    out.push({ kind: `datagrams ${name} lost`, index: pool[Math.min(next, pool.length - 1)].rec.index, detail: `${lost} sent, never received (${emptyReads} empty reads)` });
  }
}

/** A received datagram is the sent one, or its head when the receive buffer was smaller. */
function matches(bytes: Buffer, r: Received): boolean {
  return r.data.length <= bytes.length && bytes.subarray(0, r.data.length).equals(r.data);
}
