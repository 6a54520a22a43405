#!/usr/bin/env node
'use strict';
// npm run bench [-- --quick] [-- options]: our Sync API, our Promise API, Node's net/dgram and a C
// program (the system-call limit), each against the same C peer. See bench/README.md.
//
// Options:
//   --quick               fewer, shorter rounds (the whole run takes well under a minute)
//   --rounds N            interleaved rounds per workload (default 5; quick 3)
//   --warmup MS           warm-up per run, not measured (default 500; quick 100)
//   --window MS           measured window per run (default 2000; quick 250)
//   --only a,b            workloads to run (tcp-recv,tcp-send,tcp-rr,udp-rr,udp-recvfrom,
//                         udp-recvmmsg,accept,stream-recv,sendfile,sendall-file, and servers:
//                         scripts/bench-servers.js)
//   --sides a,b           sides to run (binding,sync,promise,uring,ringops,node,cloop,c); binding runs only
//                         where it has the workload (tcp-recv, tcp-rr, udp-rr); uring is the Promise
//                         side with BSD_SOCKETS_BACKEND=uring and BSD_SOCKETS_URING_OPS=0 (readiness
//                         from io_uring), ringops the same with the ring's operations on
//                         (BSD_SOCKETS_URING_OPS=1: stream recv/send submitted to the ring); cloop
//                         is the C side with SIDE_LOOP=1 (non-blocking, epoll_wait when it would block)
//   --node-arg ARG        passed to the node of the JS sides (repeatable), e.g. --node-arg=--cpu-prof
//   --json FILE           also write every measurement to FILE
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { ROOT, BENCH, OUT, CLK_TCK, compile: compileC, hasTaskset, machine, cpuSeconds, cpuStat, launch, expectLine, stop, median } = require('./bench-proc');


// --- options -----------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = { quick: false, rounds: undefined, warmup: undefined, window: undefined, only: null, sides: null, nodeArgs: [], json: null };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const value = () => (v !== undefined ? v : argv[++i]);
    switch (a) {
      case '--quick': o.quick = true; break;
      case '--rounds': o.rounds = Number(value()); break;
      case '--warmup': o.warmup = Number(value()); break;
      case '--window': o.window = Number(value()); break;
      case '--only': o.only = value().split(','); break;
      case '--sides': o.sides = value().split(','); break;
      case '--node-arg': o.nodeArgs.push(value()); break;
      case '--json': o.json = value(); break;
      case '-h': case '--help':
        console.log(fs.readFileSync(__filename, 'utf8').split('\n').filter((l) => l.startsWith('//')).join('\n'));
        process.exit(0);
        break;
      default:
        console.error(`bench: unknown option ${a}`);
        process.exit(2);
    }
  }
  o.rounds ??= o.quick ? 3 : 5;
  o.warmup ??= o.quick ? 100 : 500;
  o.window ??= o.quick ? 250 : 2000;
  return o;
}

// --- workloads ---------------------------------------------------------------------------------

