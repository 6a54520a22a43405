// The receive family described to the engine. A receive that gives more than a count (the
// sender's address, ancillary data) is a Receive: its Op, whose attempt decodes what the system
// call filled at once (the address scratch is shared), and the result once the engine has run it,
// or has ended it at the end of input (0 bytes, no address).
import { native } from '../binding/native';
import { fromBlob, type ReceivedAddressOf } from '../input/address';
import type { NativeRecvmsg, RecvmsgResult } from './messages';
import type { Op } from '../engine/wait';
import { onRing, receiving, recvFlags, triesAtOnce, type Caller } from './attempts';
import type { RingWork } from '../engine/completion';
import { attached, trimmed } from './views';

/** A receive whose result is more than the count the engine returns. */
export interface Receive<T> {
  readonly op: Op;
  /** The call's result, given the count the engine returned. */
  result(n: number): T;
}

/** recv_into(): `length` bytes into `buffer`, checked still there at each attempt. */
export function recvIntoOp(caller: Caller, buffer: Uint8Array, length: number, flags: number): Op {
  const f = recvFlags(caller, flags);
  const attempt = (fd: number): number => native.recv(fd, buffer, 0, attached(buffer, length, 'buffer'), f);
  return receiving(caller, 'recv', flags, attempt, onRing(caller, flags, length) ? ringReceive(buffer, length) : undefined);
}

/** recv_into() on the ring: at most `length` bytes, copied into `buffer` at the completion once it is checked still there. */
function ringReceive(buffer: Uint8Array, length: number): RingWork {
  return {
    tries: triesAtOnce,
    submit: (ring) => ring.recv(length, 0),
    complete: (ring, count) => (count === 0 ? 0 : ring.copyTo(buffer, 0, Math.min(count, attached(buffer, length, 'buffer')))),
  };
}

/** recvfrom_into(): the count and the sender's address (null when the wait ended with no datagram). */
export function recvfromCall<F extends number>(caller: Caller, family: F, buffer: Uint8Array, length: number, flags: number,
  addressOut: Buffer): Receive<[number, ReceivedAddressOf<F>]> {
  const f = recvFlags(caller, flags);
  let address = null as ReceivedAddressOf<F>;
  const ring: RingWork | undefined = onRing(caller, flags, length) ? {
    tries: triesAtOnce,
    submit: (r) => r.recvmsg(length, 0, 0),
    complete: (r, count) => {
      const got = r.received(addressOut);
      if (typeof got === 'number') return got;
      address = fromBlob(addressOut, family);
      return r.copyTo(buffer, 0, Math.min(count, attached(buffer, length, 'buffer')));
    },
  } : undefined;
  const op = receiving(caller, 'recvfrom', flags, (fd) => {
    const r = native.recvfrom(fd, buffer, 0, attached(buffer, length, 'buffer'), f, addressOut);
    if (r >= 0) address = fromBlob(addressOut, family);
    return r;
  }, ring);
  return { op, result: (n) => [n, address] };
}

/** recvmsg(): `[data, ancdata, msgFlags, address]`; 0 bytes and nothing else at the end of input. */
export function recvmsgCall<F extends number>(caller: Caller, family: F, buffer: Buffer, ancbufsize: number, flags: number,
  addressOut: Buffer): Receive<RecvmsgResult<F>> {
  const f = recvFlags(caller, flags);
  let result: RecvmsgResult<F> | undefined;
  const ring: RingWork | undefined = onRing(caller, flags, buffer.length) ? {
    tries: triesAtOnce,
    submit: (r) => r.recvmsg(buffer.length, ancbufsize, 0),
    complete: (r, count) => {
      const got = r.received(addressOut);  // first: it hands over the descriptors received
      if (typeof got === 'number') return got;
      const n = r.copyTo(buffer, 0, count);
      if (n >= 0) result = recvmsgResult(buffer, [n, got[0], got[1]], family, addressOut);
      return n;
    },
  } : undefined;
  const op = receiving(caller, 'recvmsg', flags, (fd) => {
    const r = native.recvmsg(fd, [buffer], ancbufsize, f, addressOut);
    if (typeof r === 'number') return r;
    result = recvmsgResult(buffer, r, family, addressOut);
    return r[0];
  }, ring);
  return { op, result: () => result ?? [Buffer.alloc(0), [], 0, null] };
}

function recvmsgResult<F extends number>(buffer: Buffer, [n, ancdata, msgFlags]: Exclude<NativeRecvmsg, number>, family: F,
  addressOut: Buffer): RecvmsgResult<F> {
  return [trimmed(buffer, Math.min(n, buffer.length)), ancdata, msgFlags, fromBlob(addressOut, family)];
}
