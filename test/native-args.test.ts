// The raw binding with arguments of the wrong type. The TypeScript layer never passes them, but
// should one get through, every native entry point must throw a JavaScript TypeError (no C++
// exception escapes, nothing aborts) and never read or write outside a typed array of another
// element type. The calls run in a child process, so that a crash is reported, not suffered.
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

interface Report { calls: number; wrong: string[] }

/** Values of every type but number: no descriptor number can reach a system call. */
function wrongTypes(): unknown[] {
  return [undefined, null, true, '127.0.0.1', {}, [], Symbol('s'), 10n, () => 1, new Proxy({}, {}),
    new Proxy(new Uint8Array(8), {}), new Uint16Array(2), new Float64Array(1), new DataView(new ArrayBuffer(4)),
    new ArrayBuffer(8), [new Uint16Array(1)], [[1, 2, new Uint16Array(1)]]];
}

async function sweep(): Promise<Report> {
  const { native } = require('../lib/binding/native') as { native: Record<string, unknown> };
  const report: Report = { calls: 0, wrong: [] };
  const values = wrongTypes();
  const show = (v: unknown): string => (typeof v === 'symbol' || typeof v === 'bigint' ? String(v) : ArrayBuffer.isView(v) ? v.constructor.name : typeof v === 'object' && v !== null ? (Array.isArray(v) ? 'array' : 'object') : String(v));
  const check = (name: string, args: unknown[], error: unknown): void => {
    if (error === undefined || error instanceof TypeError) return;
    if (report.wrong.length < 30) report.wrong.push(`${name}(${args.map(show).join(', ')}) threw ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`);
  };
  const call = async (name: string, fn: (...a: unknown[]) => unknown, args: unknown[], construct: boolean): Promise<void> => {
    report.calls++;
    try {
      const r = construct ? new (fn as unknown as new (...a: unknown[]) => unknown)(...args) : fn(...args);
      if (r instanceof Promise) await r.then(() => undefined, (e) => check(name, args, e));
    } catch (e) {
      check(name, args, e);
    }
  };
  for (const [name, fn] of Object.entries(native)) {
    if (typeof fn !== 'function') continue;
    const construct = name === 'Watcher';
    for (let arity = 0; arity <= 7; arity++) {
      for (let k = 0; k < values.length; k++) {
        const args = Array.from({ length: arity }, (_, i) => values[(k + i * 5) % values.length]);
        await call(name, fn as (...a: unknown[]) => unknown, args, construct);
      }
    }
  }
  return report;
}

