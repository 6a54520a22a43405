// The timeout new sockets start with (Python's socket.setdefaulttimeout).
import { checkTimeout } from '../input/validate';

let defaultTimeout: number | null = null;

/** The timeout (seconds, or null for blocking) that new sockets start with. */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/** Sets the timeout that new sockets start with: null (blocking), 0 (non-blocking) or seconds. */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout);
}
