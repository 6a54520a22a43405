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

/** Whether the step is a call given an address to bind, connect or send to. */
const takesAddress = (step: Step): boolean =>
  step.op === 'bind' || step.op === 'connect' || step.op === 'connectEx' || step.op === 'sendto';

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
      return !!e && takesAddress(step)
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
      + 'Likewise a send that the kernel takes at once although poll() does not report the socket writable, and a '
      + 'sendfile with nothing left to send (offset at or past the end), which returns 0 at once, and a '
      + 'recv with MSG_OOB whose urgent byte is there although poll() reports no POLLIN for it (the Sync form polls '
      + 'first as CPython does; the Promise form tries first).',
    matches(step, node, py, ms) {
      const n = node as ErrorResult;
      if (ms) return ms[0] < ms[1] && !(isError(node) && ['TimeoutError', 'BlockingIOError'].includes(n.err));
      const hang = (py as { hang?: boolean })?.hang === true;
      const pyWaited = hang || (isError(py) && py.err === 'TimeoutError');
      if (step.op === 'sendfile' && Array.isArray(node) && node[0] === 0) return pyWaited;  // nothing left to send: no wait
      if (step.op.startsWith('send') && !isError(node)) return isError(py) && py.err === 'TimeoutError';  // taken at once
      if (step.op.startsWith('recv') && step.form === 'promise' && step.flags?.includes('MSG_OOB') && !isError(node)) {
        return pyWaited;  // the urgent byte, which POLLIN does not announce
      }
      return isError(node) && n.err !== 'TimeoutError' && n.err !== 'BlockingIOError' && typeof n.errno === 'number'
        && pyWaited;
    },
  },
  {
    id: 'bad-argument-is-range-error',
    reason: "API.md: 'a Unix path longer than sun_path throws a RangeError (ERR_OUT_OF_RANGE)', and bad numbers "
      + '(getsockopt buflen <= 0, a negative descriptor for fromfd, a negative sendfile offset) are RangeErrors with '
      + "Node's codes, and so is an interface index past 2^32-1; CPython raises OSError there (without errno for the path "
      + 'and buflen, EBADF from dup(-1) for the descriptor, EINVAL from sendfile(2) or lseek for the offset, ENXIO for '
      + 'an index it cut to 32 bits, EBADF for a descriptor past 2^31-1 given to close(fd)/dup(fd), which it cuts to a C int). '
      + 'CPython\'s sendfile never looks at the offset of an empty file (it returns 0), and in timeout mode waits for '
      + 'writability before it looks (TimeoutError on a socket that never becomes writable).',
    matches(step, node, py) {
      if (step.op === 'sendfile' && (step.offset ?? 0) < 0 && isError(node) && node.code === 'ERR_OUT_OF_RANGE'
        && ((Array.isArray(py) && py[0] === 0) || (isError(py) && py.err === 'TimeoutError'))) return true;
      const e = bothErrors(node, py);
      return !!e && e[0].err === 'RangeError' && e[0].code === 'ERR_OUT_OF_RANGE' && e[1].err === 'OSError'
        && (e[1].errno === null || (step.op === 'detachFromfd' && e[1].code === 'EBADF')
          || (step.op === 'sendfile' && e[1].code === 'EINVAL')
          || (step.op === 'fn' && step.name === 'if_indextoname' && e[1].code === 'ENXIO')
          || (step.op === 'fn' && (step.name === 'close' || step.name === 'dup') && e[1].code === 'EBADF'));
    },
  },
  {
    id: 'closed-socket-is-ebadf',
    reason: "API.md: 'An operation on a closed socket throws SocketError with code EBADF'. CPython answers some calls "
      + 'from the object without touching the descriptor: getblocking() on a closed socket, recv(0)/recv_into of an '
      + 'empty buffer (which return at once without a system call); connect_ex() returns EBADF instead of raising it; '
      + 'the driver\'s sendmmsg of no message (a loop of sendto) makes no call.',
    matches(step, node, py) {
      return isError(node) && node.code === 'EBADF' && !isError(py)
        && (step.op === 'getblocking' || (step.op.startsWith('recv') && (step.n === 0 || step.size === 0))
          || (step.op === 'sendmmsg' && step.msgs?.length === 0)
          || (step.op === 'connectEx' && (py as { errno?: number }).errno === node.errno));
    },
  },
  {
    id: 'dontwait-never-waits',
    timing: true,
    reason: "API.md: 'MSG_DONTWAIT in flags makes an operation that would wait fail at once with BlockingIOError, "
      + "whatever the mode'. CPython, given a timeout, polls before the call (TimeoutError after the timeout), and in "
      + 'blocking mode with a descriptor that is not O_NONBLOCK it may block in poll first (never returns). '
      + 'Likewise MSG_ERRQUEUE: the kernel never waits for the error queue (a blocking recvmsg gives EAGAIN at once), '
      + 'so ours does not either, where CPython with a timeout polls for the whole timeout.',
    matches(step, node, py, ms) {
      const hang = (py as { hang?: boolean })?.hang === true;
      const never = step.flags?.includes('MSG_DONTWAIT') || step.flags?.includes('MSG_ERRQUEUE');
      return !!never && isError(node) && node.err === 'BlockingIOError'
        && (!ms || ms[0] < ms[1]) && (hang || (isError(py) && py.err === 'TimeoutError'));
    },
  },
  {
    id: 'unsigned-option-values',
    reason: 'setsockopt takes integers up to 2^32-1: some options are unsigned 32-bit values (SO_MARK, '
      + 'IP_MULTICAST_IF as an address, TCP_NOTSENT_LOWAT), which C passes in an int\'s bits; CPython refuses values '
      + 'past 2^31-1 with TypeError/OverflowError. Ours passes them on; the kernel decides.',
    matches(step, node, py) {
      const v = step.value;
      return step.op === 'setsockopt' && typeof v === 'number' && v >= 2 ** 31 && v <= 2 ** 32 - 1
        && isError(py) && (py.err === 'TypeError' || py.err === 'OverflowError')
        && (!isError(node) || typeof node.errno === 'number');  // the kernel decided
    },
  },
  {
    id: 'getsockopt-buflen',
    reason: "getsockopt's buflen: with a buflen the result is a Buffer (API.md types getsockopt(level, name, buflen): "
      + 'Buffer), so buflen 0 is a RangeError (ERR_OUT_OF_RANGE) rather than Python\'s int form, whose type would '
      + 'depend on the value; and buflen may be up to 1 MiB (options such as TCP_INFO grow, SO_PEERSEC or IP_OPTIONS '
      + 'can pass 1024), where CPython refuses buflen > 1024 (OSError "buflen out of range", errno None).',
    matches(step, node, py) {
      if (step.op !== 'getsockopt' || typeof step.buflen !== 'number') return false;
      if (step.buflen === 0) return isError(node) && node.err === 'RangeError' && node.code === 'ERR_OUT_OF_RANGE';
      return step.buflen > 1024 && step.buflen <= 1 << 20 && isError(py) && py.err === 'OSError' && py.errno === null
        && (!isError(node) || node.err === 'SocketError');
    },
  },
  {
    id: 'end-of-input-not-timeout',
    timing: true,
    reason: 'A Unix datagram socket shut for reading polls readable with nothing to read. With a timeout, CPython '
      + 'polls, gets EAGAIN, and polls again until the timeout (a busy loop, then TimeoutError); bsd-sockets returns '
      + "0 bytes at once, what the kernel's blocking call returns (and what Python returns in blocking mode).",
    matches(step, node, py, ms) {
      return step.op.startsWith('recv') && isError(py) && py.err === 'TimeoutError' && noBytes(node)
        && (!ms || ms[0] < ms[1]);
    },
  },
  {
    id: 'mode-is-the-sockets',
    reason: "API.md: modes are the Socket's (blocking waits as long as it takes), and 'whatever another duplicate of "
      + "the descriptor does to its flags' the call obeys its own socket's mode. CPython calls the system call "
      + 'directly in blocking mode, so a descriptor left O_NONBLOCK by a duplicate (fromfd of a non-blocking socket, '
      + 'setblocking(False) on a dup) fails with EAGAIN although gettimeout() says None; ours waits. The other way '
      + 'round, a socket in non-blocking mode whose descriptor a dup made blocking (Python\'s dup() calls settimeout(None) '
      + 'on the copy) blocks in CPython for ever; ours fails with EAGAIN at once (applied by compareSequence, which '
      + 'knows the modes).',
    matches(step, node, py) {
      return (node as { hang?: boolean })?.hang === true && !step.flags?.includes('MSG_DONTWAIT')
        && isError(py) && py.err === 'BlockingIOError' && py.code === 'EAGAIN';
    },
  },
  {
    id: 'msg-trunc-no-garbage',
    reason: 'MSG_TRUNC makes the kernel return the real length of a datagram (or discard stream bytes) without '
      + "copying them: CPython then returns a bytes object of that length, past the end of what was received "
      + '(uninitialised memory). bsd-sockets returns only the bytes actually written (API.md: recv gives a Buffer '
      + 'of the bytes received).',
    matches(step, node, py) {
      return step.op.startsWith('recv') && !!step.flags?.includes('MSG_TRUNC') && !isError(node) && !isError(py)
        && JSON.stringify(withoutBytes(node)) === JSON.stringify(withoutBytes(py));  // counts, addresses, flags agree
    },
  },
  {
    id: 'msg-more-held',
    reason: 'Bytes sent with MSG_MORE on TCP are held by the kernel until more come or its cork timer (200 ms) '
      + 'fires. CPython reaches a later receive only after waiting out timeouts that ours reports at once '
      + '(python-polls-first), so it finds the bytes released where ours times out: a difference of pace, not '
      + 'of behaviour. So does an accept in timeout mode on a connected socket, which both poll for POLLIN first: '
      + 'the side that sees the bytes released fails with EINVAL, the other times out. Applied by compareSequence '
      + '(it needs the earlier steps), never by matches().',
    matches: () => false,
  },
  {
    id: 'packet-ifname-lookup',
    reason: 'An AF_PACKET address names its interface; bsd-sockets looks the name up with if_nametoindex() '
      + 'before any use of the socket (an unknown name is ENODEV, closed socket or not), where CPython asks '
      + 'with an ioctl on the socket itself, which on a closed socket fails first with EBADF.',
    matches(step, node, py) {
      const e = bothErrors(node, py);
      return !!e && e[0].code === 'ENODEV' && e[1].code === 'EBADF'
        && takesAddress(step);
    },
  },  {
    id: 'python-sets-timeout-first',
    reason: 'settimeout() on a closed socket fails with EBADF on both sides, but CPython stores the new timeout before '
      + 'the fcntl() that fails, so its gettimeout() then returns it; ours keeps the mode it had. Applied by '
      + 'compareSequence (it needs the earlier steps), never by matches().',
    matches: () => false,
  },
  {
    id: 'invalid-arg-value-is-type-error',
    reason: "Node's convention (API.md: Node's codes): a value of the right type but not acceptable is "
      + 'ERR_INVALID_ARG_VALUE, which Node throws as a TypeError; CPython raises ValueError, or a bare OSError without '
      + 'errno for a malformed address string (inet_aton: "illegal IP address string").',
    matches(_step, node, py) {
      const e = bothErrors(node, py);
      return !!e && e[0].err === 'TypeError' && e[0].code === 'ERR_INVALID_ARG_VALUE'
        && (e[1].err === 'ValueError' || (e[1].err === 'OSError' && e[1].errno === null));
    },
  },
  {
    id: 'sendfile-stream-only',
    reason: "API.md: sendfile is Python's socket.sendfile, which is for SOCK_STREAM sockets; ours refuses any other type "
      + "(ERR_INVALID_ARG_VALUE). CPython's own check is `self.type & SOCK_STREAM`, a bit test that SOCK_RAW (3) and "
      + 'SOCK_SEQPACKET (5) pass, so it goes on to send (or to fail in the system call).',
    matches(step, node) {
      return step.op === 'sendfile' && isError(node) && node.code === 'ERR_INVALID_ARG_VALUE';
    },
  },
  {
    id: 'sendfile-nonblocking',
    reason: "API.md's modes apply to every operation: in non-blocking mode sendfile sends what fits at once or fails "
      + "with BlockingIOError. CPython's socket.sendfile refuses a non-blocking socket outright (ValueError "
      + '"non-blocking sockets are not supported"), before looking at the socket\'s state.',
    matches(step, node, py) {
      return step.op === 'sendfile' && isError(py) && py.err === 'ValueError' && !(isError(node) && node.err === 'RangeError');
    },
  },
  {
    id: 'undefined-optional-is-default',
    reason: "TypeScript's optional parameter: `f(x, undefined)` is `f(x)` for an optional argument that is not a "
      + 'constant (recvInto/recvfromInto nbytes, recvmsg ancbufsize, sendmsg ancdata, getsockopt buflen, '
      + "getservbyname/getservbyport proto). API.md refuses undefined only where a constant is required; CPython's "
      + 'None is a TypeError in these positions.',
    matches(step, node, py) {
      return isError(py) && py.err === 'TypeError' && undefinedAt(step).some((k) => OPTIONAL_POSITIONS[step.name ?? '']?.includes(k))
        && !(isError(node) && node.err === 'TypeError' && node.code === null);
    },
  },
  {
    id: 'python-sendfile-timeout-overflow',
    reason: "CPython's socket.sendfile waits through a selector whose timeout, in milliseconds, must fit a C int: a socket "
      + 'timeout over about 24.8 days (the generator uses 30) raises OverflowError before anything is sent. API.md: a '
      + 'timeout is any number of seconds; ours waits, sends, and reports what the kernel says.',
    matches(step, node, py) {
      return step.op === 'sendfile' && isError(py) && py.err === 'OverflowError'
        && (!isError(node) || typeof node.errno === 'number');
    },
  },
  {
    id: 'python-sendfile-selects-after-the-end',
    reason: "CPython's socket.sendfile in timeout mode waits for writability before EVERY sendfile(2), the one that would "
      + 'find the end of the file too: when the bytes just sent fill the buffer of a peer that does not read, it raises '
      + 'TimeoutError although everything was sent. Ours returns the count, which is the whole rest of the file.',
    matches(step, node, py) {
      const rest = Math.max(0, (step.file?.n ?? 0) - Math.max(0, step.offset ?? 0));
      const want = step.count === undefined ? rest : Math.min(rest, step.count);
      return step.op === 'sendfile' && isError(py) && py.err === 'TimeoutError' && Array.isArray(node) && want > 0 && node[0] === want;
    },
  },
  {
    id: 'undefined-is-not-null',
    reason: "API.md types getaddrinfo's host as `string | null` (Python's None): null is the absent host, and an "
      + 'explicit undefined there is a TypeError (ERR_INVALID_ARG_TYPE), whatever Python then makes of its other arguments.',
    matches(step, node) {
      // Python then resolves, or fails the look-up (gaierror), or refuses another argument (OSError, TypeError)
      return step.op === 'fn' && step.name === 'getaddrinfo' && undefinedAt(step).some((k) => k === 0)
        && isError(node) && node.code === 'ERR_INVALID_ARG_TYPE';
    },
  },
  {
    id: 'undefined-constant-is-type-error',
    reason: "API.md: 'An argument passed explicitly as undefined where a constant is required is a TypeError, never "
      + "silently the default'. CPython's socketpair() takes None as its default family.",
    matches(step, node, py) {
      return step.op === 'fn' && step.name === 'socketpair' && undefinedAt(step).length > 0
        && isError(node) && node.code === 'ERR_INVALID_ARG_TYPE' && !isError(py);
    },
  },
  {
    id: 'bad-port-is-range-error',
    reason: "API.md: 'a port outside 0-65535 throws a RangeError with code ERR_SOCKET_BAD_PORT' (and so does one that is "
      + "not an integer). CPython's getnameinfo keeps the low 16 bits (70000 becomes 4464), getaddrinfo says EAI_SERVICE "
      + "or OSError('Int or String expected'), getservbyport OverflowError or TypeError.",
    matches(step, node) {
      return step.op === 'fn' && isError(node) && node.code === 'ERR_SOCKET_BAD_PORT'
        && (JSON.stringify(step.args).match(/-?[\d.]+/g) ?? []).some((n) => !Number.isInteger(Number(n)) || Number(n) < 0 || Number(n) > 65535);
    },
  },
  {
    id: 'errno-less-oserror',
    reason: "API.md: a SocketError carries a positive errno and its code. CPython raises a bare OSError('protocol not "
      + "found', 'service/proto not found', 'no interface with this name', epoll's 'invalid flags') without one; ours "
      + 'gives the errno the C call set or the nearest (ENOENT, ENODEV, EINVAL).',
    matches(step, node, py) {
      return (step.op === 'fn' || step.op === 'epoll') && isError(node) && typeof node.errno === 'number' && node.errno > 0
        && isError(py) && py.err === 'OSError' && py.errno === null;
    },
  },
  {
    id: 'c-errno-for-family',
    reason: "inet_ntop of an unsupported family: ours says what C's inet_ntop says (SocketError EAFNOSUPPORT), as "
      + "CPython's own inet_pton does; CPython's inet_ntop checks the family itself (ValueError).",
    matches(step, node, py) {
      return step.op === 'fn' && step.name === 'inet_ntop' && isError(node) && node.code === 'EAFNOSUPPORT'
        && isError(py) && py.err === 'ValueError';
    },
  },
  // --- issue 22: epoll and selectors ---------------------------------------------------------------
  {
    id: 'closed-object-is-ebadf',
    reason: "API.md: an operation on a closed socket throws SocketError EBADF, and so does a closed socket given to "
      + 'select/poll; ours does the same for a closed epoll object or selector and for a closed Socket given to one. '
      + "CPython raises ValueError ('I/O operation on closed epoll object', 'file descriptor cannot be a negative "
      + "integer (-1)', selectors' 'Invalid file descriptor: -1') or RuntimeError ('Selector is closed').",
    matches(step, node, py) {
      return ['ep', 'epFromfd', 'sel'].includes(step.op) && isError(node) && node.code === 'EBADF'
        && isError(py) && (py.err === 'ValueError' || py.err === 'RuntimeError');
    },
  },
  {
    id: 'sendfile-closed-socket-empty-file',
    reason: 'API.md: an operation on a closed socket throws SocketError EBADF. CPython\'s socket.sendfile looks at the '
      + 'file first and returns 0 for an empty one without touching the socket (whose fileno() is -1 once closed).',
    matches(step, node, py) {
      return step.op === 'sendfile' && isError(node) && node.code === 'EBADF' && Array.isArray(py) && py[0] === 0;
    },
  },
  {
    id: 'fixed-port-both-sides',
    reason: 'The two sides run each sequence at the same time on one machine: a bind to a fixed port (a raw address '
      + 'such as 127.0.0.1:1) succeeds on the side that comes first, and the other gets EADDRINUSE. Not a difference '
      + 'between the libraries; the comparison stops there.',
    matches(step, node, py) {
      const fixedPort = step.op === 'bind' && !!step.addr && 'raw' in step.addr && Array.isArray(step.addr.raw)
        && typeof step.addr.raw[1] === 'number' && step.addr.raw[1] !== 0;
      const inUse = (r: unknown): boolean => isError(r) && r.code === 'EADDRINUSE';
      return fixedPort && inUse(node) !== inUse(py) && (inUse(node) ? !isError(py) : !isError(node));
    },
  },
  {
    id: 'recvmmsg-end-of-input',
    reason: "API.md: recvmmsg gives 'an empty array at end of input'; a datagram socket shut for reading is at end of "
      + "input (recv gives 0 bytes at once). The driver's stand-in, a loop of recvmsg, cannot tell that from an empty "
      + 'datagram and reports messages of 0 bytes. Applied by compareSequence (it needs the shutdown), never by matches().',
    matches: () => false,
  },
  {
    id: 'python-selector-after-close',
    reason: "After close(), every call on a selector but close() throws EBADF on ours. CPython's PollSelector keeps its "
      + 'poll object, so register() and select() still work after close(), and unregister() says KeyError (the map was '
      + 'cleared): what close() leaves is not a documented state. Applied by compareSequence (it needs the earlier '
      + 'steps), never by matches().',
    matches: () => false,
  },
  {
    id: 'epoll-fromfd-negative',
    reason: "epoll.fromfd(-1): CPython's internal 'no descriptor given' value leaks through and a NEW epoll object is "
      + 'made; ours refuses a negative descriptor (RangeError ERR_OUT_OF_RANGE), as for every descriptor argument.',
    matches(step, node, py) {
      return step.op === 'ep' && step.name === 'fromfd' && isError(node) && node.code === 'ERR_OUT_OF_RANGE'
        && py === 'epoll';
    },
  },
  {
    id: 'epoll-mask-32-bits',
    reason: 'An epoll event mask is an unsigned 32-bit value: ours takes -2^31 … 2^32-1 (a negative int32 is its bits: '
      + "JavaScript's | makes EPOLLIN | EPOLLET negative) and refuses the rest (RangeError ERR_OUT_OF_RANGE); CPython's "
      + "'unsigned int, bitwise' converter keeps the low 32 bits of any int (2^32 is 0).",
    matches(step, node) {
      const mask = step.args?.[1];
      return step.op === 'ep' && (step.name === 'register' || step.name === 'modify') && typeof mask === 'number'
        && (mask < -(2 ** 31) || mask > 2 ** 32 - 1) && isError(node) && node.code === 'ERR_OUT_OF_RANGE';
    },
  },
  {
    id: 'not-a-file-object-is-type-error',
    reason: "Node's convention (API.md: a wrong type is a TypeError ERR_INVALID_ARG_TYPE, and so is undefined where a "
      + "constant is required): a value that is neither a descriptor nor has fileno(), or events that are not a number. "
      + "CPython's selectors raise ValueError ('Invalid file object', 'Invalid events: None').",
    matches(step, node, py) {
      return step.op === 'sel' && isError(node) && node.code === 'ERR_INVALID_ARG_TYPE' && isError(py) && py.err === 'ValueError';
    },
  },
  {
    id: 'selector-modify-checks-events',
    reason: "modify() checks the events as register() does: ours refuses anything but EVENT_READ, EVENT_WRITE or both "
      + "(RangeError ERR_OUT_OF_RANGE). CPython's _PollLikeSelector.modify does not check them: 0, 4 or -1 are stored "
      + 'in the key as given (the kernel is asked for the bits it knows), where its register() refuses them.',
    matches(step, node, py) {
      return step.op === 'sel' && step.name === 'modify' && isError(node) && node.code === 'ERR_OUT_OF_RANGE' && !isError(py);
    },
  },
];

