#!/usr/bin/env node
'use strict';
// npm run bench:servers [-- options]: the concurrent-server benchmark (bench/README.md,
// "Concurrent servers"). A C load generator (bench/loadgen.c) holds 100 connections, each doing
// 64-byte request/response, against: our Promise methods (libuv; io_uring readiness; io_uring with the
// ring's operations, BSD_SOCKETS_URING_OPS=1), our TCPServer with a
// StreamRequestHandler, Node's net.Server and a C epoll server (bench/epoll-server.c). Then
// serving on every core: our Promise server with 1 and 2 worker_threads (SO_REUSEPORT listeners
// each), for echo requests and for accepts. Reports requests/s and server CPU per request.
//
// Options:
//   --quick         fewer, shorter rounds
//   --rounds N      interleaved rounds (default 5; quick 3)
//   --warmup MS     warm-up per run (default 500; quick 200)
//   --window MS     measured window per run (default 2000; quick 500)
//   --conns N       connections of the load generator (default 100)
//   --only a,b      parts to run: servers, workers (default both)
//   --no-syscalls   skip counting the server's system calls per request (perf stat on
//                   raw_syscalls:sys_enter during the window; skipped anyway where perf cannot)
const path = require('node:path');
const os = require('node:os');
const { BENCH, OUT, compile, hasTaskset, hasPerfSyscalls, countSyscalls, machine, cpuSeconds, launch, expectLine, stop, median } = require('./bench-proc');

function parseArgs(argv) {
  const o = { quick: argv.includes('--quick'), conns: 100, only: ['servers', 'workers'], syscalls: true };
  for (let i = 0; i < argv.length; i++) {
    const value = () => argv[++i];
    switch (argv[i]) {
      case '--quick': break;
      case '--no-syscalls': o.syscalls = false; break;
      case '--rounds': o.rounds = Number(value()); break;
      case '--warmup': o.warmup = Number(value()); break;
      case '--window': o.window = Number(value()); break;
      case '--conns': o.conns = Number(value()); break;
      case '--only': o.only = value().split(','); break;
      default:
        console.error(`bench-servers: unknown option ${argv[i]}`);
        process.exit(2);
    }
  }
  o.rounds ??= o.quick ? 3 : 5;
  o.warmup ??= o.quick ? 200 : 500;
  o.window ??= o.quick ? 500 : 2000;
  return o;
}

// Each configuration: how to start the server, which load, and which CPUs each process may use.
const SERVERS = [
  { id: 'promise', name: 'ours, Promise methods', load: 'rr', server: ['promise', 'rr', '1'], cores: ['0', '1'] },
  { id: 'uring', name: 'ours, Promise methods, io_uring readiness', load: 'rr', server: ['promise', 'rr', '1'], cores: ['0', '1'], env: { BSD_SOCKETS_BACKEND: 'uring', BSD_SOCKETS_URING_OPS: '0' } },
  { id: 'ringops', name: 'ours, Promise methods, io_uring operations', load: 'rr', server: ['promise', 'rr', '1'], cores: ['0', '1'], env: { BSD_SOCKETS_BACKEND: 'uring', BSD_SOCKETS_URING_OPS: '1' } },
  { id: 'tcpserver', name: 'ours, TCPServer + StreamRequestHandler', load: 'rr', server: ['tcpserver', 'rr', '1'], cores: ['0', '1'] },
  { id: 'net', name: 'Node net.Server', load: 'rr', server: ['net', 'rr', '1'], cores: ['0', '1'] },
  { id: 'c', name: 'C epoll server', load: 'rr', c: true, cores: ['0', '1'] },
];
const WORKERS = [
  { id: 'echo-1w', name: 'echo, 1 worker', load: 'rr', server: ['promise', 'rr', '1'], cores: ['0,1', '0,1'] },
  { id: 'echo-2w', name: 'echo, 2 workers', load: 'rr', server: ['promise', 'rr', '2'], cores: ['0,1', '0,1'] },
  { id: 'accept-1w', name: 'accept, 1 worker', load: 'accept', server: ['promise', 'accept', '1'], cores: ['0,1', '0,1'] },
  { id: 'accept-2w', name: 'accept, 2 workers', load: 'accept', server: ['promise', 'accept', '2'], cores: ['0,1', '0,1'] },
];

function start(cmd, args, cores, pinned, env) {
  return pinned ? launch('taskset', ['-c', cores, cmd, ...args], 0, false, env) : launch(cmd, args, 0, false, env);
}

async function runOnce(cfg, opts, pinned) {
  const limit = String(Math.ceil((opts.warmup + opts.window) / 1000) + 20);
  const [cmd, args] = cfg.c
    ? [path.join(OUT, 'epoll-server'), [limit]]
    : [process.execPath, [path.join(BENCH, 'server.js'), ...cfg.server, limit]];
  let server;
  let gen;
  try {
    server = start(cmd, args, cfg.cores[0], pinned, cfg.env);
    const [, port] = await expectLine(server, /^PORT (\d+)$/, 15000, 'server port');
    gen = start(path.join(OUT, 'loadgen'), [cfg.load, port, String(opts.conns), String(opts.warmup), String(opts.window)], cfg.cores[1], pinned);
    const deadline = opts.warmup + opts.window + 20000;
    await expectLine(gen, /^START$/, deadline, 'START');
    const cpu0 = cpuSeconds(server.pid);
    // the server's system calls over most of the window, divided by the requests of that time
    const countSeconds = (opts.window / 1000) * 0.75;
    const syscalls = opts.syscalls ? countSyscalls(server.pid, countSeconds) : null;
    const [, count, seconds] = await expectLine(gen, /^DONE (\d+) ([\d.]+)$/, deadline, 'DONE');
    const cpu1 = cpuSeconds(server.pid);
    const calls = syscalls ? await syscalls : null;
    const rate = Number(count) / Number(seconds);
    const cpu = cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / Number(seconds);
    const callsPerReq = calls === null || rate === 0 ? null : calls / (rate * countSeconds);
    return { rate, cpu, usPerReq: cpu === null || rate === 0 ? null : (cpu * 1e6) / rate, callsPerReq };
  } finally {
    stop(gen);
    stop(server);
    await Promise.all([gen?.exited, server?.exited]);
  }
}

