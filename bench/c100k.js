'use strict';
// C100K on loopback: many idle connections held by one server process, and the cost of waking up
// for 100 active ones among them. Bounded in count and time; loopback only, clients bind to
// 127.0.x.y sources so that no source runs out of ports.
//
//   node bench/c100k.js [idle counts=0,10000] [seconds per run=3]
//
// For each server kind it forks the server (node --expose-gc), a client process that opens the idle
// connections (several processes when one would pass its descriptor limit), then a client that
// drives 100 connections in request/response for the given time. It prints, per kind and count:
// the server's RSS and heap growth per idle connection (after gc), the time to accept them all,
// requests/s and the server's CPU time per request.
//
// Server kinds: promise (one pending `await sock.recv()` per connection), selector
// (DefaultSelector.selectSync loop), epoll (Epoll.poll Promise loop), poller (Poller.poll Promise
// loop over poll(2)), net (net.Server).
const path = require('node:path');
const net = require('node:net');
const { fork } = require('node:child_process');

const ROOT = path.join(__dirname, '..');
const ACTIVE = 100;
const PER_CLIENT_PROCESS = 9000;  // idle connections per client process, under its descriptor limit

// ---------------------------------------------------------------------------------------------
// The servers (run in a forked child; the parent asks for stats over IPC)

function serve(kind) {
  const S = require(ROOT);
  const stats = { accepted: 0, served: 0 };
  const report = () => {
    if (global.gc) global.gc();
    const m = process.memoryUsage();
    const cpu = process.cpuUsage();
    return { rss: m.rss, heap: m.heapUsed + m.external, heapTotal: m.heapTotal, cpuMs: (cpu.user + cpu.system) / 1000, ...stats };
  };
  if (kind === 'net') {
    const server = net.createServer((c) => {
      stats.accepted++;
      c.on('data', (d) => { stats.served++; c.write(d); });
      c.on('error', () => {});
    });
    server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
    process.on('message', () => process.send(report()));
    return;
  }
  const listener = S.socket(S.AF_INET, S.SOCK_STREAM);
  listener.setsockopt(S.SOL_SOCKET, S.SO_REUSEADDR, 1);
  listener.bind(['127.0.0.1', 0]);
  listener.listen(4096);
  process.send({ port: listener.getsockname()[1] });
  let wantStats = false;
  process.on('message', () => { wantStats = true; });
  const sendStats = () => { if (wantStats) { wantStats = false; process.send(report()); } };
  setInterval(sendStats, 20).unref();
  const buf = Buffer.alloc(64);
  if (kind === 'promise') return servePromise(S, listener, stats);
  if (kind === 'selector') return serveSelectorSync(S, listener, stats, buf, sendStats);
  return serveReadyLoop(S, kind, listener, stats, buf);
}

async function servePromise(S, listener, stats) {
  const handle = async (conn) => {
    for (;;) {
      const data = await conn.recv(64).catch(() => Buffer.alloc(0));
      if (data.length === 0) break;
      stats.served++;
      await conn.sendall(data);
    }
    conn.close();
  };
  for (;;) {
    const [conn] = await listener.accept();
    stats.accepted++;
    handle(conn);
  }
}

/** Accepts or echoes once for a ready descriptor; returns a socket to unregister when closed. */
function onReady(S, listener, conns, stats, buf, fd, add) {
  if (fd === listener.fileno()) {
    for (;;) {
      let conn;
      try { [conn] = listener.acceptSync(); } catch { return; }
      conn.setblocking(false);
      conns.set(conn.fileno(), conn);
      add(conn);
      stats.accepted++;
    }
  }
  const conn = conns.get(fd);
  let n = 0;
  try { n = conn.recvIntoSync(buf); } catch { return; }
  if (n === 0) {
    conns.delete(fd);
    return conn;
  }
  stats.served++;
  conn.sendSync(buf.subarray(0, n));
  return undefined;
}

async function serveSelectorSync(S, listener, stats, buf, sendStats) {
  listener.setblocking(false);
  const selector = new S.DefaultSelector();
  const conns = new Map();
  selector.register(listener, S.EVENT_READ);
  let lastYield = performance.now();
  for (;;) {
    for (const [key] of selector.selectSync(0.02)) {
      const gone = onReady(S, listener, conns, stats, buf, key.fd, (c) => selector.register(c, S.EVENT_READ));
      if (gone) { selector.unregister(gone); gone.close(); }
    }
    if (performance.now() - lastYield > 50) {  // let the stats request in
      await new Promise(setImmediate);
      sendStats();
      lastYield = performance.now();
    }
  }
}

