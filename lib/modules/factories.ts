// The functions that make a Socket besides its constructor: socket(), socketpair() and fromfd(),
// as Python's socket module has them.
import { native } from '../binding/native';
import { check } from '../binding/errors';
import type { AF_INET, AF_UNIX } from '../binding/constants';
import { Socket } from '../socket/socket';
import { checkConstant, checkInt } from '../input/validate';

const C = native.constants;
const TYPE_FLAGS = (C.SOCK_NONBLOCK ?? 0) | (C.SOCK_CLOEXEC ?? 0);

/**
 * Creates a socket: the same as `new Socket(family, type, proto)`; `socket()` is a
 * `Socket<AF_INET>`. A family this platform may lack (`AF_PACKET`, `AF_NETLINK`: typed
 * `… | undefined`) is given checked (`if (AF_PACKET !== undefined)`) or asserted (`AF_PACKET!`);
 * an undefined one is refused with a TypeError.
 */
export function socket(): Socket<AF_INET>;
export function socket<F extends number>(family: F, type?: number, proto?: number): Socket<F>;
export function socket(...args: [family?: number, type?: number, proto?: number]): Socket {
  return new Socket(...(args as [number]));
}

/** A pair of connected sockets (AF_UNIX, SOCK_STREAM by default). */
export function socketpair(): [Socket<AF_UNIX>, Socket<AF_UNIX>];
export function socketpair<F extends number>(family: F, type?: number, proto?: number): [Socket<F>, Socket<F>];
export function socketpair(family?: number, type?: number, proto?: number): [Socket, Socket] {
  const given = arguments.length;
  const f = checkConstant(family, 'family', C.AF_UNIX, given > 0);
  const t = checkConstant(type, 'type', C.SOCK_STREAM, given > 1);
  const p = checkConstant(proto, 'proto', 0, given > 2);
  const fds = new Int32Array(2);
  check(native.socketpair(f, t & ~TYPE_FLAGS, p, false, fds), 'socketpair');
  let a: Socket | undefined;
  try {
    a = new Socket(f, t, p, fds[0]);
    return [a, new Socket(f, t, p, fds[1])];
  } catch (error) {
    if (a) a.close();
    else native.close(fds[0]);
    native.close(fds[1]);
    throw error;
  }
}

/**
 * A Socket on a duplicate of `fd`; family, type and proto that are omitted are read from it (one
 * passed explicitly as undefined is a TypeError).
 */
export function fromfd(fd: number): Socket;
export function fromfd<F extends number>(fd: number, family: F, type?: number, proto?: number): Socket<F>;
export function fromfd(fd: number, family?: number, type?: number, proto?: number): Socket {
  checkInt(fd, 'fd', 0);
  const given = arguments.length;
  for (const [value, name, index] of [[family, 'family', 1], [type, 'type', 2], [proto, 'proto', 3]] as const) {
    if (value === undefined && given > index) checkConstant(value, name, 0, true);
  }
  const copy = check(native.dup(fd), 'dup');
  try {
    return new Socket(family, type, proto, copy);
  } catch (error) {
    native.close(copy);
    throw error;
  }
}
