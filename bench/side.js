'use strict';
// The Node.js sides of the benchmarks (bench/README.md): our Sync API, our Promise API, and Node's
// own net/dgram, each doing the work that bench/side.c does with bare system calls.
//
//   node bench/side.js <workload> <sync|promise|binding|node> <port> <warmup_ms> <window_ms>
//
// Protocol on stdout, as bench/side.c: "PORT <n>" when this side is the server, "START" when the
// measured window begins (after the warm-up), then "DONE {"count":…,"seconds":…}".
// Lines are written with fs.writeSync so that they go out even while a Sync loop holds the thread.
const fs = require('node:fs');
const path = require('node:path');

const [workload, api, portArg, warmupArg, windowArg] = process.argv.slice(2);
const port = Number(portArg);
const warmup = Number(warmupArg);
const windowMs = Number(windowArg);
const HOST = '127.0.0.1';
const BLOCK = 65536;
const DGRAM = 64;
const DGRAM_BUF = 2048;
const BATCH = 64;

const now = () => performance.now();
const say = (line) => fs.writeSync(1, `${line}\n`);
const done = (count, ms) => {
  say(`DONE ${JSON.stringify({ count, seconds: ms / 1e3 })}`);
};
// Whatever happens, this process ends (the bench script kills it too, later).
setTimeout(() => { process.stderr.write('side: time limit\n'); process.exit(3); }, warmup + windowMs + 20000).unref();

function fail(error) {
  process.stderr.write(`side ${workload}/${api}: ${error && error.stack || error}\n`);
  process.exit(2);
}

// --- our API -----------------------------------------------------------------------------------

function ours() {
  return require(path.join(__dirname, '..'));
}

/** The shared loop of the Sync side: op() returns what it counts, or -1 at end of stream. */
function measureSync(op) {
  let end = now() + warmup;
  while (now() < end) if (op() < 0) throw new Error('end of stream during warm-up');
  say('START');
  const t0 = now();
  end = t0 + windowMs;
  let count = 0;
  let t1;
  while ((t1 = now()) < end) {
    const n = op();
    if (n < 0) break;
    count += n;
  }
  done(count, t1 - t0);
}

/** The same with an async op (our Promise API). */
async function measureAsync(op) {
  let end = now() + warmup;
  while (now() < end) if ((await op()) < 0) throw new Error('end of stream during warm-up');
  say('START');
  const t0 = now();
  end = t0 + windowMs;
  let count = 0;
  let t1;
  while ((t1 = now()) < end) {
    const n = await op();
    if (n < 0) break;
    count += n;
  }
  done(count, t1 - t0);
}

function udpBound(S) {
  const s = S.socket(S.AF_INET, S.SOCK_DGRAM);
  s.setsockopt(S.SOL_SOCKET, S.SO_RCVBUF, 4 << 20);
  s.bind([HOST, 0]);
  say(`PORT ${s.getsockname()[1]}`);
  return s;
}