async function serveReadyLoop(S, kind, listener, stats, buf) {
  listener.setblocking(false);
  const conns = new Map();
  const set = kind === 'epoll' ? S.epoll() : S.poll();
  const IN = kind === 'epoll' ? S.EPOLLIN : S.POLLIN;
  set.register(listener, IN);
  let lastYield = performance.now();
  for (;;) {
    const ready = await set.poll(null);
    for (const [fd] of ready) {
      const gone = onReady(S, listener, conns, stats, buf, fd, (c) => set.register(c, IN));
      if (gone) { set.unregister(gone); gone.close(); }
    }
    // A poll that finds descriptors ready settles in a microtask: a loop that always finds work
    // never lets the stats request in (the driver then read "before" after the run) unless it yields.
    if (performance.now() - lastYield > 50) {
      await new Promise(setImmediate);
      lastYield = performance.now();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The clients (forked children)

/** Opens `count` idle connections from 127.0.x.y sources starting at `first`; reports when all are up. */
function idleClient(port, first, count) {
  const conns = [];
  let open = 0;
  let i = 0;
  const next = () => {
    while (i < count && i - open < 256) {  // at most 256 connecting at once
      const n = first + i++;
      const c = net.connect({ port, host: '127.0.0.1', localAddress: `127.0.${1 + (n >> 8) % 250}.${1 + (n & 255) % 250}` });
      c.on('connect', () => { open++; if (open === count) process.send({ open }); else next(); });
      c.on('error', (e) => { process.send({ error: e.message }); process.exit(1); });
      conns.push(c);
    }
  };
  next();
}

/** ACTIVE connections in request/response (one 32-byte request outstanding each) for `ms`. */
function activeClient(port, ms) {
  let done = 0;
  let stop = false;
  const payload = Buffer.alloc(32, 'x');
  let up = 0;
  const conns = [];
  for (let i = 0; i < ACTIVE; i++) {
    const c = net.connect({ port, host: '127.0.0.1', localAddress: '127.1.0.1' }, () => {
      if (++up === ACTIVE) start();
    });
    c.setNoDelay(true);
    let got = 0;
    c.on('data', (d) => {
      got += d.length;
      while (got >= payload.length) {
        got -= payload.length;
        done++;
        if (!stop) c.write(payload);
      }
    });
    conns.push(c);
  }
  function start() {
    process.send({ started: true });
    const t0 = performance.now();
    for (const c of conns) c.write(payload);
    setTimeout(() => {
      stop = true;
      process.send({ requests: done, ms: performance.now() - t0 });
      for (const c of conns) c.destroy();
    }, ms);
  }
}

// ---------------------------------------------------------------------------------------------
// The driver

/**
 * Forks a part of the bench. Its messages queue up until `next()` takes them: a message that comes
 * while the driver awaits something else (the active client's result while the server, busy, is
 * slow to report) is kept, never dropped (dropping it once stalled the poller run at 19 000).
 */
function child(args, execArgv = []) {
  const c = fork(__filename, args, { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const inbox = [];
  const waiting = [];
  let ended;
  c.on('message', (m) => (waiting.length > 0 ? waiting.shift().resolve(m) : inbox.push(m)));
  const end = (why) => {
    ended ??= new Error(`${args[0]} ${args[1] ?? ''} ${why}`);
    for (const w of waiting.splice(0)) w.reject(ended);
  };
  c.on('exit', (code) => end(`exited (${code})`));
  c.on('error', (e) => end(`failed: ${e.message}`));
  c.next = () => {
    if (inbox.length > 0) return Promise.resolve(inbox.shift());
    if (ended) return Promise.reject(ended);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  return c;
}

async function ask(server) {
  const reply = server.next();
  server.send('stats');
  return reply;
}

async function measure(kind, idle, seconds) {
  const server = child(['server', kind], ['--expose-gc']);
  const { port } = await server.next();
  const base = await ask(server);
  const clients = [];
  const t0 = performance.now();
  for (let first = 0; first < idle; first += PER_CLIENT_PROCESS) {
    const c = child(['idle', String(port), String(first), String(Math.min(PER_CLIENT_PROCESS, idle - first))]);
    clients.push(c);
  }
  const opened = await Promise.all(clients.map((c) => c.next()));
  if (opened.some((m) => m.error)) throw new Error(opened.find((m) => m.error).error);
  let held = await ask(server);
  while (held.accepted < idle) held = await ask(server);
  const acceptMs = performance.now() - t0;
  const active = child(['active', String(port), String(seconds * 1000)]);
  await active.next();
  const before = await ask(server);
  const { requests, ms } = await active.next();
  const after = await ask(server);
  for (const c of [active, ...clients, server]) c.kill();
  const per = (a, b) => (idle > 0 ? (a - b) / idle : 0);
  return {
    kind, idle,
    rssPerConn: per(held.rss, base.rss), heapPerConn: per(held.heap, base.heap),
    heapTotalPerConn: per(held.heapTotal, base.heapTotal), acceptMs,
    reqPerS: requests / (ms / 1000), cpuUsPerReq: ((after.cpuMs - before.cpuMs) * 1000) / (after.served - before.served),
  };
}

async function main() {
  const counts = (process.argv[2] || '0,10000').split(',').map(Number);
  const seconds = Number(process.argv[3] || 3);
  const kinds = (process.env.KINDS || 'promise,selector,epoll,poller,net').split(',');
  const cpu = require('node:os').cpus()[0].model;
  console.log(`c100k: ${cpu}, ${require('node:os').cpus().length} CPUs, node ${process.version}, ${seconds} s per run`);
  console.log('kind      idle    RSS/conn  heap/conn  V8 heap/conn  accept all   req/s    server CPU/req');
  for (const idle of counts) {
    for (const kind of kinds) {
      const r = await measure(kind, idle, seconds);
      const kib = (b) => `${(b / 1024).toFixed(2)} KiB`;
      console.log(`${kind.padEnd(9)} ${String(idle).padStart(6)}  ${kib(r.rssPerConn).padStart(10)} ${kib(r.heapPerConn).padStart(10)} ${kib(r.heapTotalPerConn).padStart(13)}`
        + `  ${(r.acceptMs / 1000).toFixed(2).padStart(7)} s  ${Math.round(r.reqPerS).toString().padStart(7)}  ${r.cpuUsPerReq.toFixed(1).padStart(8)} µs`);
    }
  }
}

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'server') serve(a);
else if (mode === 'idle') idleClient(Number(a), Number(b), Number(c));
else if (mode === 'active') activeClient(Number(a), Number(b));
else main().catch((e) => { console.error(e); process.exit(1); });
