// Address text and byte-order conversions, interface names and CMSG sizes, checked against
// Python's socket module as the oracle.
import * as assert from 'node:assert/strict';
import {
  inet_aton, inet_ntoa, inet_pton, inet_ntop, htons, htonl, ntohs, ntohl,
  if_nameindex, if_nametoindex, if_indextoname, CMSG_LEN, CMSG_SPACE,
} from '../lib/modules/convert';
import { SocketError } from '../lib/binding/errors';
import { native } from '../lib/binding/native';
import { evalInPython } from './python-oracle';

const { AF_INET, AF_INET6 } = native.constants;

/** Runs fn and returns its result in Python's shape, or the error it threw. */
function ours(fn: () => unknown): { ok: unknown } | { thrown: unknown } {
  try {
    const value = fn();
    return { ok: Buffer.isBuffer(value) ? { hex: value.toString('hex') } : value };
  } catch (error) {
    return { thrown: error };
  }
}

const py = (s: string) => JSON.stringify(s);

const IPV4_TEXT = ['1.2.3.4', '255.255.255.255', '0.0.0.0', '127.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1',
  '01.2.3.4', '1.2.3.04', '127.1', '0x7f.0.0.1', ' 1.2.3.4', '1.2.3.4 ', '', '::1', 'a.b.c.d', '1..2.3',
  '4294967295', '192.168.0.1/24'];
const IPV6_TEXT = ['::', '::1', '::ffff:1.2.3.4', '1::2::3', 'fe80::1', '2001:db8::8a2e:370:7334',
  '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8:9', 'gggg::', '', '2001:0DB8:0000:0000:0000:0000:0000:0001',
  '::ffff:0:0', '1::', '::1.2.3.4', '1:0:0:0:0:0:0:0', '0:0:0:0:0:0:0:1', '1:2:3:4:5:6:1.2.3.4',
  '12345::', ':1', '1:', '::1%lo', '1.2.3.4', 'fe80:0:0:0:0:0:0:1', '2001:db8:0:0:1:0:0:1'];
const ATON_TEXT = ['1.2.3.4', '127.1', '0x7f.1', '1.2.3.4 abc', '1.2.3.4.5', '256.1.1.1', '', ' 1.2.3.4',
  '01.02.03.010', '4294967295', '4294967296', '1.2.3.4\n', '1.2.3.4x', '0', '0xffffffff', '1.0x10000'];
const PACKED4 = ['01020304', '00000000', 'ffffffff', '7f000001', 'c0a80001'];
const PACKED6 = ['00000000000000000000000000000000', '00000000000000000000000000000001',
  '00000000000000000000ffff01020304', '20010db8000000000000000000000001', 'fe800000000000000000000000000001',
  '00010002000300040005000600070008', '20010db885a3000000008a2e03707334', '00000000000000000000000001020304',
  'ffffffffffffffffffffffffffffffff', '20010db8000000010000000000000001'];
const BAD_LENGTHS = ['', '010203', '0102030405', '000102030405060708090a0b0c0d0e', '000102030405060708090a0b0c0d0e0f10'];

