// The descriptor functions of Python's socket module: close(fd), dup(fd), and has_ipv6.
import { native } from '../binding/native';
import { check, closedError } from '../binding/errors';
import { closeWatch } from '../engine/readiness';
import { checkInt } from '../input/validate';

/** Whether this build supports IPv6 (AF_INET6), as Python's `socket.has_ipv6`. */
export const has_ipv6: boolean = native.constants.AF_INET6 !== undefined;

/**
 * Closes a socket descriptor, as Python's `socket.close(fd)`: for a descriptor number from
 * `detach()` or elsewhere (a `Socket` has its own `close()`). Never retried; ECONNRESET is ignored,
 * as in Python.
 * @throws SocketError (EBADF …) as close(2) reports it.
 */
export function close(fd: number): void {
  checkInt(fd, 'fd');  // a negative one is the kernel's EBADF, as in Python
  closeWatch(fd, () => closedError('close'));
  const r = native.close(fd);
  if (r < 0 && -r !== native.errnoNames.ECONNRESET) check(r, 'close');
}

/**
 * Duplicates a descriptor, as Python's `socket.dup(fd)`: the copy is non-inheritable
 * (close-on-exec) and the caller's to close.
 * @throws SocketError (EBADF …) as the system reports it.
 */
export function dup(fd: number): number {
  checkInt(fd, 'fd');  // a negative one is the kernel's EBADF, as in Python
  return check(native.dup(fd), 'dup');
}