/** Typed arrays of the wrong element type where native code writes or reads int32s or bytes. */
function confusions(): string[] {
  const bs = require('../lib') as typeof import('../lib');
  const { native } = require('../lib/binding/native') as { native: Record<string, (...a: unknown[]) => unknown> };
  const failures: string[] = [];
  const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
  const expectTypeError = (what: string, fn: () => unknown): void => {
    try {
      const r = fn();
      failures.push(`${what} returned ${String(r)} instead of throwing a TypeError`);
    } catch (e) {
      if (!(e instanceof TypeError)) failures.push(`${what} threw ${String(e)}`);
      else if ((e as { code?: string }).code !== 'ERR_INVALID_ARG_TYPE') failures.push(`${what}: a TypeError without code ERR_INVALID_ARG_TYPE: ${e.message}`);
    }
  };
  try {
    // An out-parameter of one byte taken for an int32 would be written 4 bytes into.
    expectTypeError('getsockoptInt(fd, SOL_SOCKET, SO_TYPE, Uint8Array(1))', () => native.getsockoptInt(s.fd, bs.SOL_SOCKET, bs.SO_TYPE, new Uint8Array(1)));
    expectTypeError('socketInfo(fd, Uint8Array(3))', () => native.socketInfo(s.fd, new Uint8Array(3)));
    expectTypeError('socketpair(AF_UNIX, SOCK_DGRAM, 0, false, Uint8Array(2))', () => native.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM, 0, false, new Uint8Array(2)));
    expectTypeError('pollFds(Uint8Array(1) x3, 0)', () => native.pollFds(new Uint8Array(1), new Uint8Array(1), new Uint8Array(1), 0));
    // recvmmsg and sendmmsg are Linux-only (absent in the portable build).
    if (native.recvmmsg) expectTypeError('recvmmsg(fd, [buffer], blobs, Uint8Array(1), 0)', () => native.recvmmsg(s.fd, [Buffer.alloc(10)], Buffer.alloc(native.addrBlobSize as unknown as number), new Uint8Array(1), bs.MSG_DONTWAIT));
    // Not a Uint8Array where bytes are expected.
    expectTypeError('send(fd, "text", 0, 4, 0)', () => native.send(s.fd, 'text', 0, 4, 0));
    expectTypeError('send(fd, Proxy(Buffer), 0, 4, 0)', () => native.send(s.fd, new Proxy(Buffer.alloc(4), {}), 0, 4, 0));
    expectTypeError('recv(fd, DataView, 0, 4, 0)', () => native.recv(s.fd, new DataView(new ArrayBuffer(4)), 0, 4, bs.MSG_DONTWAIT));
    expectTypeError('setsockoptBytes(fd, SOL_SOCKET, SO_LINGER, {})', () => native.setsockoptBytes(s.fd, bs.SOL_SOCKET, bs.SO_LINGER, {}));
    expectTypeError('sendmsg(fd, "x", null, 0, null)', () => native.sendmsg(s.fd, 'x', null, 0, null));
    expectTypeError('sendmsg(fd, [Uint16Array], null, 0, null)', () => native.sendmsg(s.fd, [new Uint16Array(4)], null, 0, null));
    expectTypeError('sendmsg(fd, [], [[1, 2, "data"]], 0, null)', () => native.sendmsg(s.fd, [], [[1, 2, 'data']], 0, null));
    expectTypeError('recvmsg(fd, [Buffer], 0, 0, "blob")', () => native.recvmsg(s.fd, [Buffer.alloc(4)], 0, bs.MSG_DONTWAIT, 'blob'));
    if (native.sendmmsg) expectTypeError('sendmmsg(fd, [Buffer], [{}], 0)', () => native.sendmmsg(s.fd, [Buffer.alloc(1)], [{}], 0));
    expectTypeError('close("3")', () => native.close('3'));
  } finally {
    s.close();
  }
  return failures;
}

if (process.env.BSD_NATIVE_ARGS_CHILD) {
  process.on('warning', () => undefined);
  sweep().then((report) => {
    process.stdout.write(`${JSON.stringify({ ...report, confusions: confusions() })}\n`);
    process.exit(0);
  }, (e) => {
    process.stderr.write(`harness error: ${e?.stack ?? e}\n`);
    process.exit(3);
  });
} else if (typeof describe === 'function') {
  describe('native entry points given arguments of the wrong type', () => {
    let report: Report & { confusions: string[] };

    before(function () {
      this.timeout(60000);
      const r = spawnSync(process.execPath, [__filename], { env: { ...process.env, BSD_NATIVE_ARGS_CHILD: '1' }, encoding: 'utf8', timeout: 55000 });
      assert.equal(r.signal, null, `the child died of ${r.signal}:\n${r.stderr.slice(-3000)}`);
      assert.equal(r.status, 0, `the child exited ${r.status}:\n${r.stderr.slice(-3000)}`);
      report = JSON.parse(r.stdout.trim().split('\n').pop()!);
    });

    it('every function of the binding, with values of every type but number: only TypeErrors, no crash', () => {
      assert.ok(report.calls > 1000, `${report.calls} calls`);
      assert.deepEqual(report.wrong, []);
    });

    it('a typed array of the wrong element type, or no typed array, is a TypeError (ERR_INVALID_ARG_TYPE)', () => {
      assert.deepEqual(report.confusions, []);
    });
  });
}
