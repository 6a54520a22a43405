// The ONE list of intended differences between bsd-sockets and CPython's socket module. A divergence
// that matches an entry counts as passed; every entry says why the difference is intended
// (API.md or Node's conventions decide it). Defects never go here: see docs/DIFFERENTIAL.md "found".
import type { Step } from './steps';

export interface ErrorResult { err: string; errno?: number | null; code?: string | null; isOSError?: boolean }
export interface Allowed {
  id: string;
  reason: string;
  /** Whether the entry also explains a difference in timing (at once here, waited in Python). */
  timing?: boolean;
  /** True when this entry explains the difference between the two results of `step`. */
  matches(step: Step, node: unknown, py: unknown, ms?: [number, number]): boolean;
}

export function isError(r: unknown): r is ErrorResult {
  return typeof r === 'object' && r !== null && !Array.isArray(r) && typeof (r as ErrorResult).err === 'string';
}

const bothErrors = (node: unknown, py: unknown): [ErrorResult, ErrorResult] | null =>
  isError(node) && isError(py) ? [node, py] : null;

export const ALLOW_LIST: Allowed[] = [
  {
    id: 'timeout-errno',
    reason: "API.md: TimeoutError carries errno ETIMEDOUT and code 'ETIMEDOUT' for timed-out waits too; "
      + "Python's socket.timeout has errno None. Same class, same moment.",
    matches(_step, node, py) {
      const e = bothErrors(node, py);
      return !!e && e[0].err === 'TimeoutError' && e[1].err === 'TimeoutError' && e[1].errno === null && e[0].code === 'ETIMEDOUT';
    },
  },
  {
    id: 'non-integer-is-range-error',
    reason: "Node's convention (API.md: Node's codes): a number that is not an integer is ERR_OUT_OF_RANGE (RangeError); "
      + 'Python raises TypeError for a float where it wants an int.',
    matches(_step, node, py) {
      const e = bothErrors(node, py);
      return !!e && e[0].err === 'RangeError' && e[0].code === 'ERR_OUT_OF_RANGE' && e[1].err === 'TypeError';
    },
  },
  {
    id: 'wrong-address-type-is-type-error',
    reason: "API.md: 'a wrong shape or type throws a TypeError with code ERR_INVALID_ARG_TYPE'; Python raises "
      + 'OSError/ValueError for some wrong shapes (e.g. an int, or a bytes path on an AF_INET socket).',
    matches(step, node, py) {
      const e = bothErrors(node, py);
      return !!e && (step.op === 'bind' || step.op === 'connect' || step.op === 'connectEx' || step.op === 'sendto')
        && !!step.addr && 'raw' in step.addr && e[0].err === 'TypeError' && e[0].code === 'ERR_INVALID_ARG_TYPE'
        && ['TypeError', 'ValueError', 'OSError'].includes(e[1].err);
    },
  },
  {
    id: 'python-polls-first',
    timing: true,
    reason: 'CPython, given a timeout, polls for readiness BEFORE the system call, so a call that fails at once '
      + '(accept on a non-listening socket, recv on a listening one: EINVAL, ENOTCONN, EPIPE, EOPNOTSUPP) waits for the '
      + 'whole timeout there (TimeoutError, or forever with a 30-day timeout). bsd-sockets tries the call first and '
      + 'reports its error at once; API.md only makes waits time out, and these calls never need to wait. '
      + 'Likewise a send that the kernel takes at once although poll() does not report the socket writable.',
    matches(_step, node, py, ms) {
      const n = node as ErrorResult;
      if (ms) return ms[0] < ms[1] && !(isError(node) && ['TimeoutError', 'BlockingIOError'].includes(n.err));
      const hang = (py as { hang?: boolean })?.hang === true;
      return isError(node) && n.err !== 'TimeoutError' && n.err !== 'BlockingIOError' && typeof n.errno === 'number'
        && (hang || (isError(py) && py.err === 'TimeoutError'));
    },
  },
  {
    id: 'bad-argument-is-range-error',
    reason: "API.md: 'a Unix path longer than sun_path throws a RangeError (ERR_OUT_OF_RANGE)', and bad numbers "
      + '(getsockopt buflen <= 0, a negative descriptor for fromfd) are RangeErrors with Node\'s codes; CPython raises '
      + 'OSError there (without errno for the path and buflen, EBADF from dup(-1) for the descriptor).',
    matches(step, node, py) {
      const e = bothErrors(node, py);
      return !!e && e[0].err === 'RangeError' && e[0].code === 'ERR_OUT_OF_RANGE' && e[1].err === 'OSError'
        && (e[1].errno === null || (step.op === 'detachFromfd' && e[1].code === 'EBADF'));
    },
  },
  {
    id: 'closed-socket-is-ebadf',
    reason: "API.md: 'An operation on a closed socket throws SocketError with code EBADF'. CPython answers some calls "
      + 'from the object without touching the descriptor: getblocking() on a closed socket, recv(0)/recv_into of an '
      + 'empty buffer (which return at once without a system call); connect_ex() returns EBADF instead of raising it.',
    matches(step, node, py) {
      return isError(node) && node.code === 'EBADF' && !isError(py)
        && (step.op === 'getblocking' || (step.op.startsWith('recv') && (step.n === 0 || step.size === 0))
          || (step.op === 'connectEx' && (py as { errno?: number }).errno === node.errno));
    },
  },
];

/** `ms` ([node, python] durations) is given when only the timing differs. */
export function allowed(step: Step, node: unknown, py: unknown, ms?: [number, number]): Allowed | undefined {
  return ALLOW_LIST.find((entry) => (!ms || entry.timing) && entry.matches(step, node, py, ms));
}
