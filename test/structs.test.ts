// lib/modules/structs.ts against Python's struct/socket modules, the C headers and the kernel itself.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as bs from '../lib';
import * as st from '../lib/modules/structs';
import { native } from '../lib/binding/native';
import { Tracker, runPythonScript, tempDir } from './helpers';

const linux = process.platform === 'linux';

/** Runs a Python expression that evaluates to bytes and returns them. */
function pyBytes(expr: string): Buffer {
  return Buffer.from(runPythonScript(`import socket, struct, sys\nsys.stdout.write((${expr}).hex())`).trim(), 'hex');
}

describe('structs: pack/unpack helpers', () => {
  const track = new Tracker().install();

  it('packLinger matches Python struct.pack("ii") and reads back through SO_LINGER', () => {
    assert.deepEqual(st.packLinger({ onoff: 1, linger: 7 }), pyBytes("struct.pack('@ii', 1, 7)"));
    assert.deepEqual(st.packLinger({ onoff: true, linger: 0 }), pyBytes("struct.pack('@ii', 1, 0)"));
    assert.deepEqual(st.unpackLinger(pyBytes("struct.pack('@ii', 0, 42)")), { onoff: 0, linger: 42 });
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    s.setsockopt(bs.SOL_SOCKET, bs.SO_LINGER, st.packLinger({ onoff: 1, linger: 5 }));
    const raw = s.getsockopt(bs.SOL_SOCKET, bs.SO_LINGER, st.structSizes.linger);
    assert.equal(raw.length, 8);
    assert.deepEqual(st.unpackLinger(raw), { onoff: 1, linger: 5 });
  });

  it('packTimeval matches Python struct.pack("@ll") and SO_RCVTIMEO reads back', function () {
    if (!linux) { console.log('      (Python "@ll" is struct timeval only on Linux)'); this.skip(); }
    assert.equal(st.structSizes.timeval, Number(runPythonScript("import struct; print(struct.calcsize('@ll'))").trim()));
    assert.deepEqual(st.packTimeval(1.5), pyBytes("struct.pack('@ll', 1, 500000)"));
    assert.deepEqual(st.packTimeval(0.9999999), pyBytes("struct.pack('@ll', 1, 0)"));  // rounding carries
    assert.equal(st.unpackTimeval(pyBytes("struct.pack('@ll', 3, 250000)")), 3.25);
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    // The kernel keeps the timeout in jiffies: read back within one tick (HZ >= 100).
    s.setsockopt(bs.SOL_SOCKET, bs.SO_RCVTIMEO, st.packTimeval(2.25));
    const back = st.unpackTimeval(s.getsockopt(bs.SOL_SOCKET, bs.SO_RCVTIMEO, st.structSizes.timeval));
    assert.ok(Math.abs(back - 2.25) <= 0.01, `read back ${back}`);
    assert.throws(() => st.packTimeval(-1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => st.packTimeval('1' as unknown as number), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('packIpMreq / packIpv6Mreq match Python and the kernel accepts them', function () {
    assert.deepEqual(st.packIpMreq('239.255.1.2', '127.0.0.1'),
      pyBytes("socket.inet_aton('239.255.1.2') + socket.inet_aton('127.0.0.1')"));
    assert.deepEqual(st.packIpMreq('239.255.1.2'), pyBytes("socket.inet_aton('239.255.1.2') + bytes(4)"));
    assert.deepEqual(st.packIpv6Mreq('ff02::1:3', 1),
      pyBytes("socket.inet_pton(socket.AF_INET6, 'ff02::1:3') + struct.pack('@I', 1)"));
    assert.throws(() => st.packIpMreq('nonsense'), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => st.packIpMreq(7 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    const lo = bs.if_nametoindex(linux ? 'lo' : 'lo0');
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    s.setsockopt(bs.IPPROTO_IP, bs.IP_ADD_MEMBERSHIP, st.packIpMreq('239.255.1.2', '127.0.0.1'));
    const s6 = track.add(bs.socket(bs.AF_INET6, bs.SOCK_DGRAM));
    s6.setsockopt(bs.IPPROTO_IPV6, bs.IPV6_JOIN_GROUP, st.packIpv6Mreq('ff02::1:3', lo));
  });

  it('packIpMreqn matches Python and the kernel accepts it (Linux)', function () {
    if (!linux) { console.log('      (struct ip_mreqn is Linux-only)'); this.skip(); }
    const lo = bs.if_nametoindex('lo');
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    assert.deepEqual(st.packIpMreqn('239.255.1.3', '127.0.0.1', lo),
      pyBytes(`socket.inet_aton('239.255.1.3') + socket.inet_aton('127.0.0.1') + struct.pack('@i', ${lo})`));
    s.setsockopt(bs.IPPROTO_IP, bs.IP_ADD_MEMBERSHIP, st.packIpMreqn('239.255.1.3', '0.0.0.0', lo));
    s.setsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_IF, st.packIpMreqn('0.0.0.0', '0.0.0.0', lo));
  });

  it('packUcred / unpackUcred match Python and SO_PEERCRED gives our credentials', function () {
    if (!linux) {
      console.log('      (struct ucred is Linux-only)');
      assert.throws(() => st.unpackUcred(Buffer.alloc(12)), bs.SocketError);
      this.skip();
    }
    const cred = { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() };
    assert.deepEqual(st.packUcred(cred), pyBytes(`struct.pack('@iII', ${cred.pid}, ${cred.uid}, ${cred.gid})`));
    assert.deepEqual(st.unpackUcred(pyBytes("struct.pack('@iII', 12, 34, 56)")), { pid: 12, uid: 34, gid: 56 });
    const [a] = track.add(bs.socketpair());
    assert.deepEqual(st.unpackUcred(a.getsockopt(bs.SOL_SOCKET, bs.SO_PEERCRED!, st.structSizes.ucred!)), cred);
  });

  it('unpackInPktinfo / unpackIn6Pktinfo read what Python packs', () => {
    assert.deepEqual(st.unpackInPktinfo(pyBytes("struct.pack('@i', 5) + socket.inet_aton('10.1.2.3') + socket.inet_aton('239.1.1.1')")),
      { ifindex: 5, specDst: '10.1.2.3', addr: '239.1.1.1' });
    assert.deepEqual(st.unpackIn6Pktinfo(pyBytes("socket.inet_pton(socket.AF_INET6, 'fe80::1') + struct.pack('@I', 9)")),
      { addr: 'fe80::1', ifindex: 9 });
    assert.throws(() => st.unpackInPktinfo(Buffer.alloc(4)), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => st.unpackIn6Pktinfo('x' as unknown as Buffer), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('tcpInfoLayout agrees with offsetof() in <linux/tcp.h> for every field the headers have', function () {
    if (!linux || !fs.existsSync('/usr/include/linux/tcp.h')) {
      console.log('      (needs Linux and /usr/include/linux/tcp.h)');
      this.skip();
    }
    const header = fs.readFileSync('/usr/include/linux/tcp.h', 'utf8');
    const known = st.tcpInfoLayout.filter(([name]) => new RegExp(`\\btcpi_${name}\\b`).test(header));
    assert.ok(known.length >= 30, `only ${known.length} fields in the header`);
    const dir = tempDir();
    const src = path.join(dir, 'tcpinfo.c');
    fs.writeFileSync(src, [
      '#include <stdio.h>', '#include <stddef.h>', '#include <linux/tcp.h>', 'int main(void) {',
      ...known.map(([name]) => `  printf("${name} %zu %zu\\n", offsetof(struct tcp_info, tcpi_${name}), sizeof(((struct tcp_info*)0)->tcpi_${name}));`),
      '  return 0; }', ''].join('\n'));
    try {
      execFileSync('cc', ['-o', path.join(dir, 'tcpinfo'), src], { stdio: 'pipe' });
    } catch (error) {
      console.log(`      (no C compiler: ${(error as Error).message.split('\n')[0]})`);
      this.skip();
    }
    const lines = execFileSync(path.join(dir, 'tcpinfo'), { encoding: 'utf8' }).trim().split('\n');
    const sizes = { u8: 1, u16: 2, u32: 4, u64: 8 };
    assert.deepEqual(lines, known.map(([name, offset, type]) => `${name} ${offset} ${sizes[type]}`));
  });

  it('native.structLayouts agrees with sizeof/offsetof of a C program for every struct of native/names/structs.txt', function () {
    const list = fs.readFileSync(path.join(__dirname, '..', '..', 'native', 'names', 'structs.txt'), 'utf8')
      .split('\n').map((line) => line.replace(/#.*/, '').trim().split(/\s+/)).filter((words) => words[0] !== '');
    const here = list.filter(([, where]) => where === 'all' || (where === 'linux' && linux));
    assert.deepEqual(Object.keys(native.structLayouts).sort(), here.map(([name]) => name).sort());
    const dir = tempDir();
    const src = path.join(dir, 'layouts.c');
    fs.writeFileSync(src, [
      '#define _GNU_SOURCE', '#include <stdio.h>', '#include <stddef.h>', '#include <sys/socket.h>',
      '#include <sys/time.h>', '#include <netinet/in.h>', 'int main(void) {',
      ...here.flatMap(([name, , ...fields]) => [
        `  printf("${name} %zu\\n", sizeof(struct ${name}));`,
        ...fields.map((f) => `  printf("${name}.${f} %zu %zu\\n", offsetof(struct ${name}, ${f}), sizeof(((struct ${name}*)0)->${f}));`),
      ]),
      '  return 0; }', ''].join('\n'));
    try {
      execFileSync('cc', ['-o', path.join(dir, 'layouts'), src], { stdio: 'pipe' });
    } catch (error) {
      console.log(`      (no C compiler: ${(error as Error).message.split('\n')[0]})`);
      this.skip();
    }
    const fromC = execFileSync(path.join(dir, 'layouts'), { encoding: 'utf8' }).trim().split('\n');
    const fromNative = here.flatMap(([name, , ...fields]) => {
      const layout = native.structLayouts[name]!;
      return [`${name} ${layout.size}`, ...fields.map((f) => `${name}.${f} ${layout.fields[f]!.offset} ${layout.fields[f]!.size}`)];
    });
    assert.deepEqual(fromNative, fromC);
  });

  it('unpackTcpInfo reads TCP_INFO of a connected loopback socket as Python does', function () {
    if (!linux) { console.log('      (struct tcp_info is Linux-only)'); this.skip(); }
    const server = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    server.bind(['127.0.0.1', 0]);
    server.listen(1);
    const client = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    client.connectSync(server.getsockname() as bs.InetAddress);
    const [conn] = track.add(server.acceptSync());
    client.sendallSync(Buffer.alloc(1000, 1));
    assert.equal(conn.recvSync(2000).length > 0, true);
    const raw = client.getsockopt(bs.IPPROTO_TCP, bs.TCP_INFO!, 512);
    assert.ok(raw.length >= 104, `kernel returned ${raw.length} bytes`);
    const info = st.unpackTcpInfo(raw);
    assert.equal(info.state, 1);  // TCP_ESTABLISHED
    assert.ok(info.snd_mss > 0, `snd_mss ${info.snd_mss}`);
    assert.ok(info.rtt >= 0);
    assert.ok(info.rto > 0);
    if (raw.length >= 160) assert.ok(info.data_segs_out! >= 1, `data_segs_out ${info.data_segs_out}`);
    // Python reads the first 104 bytes of the same buffer with its own struct module.
    const py = runPythonScript(`import struct, sys
b = bytes.fromhex(sys.argv[1])
f = struct.unpack('@8B24I', b[:104])
print(f[0], f[8], f[9], f[10], f[23], f[24], f[31])`, [raw.toString('hex')]).trim().split(' ').map(Number);
    assert.deepEqual(py, [info.state, info.rto, info.ato, info.snd_mss, info.rtt, info.rttvar, info.total_retrans]);
    if (raw.length >= st.structSizes.tcp_info) assert.equal(typeof info.total_rto_time, 'number');
    assert.throws(() => st.unpackTcpInfo(Buffer.alloc(50)), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('structSizes agree with Python struct.calcsize', function () {
    const sizes = runPythonScript(`import struct
print(struct.calcsize('@ii'), struct.calcsize('@4s4s'), struct.calcsize('@4s4si'), struct.calcsize('@16sI'), struct.calcsize('@iII'), struct.calcsize('@i4s4s'), struct.calcsize('@16sI'))`).trim().split(' ').map(Number);
    const s = st.structSizes;
    assert.deepEqual(sizes, [s.linger, s.ip_mreq, s.ip_mreqn, s.ipv6_mreq, s.ucred, s.in_pktinfo, s.in6_pktinfo]);
  });
});
