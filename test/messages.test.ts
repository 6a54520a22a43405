// sendmsg/recvmsg: scatter/gather, ancillary data, CMSG sizes, truncated control data without
// leaks, and descriptor passing (sendFds/recvFds) with Python and node children.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import * as bs from '../lib';
import { Tracker, countOpenFds, runPythonScript, pythonPeer, tempDir, within } from './helpers';

const linux = process.platform === 'linux';

/** Whether descriptor `fd` of this process is close-on-exec (O_CLOEXEC in /proc/self/fdinfo). */
function cloexec(fd: number): boolean {
  const flags = /^flags:\s+([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(flags, `no flags for fd ${fd}`);
  return (parseInt(flags[1], 8) & 0o2000000) !== 0;
}

function rightsOf(anc: bs.Ancillary[]): number[] {
  const fds: number[] = [];
  for (const [level, type, data] of anc) {
    if (level !== bs.SOL_SOCKET || type !== bs.SCM_RIGHTS) continue;
    fds.push(...new Int32Array(Uint8Array.prototype.slice.call(data, 0, data.length & ~3).buffer));
  }
  return fds;
}

function fdsBuffer(fds: number[]): Buffer {
  return Buffer.from(Int32Array.from(fds).buffer);
}

describe('messages: sendmsg / recvmsg / sendFds / recvFds', () => {
  const track = new Tracker().install();
  const dir = tempDir();

  it('sendmsg gathers several buffers into one message; recvmsg returns it whole', async () => {
    const [a, b] = track.add(bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM));
    const parts = [Buffer.from('scatter'), new Uint8Array(0), Buffer.from('/'), new Uint8Array([0x67, 0x61, 0x74, 0x68, 0x65, 0x72])];
    assert.equal(a.sendmsgSync(parts), 14);
    const [data, anc, flags, address] = b.recvmsgSync(100);
    assert.equal(data.toString(), 'scatter/gather');
    assert.deepEqual(anc, []);
    assert.equal(flags, 0);
    assert.ok(address === '' || address === null);
    assert.equal(await a.sendmsg([Buffer.from('a'), Buffer.from('bc')]), 3);
    assert.equal((await b.recvmsg(100))[0].toString(), 'abc');
    // And over UDP with an address.
    const u1 = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    const u2 = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    u2.bind(['127.0.0.1', 0]);
    assert.equal(u1.sendmsgSync([Buffer.from('x'), Buffer.from('yz')], [], 0, u2.getsockname() as bs.InetAddress), 3);
    const [d2, , , from] = u2.recvmsgSync(10);
    assert.equal(d2.toString(), 'xyz');
    assert.equal((from as bs.InetAddress)[0], '127.0.0.1');
  });

  it('CMSG_LEN and CMSG_SPACE equal Python\'s', () => {
    const sizes = [0, 1, 4, 8, 12, 13, 100, 1000];
    const py = JSON.parse(runPythonScript(`import socket, json, sys
n = json.loads(sys.argv[1])
print(json.dumps([[socket.CMSG_LEN(i) for i in n], [socket.CMSG_SPACE(i) for i in n]]))`, [JSON.stringify(sizes)]));
    assert.deepEqual([sizes.map(bs.CMSG_LEN), sizes.map(bs.CMSG_SPACE)], py);
  });

  it('recvmsg returns SCM_RIGHTS as ancillary data; the descriptors are new, close-on-exec and usable', () => {
    const [a, b] = track.add(bs.socketpair());
    const [x, y] = track.add(bs.socketpair());
    assert.equal(a.sendmsgSync([Buffer.from('fd')], [[bs.SOL_SOCKET, bs.SCM_RIGHTS, fdsBuffer([y.fd])]]), 2);
    const [data, anc, flags] = b.recvmsgSync(10, bs.CMSG_SPACE(4));
    assert.equal(data.toString(), 'fd');
    assert.equal(flags & bs.MSG_CTRUNC, 0);
    assert.equal(anc.length, 1);
    assert.equal(anc[0][2].length, 4);
    const [fd] = rightsOf(anc);
    assert.notEqual(fd, y.fd);
    if (linux) assert.equal(cloexec(fd), true);
    const got = bs.fromfd(fd);
    track.add(got);
    fs.closeSync(fd);
    got.sendallSync(Buffer.from('via the passed descriptor'));
    assert.equal(x.recvSync(100).toString(), 'via the passed descriptor');
  });

  it('MSG_CTRUNC when ancbufsize is too small for the descriptors, and nothing leaks', async function () {
    if (!linux) { console.log('      skipped: counts /proc/self/fd'); this.skip(); }
    const [a, b] = track.add(bs.socketpair());
    const extra = [0, 1, 2].map(() => fs.openSync('/dev/null', 'r'));
    try {
      const before = countOpenFds();
      // Room for one descriptor of three (CMSG_LEN, not CMSG_SPACE, which pads to two on LP64):
      // one arrives, the kernel closes the other two.
      a.sendmsgSync([Buffer.from('1')], [[bs.SOL_SOCKET, bs.SCM_RIGHTS, fdsBuffer(extra)]]);
      const [, anc, flags] = b.recvmsgSync(10, bs.CMSG_LEN(4));
      const got = rightsOf(anc);
      const open = countOpenFds();
      got.forEach((fd) => fs.closeSync(fd));
      assert.equal(flags & bs.MSG_CTRUNC, bs.MSG_CTRUNC);
      assert.equal(got.length, 1);
      assert.equal(open, before + 1);
      // No room at all (smaller than a cmsghdr): none arrive. Promise form.
      a.sendmsgSync([Buffer.from('2')], [[bs.SOL_SOCKET, bs.SCM_RIGHTS, fdsBuffer(extra)]]);
      const [data2, anc2, flags2] = await b.recvmsg(10, 4);
      assert.equal(data2.toString(), '2');
      assert.equal(flags2 & bs.MSG_CTRUNC, bs.MSG_CTRUNC);
      assert.deepEqual(rightsOf(anc2), []);
      // No control buffer at all.
      a.sendmsgSync([Buffer.from('3')], [[bs.SOL_SOCKET, bs.SCM_RIGHTS, fdsBuffer(extra)]]);
      const [, anc3, flags3] = b.recvmsgSync(10);
      assert.equal(flags3 & bs.MSG_CTRUNC, bs.MSG_CTRUNC);
      assert.deepEqual(anc3, []);
      assert.equal(countOpenFds(), before);
    } finally {
      extra.forEach((fd) => fs.closeSync(fd));
    }
  });

  it('recvFds with more descriptors than maxfds: MSG_CTRUNC, the extra ones closed (both forms)', async function () {
    if (!linux) { console.log('      skipped: counts /proc/self/fd'); this.skip(); }
    const [a, b] = track.add(bs.socketpair());
    const extra = [0, 1, 2, 3].map(() => fs.openSync('/dev/null', 'r'));
    try {
      const before = countOpenFds();
      bs.sendFdsSync(a, [Buffer.from('four')], extra);
      const [data, fds, flags] = bs.recvFdsSync(b, 10, 2);
      const open = countOpenFds();
      const flagsOk = fds.map(cloexec);
      fds.forEach((fd) => fs.closeSync(fd));
      assert.equal(data.toString(), 'four');
      assert.equal(fds.length, 2);
      assert.equal(flags & bs.MSG_CTRUNC, bs.MSG_CTRUNC);
      assert.equal(open, before + 2);
      assert.deepEqual(flagsOk, [true, true]);
      // An odd maxfds: CMSG_SPACE(4) would have room for two on LP64; at most maxfds may arrive.
      await bs.sendFds(a, [Buffer.from('again')], extra);
      const [data2, fds2, flags2] = await bs.recvFds(b, 10, 1);
      fds2.forEach((fd) => fs.closeSync(fd));
      assert.equal(data2.toString(), 'again');
      assert.equal(fds2.length, 1, 'recvFds(maxfds = 1) must give at most one descriptor');
      assert.equal(flags2 & bs.MSG_CTRUNC, bs.MSG_CTRUNC);
      assert.equal(countOpenFds(), before);
      // Exactly maxfds: no truncation.
      bs.sendFdsSync(a, [Buffer.from('2')], extra.slice(0, 2));
      const [, fds3, flags3] = bs.recvFdsSync(b, 10, 2);
      assert.equal(fds3.length, 2);
      assert.equal(flags3 & bs.MSG_CTRUNC, 0);
      fds3.forEach((fd) => fs.closeSync(fd));
    } finally {
      extra.forEach((fd) => fs.closeSync(fd));
    }
  });

  it('recvFds(…, maxfds = 0) gives what Python\'s recv_fds with 0 gives: no descriptor, MSG_CTRUNC, none leaked (both forms)', async function () {
    if (!linux) { console.log('      skipped: counts /proc/self/fd'); this.skip(); }
    const python = JSON.parse(runPythonScript(`
import json, os, socket
a, b = socket.socketpair()
r, w = os.pipe()
socket.send_fds(a, [b'two'], [r, w])
data, fds, flags, address = socket.recv_fds(b, 10, 0)
print(json.dumps([data.decode(), fds, flags & socket.MSG_CTRUNC, address]))
`)) as [string, number[], number, null];
    const [a, b] = track.add(bs.socketpair());
    const extra = [0, 1].map(() => fs.openSync('/dev/null', 'r'));
    try {
      const before = countOpenFds();
      bs.sendFdsSync(a, [Buffer.from('two')], extra);
      const [data, fds, flags] = bs.recvFdsSync(b, 10, 0);
      assert.deepEqual([data.toString(), fds, flags & bs.MSG_CTRUNC], python.slice(0, 3));
      await bs.sendFds(a, [Buffer.from('two')], extra);
      const [data2, fds2, flags2] = await bs.recvFds(b, 10, 0);
      assert.deepEqual([data2.toString(), fds2, flags2 & bs.MSG_CTRUNC], python.slice(0, 3));
      assert.equal(countOpenFds(), before, 'the kernel closed the descriptors that did not fit');
    } finally {
      extra.forEach((fd) => fs.closeSync(fd));
    }
  });

  it('sendFds/recvFds with a Python child using socket.send_fds / recv_fds', async function () {
    this.timeout(15000);
    const where = path.join(dir, 'py-fds.sock');
    const file = path.join(dir, 'python-wrote.txt');
    fs.writeFileSync(file, 'a file opened by python');
    const server = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    server.bind(where);
    server.listen(1);
    const peer = await pythonPeer(`
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1]); s.settimeout(10)
print('connected', flush=True)
f = os.open(sys.argv[2], os.O_RDONLY)
socket.send_fds(s, [b'here'], [f])
os.close(f)
msg, fds, flags, addr = socket.recv_fds(s, 100, 2)
os.write(fds[0], b'python wrote ' + msg)
for fd in fds: os.close(fd)
s.close()
`, [where, file]);
    try {
      const [conn] = track.add(await within(server.accept(), 5000, 'accept'));
      const [data, fds, flags] = await within(bs.recvFds(conn, 100, 2), 5000, 'recvFds');
      assert.equal(data.toString(), 'here');
      assert.equal(flags, 0);
      assert.equal(fds.length, 1);
      if (linux) assert.equal(cloexec(fds[0]), true);
      assert.equal(fs.readFileSync(fds[0], 'utf8'), 'a file opened by python');  // reading via the fd
      fs.closeSync(fds[0]);
      const [x, y] = track.add(bs.socketpair());
      assert.equal(await bs.sendFds(conn, [Buffer.from('msg')], [y.fd]), 3);
      y.close();
      x.settimeout(5);
      assert.equal(x.recvSync(100).toString(), 'python wrote msg');
      await within(peer.done, 5000, 'python exit');
    } finally {
      peer.child.kill();
    }
  });

  it('sendFds/recvFds with a node child process', async function () {
    this.timeout(15000);
    const where = path.join(dir, 'node-fds.sock');
    const script = path.join(dir, 'child.js');
    fs.writeFileSync(script, `'use strict';
const fs = require('fs');
const bs = require(${JSON.stringify(path.resolve(__dirname, '../lib'))});
const s = bs.socket(bs.AF_UNIX, bs.SOCK_STREAM);
s.connectSync(process.argv[2]);
const [data, fds, flags] = bs.recvFdsSync(s, 100, 4);
const cloexec = process.platform !== 'linux' ||
  (parseInt(/^flags:\\s+([0-7]+)/m.exec(fs.readFileSync('/proc/self/fdinfo/' + fds[0], 'utf8'))[1], 8) & 0o2000000) !== 0;
const passed = bs.fromfd(fds[0]);
fs.closeSync(fds[0]);
passed.sendallSync(Buffer.from('child got ' + data + ' cloexec=' + cloexec + ' n=' + fds.length + ' flags=' + flags));
passed.close();
s.close();
`);
    const server = track.add(bs.socket(bs.AF_UNIX, bs.SOCK_STREAM));
    server.bind(where);
    server.listen(1);
    const child = spawn(process.execPath, [script, where], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const [conn] = track.add(await within(server.accept(), 5000, 'accept'));
      const [x, y] = track.add(bs.socketpair());
      bs.sendFdsSync(conn, [Buffer.from('a socket')], [y.fd]);
      y.close();
      x.settimeout(5);
      assert.equal((await x.recv(200)).toString(), 'child got a socket cloexec=true n=1 flags=0');
      assert.equal(await within(exited, 5000, 'child exit'), 0);
    } finally {
      child.kill();
    }
  });

  it('bad ancdata shapes and fds throw TypeError ERR_INVALID_ARG_TYPE before any system call', async () => {
    const [a] = track.add(bs.socketpair());
    const bad: unknown[] = ['x', 5, [5], [[1, 2]], [[1, 2, 'str']], [['1', 2, Buffer.alloc(4)]], [[1, null, Buffer.alloc(4)]], [{ 0: 1, 1: 2, 2: Buffer.alloc(1) }]];
    for (const ancdata of bad) {
      assert.throws(() => a.sendmsgSync([Buffer.from('x')], ancdata as bs.Ancillary[]), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }, JSON.stringify(ancdata));
      await assert.rejects(a.sendmsg([Buffer.from('x')], ancdata as bs.Ancillary[]), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    }
    assert.throws(() => a.sendmsgSync('x' as unknown as Buffer[]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => a.sendmsgSync(['x'] as unknown as Buffer[]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => bs.sendFdsSync(a, [Buffer.from('x')], 'x' as unknown as number[]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => bs.sendFdsSync(a, [Buffer.from('x')], ['3'] as unknown as number[]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => a.recvmsgSync(10, -1), { code: 'ERR_OUT_OF_RANGE' });
  });
});