async function runOurs(sync) {
  const S = ours();
  const measure = sync ? measureSync : measureAsync;
  const block = Buffer.alloc(BLOCK, 'x');
  let s;
  switch (workload) {
    case 'tcp-recv': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      const buf = Buffer.allocUnsafe(BLOCK); // one buffer, reused
      await measure(sync
        ? () => s.recvIntoSync(buf) || -1
        : async () => (await s.recvInto(buf)) || -1);
      break;
    }
    case 'tcp-send': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      await measure(sync
        ? () => { s.sendallSync(block); return BLOCK; }
        : async () => { await s.sendall(block); return BLOCK; });
      break;
    }
    case 'tcp-rr': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      s.setsockopt(S.IPPROTO_TCP, S.TCP_NODELAY, 1);
      const one = Buffer.from('x');
      const buf = Buffer.allocUnsafe(1);
      await measure(sync
        ? () => { s.sendSync(one); return s.recvIntoSync(buf) || -1; }
        : async () => { await s.send(one); return (await s.recvInto(buf)) || -1; });
      break;
    }
    case 'udp-rr': {
      s = S.socket(S.AF_INET, S.SOCK_DGRAM);
      const address = [HOST, port];
      const msg = Buffer.alloc(DGRAM, 'u');
      const buf = Buffer.allocUnsafe(DGRAM_BUF);
      await measure(sync
        ? () => { s.sendtoSync(msg, address); s.recvfromIntoSync(buf); return 1; }
        : async () => { await s.sendto(msg, address); await s.recvfromInto(buf); return 1; });
      break;
    }
    case 'udp-recvfrom': {
      s = udpBound(S);
      const buf = Buffer.allocUnsafe(DGRAM_BUF);
      s.recvfromIntoSync(buf); // the flood has begun
      await measure(sync
        ? () => { s.recvfromIntoSync(buf); return 1; }
        : async () => { await s.recvfromInto(buf); return 1; });
      break;
    }
    case 'udp-recvmmsg': {
      s = udpBound(S);
      const bufs = Array.from({ length: BATCH }, () => Buffer.allocUnsafe(DGRAM_BUF)); // reused
      s.recvfromIntoSync(bufs[0]);
      await measure(sync
        ? () => s.recvmmsgSync(bufs).length
        : async () => (await s.recvmmsg(bufs)).length);
      break;
    }
    case 'accept': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.bind([HOST, 0]);
      s.listen(1024);
      say(`PORT ${s.getsockname()[1]}`);
      await measure(sync
        ? () => { const [c] = s.acceptSync(); c.close(); return 1; }
        : async () => { const [c] = await s.accept(); c.close(); return 1; });
      break;
    }
    case 'stream-recv': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      let bytes = 0;
      const stream = s.toStream();
      stream.on('data', (d) => { bytes += d.length; });
      stream.on('error', fail);
      windowed(() => bytes, () => stream.destroy());
      return;
    }
    case 'sendfile':
    case 'sendall-file': {
      s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      const [fd, data] = benchFile();
      await measure(workload === 'sendfile'
        ? (sync ? () => s.sendfileSync(fd) : () => s.sendfile(fd))
        : (sync ? () => { s.sendallSync(data); return data.length; } : async () => { await s.sendall(data); return data.length; }));
      break;
    }
    default:
      throw new Error(`unknown workload ${workload}`);
  }
  s.close();
  process.exit(0);
}

/** A 16 MiB file for the sendfile rows: its descriptor and (for sendall-file) its bytes in memory. */
function benchFile() {
  const os = require('node:os');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sendfile-'));
  const file = path.join(dir, 'data');
  fs.writeFileSync(file, Buffer.alloc(16 << 20, 'f'));
  const fd = fs.openSync(file, 'r');
  fs.rmSync(dir, { recursive: true });  // the open descriptor keeps the file until exit
  return [fd, workload === 'sendall-file' ? fs.readFileSync(fd) : null];
}

// --- Node's net and dgram ----------------------------------------------------------------------

/**
 * Event-driven sides: the work goes on in callbacks; timers mark the window. count() reads the
 * running total (so that the window's share is end minus start).
 */
function windowed(count, finish) {
  setTimeout(() => {
    say('START');
    const t0 = now();
    const c0 = count();
    setTimeout(() => {
      const t1 = now();
      done(count() - c0, t1 - t0);
      finish();
      process.exit(0);
    }, windowMs);
  }, warmup);
}

