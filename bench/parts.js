'use strict';
// The price of individual pieces of our Sync/Promise paths (see bench/README.md, "Where the time goes").
//   node bench/parts.js      (run it pinned and on a quiet machine: taskset -c 0 node bench/parts.js)
const S = require(require('node:path').join(__dirname, '..'));
const { native } = require(require('node:path').join(__dirname, '..', 'dist', 'lib', 'binding', 'native'));
const E = require(require('node:path').join(__dirname, '..', 'dist', 'lib', 'binding', 'errors'));
const A = require(require('node:path').join(__dirname, '..', 'dist', 'lib', 'input', 'address'));
const M = require(require('node:path').join(__dirname, '..', 'dist', 'lib', 'socket', 'messages'));
const now = () => performance.now();
function t(name, n, fn) { for (let i = 0; i < n / 10; i++) fn(); const t0 = now(); for (let i = 0; i < n; i++) fn(); console.log(name.padEnd(58), (((now() - t0) * 1e6) / n).toFixed(0).padStart(6), 'ns'); }
const u = S.socket(S.AF_INET, S.SOCK_DGRAM); u.bind(['127.0.0.1', 0]);
const addr = ['127.0.0.1', u.getsockname()[1]];
const blob = A.toBlobSync(S.AF_INET, addr);
const fd = u.fileno();
const buf = Buffer.alloc(64);
t('closedError("close") (made by every close())', 200000, () => E.closedError('close'));
t('toBlobSync(AF_INET, [host, port]) (cache hit; every sendto)', 200000, () => A.toBlobSync(S.AF_INET, addr));
t('native.unpack(blob) -> [host, port] (every recvfrom/accept)', 200000, () => native.unpack(blob));
t('native.send on fd, 0 bytes, MSG_DONTWAIT (N-API + syscall)', 200000, () => native.sendto(fd, buf, 0, 0, S.MSG_DONTWAIT, blob));
t('native.getFdFlags(fd) (2 fcntl)', 200000, () => native.getFdFlags(fd));
const info = new Int32Array(3);
t('native.socketInfo(fd) (3 getsockopt)', 200000, () => native.socketInfo(fd, info));
const bufs = Array.from({ length: 64 }, () => Buffer.allocUnsafe(2048));
t('checkBuffers(64 buffers) (template string per element)', 200000, () => M.checkBuffers(bufs));
t('mmsg scratch: allocUnsafe(64*blob) + Int32Array(64)', 200000, () => [Buffer.allocUnsafe(64 * native.addrBlobSize), new Int32Array(64)]);
const blobs = Buffer.alloc(64 * native.addrBlobSize); for (let i = 0; i < 64; i++) blob.copy(blobs, i * native.addrBlobSize);
const size = native.addrBlobSize;
t('mmsg results: 64 x (subarray + unpack)', 20000, () => { const out = new Array(64); for (let i = 0; i < 64; i++) out[i] = [1, native.unpack(blobs.subarray(i * size, (i + 1) * size))]; return out; });
const fr = new FinalizationRegistry(() => {});
t('FinalizationRegistry register+unregister', 200000, () => { const o = {}; fr.register(o, 1, o); fr.unregister(o); });
const l = S.socket(); l.bind(['127.0.0.1', 0]); l.listen();
t('new Socket(AF_INET, SOCK_STREAM, 0, fd) + detach (adopt path)', 100000, () => { const d = native.dup(l.fileno()); const s = new S.Socket(S.AF_INET, S.SOCK_STREAM, 0, d); native.close(s.detach()); });
t('  native.dup + native.close alone', 100000, () => { native.close(native.dup(l.fileno())); });

// Async pieces: Promise forms that settle at once (nothing to wait for), against their Sync twins.
async function ta(name, n, fn) {
  for (let i = 0; i < n / 10; i++) await fn();
  const t0 = now();
  for (let i = 0; i < n; i++) await fn();
  console.log(name.padEnd(58), (((now() - t0) * 1e6) / n).toFixed(0).padStart(6), 'ns');
}
const from = A.newBlob();
const drain = () => { while (native.recvfrom(fd, buf, 0, 64, S.MSG_DONTWAIT, from) >= 0); };  // u's queue, emptied
const sender = S.socket(S.AF_INET, S.SOCK_DGRAM);
/** accept + close from a backlog of `count` connections made first (so no accept waits); median of 7 rounds. */
async function acceptsFromBacklog(name, count, accept) {
  const listener = S.socket(); listener.bind(['127.0.0.1', 0]); listener.listen(4096);
  const to = listener.getsockname();
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const clients = Array.from({ length: count }, () => { const c = S.socket(); c.connectSync(to); return c; });
    const t0 = now();
    for (let i = 0; i < count; i++) (await accept(listener))[0].close();
    rounds.push(((now() - t0) * 1e6) / count);
    for (const c of clients) c.close();
  }
  console.log(name.padEnd(58), rounds.sort((a, b) => a - b)[3].toFixed(0).padStart(6), 'ns');
  listener.close();
}
(async () => {
  await ta('sendtoSync 64 B to a bound UDP socket', 20000, () => { sender.sendtoSync(buf, addr); drain(); });
  await ta('sendto (Promise) 64 B, the same', 20000, async () => { await sender.sendto(buf, addr); drain(); });
  await acceptsFromBacklog('acceptSync + close, 2000 connections waiting', 2000, (ls) => ls.acceptSync());
  await acceptsFromBacklog('accept (Promise) + close, 2000 connections waiting', 2000, (ls) => ls.accept());
  sender.close(); u.close(); l.close();
})();
