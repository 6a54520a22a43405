// The caller's byte views: checked at the call, and checked again at each attempt of a Promise
// call, since user code may detach or shrink a buffer while the call waits.
import { hideInternalFrames } from '../binding/errors';
import { checkBytes, checkInt } from '../input/validate';

/**
 * `view`'s length, refusing a view whose buffer has been detached (TypeError, code
 * ERR_INVALID_STATE): a detached view reads as empty and would otherwise pass for one.
 */
export function checkData(view: unknown, name: string): number {
  const length = checkBytes(view, name).length;
  if (length === 0 && isDetached(view as Uint8Array)) throw invalidState(name);
  return length;
}

function isDetached(view: Uint8Array): boolean {
  const buffer = view.buffer as ArrayBuffer & { detached?: boolean };
  if (buffer.byteLength !== 0) return false;
  if (typeof buffer.detached === 'boolean') return buffer.detached;
  try {
    new Uint8Array(buffer);
    return false;
  } catch {
    return true;
  }
}

// The intrinsic getter: a subclass's own `byteLength` would run user code after the descriptor was taken.
const byteLengthOf = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Uint8Array.prototype), 'byteLength')!.get!;

/** Returns `length` while `view` still has that many bytes; throws ERR_INVALID_STATE once its buffer was detached or shrunk. */
export function attached(view: Uint8Array, length: number, name: string): number {
  if ((byteLengthOf.call(view) as number) < length) throw invalidState(name);
  return length;
}

function invalidState(name: string): TypeError {
  const error = new TypeError(`Invalid state: the buffer of "${name}" was detached or shrunk during the operation`);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_STATE', enumerable: true, writable: true, configurable: true });
  hideInternalFrames(error);
  return error;
}

/** A receive's `bufsize`: a non-negative integer. */
export function checkBufsize(bufsize: unknown): number {
  return checkInt(bufsize, 'bufsize', 0);
}

/** The first `n` bytes of `buffer`, without a copy. */
export function trimmed(buffer: Buffer, n: number): Buffer {
  return n === buffer.length ? buffer : buffer.subarray(0, n);
}

/** trimmed() as an operation's finish: a closure over the buffer alone. */
export function trimmedTo(buffer: Buffer): (n: number) => Buffer {
  return (n) => trimmed(buffer, n);
}