function runNode() {
  const net = require('node:net');
  const dgram = require('node:dgram');
  switch (workload) {
    case 'tcp-recv': {
      // onread: one buffer, reused, as our recvInto side does.
      let bytes = 0;
      const sock = net.connect({
        host: HOST, port, onread: { buffer: Buffer.allocUnsafe(BLOCK), callback: (n) => { bytes += n; } },
      });
      sock.on('error', fail);
      sock.once('connect', () => windowed(() => bytes, () => sock.destroy()));
      break;
    }
    case 'tcp-send': {
      const block = Buffer.alloc(BLOCK, 'x');
      let queued = 0;
      const sock = net.connect({ host: HOST, port });
      sock.on('error', fail);
      const pump = () => {
        for (;;) {
          queued += BLOCK;
          if (!sock.write(block)) {
            sock.once('drain', pump);
            return;
          }
        }
      };
      sock.once('connect', () => {
        pump();
        windowed(() => queued - sock.writableLength, () => sock.destroy());
      });
      break;
    }
    case 'tcp-rr': {
      const one = Buffer.from('x');
      let trips = 0;
      const sock = net.connect({ host: HOST, port, noDelay: true });
      sock.setNoDelay(true);
      sock.on('error', fail);
      sock.on('data', (d) => {
        trips += d.length;
        sock.write(one);
      });
      sock.once('connect', () => {
        sock.write(one);
        windowed(() => trips, () => sock.destroy());
      });
      break;
    }
    case 'udp-rr': {
      const msg = Buffer.alloc(DGRAM, 'u');
      let trips = 0;
      const sock = dgram.createSocket('udp4');
      sock.on('error', fail);
      sock.on('message', () => {
        trips++;
        sock.send(msg, port, HOST);
      });
      sock.bind(0, HOST, () => {
        sock.send(msg, port, HOST);
        windowed(() => trips, () => sock.close());
      });
      break;
    }
    case 'udp-recvfrom':
    case 'udp-recvmmsg': {
      // Node has one way to receive datagrams: 'message' events (a recvmsg and a new Buffer each).
      let datagrams = 0;
      let started = false;
      const sock = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
      sock.on('error', fail);
      sock.on('message', () => {
        datagrams++;
        if (!started) {
          started = true;
          windowed(() => datagrams, () => sock.close());
        }
      });
      sock.bind(0, HOST, () => say(`PORT ${sock.address().port}`));
      break;
    }
    case 'stream-recv': {
      // 'data' events, as a stream consumer gets them (the toStream() side's counterpart).
      let bytes = 0;
      const sock = net.connect({ host: HOST, port });
      sock.on('data', (d) => { bytes += d.length; });
      sock.on('error', fail);
      sock.once('connect', () => windowed(() => bytes, () => sock.destroy()));
      break;
    }
    case 'accept': {
      let accepts = 0;
      let started = false;
      const server = net.createServer((c) => {
        c.on('error', () => {});
        c.destroy();
        accepts++;
        if (!started) {
          started = true;
          windowed(() => accepts, () => server.close());
        }
      });
      server.on('error', fail);
      server.listen({ port: 0, host: HOST, backlog: 1024 }, () => say(`PORT ${server.address().port}`));
      break;
    }
    default:
      fail(`unknown workload ${workload}`);
  }
}

// --- the binding alone --------------------------------------------------------------------------

/**
 * The floor under our Sync side: the addon's functions called straight from a JS loop (Node-API
 * and the system call, none of lib/'s checks), on the descriptor of a blocking socket.
 */
function runBinding() {
  const S = ours();
  const { native } = require(path.join(__dirname, '..', 'dist', 'lib', 'binding', 'native'));
  const { toBlobSync, newBlob } = require(path.join(__dirname, '..', 'dist', 'lib', 'input', 'address'));
  switch (workload) {
    case 'tcp-recv': {
      const s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      const fd = s.fileno();
      const buf = Buffer.allocUnsafe(BLOCK);
      return measureSync(() => native.recv(fd, buf, 0, BLOCK, 0) || -1);
    }
    case 'tcp-rr': {
      const s = S.socket(S.AF_INET, S.SOCK_STREAM);
      s.connectSync([HOST, port]);
      s.setsockopt(S.IPPROTO_TCP, S.TCP_NODELAY, 1);
      const fd = s.fileno();
      const one = Buffer.from('x');
      const buf = Buffer.allocUnsafe(1);
      return measureSync(() => { native.send(fd, one, 0, 1, 0); return native.recv(fd, buf, 0, 1, 0) || -1; });
    }
    case 'udp-rr': {
      const s = S.socket(S.AF_INET, S.SOCK_DGRAM);
      const fd = s.fileno();
      const to = toBlobSync(S.AF_INET, [HOST, port]);
      const from = newBlob();
      const msg = Buffer.alloc(DGRAM, 'u');
      const buf = Buffer.allocUnsafe(DGRAM_BUF);
      return measureSync(() => {
        native.sendto(fd, msg, 0, DGRAM, 0, to);
        return native.recvfrom(fd, buf, 0, DGRAM_BUF, 0, from) < 0 ? -1 : 1;
      });
    }
    default:
      return fail(`the binding side has no workload ${workload}`);
  }
}

if (api === 'sync') runOurs(true).catch(fail);
else if (api === 'binding') runBinding();
else if (api === 'promise') runOurs(false).catch(fail);
else if (api === 'node') runNode();
else fail(`unknown side ${api}`);
