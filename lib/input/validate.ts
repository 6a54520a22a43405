// Argument checks with Node's error codes. They run before any system call.
import { inspect } from 'node:util';
import { isUint8Array } from 'node:util/types';
import { hideInternalFrames } from '../binding/errors';

function describe(value: unknown): string {
  if (value === null || value === undefined) return ` Received ${value}`;
  if (typeof value === 'function') return ` Received function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') {
    const ctor = (value as object).constructor;
    return ctor?.name ? ` Received an instance of ${ctor.name}` : ` Received ${inspect(value, { depth: -1 })}`;
  }
  let shown = inspect(value, { colors: false });
  if (shown.length > 28) shown = `${shown.slice(0, 25)}...`;
  return ` Received type ${typeof value} (${shown})`;
}

function withCode<E extends Error>(error: E, code: string, _skip?: Function): E {
  Object.defineProperty(error, 'code', { value: code, enumerable: true, writable: true, configurable: true });
  hideInternalFrames(error);
  return error;
}

export function invalidArgType(name: string, expected: string, actual: unknown): TypeError {
  return withCode(new TypeError(`The "${name}" argument must be ${expected}.${describe(actual)}`), 'ERR_INVALID_ARG_TYPE', invalidArgType);
}

export function invalidArgValue(name: string, value: unknown, reason = 'is invalid'): TypeError {
  return withCode(new TypeError(`The argument '${name}' ${reason}. Received ${inspect(value)}`), 'ERR_INVALID_ARG_VALUE', invalidArgValue);
}

export function outOfRange(name: string, range: string, actual: unknown): RangeError {
  return withCode(new RangeError(`The value of "${name}" is out of range. It must be ${range}. Received ${inspect(actual)}`), 'ERR_OUT_OF_RANGE', outOfRange);
}

export function badPort(name: string, port: unknown): RangeError {
  return withCode(new RangeError(`${name} should be >= 0 and < 65536. Received ${inspect(port)}.`), 'ERR_SOCKET_BAD_PORT', badPort);
}

export function checkInt(value: unknown, name: string, min = -0x80000000, max = 0x7fffffff): number {
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number', value);
  if (!Number.isInteger(value)) throw outOfRange(name, 'an integer', value);
  if (value < min || value > max) throw outOfRange(name, `>= ${min} && <= ${max}`, value);
  return value;
}

export function checkOptionalInt(value: unknown, name: string, fallback: number, min?: number, max?: number): number {
  return value === undefined ? fallback : checkInt(value, name, min, max);
}

/** A Uint8Array (Buffer included), by its internal slot: a Proxy of one is refused, since native code cannot read it. */
export function checkBytes(value: unknown, name: string): Uint8Array {
  if (!isUint8Array(value)) throw invalidArgType(name, 'an instance of Buffer or Uint8Array', value);
  return value;
}

/** A byte count: `nbytes` of a buffer, 0 meaning "all of it" as in Python. */
export function checkSize(value: unknown, name: string, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  checkInt(value, name, 0, 0x7fffffff);
  if ((value as number) > max) throw outOfRange(name, `<= ${max} (the buffer's length)`, value);
  return (value as number) === 0 ? fallback : (value as number);
}

export function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw invalidArgType(name, 'of type boolean', value);
  return value;
}

export function checkFunction(value: unknown, name: string): Function {
  if (typeof value !== 'function') throw invalidArgType(name, 'of type function', value);
  return value;
}

/** Timeouts in seconds: null (wait forever) or a finite number >= 0. */
export function checkTimeout(value: unknown, name = 'timeout'): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') throw invalidArgType(name, 'of type number or null', value);
  if (!Number.isFinite(value) || value < 0) throw outOfRange(name, 'a finite number >= 0 or null', value);
  return value === 0 ? 0 : value;  // -0 reads back as 0, as in Python
}

/**
 * The `options` of a Promise form, read once: undefined or an object whose `signal` is undefined
 * or an AbortSignal (its getter runs once; if it throws, so does this). Returns the signal.
 */
export function readSignal(options: unknown, name = 'options'): AbortSignal | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') throw invalidArgType(name, 'of type object', options);
  const signal: unknown = (options as { signal?: unknown }).signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw invalidArgType(`${name}.signal`, 'an instance of AbortSignal', signal);
  }
  return signal;
}

/** A constant argument: omitted gives `fallback`; passed explicitly as undefined (absent on this platform) is a TypeError. */
export function checkConstant(value: unknown, name: string, fallback: number, passed: boolean): number {
  if (value === undefined && passed) {
    throw invalidArgType(name, 'of type number (a constant this platform lacks is undefined)', value);
  }
  return checkOptionalInt(value, name, fallback);
}

/**
 * A flags argument at index `position` of a call with `given` arguments: omitted is 0; passed
 * explicitly as undefined (a constant this platform lacks) is a TypeError.
 */
export function checkFlags(flags: unknown, given: number, position: number): number {
  return checkConstant(flags, 'flags', 0, given > position);
}
