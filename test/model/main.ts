// The model suite: generates seeded interleavings (generator.ts), runs each in a worker process
// (worker.ts → runner.ts) on real sockets, checks it against the model of the contract
// (contract.ts), shrinks failures to a minimal sequence and prints "N passed, M failed".
// Usage: see docs/MODEL.md (npm run test:model -- --seed N --replay).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { Divergence } from './contract';
import { expectedBy } from './expected';
import { generate } from './generator';
import type { Sequence } from './steps';

/** A worker silent this long is stuck in a call that never returns (or a blocked event loop): it is killed and restarted. */
const HANG_MS = Number(process.env.MODEL_HANG_MS ?? 2500);

interface Verdict { divergences: Divergence[]; ms: number }

class Worker {
  private proc!: ChildProcessWithoutNullStreams;
  private ready!: Promise<void>;
  private onMessage: ((m: { id?: number; step?: number; divergences?: Divergence[]; ms?: number; ready?: boolean; dir?: string }) => void) | null = null;
  /** The worker's temp directory (its sendfile source, its Unix paths): removed here when the worker is killed. */
  private dir?: string;
  private nextId = 0;
  private stderrTail = '';

  constructor() { this.start(); }

  private start(): void {
    this.proc = spawn(process.execPath, [path.join(__dirname, 'worker.js')], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.stderrTail = '';
    this.proc.stderr.on('data', (chunk) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-600);  // the last words of a worker that dies
      if (process.env.MODEL_DEBUG) process.stderr.write(`[worker] ${chunk}`);
    });
    readline.createInterface({ input: this.proc.stdout }).on('line', (line) => this.onMessage?.(JSON.parse(line)));
    this.ready = new Promise((resolve, reject) => {
      this.onMessage = (m) => { if (m.ready) { this.dir = m.dir; resolve(); } };
      this.proc.once('exit', (code) => reject(new Error(`model worker exited (${code}) before it started`)));
    });
  }

  private restart(): void {
    this.proc.removeAllListeners('exit');
    this.proc.kill('SIGKILL');
    this.removeDir();
    this.start();
    this.ready.catch(() => undefined);
  }

  /** Runs one sequence; a worker that goes silent for HANG_MS gives a 'hang' divergence at the step it was in. */
  async run(seq: Sequence): Promise<Verdict> {
    await this.ready;
    const id = this.nextId++;
    const started = Date.now();
    return new Promise((resolve) => {
      let at = -2;
      let timer: NodeJS.Timeout;
      const finish = (v: Verdict, hung: boolean) => {
        clearTimeout(timer);
        this.onMessage = null;
        this.proc.removeAllListeners('exit');
        if (hung) this.restart();
        resolve(v);
      };
      const hang = (why: string) => {
        const said = this.stderrTail.trim();
        finish({ divergences: [hangAt(seq, at, said ? `${why}; stderr: ${said}` : why)], ms: Date.now() - started }, true);
      };
      const arm = () => { clearTimeout(timer); timer = setTimeout(() => hang(`no answer for ${HANG_MS} ms`), HANG_MS); };
      this.onMessage = (m) => {
        if (m.id !== id) return;
        if (m.divergences) finish({ divergences: m.divergences, ms: m.ms ?? 0 }, false);
        else { at = m.step ?? at; arm(); }
      };
      this.proc.once('exit', (code, signal) => hang(`the worker died (${signal ?? code})`));
      arm();
      this.proc.stdin.write(JSON.stringify({ id, seq }) + '\n');
    });
  }

  private removeDir(): void {
    if (this.dir) fs.rmSync(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }

  stop(): void {
    this.proc.removeAllListeners('exit');
    this.proc.stdin.end();
    const dir = this.dir;
    const proc = this.proc;
    proc.once('exit', () => { if (dir) fs.rmSync(dir, { recursive: true, force: true }); });
    setTimeout(() => proc.kill('SIGKILL'), 500).unref();
  }
}

function hangAt(seq: Sequence, at: number, why: string): Divergence {
  if (at < 0) return { kind: at === -1 ? 'hang after the steps (drain, close or settle)' : 'hang before the first step', index: -1, detail: why };
  const step = seq.steps[at];
  // the step's own call, or anything the event loop ran before the next step (a pending operation's retry)
  const what = step.form === 'promise' ? 'Promise call blocked the event loop' : step.form === 'sync' ? 'Sync call never returned'
    : 'event loop blocked during or after';
  return { kind: `${what}: ${step.op}`, index: at, detail: why };
}

/** The first divergence no expected entry explains; and the expected entry that explained the first one, if any. */
function judge(seq: Sequence, divergences: Divergence[]): { failure?: Divergence; expected?: string } {
  let expected: string | undefined;
  for (const d of divergences) {
    const e = expectedBy(d, seq);
    if (!e) return { failure: d, expected };
    expected ??= e.id;
  }
  return { expected };
}

/** A sequence without the steps [start, start + count); aborts of removed steps go too, later targets are renumbered. */
export function without(seq: Sequence, start: number, count: number): Sequence {
  const steps = [];
  for (let i = 0; i < seq.steps.length; i++) {
    if (i >= start && i < start + count) continue;
    const s = seq.steps[i];
    if (s.op === 'abort') {
      const t = s.target!;
      if (t >= start && t < start + count) continue;
      steps.push({ ...s, target: t >= start + count ? t - count : t });
    } else steps.push(s);
  }
  return { fixture: seq.fixture, steps };
}

/** What the generator guarantees: no Sync call that may wait without a deadline (blocking mode, no MSG_DONTWAIT). */
function mayNotHang(seq: Sequence): boolean {
  const blocking = new Map<string, boolean>();
  for (const s of seq.steps) {
    if (s.op === 'mode') blocking.set(s.on!, s.mode === 'blocking');
    else if (s.form === 'sync' && s.op !== 'select' && s.op !== 'poll' && (blocking.get(s.on!) ?? true) &&
      !(s.flags ?? []).includes('MSG_DONTWAIT')) return false;
  }
  return true;
}

