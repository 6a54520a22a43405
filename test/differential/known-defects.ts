// The named expected-failure list: divergences from CPython that ARE defects of bsd-sockets, known
// and being fixed (issue 19) or reported (marked 'new'). A divergence that matches an entry does not
// fail the run, but every run prints how many sequences each entry explained, and which entries it
// no longer saw: once a fix lands, its entry is deleted here (the divergence then fails the run if
// it comes back). Intended differences are in allow-list.ts, never here.
import { isError, OPTIONAL_POSITIONS, undefinedAt, type ErrorResult } from './allow-list';
import type { Step } from './steps';

export interface KnownDefect {
  id: string;
  /** Where it is tracked: 'issue 19 #N', 'issue 19 (one engine: …)', or 'new' (see docs/DIFFERENTIAL.md). */
  defect: string;
  what: string;
  matches(step: Step, node: unknown, py: unknown): boolean;
}

const pyError = (py: unknown, err: string, code?: string): boolean =>
  isError(py) && py.err === err && (code === undefined || py.code === code);

/** A recvmmsg result ([entries, buffers]) with every entry's msgFlags dropped. */
function withoutMsgFlags(r: unknown): unknown {
  if (!Array.isArray(r) || !Array.isArray(r[0])) return r;
  return [(r[0] as unknown[][]).map((entry) => entry.slice(0, 2)), r[1]];
}

export const KNOWN_DEFECTS: KnownDefect[] = [
  {
    id: 'accept-after-shutdown',
    defect: 'issue 19 #1',
    what: 'accept() on a listener that is (or gets, while accept waits) shut down: CPython raises EINVAL; ours hands '
      + "out a Socket on descriptor 0 (the process's stdin, reported as 'stdio-fd'), or keeps waiting until the timeout",
    matches(step, node, py) {
      if (step.op !== 'accept') return false;
      if (Array.isArray(node) && node[0] === 'stdio-fd') return true;  // whatever CPython says (EINVAL, or a timeout)
      return pyError(py, 'OSError', 'EINVAL') && isError(node) && node.err === 'TimeoutError';
    },
  },
  {
    id: 'write-order-after-sendfile',
    defect: 'issue 19 #2',
    what: 'a Promise sendall() called after a Promise sendfile() of 4 MiB sends its bytes first: the peer receives the '
      + 'same number of bytes in another order (another SHA-1); API.md: call order holds per direction',
    matches(step, node, py) {
      const [n, p] = [node as { len?: number; sha1?: string }, py as { len?: number; sha1?: string }];
      return step.op === 'recvAll' && !isError(node) && !isError(py) && n?.len === p?.len && n?.sha1 !== p?.sha1;
    },
  },
  {
    id: 'closed-socket-check-order',
    defect: 'docs/DIFFERENTIAL.md "found 14", still on main',
    what: 'on a closed socket ours throws EBADF before looking at a bad value, address or buflen; CPython reports the '
      + 'bad argument first (TypeError, OverflowError, gaierror, OSError without errno)',
    matches(step, node, py) {
      return ['setsockopt', 'getsockopt', 'bind', 'connect', 'connectEx', 'sendto'].includes(step.op)
        && isError(node) && node.code === 'EBADF' && isError(py)
        && (['TypeError', 'OverflowError', 'ValueError', 'gaierror'].includes(py.err) || (py.err === 'OSError' && py.errno === null));
    },
  },
  {
    id: 'undefined-constant-is-default',
    defect: 'issue 19 (one engine: explicit undefined for a flags or constant argument is a TypeError everywhere)',
    what: 'a Socket method or module function (sendmmsg, recvmmsg, sendFds, recvFds too) given an explicit undefined '
      + 'for flags, level, name, how, type or proto '
      + 'takes the default (and then reports the socket state: EAGAIN, ENOTCONN, EPIPE, EBADF, or a look-up error); '
      + 'CPython raises TypeError, as API.md requires',
    matches(step, node, py) {
      const at = undefinedAt(step);
      if (step.undefFlags) return pyError(py, 'TypeError') && !(isError(node) && node.err === 'TypeError');
      return (step.op === 'method' || step.op === 'fn') && at.length > 0 && !at.some((k) => OPTIONAL_POSITIONS[step.name ?? '']?.includes(k))
        && pyError(py, 'TypeError') && !(isError(node) && (node as ErrorResult).err === 'TypeError');
    },
  },
  {
    id: 'recvmmsg-no-msgflags',
    defect: 'new',
    what: 'recvmmsg()/recvmmsgSync() return [nbytes, address] per datagram; API.md promises [nbytes, address, msgFlags] '
      + '(msgFlags carrying MSG_TRUNC), which CPython\'s recvmsg gives for each',
    matches(step, node, py) {
      return step.op === 'recvmmsg' && !isError(node) && !isError(py) && Array.isArray(node) && Array.isArray(node[0])
        && (node[0] as unknown[][]).some((entry) => entry[2] === null)
        && JSON.stringify(withoutMsgFlags(node)) === JSON.stringify(withoutMsgFlags(py));
    },
  },
  {
    id: 'recvmmsg-end-of-input',
    defect: 'new',
    what: 'recvmmsg()/recvmmsgSync() at the end of input: on a Unix datagram socket shut for reading they resolve to '
      + 'undefined; on a stream whose peer has gone they give one 0-byte entry per buffer (what recvmmsg(2) counts). '
      + 'API.md: "an empty array at end of input, never undefined"; CPython\'s recvmsg loop ends at once',
    matches(step, node, py) {
      if (step.op !== 'recvmmsg' || typeof node !== 'object' || node === null) return false;
      if ('notArray' in node) return true;
      const entries = (node as unknown[][])[0] as unknown[][] | undefined;
      return JSON.stringify(py) === '[[],[]]' && Array.isArray(entries) && entries.length > 0 && entries.every((e) => e[0] === 0);
    },
  },
  {
    id: 'recvfds-maxfds-zero',
    defect: 'new',
    what: 'recvFds(sock, bufsize, 0) throws RangeError ERR_OUT_OF_RANGE; CPython receives the data (any descriptors '
      + 'sent are closed by the kernel, MSG_CTRUNC), or waits, or reports the socket\'s error',
    matches(step, node) {
      return step.op === 'recvFds' && step.maxfds === 0 && isError(node) && node.code === 'ERR_OUT_OF_RANGE';
    },
  },
  {
    id: 'sendfile-nothing-to-send',
    defect: 'new',
    what: 'sendfile() with nothing to send (an empty file, or an offset at or past its end): CPython returns 0 (no '
      + 'system call for an empty file; sendfile(2) at the end of the file returns 0 before it looks at the socket); '
      + 'ours reports the socket\'s state (EPIPE, ENOTCONN, BlockingIOError, a timeout)',
    matches(step, node, py) {
      const nothing = step.file?.n === 0 || (step.offset ?? 0) >= (step.file?.n ?? 0);
      return step.op === 'sendfile' && nothing && isError(node) && Array.isArray(py) && py[0] === 0;
    },
  },
];

export function knownDefect(step: Step, node: unknown, py: unknown): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((entry) => entry.matches(step, node, py));
}
