'use strict';
// Process plumbing shared by the benchmark scripts (scripts/bench.js, scripts/bench-servers.js):
// compiling the C programs, launching pinned processes, reading their lines, and their CPU use.
const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const ROOT = path.join(__dirname, '..');
const BENCH = path.join(ROOT, 'bench');
const OUT = path.join(ROOT, '.bench');

/** Compiles bench/<name>.c into .bench/<name> for each name (exits on failure). */
function compile(names) {
  fs.mkdirSync(OUT, { recursive: true });
  const cc = process.env.CC || 'cc';
  for (const name of names) {
    const r = spawnSync(cc, ['-O2', '-Wall', '-o', path.join(OUT, name), path.join(BENCH, `${name}.c`)], { stdio: 'inherit' });
    if (r.status !== 0) {
      console.error(`bench: could not compile bench/${name}.c with ${cc}`);
      process.exit(1);
    }
  }
}

function hasTaskset() {
  const r = spawnSync('taskset', ['-c', '0', 'true']);
  return r.status === 0;
}

/** Whether `perf stat` can count a process's system calls (raw_syscalls tracepoint; root or perf_event_paranoid). */
function hasPerfSyscalls() {
  const r = spawnSync('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '--', 'true']);
  return r.status === 0;
}

/** Resolves with the count of system calls process `pid` makes in the next `seconds` (null if perf failed). */
function countSyscalls(pid, seconds) {
  const perf = spawn('perf', ['stat', '-x,', '-e', 'raw_syscalls:sys_enter', '-p', String(pid), '--', 'sleep', String(seconds)],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  perf.stderr.on('data', (d) => { text += d; });
  return new Promise((resolve) => perf.on('exit', () => {
    const line = text.split('\n').find((l) => l.includes('raw_syscalls:sys_enter'));
    const n = line === undefined ? NaN : Number(line.split(',')[0]);
    resolve(Number.isFinite(n) ? n : null);
  }));
}

function machine() {
  let cpu = '?';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  return { nproc: os.availableParallelism?.() ?? os.cpus().length, cpu, kernel: `${os.type()} ${os.release()}`, node: process.version };
}

// utime + stime of a process, in seconds (Linux /proc; null elsewhere).
const CLK_TCK = 100; // sysconf(_SC_CLK_TCK) is 100 on every Linux that Node supports
function cpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of proc(5)
  } catch {
    return null;
  }
}

// Per-CPU jiffies from /proc/stat: busy (user+nice+system+irq+softirq+steal, i.e. everything but
// idle and iowait) and total. Softirq matters: the loopback's network stack runs there, and the
// kernel does not charge it to the process in /proc/<pid>/stat.
function cpuStat() {
  try {
    const out = {};
    for (const line of fs.readFileSync('/proc/stat', 'utf8').split('\n')) {
      const m = /^cpu(\d+) (.*)$/.exec(line);
      if (!m) continue;
      const [user, nice, system, idle, iowait, irq, softirq, steal] = m[2].trim().split(/\s+/).map(Number);
      out[m[1]] = { busy: user + nice + system + irq + softirq + (steal || 0), task: user + nice + system, total: user + nice + system + idle + iowait + irq + softirq + (steal || 0) };
    }
    return out;
  } catch {
    return null;
  }
}

function launch(cmd, args, core, pinned, env = undefined) {
  const [file, argv] = pinned ? ['taskset', ['-c', String(core), cmd, ...args]] : [cmd, args];
  const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], env: env === undefined ? process.env : { ...process.env, ...env } });
  child.stderrText = '';
  child.stderr.on('data', (d) => { child.stderrText += d; });
  child.lines = readline.createInterface({ input: child.stdout });
  child.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return child;
}

/** Resolves with the first line matching `re` (its match), or rejects on exit / after ms. */
function expectLine(child, re, ms, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { cleanup(); reject(new Error(`no ${what} within ${ms} ms`)); }, ms);
    const onLine = (line) => {
      const m = re.exec(line);
      if (m) { cleanup(); resolve(m); }
    };
    const onExit = (code, signal) => {
      cleanup();
      reject(new Error(`exited (${signal || code}) before ${what}: ${child.stderrText.trim().split('\n').slice(-3).join(' | ')}`));
    };
    function cleanup() {
      clearTimeout(timer);
      child.lines.off('line', onLine);
      child.off('exit', onExit);
    }
    child.lines.on('line', onLine);
    child.on('exit', onExit);
  });
}

function stop(child) {
  if (child && child.exitCode === null && child.signalCode === null) {
    try { child.kill('SIGTERM'); } catch { /* gone */ }
  }
}

function median(xs) {
  const v = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

module.exports = { ROOT, BENCH, OUT, CLK_TCK, compile, hasTaskset, hasPerfSyscalls, countSyscalls, machine, cpuSeconds, cpuStat, launch, expectLine, stop, median };