async function runAll(configs, opts, pinned) {
  const results = Object.fromEntries(configs.map((c) => [c.id, []]));
  for (let r = 0; r < opts.rounds; r++) {
    for (const cfg of configs) {
      try {
        results[cfg.id].push(await runOnce(cfg, opts, pinned));
        process.stdout.write('.');
      } catch (error) {
        process.stdout.write(`\n  ${cfg.id} round ${r + 1} failed: ${error.message}\n`);
      }
    }
  }
  process.stdout.write('\n');
  return results;
}

function summary(results, cfg) {
  const runs = results[cfg.id];
  const pick = (k) => median(runs.map((x) => x[k]).filter((x) => x !== null && x !== undefined));
  return { rate: pick('rate'), cpu: pick('cpu'), us: pick('usPerReq'), calls: pick('callsPerReq'), runs: runs.length };
}

const k = (x) => (x === null || Number.isNaN(x) ? '—' : x >= 1000 ? `${(x / 1000).toFixed(1)}k` : x.toFixed(0));
const f2 = (x) => (x === null || Number.isNaN(x) ? '—' : x.toFixed(2));

function printServers(results, opts) {
  const s = Object.fromEntries(SERVERS.map((c) => [c.id, summary(results, c)]));
  const perCpu = (id) => (s[id].us ? 1e6 / s[id].us : null);
  console.log(`\n| server | requests/s | server CPU (cores) | server µs CPU / request | requests per CPU-second | vs net.Server per CPU | vs C per CPU | system calls / request | runs |`);
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const c of SERVERS) {
    const x = s[c.id];
    console.log(`| ${c.name} | ${k(x.rate)} | ${f2(x.cpu)} | ${f2(x.us)} | ${k(perCpu(c.id))} | ${f2(perCpu(c.id) / perCpu('net'))} | ${f2(perCpu(c.id) / perCpu('c'))} | ${f2(x.calls)} | ${x.runs}/${opts.rounds} |`);
  }
  console.log(`\nTargets: Promise ≥ 1.3× net.Server per CPU (${f2(perCpu('promise') / perCpu('net'))}), ≥ 0.7× C per CPU (${f2(perCpu('promise') / perCpu('c'))}); TCPServer within 20% of Promise (${f2(perCpu('tcpserver') / perCpu('promise'))}); io_uring operations ≥ 2.0× net.Server (${f2(perCpu('ringops') / perCpu('net'))}), ≥ 1.0× C (${f2(perCpu('ringops') / perCpu('c'))}) per CPU, ≤ 0.5 system calls per request (${f2(s.ringops.calls)}).`);
}

function printWorkers(results, opts) {
  const s = Object.fromEntries(WORKERS.map((c) => [c.id, summary(results, c)]));
  console.log(`\n| workload | rate /s | server CPU (cores) | server µs CPU / op | runs |`);
  console.log('|---|---|---|---|---|');
  for (const c of WORKERS) {
    const x = s[c.id];
    console.log(`| ${c.name} | ${k(x.rate)} | ${f2(x.cpu)} | ${f2(x.us)} | ${x.runs}/${opts.rounds} |`);
  }
  console.log(`\n2 workers ÷ 1 worker: echo ${f2(s['echo-2w'].rate / s['echo-1w'].rate)}×, accept ${f2(s['accept-2w'].rate / s['accept-1w'].rate)}× (target ≥ 1.6×; the load generator shares the same 2 CPUs).`);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  compile(['loadgen', 'epoll-server']);
  const pinned = os.platform() === 'linux' && hasTaskset();
  if (opts.syscalls && !hasPerfSyscalls()) {
    console.log('note: perf cannot count system calls here: no system calls / request column');
    opts.syscalls = false;
  }
  const m = machine();
  console.log(`bsd-sockets concurrent servers: ${opts.rounds} rounds × (${opts.warmup} ms + ${opts.window} ms), ${opts.conns} connections of 64-byte request/response`);
  console.log(`machine: nproc ${m.nproc}, ${m.cpu}, ${m.kernel}, node ${m.node}${pinned ? '' : ' (unpinned)'}`);
  if (opts.only.includes('servers')) {
    process.stdout.write('servers (server on CPU 0, load generator on CPU 1) ');
    printServers(await runAll(SERVERS, opts, pinned), opts);
  }
  if (opts.only.includes('workers')) {
    process.stdout.write('\nworkers (server and load generator on CPUs 0-1) ');
    printWorkers(await runAll(WORKERS, opts, pinned), opts);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
