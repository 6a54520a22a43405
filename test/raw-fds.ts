// Raw descriptors for the tests that drive the binding directly (watcher, select): made with the
// native calls, tracked in `rawFdsOpened`, closed by the test file's afterEach.
import { strict as assert } from 'node:assert';
import { native } from '../lib/binding/native';

const C = native.constants;

/** Descriptors opened by the helpers below and not yet closed. */
export const rawFdsOpened = new Set<number>();

/** A connected AF_UNIX stream pair. */
export function pair(nonblock = true): [number, number] {
  const out = new Int32Array(2);
  assert.equal(native.socketpair(C.AF_UNIX, C.SOCK_STREAM, 0, nonblock, out), 0);
  rawFdsOpened.add(out[0]);
  rawFdsOpened.add(out[1]);
  return [out[0], out[1]];
}

export function closeFd(fd: number): void {
  assert.equal(native.close(fd), 0);
  rawFdsOpened.delete(fd);
}

export function sendByte(fd: number, flags = 0): void {
  assert.equal(native.send(fd, Buffer.from('x'), 0, 1, flags), 1);
}

/** A connected pair of TCP sockets on loopback (TCP has urgent data, i.e. POLLPRI). */
export function tcpPair(): [number, number] {
  const blob = Buffer.alloc(native.addrBlobSize);
  const listener = native.socket(C.AF_INET, C.SOCK_STREAM, 0, false);
  assert.ok(listener >= 0);
  try {
    assert.ok(native.packInet('127.0.0.1', 0, blob) >= 0);
    assert.equal(native.bind(listener, blob), 0);
    assert.equal(native.listen(listener, 1), 0);
    assert.equal(native.getsockname(listener, blob), 0);
    const client = native.socket(C.AF_INET, C.SOCK_STREAM, 0, false);
    assert.ok(client >= 0);
    rawFdsOpened.add(client);
    assert.equal(native.connect(client, blob), 0);
    const server = native.accept(listener, Buffer.alloc(native.addrBlobSize), true);
    assert.ok(server >= 0);
    rawFdsOpened.add(server);
    return [server, client];
  } finally {
    native.close(listener);
  }
}
