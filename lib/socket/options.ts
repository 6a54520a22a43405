// Socket options as setsockopt/getsockopt take them: an int (booleans as 1/0) or raw bytes.
import { native } from '../binding/native';
import { check } from '../binding/errors';
import { checkInt, checkOptionalInt, invalidArgType } from '../input/validate';

const intOut = new Int32Array(1);

/** setsockopt's value as the system call takes it: the bytes of a struct, or an int (unsigned values wrap). */
export function optionValue(value: unknown): number | Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number') return checkInt(value, 'value', -0x80000000, 0xffffffff) | 0;
  throw invalidArgType('value', 'of type number or boolean, or an instance of Buffer or Uint8Array', value);
}

/** Sets an option to a value from optionValue(); throws the typed error. */
export function setOption(fd: number, level: number, name: number, value: number | Uint8Array): void {
  const r = typeof value === 'number'
    ? native.setsockoptInt(fd, level, name, value)
    : native.setsockoptBytes(fd, level, name, value);
  check(r, 'setsockopt');
}

/** An int option, or with `size` (checked by the caller) up to `size` raw bytes of it. */
export function getOption(fd: number, level: number, name: number, size: number | undefined): number | Buffer {
  if (size === undefined) {
    check(native.getsockoptInt(fd, level, name, intOut), 'getsockopt');
    return intOut[0];
  }
  const into = Buffer.alloc(size);
  const n = check(native.getsockoptBytes(fd, level, name, into), 'getsockopt');
  return into.subarray(0, n);
}

const infoOut = new Int32Array(3);

/** `[family, type, proto]` of the socket `fd`: those given, the others read from the descriptor. */
export function socketInfo(fd: number, family?: number, type?: number, proto?: number): [number, number, number] {
  if (family === undefined || type === undefined || proto === undefined) {
    check(native.socketInfo(fd, infoOut), 'getsockopt');
  }
  return [
    checkOptionalInt(family, 'family', infoOut[0]),
    checkOptionalInt(type, 'type', infoOut[1]),
    checkOptionalInt(proto, 'proto', infoOut[2]),
  ];
}