/** Argument positions where `undefined` is an omitted optional argument, not a missing constant. */
export const OPTIONAL_POSITIONS: Record<string, number[]> = {
  recvInto: [1], recvfromInto: [1], recvmsg: [1], sendmsg: [1], getsockopt: [2], getservbyname: [1], getservbyport: [1],
  getfqdn: [0],
  // issue 22: epoll(sizehint, flags), epoll's register(fd, eventmask) and poll(timeout, maxevents)
  epoll: [0, 1], register: [1], poll: [1],
};

/** The argument positions of a fn/method step that hold an explicit undefined ({u}). */
export function undefinedAt(step: Step): number[] {
  return (step.args ?? []).flatMap((a, k) => (a !== null && typeof a === 'object' && 'u' in a ? [k] : []));
}

/** A result with its byte strings ({b} or {len, fnv}) blanked out. */
function withoutBytes(r: unknown): unknown {
  if (Array.isArray(r)) return r.map(withoutBytes);
  return typeof r === 'object' && r !== null && ('b' in r || 'len' in r) ? 'bytes' : r;
}

/** A receive's result that says 0 bytes: b'', 0, or a tuple that starts with one of them. */
function noBytes(r: unknown): boolean {
  const first = Array.isArray(r) ? r[0] : r;
  if (Array.isArray(first)) return first.length === 0;  // recvmmsg: no message
  return first === 0 || (typeof first === 'object' && first !== null && (first as { b?: string }).b === '');
}

/** `ms` ([node, python] durations) is given when only the timing differs. */
export function allowed(step: Step, node: unknown, py: unknown, ms?: [number, number]): Allowed | undefined {
  return ALLOW_LIST.find((entry) => (!ms || entry.timing) && entry.matches(step, node, py, ms));
}