// server: who listens and prints the port ('peer' or 'side'). cores: [side, peer].
// target: issue 13's ratio targets vs C (sync, promise) or vs Node's rate (promiseVsNode). On the
// one-core rows the ratio is of rates; where side and peer have a core each, of rates per side
// CPU ("per side core"), because the peer's core saturates first there.
// binding: the row has a `binding` side (the addon's functions called straight, no lib/).
const WORKLOADS = [
  { id: 'tcp-recv', title: 'TCP stream receive, 64 KiB recvInto', unit: 'MB/s', scale: 1e-6, peer: 'stream-src', server: 'peer', cores: [0, 1], target: { sync: 0.9, promise: 0.75 }, binding: true },
  { id: 'tcp-send', title: 'TCP stream send, 64 KiB sendall', unit: 'MB/s', scale: 1e-6, peer: 'stream-sink', server: 'peer', cores: [0, 1], target: {} },
  { id: 'tcp-rr', title: 'TCP 1-byte request/response', unit: 'rt/s', scale: 1, peer: 'tcp-echo', server: 'peer', cores: [0, 0], target: { sync: 0.9, promise: 0.85 }, binding: true },
  { id: 'udp-rr', title: 'UDP 64-byte request/response', unit: 'rt/s', scale: 1, peer: 'udp-echo', server: 'peer', cores: [0, 0], target: { sync: 0.9, promise: 0.85 }, binding: true },
  { id: 'udp-recvfrom', title: 'UDP receive 64 B, recvfromInto', unit: 'dgram/s', scale: 1, peer: 'udp-flood', server: 'side', cores: [0, 1], target: { sync: 0.65, promise: 0.6 } },
  { id: 'udp-recvmmsg', title: 'UDP receive 64 B, recvmmsg x64', unit: 'dgram/s', scale: 1, peer: 'udp-flood', server: 'side', cores: [0, 1], target: { sync: 0.8, promiseVsNode: 3 } },
  { id: 'accept', title: 'TCP accept + close', unit: 'accepts/s', scale: 1, peer: 'connector', server: 'side', cores: [0, 1], target: { sync: 0.75, promise: 0.65 } },
  // Streams (issue 15): `sides` limits a workload to the sides that have it; compare "per side core".
  { id: 'stream-recv', title: 'TCP receive as a stream: toStream() vs net.Socket, data events', unit: 'MB/s', scale: 1e-6, peer: 'stream-src', server: 'peer', cores: [0, 1], target: {}, sides: ['promise', 'node'] },
  { id: 'sendfile', title: 'send a 16 MiB file: sendfile / sendfileSync', unit: 'MB/s', scale: 1e-6, peer: 'stream-sink', server: 'peer', cores: [0, 1], target: {}, sides: ['sync', 'promise'] },
  { id: 'sendall-file', title: 'send the same file read into memory: sendall / sendallSync', unit: 'MB/s', scale: 1e-6, peer: 'stream-sink', server: 'peer', cores: [0, 1], target: {}, sides: ['sync', 'promise'] },
];
const SIDES = ['binding', 'sync', 'promise', 'uring', 'ringops', 'node', 'cloop', 'c'];
const SIDE_NAMES = { binding: 'binding', sync: 'Sync', promise: 'Promise', uring: 'Promise io_uring', ringops: 'Promise io_uring ops', node: 'net/dgram', cloop: 'C, event loop', c: 'C' };
/** The environment a side runs with, and the side.js side it runs. */
const SIDE_ENV = {
  uring: { BSD_SOCKETS_BACKEND: 'uring', BSD_SOCKETS_URING_OPS: '0' },
  ringops: { BSD_SOCKETS_BACKEND: 'uring', BSD_SOCKETS_URING_OPS: '1' },
  cloop: { SIDE_LOOP: '1' },
};
const isC = (side) => side === 'c' || side === 'cloop';
const jsSide = (side) => (side === 'uring' || side === 'ringops' ? 'promise' : side);

/** The sides that run workload `w`. */
function sidesOf(w, sides) {
  return sides.filter((s) => (!w.sides || w.sides.includes(jsSide(s))) && (s !== 'binding' || w.binding) && (s !== 'cloop' || w.id !== 'tcp-send'));
}

// --- environment -------------------------------------------------------------------------------

function compile() {
  compileC(['peer', 'side']);
}

function sample(peer, child) {
  return { peer: cpuSeconds(peer.pid), side: cpuSeconds(child.pid), cpus: cpuStat(), t: performance.now() };
}

// --- one run -----------------------------------------------------------------------------------

async function runOnce(w, side, opts, pinned, cores) {
  const peerBin = path.join(OUT, 'peer');
  const limit = Math.ceil((opts.warmup + opts.window) / 1000) + 15; // seconds; the peer's own alarm
  const sideCmd = isC(side)
    ? [path.join(OUT, 'side'), []]
    : [process.execPath, [...opts.nodeArgs, path.join(BENCH, 'side.js')]];
  const sideArgs = (port) => isC(side)
    ? [w.id, String(port), String(opts.warmup), String(opts.window)]
    : [w.id, jsSide(side), String(port), String(opts.warmup), String(opts.window)];
  const deadline = opts.warmup + opts.window + 15000;
  let peer;
  let child;
  try {
    if (w.server === 'peer') {
      peer = launch(peerBin, [w.peer, String(limit)], cores[1], pinned);
      const [, port] = await expectLine(peer, /^PORT (\d+)$/, 5000, 'peer port');
      child = launch(sideCmd[0], [...sideCmd[1], ...sideArgs(port)], cores[0], pinned, SIDE_ENV[side]);
    } else {
      child = launch(sideCmd[0], [...sideCmd[1], ...sideArgs(0)], cores[0], pinned, SIDE_ENV[side]);
      const [, port] = await expectLine(child, /^PORT (\d+)$/, 10000, 'side port');
      peer = launch(peerBin, [w.peer, port, String(limit)], cores[1], pinned);
    }
    const started = expectLine(child, /^START$/, deadline, 'START');
    const finished = expectLine(child, /^DONE (.*)$/, deadline, 'DONE');
    await started;
    const c0 = sample(peer, child);
    const [, json] = await finished;
    const c1 = sample(peer, child);
    const result = JSON.parse(json);
    const wall = (c1.t - c0.t) / 1000;
    const share = (a, b) => (a === null || b === null || wall <= 0 ? null : (b - a) / wall);
    const core = (n) => {
      if (!c0.cpus || !c1.cpus || !c0.cpus[n] || !c1.cpus[n]) return null;
      const total = c1.cpus[n].total - c0.cpus[n].total;
      return total > 0 ? (c1.cpus[n].busy - c0.cpus[n].busy) / total : null;
    };
    // CPU time of every other process (user+nice+system of all CPUs minus side and peer), in cores.
    let foreign = null;
    if (c0.cpus && c1.cpus && c0.peer !== null && c1.peer !== null && c0.side !== null && c1.side !== null && wall > 0) {
      let task = 0;
      for (const n of Object.keys(c1.cpus)) task += c1.cpus[n].task - (c0.cpus[n]?.task ?? c1.cpus[n].task);
      foreign = Math.max(0, task / CLK_TCK - (c1.peer - c0.peer) - (c1.side - c0.side)) / wall;
    }
    await child.exited;
    return {
      value: (result.count / result.seconds) * w.scale,
      peerCpu: share(c0.peer, c1.peer),
      sideCpu: share(c0.side, c1.side),
      sideCore: core(cores[0]),
      peerCore: core(cores[1]),
      foreign,
    };
  } finally {
    stop(child);
    stop(peer);
    await Promise.all([child?.exited, peer?.exited]);
  }
}

