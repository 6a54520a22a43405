'use strict';
// Where the time goes per call, without a peer and without waiting: each loop below does work that
// the kernel completes at once (data is already queued), on one core, so that the per-call cost of
// each layer shows. bench/micro.c runs the same loops with bare system calls.
//
//   node bench/micro.js [iterations]          (after `npm run bench` has compiled .bench/micro)
//
// Layers, for each case:
//   C        bench/micro.c: the system calls alone
//   native   the addon's functions called directly (dist/lib/binding/native): system call + Node-API
//   Sync     our Sync methods: + argument checks, openFd, address conversion, result arrays
//   Promise  our Promise methods: + async function, io(), promise resolution, microtasks
const path = require('node:path');
const { execFileSync, spawnSync } = require('node:child_process');
const fs = require('node:fs');

const ROOT = path.join(__dirname, '..');
const S = require(ROOT);
const { native } = require(path.join(ROOT, 'dist', 'lib', 'binding', 'native'));

const N = Number(process.argv[2] || 200000);
const now = () => performance.now();

function micro(name) {
  const bin = path.join(ROOT, '.bench', 'micro');
  if (!fs.existsSync(bin) || fs.statSync(bin).mtimeMs < fs.statSync(path.join(__dirname, 'micro.c')).mtimeMs) {
    fs.mkdirSync(path.dirname(bin), { recursive: true });
    const r = spawnSync(process.env.CC || 'cc', ['-O2', '-o', bin, path.join(__dirname, 'micro.c')], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cannot compile bench/micro.c');
  }
  return Number(execFileSync(bin, [name, String(N)]).toString());
}

function timeSync(fn) {
  for (let i = 0; i < N / 10; i++) fn(); // warm-up: let the JIT settle
  const t0 = now();
  for (let i = 0; i < N; i++) fn();
  return ((now() - t0) * 1e6) / N;
}

async function timeAsync(fn) {
  for (let i = 0; i < N / 10; i++) await fn();
  const t0 = now();
  for (let i = 0; i < N; i++) await fn();
  return ((now() - t0) * 1e6) / N;
}

async function udpSelf() {
  const s = S.socket(S.AF_INET, S.SOCK_DGRAM);
  s.bind(['127.0.0.1', 0]);
  const address = s.getsockname();
  const blob = Buffer.alloc(native.addrBlobSize);
  native.packInet('127.0.0.1', address[1], blob);
  const out = Buffer.alloc(native.addrBlobSize);
  const msg = Buffer.alloc(64, 'u');
  const buf = Buffer.allocUnsafe(2048);
  const fd = s.fileno();
  const r = {
    C: micro('udp-self'),
    'native (no unpack)': timeSync(() => { native.sendto(fd, msg, 0, 64, 0, blob); native.recvfrom(fd, buf, 0, 2048, 0, out); }),
    native: timeSync(() => { native.sendto(fd, msg, 0, 64, 0, blob); native.recvfrom(fd, buf, 0, 2048, 0, out); native.unpack(out); }),
    Sync: timeSync(() => { s.sendtoSync(msg, address); s.recvfromIntoSync(buf); }),
    Promise: await timeAsync(async () => { await s.sendto(msg, address); await s.recvfromInto(buf); }),
  };
  s.close();
  return r;
}

async function tcpPair() {
  const l = S.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen();
  const c = S.socket();
  c.connectSync(l.getsockname());
  const [a] = l.acceptSync();
  c.setsockopt(S.IPPROTO_TCP, S.TCP_NODELAY, 1);
  const one = Buffer.from('x');
  const buf = Buffer.allocUnsafe(1);
  const cf = c.fileno();
  const af = a.fileno();
  const r = {
    C: micro('tcp-pair'),
    native: timeSync(() => { native.send(cf, one, 0, 1, 0); native.recv(af, buf, 0, 1, 0); }),
    Sync: timeSync(() => { c.sendSync(one); a.recvIntoSync(buf); }),
    Promise: await timeAsync(async () => { await c.send(one); await a.recvInto(buf); }),
  };
  a.close();
  c.close();
  l.close();
  return r;
}

async function accept() {
  const l = S.socket();
  l.bind(['127.0.0.1', 0]);
  l.listen(1024);
  const port = l.getsockname()[1];
  const blob = Buffer.alloc(native.addrBlobSize);
  native.packInet('127.0.0.1', port, blob);
  const out = Buffer.alloc(native.addrBlobSize);
  const rst = Buffer.alloc(8);
  rst.writeInt32LE(1, 0); // struct linger { l_onoff = 1, l_linger = 0 }: close with RST, no TIME_WAIT
  const lf = l.fileno();
  // The connecting end is the same bare calls in every variant; only the accepting end changes.
  const client = () => {
    const fd = native.socket(S.AF_INET, S.SOCK_STREAM, 0, false);
    native.connect(fd, blob);
    return fd;
  };
  const drop = (fd) => { native.setsockoptBytes(fd, S.SOL_SOCKET, S.SO_LINGER, rst); native.close(fd); };
  const n = Math.min(N, 20000);
  const time = async (fn) => {
    for (let i = 0; i < n / 10; i++) await fn();
    const t0 = now();
    for (let i = 0; i < n; i++) await fn();
    return ((now() - t0) * 1e6) / n;
  };
  const r = {
    C: micro('accept'),
    native: await time(() => { const c = client(); const s = native.accept(lf, out, false); native.unpack(out); native.close(s); drop(c); }),
    Sync: await time(() => { const c = client(); const [s] = l.acceptSync(); s.close(); drop(c); }),
    Promise: await time(async () => { const c = client(); const [s] = await l.accept(); s.close(); drop(c); }),
  };
  l.close();
  return r;
}

(async () => {
  console.log(`ns per iteration (${N} iterations; accept: ${Math.min(N, 20000)}), one process, no waiting:`);
  for (const [name, fn] of [['udp-self: sendto 64 B + recvfromInto', udpSelf], ['tcp-pair: send 1 B + recvInto', tcpPair], ['accept: connect + accept + close', accept]]) {
    const r = await fn();
    const c = r.C;
    console.log(`\n${name}`);
    for (const [layer, ns] of Object.entries(r)) {
      console.log(`  ${layer.padEnd(20)} ${ns.toFixed(0).padStart(7)} ns   ${layer === 'C' ? '' : `+${(ns - c).toFixed(0)} ns over C`}`);
    }
  }
})().catch((e) => { console.error(e); process.exit(1); });