describe('convert: inet_pton / inet_ntop against Python', () => {
  it('inet_pton(AF_INET, …) gives the bytes Python gives, or an error where Python raises', () => {
    const expected = evalInPython(IPV4_TEXT.map((t) => `socket.inet_pton(socket.AF_INET, ${py(t)})`));
    IPV4_TEXT.forEach((text, i) => {
      const got = ours(() => inet_pton(AF_INET, text));
      if ('ok' in expected[i]) {
        assert.deepEqual(got, expected[i], `inet_pton(AF_INET, ${py(text)})`);
      } else {
        assert.ok('thrown' in got, `inet_pton(AF_INET, ${py(text)}) should throw`);
        assert.ok(got.thrown instanceof SocketError);
        assert.equal(got.thrown.code, 'EINVAL');
        assert.equal(got.thrown.message, 'illegal IP address string passed to inet_pton');
      }
    });
    assert.ok(expected.some((e) => 'ok' in e) && expected.some((e) => 'error' in e));
  });

  it('inet_pton(AF_INET6, …) gives the bytes Python gives, or an error where Python raises', () => {
    const expected = evalInPython(IPV6_TEXT.map((t) => `socket.inet_pton(socket.AF_INET6, ${py(t)})`));
    IPV6_TEXT.forEach((text, i) => {
      const got = ours(() => inet_pton(AF_INET6, text));
      if ('ok' in expected[i]) {
        assert.deepEqual(got, expected[i], `inet_pton(AF_INET6, ${py(text)})`);
      } else {
        assert.ok('thrown' in got, `inet_pton(AF_INET6, ${py(text)}) should throw`);
        assert.ok(got.thrown instanceof SocketError);
        assert.equal(got.thrown.code, 'EINVAL');
      }
    });
    assert.ok(expected.some((e) => 'ok' in e) && expected.some((e) => 'error' in e));
  });

  it('inet_ntop gives Python\'s canonical text for each family', () => {
    const cases: Array<[number, string, string]> = [
      ...PACKED4.map((hex): [number, string, string] => [AF_INET, 'AF_INET', hex]),
      ...PACKED6.map((hex): [number, string, string] => [AF_INET6, 'AF_INET6', hex]),
    ];
    const expected = evalInPython(cases.map(([, name, hex]) => `socket.inet_ntop(socket.${name}, bytes.fromhex(${py(hex)}))`));
    cases.forEach(([family, name, hex], i) => {
      const packed = Buffer.from(hex, 'hex');
      const got = ours(() => inet_ntop(family, packed));
      if ('ok' in expected[i]) {
        assert.deepEqual(got, expected[i], `inet_ntop(${name}, ${hex})`);
      } else {
        assert.ok('thrown' in got, `inet_ntop(${name}, ${hex}) should throw`);
      }
    });
  });

  it('round-trips text through inet_pton and inet_ntop exactly as Python does', () => {
    const valid6 = IPV6_TEXT.filter((t) => ['::', '::1', '::ffff:1.2.3.4', 'fe80::1', '2001:db8::8a2e:370:7334',
      '1:2:3:4:5:6:7:8', '2001:0DB8:0000:0000:0000:0000:0000:0001', '::1.2.3.4', '1:0:0:0:0:0:0:0',
      'fe80:0:0:0:0:0:0:1', '2001:db8:0:0:1:0:0:1'].includes(t));
    const expected = evalInPython(valid6.map((t) => `socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, ${py(t)}))`));
    valid6.forEach((text, i) => {
      assert.deepEqual({ ok: inet_ntop(AF_INET6, inet_pton(AF_INET6, text)) }, expected[i], text);
    });
    assert.equal(inet_ntop(AF_INET6, inet_pton(AF_INET6, '2001:0DB8:0000:0000:0000:0000:0000:0001')), '2001:db8::1');
  });

  it('inet_ntop refuses a wrong length as Python does, with ERR_INVALID_ARG_VALUE', () => {
    const cases: Array<[number, string, string]> = [
      ...BAD_LENGTHS.map((hex): [number, string, string] => [AF_INET, 'AF_INET', hex]),
      ...BAD_LENGTHS.map((hex): [number, string, string] => [AF_INET6, 'AF_INET6', hex]),
    ];
    const expected = evalInPython(cases.map(([, name, hex]) => `socket.inet_ntop(socket.${name}, bytes.fromhex(${py(hex)}))`));
    cases.forEach(([family, name, hex], i) => {
      assert.equal(Object.hasOwn(expected[i], 'error'), true, `Python accepts ${name} ${hex}?`);
      assert.throws(() => inet_ntop(family, Buffer.from(hex, 'hex')), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' });
    });
  });

  it('an unknown family fails in both directions as Python does', () => {
    const [pton, ntop] = evalInPython(['socket.inet_pton(12345, "1.2.3.4")', 'socket.inet_ntop(12345, b"1234")']);
    assert.ok('error' in pton && 'error' in ntop);
    assert.throws(() => inet_pton(12345, '1.2.3.4'), (e: unknown) =>
      e instanceof SocketError && e.code === 'EAFNOSUPPORT' && e.errno === (pton as { errno: number }).errno);
    assert.throws(() => inet_ntop(12345, Buffer.from('1234')), (e: unknown) =>
      e instanceof SocketError && e.code === 'EAFNOSUPPORT' && e.syscall === 'inet_ntop');
  });

  it('refuses bad argument types with Node\'s codes', () => {
    assert.throws(() => inet_pton('2' as unknown as number, '1.2.3.4'), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => inet_pton(AF_INET, 1234 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => inet_pton(AF_INET, '1.2.3.4\0'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => inet_pton(1.5, '1.2.3.4'), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => inet_ntop(AF_INET, [1, 2, 3, 4] as unknown as Uint8Array), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => inet_ntop(AF_INET, 'abcd' as unknown as Uint8Array), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('accepts any Uint8Array, not only a Buffer', () => {
    assert.equal(inet_ntop(AF_INET, new Uint8Array([10, 0, 0, 1])), '10.0.0.1');
    assert.equal(inet_ntoa(new Uint8Array([192, 168, 1, 254])), '192.168.1.254');
  });
});

describe('convert: inet_aton / inet_ntoa against Python', () => {
  it('inet_aton accepts exactly the forms Python accepts, with the same bytes', () => {
    const expected = evalInPython(ATON_TEXT.map((t) => `socket.inet_aton(${py(t)})`));
    ATON_TEXT.forEach((text, i) => {
      const got = ours(() => inet_aton(text));
      if ('ok' in expected[i]) {
        assert.deepEqual(got, expected[i], `inet_aton(${py(text)})`);
      } else {
        assert.ok('thrown' in got, `inet_aton(${py(text)}) should throw`);
        assert.ok(got.thrown instanceof SocketError);
        assert.equal(got.thrown.message, (expected[i] as { args: string[] }).args[0]);
      }
    });
    assert.deepEqual(inet_aton('127.1'), Buffer.from([127, 0, 0, 1]));
  });

  it('inet_ntoa gives Python\'s text for 4 bytes and refuses other lengths', () => {
    const all = [...PACKED4, ...BAD_LENGTHS];
    const expected = evalInPython(all.map((hex) => `socket.inet_ntoa(bytes.fromhex(${py(hex)}))`));
    all.forEach((hex, i) => {
      const packed = Buffer.from(hex, 'hex');
      if ('ok' in expected[i]) {
        assert.deepEqual({ ok: inet_ntoa(packed) }, expected[i], hex);
      } else {
        assert.throws(() => inet_ntoa(packed), { name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }, hex);
      }
    });
    assert.throws(() => inet_ntoa('1234' as unknown as Uint8Array), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('inet_aton refuses non-strings and embedded NULs', () => {
    assert.throws(() => inet_aton(0x7f000001 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => inet_aton('1.2.3.4\0junk'), { code: 'ERR_INVALID_ARG_VALUE' });
  });
});

describe('convert: byte order against Python', () => {
  const SHORTS = [0, 1, 255, 256, 0x1234, 0x8000, 0xfffe, 65535];
  const LONGS = [0, 1, 255, 0x12345678, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff];

  it('htons / ntohs / htonl / ntohl give Python\'s values', () => {
    const exprs = [
      ...SHORTS.map((x) => `socket.htons(${x})`), ...SHORTS.map((x) => `socket.ntohs(${x})`),
      ...LONGS.map((x) => `socket.htonl(${x})`), ...LONGS.map((x) => `socket.ntohl(${x})`),
    ];
    const expected = evalInPython(exprs);
    const got = [...SHORTS.map(htons), ...SHORTS.map(ntohs), ...LONGS.map(htonl), ...LONGS.map(ntohl)];
    assert.deepEqual(got.map((v) => ({ ok: v })), expected);
    assert.ok(got.every((v) => Number.isInteger(v) && v >= 0));
  });

  it('out-of-range values fail where Python fails, with ERR_OUT_OF_RANGE', () => {
    const cases: Array<[string, (x: number) => number, number]> = [
      ['htons', htons, -1], ['htons', htons, 65536], ['ntohs', ntohs, 70000], ['ntohs', ntohs, -5],
      ['htonl', htonl, -1], ['htonl', htonl, 2 ** 32], ['ntohl', ntohl, 2 ** 40], ['ntohl', ntohl, -(2 ** 31)],
    ];
    const expected = evalInPython(cases.map(([name, , x]) => `socket.${name}(${x})`));
    cases.forEach(([name, fn, x], i) => {
      assert.ok('error' in expected[i], `Python accepts ${name}(${x})?`);
      assert.throws(() => fn(x), { name: 'RangeError', code: 'ERR_OUT_OF_RANGE' }, `${name}(${x})`);
    });
    assert.throws(() => htons(1.5), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => htonl('1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('convert: interfaces against Python', () => {
  it('if_nameindex() lists what Python lists', () => {
    const [expected] = evalInPython(['socket.if_nameindex()']);
    const got = if_nameindex();
    assert.deepEqual({ ok: got }, expected);
    assert.ok(got.some(([, name]) => name === 'lo'));
  });

  it('if_nametoindex and if_indextoname agree with Python and with each other', () => {
    const [index, name] = evalInPython(['socket.if_nametoindex("lo")', 'socket.if_indextoname(socket.if_nametoindex("lo"))']);
    assert.deepEqual({ ok: if_nametoindex('lo') }, index);
    assert.deepEqual({ ok: if_indextoname(if_nametoindex('lo')) }, name);
    for (const [i, n] of if_nameindex()) {
      assert.equal(if_nametoindex(n), i);
      assert.equal(if_indextoname(i), n);
    }
  });

  it('an unknown interface fails where Python fails, with the OS error', () => {
    const [byName, byIndex, zero] = evalInPython(['socket.if_nametoindex("nosuch0")', 'socket.if_indextoname(99999)',
      'socket.if_indextoname(0)']);
    assert.ok('error' in byName);
    assert.throws(() => if_nametoindex('nosuch0'), (e: unknown) =>
      e instanceof SocketError && e.code === 'ENODEV' && e.syscall === 'if_nametoindex');
    assert.throws(() => if_indextoname(99999), (e: unknown) =>
      e instanceof SocketError && e.errno === (byIndex as { errno: number }).errno);
    assert.throws(() => if_indextoname(0), (e: unknown) =>
      e instanceof SocketError && e.errno === (zero as { errno: number }).errno);
  });

  it('refuses bad arguments with Node\'s codes', () => {
    assert.throws(() => if_nametoindex(1 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => if_nametoindex('lo\0'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => if_indextoname(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => if_indextoname(2 ** 32), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => if_indextoname('1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});

describe('convert: CMSG_LEN / CMSG_SPACE against Python', () => {
  const LENGTHS = [0, 1, 4, 7, 8, 12, 16, 17, 100, 4096, 65536, 2 ** 31 - 1 - 24, 2 ** 31 - 1 - 16];
  const BAD = [-1, 2 ** 31, 2 ** 32, 2 ** 31 - 1 - 15];
  const BAD_SPACE = [-1, 2 ** 31, 2 ** 31 - 1 - 23];

  it('gives Python\'s values, and fails where Python fails', () => {
    const exprs = [...LENGTHS, ...BAD].map((x) => `socket.CMSG_LEN(${x})`)
      .concat([...LENGTHS, ...BAD_SPACE].map((x) => `socket.CMSG_SPACE(${x})`));
    const expected = evalInPython(exprs);
    const got = [...LENGTHS, ...BAD].map((x) => ours(() => CMSG_LEN(x)))
      .concat([...LENGTHS, ...BAD_SPACE].map((x) => ours(() => CMSG_SPACE(x))));
    got.forEach((g, i) => {
      if ('ok' in expected[i]) {
        assert.deepEqual(g, expected[i], exprs[i]);
      } else {
        assert.ok('thrown' in g, `${exprs[i]} should throw`);
        assert.equal((g.thrown as { code: string }).code, 'ERR_OUT_OF_RANGE', exprs[i]);
      }
    });
    assert.ok(expected.some((e) => 'error' in e));
    assert.ok(CMSG_SPACE(1) >= CMSG_LEN(1));
  });

  it('refuses non-integers', () => {
    assert.throws(() => CMSG_LEN(1.5), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => CMSG_SPACE('4' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