// --- statistics and table ----------------------------------------------------------------------

function fmt(x) {
  if (x === null || x === undefined) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  if (x >= 100) return x.toFixed(0);
  return x.toFixed(1);
}

function ratioCell(value, base, target, vsNode = false) {
  if (value === null || base === null || base === 0) return '—';
  const r = value / base;
  const text = vsNode ? `${r.toFixed(2)}× net` : r.toFixed(2);
  if (target === undefined) return text;
  return `${text} (≥${target} ${r >= target ? '✓' : '✗'})`;
}

function pct(x) {
  return x === null || x === undefined ? '—' : `${Math.round(x * 100)}%`;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

function summarize(results, workloads, sides) {
  const rows = [];
  const detail = [];
  const notes = [];
  for (const w of workloads) {
    const med = {};
    const peerCore = {};
    const sameCore = w.cores[0] === w.cores[1];
    const perCore = {};
    for (const s of sidesOf(w, sides)) {
      const runs = results[w.id][s];
      const mid = (key) => median(runs.map((r) => r[key] ?? null));
      med[s] = mid('value');
      peerCore[s] = mid('peerCore');
      perCore[s] = median(runs.map((r) => (r.value !== null && r.sideCore > 0 ? r.value / r.sideCore : null)));
      const ok = runs.filter((r) => r.value !== null);
      const noisy = runs.filter((r) => r.foreign !== null && r.foreign !== undefined && r.foreign > 0.1).length;
      detail.push([w.id, SIDE_NAMES[s], fmt(med[s]),
        ok.length ? `${fmt(Math.min(...ok.map((r) => r.value)))}–${fmt(Math.max(...ok.map((r) => r.value)))}` : '—',
        `${ok.length}/${runs.length}`, pct(mid('sideCpu')), pct(mid('peerCpu')),
        sameCore ? `${pct(mid('sideCore'))} (shared)` : `${pct(mid('sideCore'))} / ${pct(peerCore[s])}`,
        `${pct(mid('foreign'))}${noisy ? ` (${noisy} noisy)` : ''}`,
        sameCore ? '—' : fmt(perCore[s])]);
    }
    // What the ratios compare: rates on one core; rates per side CPU where each has a core.
    const cmp = sameCore ? med : perCore;
    const c = cmp.c ?? null;
    const t = w.target;
    const note = [];
    if (!sameCore) {
      const bound = sides.filter((s) => peerCore[s] !== null && peerCore[s] >= 0.9);
      if (bound.length) note.push(`peer's core ≥90% busy with ${bound.map((s) => `${SIDE_NAMES[s]} (${pct(peerCore[s])})`).join(', ')}`);
    }
    if (note.length) notes.push(`${w.id}: ${note.join('; ')}`);
    rows.push([
      `${w.id} (${w.unit})`,
      fmt(med.binding), fmt(med.sync), fmt(med.promise), fmt(med.uring), fmt(med.ringops), fmt(med.node), fmt(med.cloop), fmt(med.c),
      sameCore ? 'rate' : 'per CPU',
      ratioCell(cmp.binding ?? null, c),
      ratioCell(cmp.sync ?? null, c, t.sync),
      t.promiseVsNode !== undefined
        ? `${ratioCell(cmp.promise ?? null, c)}; ${ratioCell(med.promise ?? null, med.node ?? null, t.promiseVsNode, true)}`
        : ratioCell(cmp.promise ?? null, c, t.promise),
      ratioCell(cmp.uring ?? null, c, t.promise),
      ratioCell(cmp.ringops ?? null, c, t.promise),
      ratioCell(cmp.node ?? null, c),
      ratioCell(cmp.cloop ?? null, c),
      note.length ? '⚠ peer-bound' : (sameCore ? 'one core' : ''),
    ]);
  }
  return {
    main: table(['workload', 'binding', 'Sync', 'Promise', 'io_uring', 'io_uring ops', 'net/dgram', 'C, event loop', 'C', 'ratio of', 'binding/C', 'Sync/C', 'Promise/C', 'io_uring/C', 'ops/C', 'net/C', 'C loop/C', 'note'], rows),
    detail: table(['workload', 'side', 'median', 'min–max', 'runs', 'side proc', 'peer proc', 'core busy side / peer', 'others', 'per side core'], detail),
    notes,
  };
}

// --- main --------------------------------------------------------------------------------------

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const t0 = performance.now();
  if (!fs.existsSync(path.join(ROOT, 'dist', 'lib', 'index.js'))) {
    console.error('bench: dist/lib/index.js is missing; run `npm run build` (or `npm run build:ts`) first');
    process.exit(1);
  }
  compile();
  const pinned = os.platform() === 'linux' && hasTaskset();
  const m = machine();
  const workloads = WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.id));
  const sides = SIDES.filter((s) => !opts.sides || opts.sides.includes(s));
  const servers = !opts.only || opts.only.includes('servers');
  if ((workloads.length === 0 || sides.length === 0) && !servers) {
    console.error('bench: nothing to run');
    process.exit(2);
  }
  if (workloads.length > 0 && sides.length > 0) await runWorkloads(opts, workloads, sides, pinned, m, t0);
  if (servers) runServers(opts);
}

