#!/usr/bin/env node
'use strict';
// npm run bench:packet [-- --frames N]: decoding an Ethernet + IPv4 + UDP frame and verifying its
// UDP checksum, per frame, with bsd-sockets/packet (one reused header object per layer: the lazy
// path) against bench/packet.c, the same fields and checks by hand in C. Runs C and JavaScript in
// turn for a few rounds (--rounds, 5) and prints the median time per frame of each, their ratio
// (target: at most 3× C) and the minor GCs the JavaScript loops caused (0: no allocation per frame).
// Both sides count the CPU time of their process, not the wall clock: on a shared machine the time
// spent descheduled is not the code's. Pin it for steadier figures: taskset -c 1 npm run bench:packet.
// Needs `npm run build:ts` first.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { PerformanceObserver, constants: perf } = require('node:perf_hooks');
const { OUT, compile, machine } = require('../scripts/bench-proc');
const pk = require('../dist/lib/packet');

const args = process.argv.slice(2);
const option = (name, fallback) => Number(args.includes(name) ? args[args.indexOf(name) + 1] : 0) || fallback;
const FRAMES = option('--frames', 4_000_000);
const ROUNDS = option('--rounds', 5);

/** 64 different frames: ports, addresses, payload sizes (18–400 bytes), one in 8 with an IP option. */
function makeFrames() {
  const frames = [];
  for (let i = 0; i < 64; i++) {
    const ip = { src: `10.0.${i}.1`, dst: `10.1.${i}.2` };
    const payload = Buffer.alloc(18 + ((i * 37) % 383), i);
    const udp = pk.encodeUdp({ srcPort: 1024 + i, dstPort: 53 + i }, payload, ip);
    const options = i % 8 === 0 ? Buffer.from([0x94, 4, 0, 0]) : undefined;
    frames.push(pk.encodeEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_IPV4 },
      pk.encodeIpv4({ ...ip, protocol: 17, ttl: 64, id: i, options }, udp)));
  }
  return frames;
}

/** The JavaScript side: the same fields as the C side, through reused header objects. */
function jsSide(frames) {
  const eth = new pk.EthernetHeader();
  const ip = new pk.Ipv4Header();
  const udp = new pk.UdpHeader();
  const IPV4 = pk.ETHERTYPE_IPV4;  // a local, as C's literal: the package's export is a getter
  let acc = 0;
  let ok = 0;
  const decodeOne = (f) => {
    eth.decode(f);
    if (eth.etherType !== IPV4) return;
    ip.decode(f, eth.payloadOffset);
    if (ip.protocol !== 17) return;
    udp.decode(f, ip.payloadOffset, ip.end);
    const b = ip.buffer;
    const at = ip.offset;
    acc += ip.ttl + ((b[at + 12] << 24 | b[at + 13] << 16 | b[at + 14] << 8 | b[at + 15]) >>> 0) + udp.srcPort + udp.dstPort + udp.length;
    if (udp.verifyChecksum(ip)) ok++;
  };
  for (let i = 0; i < 200_000; i++) decodeOne(frames[i & 63]);  // warm-up: let the JIT settle
  /** One round of `total` frames. */
  return (total) => {
    acc = 0;
    ok = 0;
    let minorGcs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (entry.detail?.kind === perf.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
    });
    observer.observe({ entryTypes: ['gc'] });
    const start = process.cpuUsage();
    for (let i = 0; i < total; i++) decodeOne(frames[i & 63]);
    const used = process.cpuUsage(start);
    const ns = (used.user + used.system) * 1000;
    return new Promise((resolve) => setImmediate(() => { observer.disconnect(); resolve({ nsPerFrame: ns / total, ok, acc, minorGcs }); }));
  };
}

/** One round of the C side. */
function cSide(file, total) {
  const c = spawnSync(path.join(OUT, 'packet'), [file, String(total)], { encoding: 'utf8' });
  if (c.status !== 0) throw new Error(`bench/packet.c failed: ${c.stderr}`);
  const [, ns, ok, acc] = /ns_per_frame (\S+) checksum_ok (\d+) sum (\d+)/.exec(c.stdout);
  return { nsPerFrame: Number(ns), ok: Number(ok), acc: BigInt(acc) };
}

const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];

async function main() {
  compile(['packet']);
  const frames = makeFrames();
  const file = path.join(os.tmpdir(), `bsd-sockets-bench-frames-${process.pid}.bin`);
  fs.writeFileSync(file, Buffer.concat(frames.flatMap((f) => { const n = Buffer.alloc(4); n.writeUInt32LE(f.length); return [n, f]; })));
  try {
    const runJs = jsSide(frames);
    const c = [];
    const js = [];
    let minorGcs = 0;
    for (let round = 0; round < ROUNDS; round++) {  // interleaved, so that a busy spell hits both sides
      const cRound = cSide(file, FRAMES);
      const jsRound = await runJs(FRAMES);
      if (jsRound.ok !== cRound.ok || BigInt(jsRound.acc) !== cRound.acc) {
        throw new Error(`the two sides disagree: js ok ${jsRound.ok} sum ${jsRound.acc}, c ok ${cRound.ok} sum ${cRound.acc}`);
      }
      c.push(cRound.nsPerFrame);
      js.push(jsRound.nsPerFrame);
      minorGcs += jsRound.minorGcs;
    }
    const m = machine();
    const list = (values) => values.map((v) => v.toFixed(1)).join(' ');
    console.log(`packet decode (Ethernet+IPv4+UDP, UDP checksum verified), ${ROUNDS} rounds of ${FRAMES} frames; ${m.cpu}, ${m.node}`);
    console.log(`  C (bench/packet.c, cc -O2)        ${median(c).toFixed(1)} ns/frame (median; rounds: ${list(c)})`);
    console.log(`  bsd-sockets/packet (lazy, reused) ${median(js).toFixed(1)} ns/frame (median; rounds: ${list(js)}), minor GCs during the loops: ${minorGcs}`);
    console.log(`  ratio JS/C: ${(median(js) / median(c)).toFixed(2)}× (medians; target ≤ 3×)`);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

main().catch((error) => { console.error(`bench:packet: ${error.message}`); process.exitCode = 1; });
