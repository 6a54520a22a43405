// connect() as attempts for the engine: connect(2), then (once writable) SO_ERROR, or on the ring
// one IORING_OP_CONNECT; and the Unix connect to a full backlog, which no readiness event
// announces, retried by the engine on a back-off in the writers' turn.
import { native } from '../binding/native';
import { EAGAIN, EINPROGRESS, SocketError, TimeoutError } from '../binding/errors';
import { toBlobSync } from '../input/address';
import { deadlineOf } from '../engine/deadline';
import type { Waits } from '../engine/wait';
import type { RingWork } from '../engine/completion';
import { destination, type Caller } from './attempts';

const C = native.constants;
const intOut = new Int32Array(1);

/** The pending error of a connect that was in progress: 0 or a positive errno. */
function connectError(fd: number): number {
  const r = native.getsockoptInt(fd, C.SOL_SOCKET, C.SO_ERROR, intOut);
  return r < 0 ? -r : intOut[0];
}

/**
 * The end of a connect that was in progress. In blocking mode the kernel's own wait would have
 * marked the socket connected; a second connect() does that here (returning 0 or EISCONN, both
 * fine), so that a later connect fails with EISCONN as in Python.
 */
function connectDone(fd: number, blob: Buffer, blocking: boolean): number {
  const e = connectError(fd);
  if (e === 0 && blocking) native.connect(fd, blob);
  return e;
}

/**
 * The attempts of one connect: connect(), then (after writability) SO_ERROR. They give 0 or a
 * positive errno, or -EINPROGRESS to wait. Only EINPROGRESS means "in progress": a Unix socket's
 * EAGAIN (a full backlog) means nothing happened, and is reported as it is, as in Python.
 */
function connectAttempt(blob: Buffer, blocking: boolean): (fd: number) => number {
  let started = false;
  return (fd) => {
    if (started) return connectDone(fd, blob, blocking);
    started = true;
    const r = native.connect(fd, blob);
    return r === -EINPROGRESS || r === 0 ? r : -r;
  };
}

/**
 * A Sync connect: 0 or the errno of a failed connect; -1 for a wait that outlasts the timeout;
 * EINPROGRESS in non-blocking mode.
 */
export function connectErrno(waits: Waits, family: number, caller: Caller, address: unknown): number {
  const deadline = deadlineOf(caller.timeout);
  const attempt = connectAttempt(toBlobSync(family, address, 'connect'), caller.timeout === null);
  waits.fd('connect');
  try {
    // Not in blocking mode, O_NONBLOCK is the engine's to ensure: a Unix connect on a descriptor a
    // dup made blocking would wait in the kernel for room in the backlog, past any timeout.
    return waits.runSync({ events: C.POLLOUT, syscall: 'connect', deadline, attempt, address, nonblocking: caller.timeout !== null });
  } catch (error) {
    if (error instanceof TimeoutError) return -1;
    if (error instanceof SocketError) return error.errno;
    throw error;
  }
}

/**
 * connect() on the ring, for a Promise form on an IP stream socket in blocking mode: one
 * IORING_OP_CONNECT, which completes once the socket is connected (0, and marked connected as by a
 * blocking connect: a later connect gives EISCONN) or has failed (-errno), with no try first. Not in
 * timeout mode, where Python (and connectDone) leave the socket for a next connect() to return 0;
 * not for a Unix socket: to a full backlog its connect says EAGAIN, which the ring would not wait
 * out (the engine's retryOnBackoff does).
 */
function connectRing(caller: Caller, family: number, blob: Buffer): RingWork | undefined {
  if (caller.ring !== 'stream' || caller.timeout !== null || (family !== C.AF_INET && family !== C.AF_INET6)) return undefined;
  return { tries: () => false, submit: (ring) => ring.connect(blob), complete: () => 0 };
}

/**
 * A Promise connect, through writability and SO_ERROR, in the writers' turn, taken at the call and
 * held through the name look-up and (for a blocking-mode Unix socket) the retry while the backlog
 * is full. The deadline counts from the call. 0 or a positive errno.
 */
export function connectInTurn(waits: Waits, family: number, caller: Caller, address: unknown): Promise<number> {
  const deadline = deadlineOf(caller.timeout);
  const to = destination(family, address, 'connect');
  if (!to.lookup) waits.fd('connect');  // a name is looked up first, then the descriptor checked
  const blocking = caller.timeout === null;
  const retryBacklog = family === C.AF_UNIX && deadline === Infinity;
  return waits.session(waits.writers, deadline, caller.signal, 'connect', address, async (session) => {
    const blob = to.lookup ? await session.wait(to.lookup) : to.blob!;
    const first = await session.run(C.POLLOUT, connectAttempt(blob, blocking), { nonblocking: true, ring: connectRing(caller, family, blob) });
    if (first !== EAGAIN || !retryBacklog) return first;
    // A full backlog: no readiness event tells when there is room; still in the writers' turn.
    return -(await session.retryOnBackoff((fd) => native.connect(fd, blob)));
  });
}