/** The concurrent-server part (scripts/bench-servers.js), with the same rounds and lengths. */
function runServers(opts) {
  const args = ['--rounds', String(opts.rounds), '--warmup', String(opts.warmup), '--window', String(opts.window)];
  const r = spawnSync(process.execPath, [path.join(__dirname, 'bench-servers.js'), ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = 1;
}

async function runWorkloads(opts, workloads, sides, pinned, m, t0) {
  console.log(`bsd-sockets bench${opts.quick ? ' (quick)' : ''}: ${opts.rounds} rounds × (${opts.warmup} ms warm-up + ${opts.window} ms window), sides interleaved ${sides.map((s) => SIDE_NAMES[s]).join(' → ')}`);
  console.log(`machine: nproc ${m.nproc}, ${m.cpu}, ${m.kernel}, node ${m.node}`);
  if (!pinned) console.log('note: taskset not found (or not Linux): processes run unpinned, numbers are noisier');
  if (m.nproc < 2) console.log('note: fewer than 2 CPUs: "two different cores" rows share one core');

  const results = {};
  for (const w of workloads) {
    results[w.id] = Object.fromEntries(sides.map((s) => [s, []]));
    const cores = pinned ? `side on CPU ${w.cores[0]}, peer on CPU ${w.cores[1]}` : 'unpinned';
    process.stdout.write(`${w.id.padEnd(13)} ${cores} `);
    for (let r = 0; r < opts.rounds; r++) {
      for (const s of sidesOf(w, sides)) {
        let res;
        try {
          res = await runOnce(w, s, opts, pinned, m.nproc >= 2 ? w.cores : [0, 0]);
        } catch (error) {
          res = { value: null, peerCpu: null, sideCpu: null, error: String(error.message || error) };
          process.stdout.write(`\n  ${w.id}/${s} round ${r + 1} failed: ${res.error}\n  `);
        }
        results[w.id][s].push(res);
        process.stdout.write('.');
      }
    }
    process.stdout.write('\n');
  }

  const { main: mainTable, detail, notes } = summarize(results, workloads, sides);
  console.log(`\nMedians of ${opts.rounds} interleaved rounds; ratios are to the C side (issue 13's target in parentheses):`);
  console.log('of rates where side and peer share one core, of rates per side CPU ("per side core" below) where each');
  console.log('has its own; "× net" is of rates. binding: the addon\'s functions called straight from a JS loop.\n');
  console.log(mainTable);
  console.log('\nPer side (medians over the rounds): spread, runs that finished; CPU during the window: of the side and peer');
  console.log('processes (/proc/<pid>/stat, without softirq), of their cores (/proc/stat, softirq included), and of every');
  console.log('other process on the machine ("others", in cores; a run with > 10% is counted as noisy). 100% = one core.');
  console.log('"per side core" = rate ÷ busy share of the side\'s core: what the side could do with its core to itself,');
  console.log('the figure to compare in a peer-bound row.\n');
  console.log(detail);
  if (notes.length) {
    console.log('\nLimited by the peer rather than by the side under test (the peer\'s core is saturated):');
    for (const n of notes) console.log(`  ${n}`);
  }
  console.log(`\ntotal ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ machine: m, opts, pinned, results }, null, 2));
    console.log(`measurements written to ${opts.json}`);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
