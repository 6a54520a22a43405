'use strict';
// What the io_uring operations' copy costs (bench/README.md, "Issue 21"): a receive on the ring
// lands in the operation's own memory and is copied into the caller's view at the completion
// (UringOp.copyTo, one native call and a memcpy). Times that copy for 64 B and 64 KiB, beside a
// plain recv(2) of the same size for scale.
//
//   BSD_SOCKETS_BACKEND=uring taskset -c 0 node bench/ring-copy.js
const path = require('node:path');
const lib = require(path.join(__dirname, '..', 'dist', 'lib'));
const { native } = require(path.join(__dirname, '..', 'dist', 'lib', 'binding', 'native'));
const { ringOps } = require(path.join(__dirname, '..', 'dist', 'lib', 'engine', 'readiness'));

const ROUNDS = 200000;

/** A UringOp whose last receive completed with `size` bytes. */
function receivedOp(size) {
  const [a, b] = lib.socketpair();
  b.sendallSync(Buffer.alloc(size, 7));
  return new Promise((resolve, reject) => {
    const op = new native.UringOp(native.handleOf(a.fd), (res) => (res === size ? resolve([op, a, b]) : reject(new Error(`recv gave ${res}`))));
    const r = op.recv(size, 0);
    if (r < 0) reject(new Error(`recv: ${r}`));
  });
}

function nsPer(rounds, body) {
  body();  // warm
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) body();
  return Number(process.hrtime.bigint() - t0) / rounds;
}

async function main() {
  if (!ringOps) {
    console.log('ring-copy: needs BSD_SOCKETS_BACKEND=uring and a kernel with the ring\'s socket operations');
    return;
  }
  for (const size of [64, 65536]) {
    const [op, a, b] = await receivedOp(size);
    const view = new Uint8Array(size);
    const copy = nsPer(size > 1024 ? ROUNDS / 10 : ROUNDS, () => op.copyTo(view, 0, size));
    const [c, d] = lib.socketpair();
    const chunk = Buffer.alloc(size, 1);
    const recv = nsPer(size > 1024 ? ROUNDS / 100 : ROUNDS / 10, () => {
      d.sendSync(chunk);
      c.recvIntoSync(view);
    });
    console.log(`${String(size).padStart(6)} B: copyTo ${(copy / 1000).toFixed(2)} µs; send(2) + recv(2) of the same size ${(recv / 1000).toFixed(2)} µs`);
    for (const s of [a, b, c, d]) s.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