/** Drops steps (halves, quarters … single steps) while a divergence of the same kind remains. */
async function shrink(worker: Worker, seq: Sequence, kind: string, seconds: number): Promise<Sequence> {
  let current = seq;
  const stopAt = Date.now() + seconds * 1000;
  for (let chunk = Math.max(1, current.steps.length >> 1); chunk >= 1; chunk = chunk === 1 ? 0 : chunk >> 1) {
    for (let start = current.steps.length - chunk; start >= 0 && Date.now() < stopAt; start -= chunk) {
      const candidate = without(current, start, chunk);
      if (!mayNotHang(candidate)) continue;
      const { failure } = judge(candidate, (await worker.run(candidate)).divergences);
      if (failure?.kind === kind) current = candidate;
    }
  }
  return current;
}

/** The same kind of failure, named without the step-specific parts (a shrink target and a report line). */
function signature(d: Divergence): string { return d.kind; }

interface Options { seed: number; count: number; jobs: number; replay: boolean; steps?: string; verbose: boolean; seconds: number; shrink: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { seed: 1, count: 2000, jobs: 4, replay: false, verbose: false, seconds: 0, shrink: true };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--seed') o.seed = Number(value());
    else if (a === '--count') o.count = Number(value());
    else if (a === '--jobs') o.jobs = Number(value());
    else if (a === '--replay') o.replay = true;
    else if (a === '--steps') o.steps = value();
    else if (a === '--seconds') { o.seconds = Number(value()); o.count = Infinity; }
    else if (a === '--verbose') o.verbose = true;
    else if (a === '--no-shrink') o.shrink = false;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

interface Failure { seed: number; d: Divergence; shrunk?: Sequence }

function replayLine(seq: Sequence): string { return `npm run test:model -- --steps '${JSON.stringify(seq)}'`; }

async function replay(worker: Worker, seq: Sequence, shrinking: boolean): Promise<number> {
  seq.steps.forEach((s, i) => console.log(`${String(i).padStart(3)} ${JSON.stringify(s)}`));
  const { divergences, ms } = await worker.run(seq);
  for (const d of divergences) {
    const e = expectedBy(d, seq);
    console.log(`step ${d.index}: ${d.kind} — ${d.detail}${e ? ` (expected: ${e.id}, issue 19 #${e.defect})` : ''}`);
  }
  const { failure } = judge(seq, divergences);
  console.log(`${ms} ms`);
  if (failure && shrinking) {
    const shrunk = await shrink(worker, seq, signature(failure), 60);
    console.log(`shrunk (${signature(failure)}):\n  ${replayLine(shrunk)}`);
  }
  console.log(`${failure ? 0 : 1} passed, ${failure ? 1 : 0} failed`);
  return failure ? 1 : 0;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const single = o.replay || o.steps !== undefined;
  const workers = Array.from({ length: single ? 1 : o.jobs }, () => new Worker());
  try {
    if (single) {
      const seq: Sequence = o.steps !== undefined ? JSON.parse(o.steps) : generate(o.seed);
      process.exitCode = await replay(workers[0], seq, o.shrink);
      return;
    }
    const started = Date.now();
    const stopAt = o.seconds ? started + o.seconds * 1000 : Infinity;
    const failures = new Map<string, Failure[]>();
    const expectedCounts = new Map<string, number>();
    let passed = 0;
    let launched = 0;
    let shrinkBudget = 40;  // seconds of shrinking in all: the report stays bounded on a bad day
    await Promise.all(workers.map(async (worker) => {
      while (launched < o.count && Date.now() < stopAt) {
        const seed = o.seed + launched++;
        const seq = generate(seed);
        const { failure, expected } = judge(seq, (await worker.run(seq)).divergences);
        if (expected) expectedCounts.set(expected, (expectedCounts.get(expected) ?? 0) + 1);
        if (!failure) { passed++; continue; }
        if (o.verbose) console.log(`seed ${seed}: ${signature(failure)}`);
        const list = failures.get(signature(failure));
        if (list) { list.push({ seed, d: failure }); continue; }
        const entry: Failure = { seed, d: failure };
        failures.set(signature(failure), [entry]);
        const seconds = Math.min(8, shrinkBudget);
        if (seconds > 0) {
          const t0 = Date.now();
          entry.shrunk = await shrink(worker, seq, signature(failure), seconds);
          shrinkBudget -= (Date.now() - t0) / 1000;
        }
      }
    }));
    const failed = [...failures.values()].reduce((n, l) => n + l.length, 0);
    console.log(`model: seeds ${o.seed}..${o.seed + launched - 1}, backend ${process.env.BSD_SOCKETS_BACKEND ?? 'default'}, ${((Date.now() - started) / 1000).toFixed(1)} s`);
    for (const [id, n] of expectedCounts) console.log(`  expected (issue 19): ${id}: ${n} sequence(s)`);
    for (const [sig, list] of [...failures.entries()].sort((x, y) => y[1].length - x[1].length)) {
      const { seed, d, shrunk } = list[0];
      console.log(`✘ ${sig}: ${list.length} sequence(s), first seed ${seed} (npm run test:model -- --seed ${seed} --replay)`);
      console.log(`    step ${d.index}: ${d.detail.slice(0, 300)}`);
      if (shrunk) console.log(`    shrunk: ${replayLine(shrunk)}`);
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    for (const w of workers) w.stop();
  }
}

if (require.main === module) {
  main().catch((error) => {
    console.error(error);
    process.exit(2);
  });
}
