// The differential suite against CPython: generates seeded operation sequences, runs each in
// bsd-sockets (node-runner.ts) and in CPython (scripts/differential_driver.py) on each side's own
// sockets, compares the normalised results, shrinks failures, prints "N passed, M failed".
// Usage: see docs/DIFFERENTIAL.md (npm run test:differential -- --seed N --replay).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { compareSequence, signature, type Divergence } from './compare';
import { generate, type Vocabulary } from './generator';
import { KNOWN_DEFECTS } from './known-defects';
import type { Step, StepResult } from './steps';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** No answer for this long means the call waits forever: the side is killed and restarted. */
const HANG_MS = 1500;

/** One long-lived runner process (Node or Python) that runs sequences and answers a line per step. */
class Side {
  private proc!: ChildProcessWithoutNullStreams;
  private lines!: readline.Interface;
  private onLine: ((line: string) => void) | null = null;
  hello!: Promise<Record<string, number>>;

  constructor(readonly name: string, private readonly command: string, private readonly args: string[]) {
    this.start();
  }

  private start(): void {
    this.proc = spawn(this.command, this.args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stdin.on('error', () => undefined);  // a side that died: seen as its exit, reported as a hang
    this.proc.stderr.on('data', (chunk) => { if (process.env.DIFF_DEBUG) process.stderr.write(`[${this.name}] ${chunk}`); });
    this.lines = readline.createInterface({ input: this.proc.stdout });
    this.hello = new Promise((resolve, reject) => {
      this.onLine = (line) => resolve(JSON.parse(line).hello);
      this.proc.once('exit', (code) => reject(new Error(`${this.name} side exited (${code}) before it started`)));
    });
    this.lines.on('line', (line) => this.onLine?.(line));
  }

  private restart(): void {
    this.proc.removeAllListeners('exit');
    this.proc.kill('SIGKILL');
    this.start();
    this.hello.catch(() => undefined);
  }

  /** Runs one sequence; a step without an answer for HANG_MS is reported as {hang: true}. */
  async run(seq: number, steps: Step[]): Promise<StepResult[]> {
    await this.hello;
    const results: StepResult[] = [];
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout;
      const finish = (hung: boolean) => {
        clearTimeout(timer);
        this.onLine = null;
        this.proc.removeAllListeners('exit');
        if (hung) {
          results.push({ r: { hang: true }, ms: HANG_MS });
          this.restart();
        }
        resolve(results);
      };
      const arm = () => { clearTimeout(timer); timer = setTimeout(() => finish(true), HANG_MS); };
      this.onLine = (line) => {
        const msg = JSON.parse(line);
        if (msg.done !== undefined) finish(false);
        else { results.push({ r: msg.r, ms: msg.ms }); arm(); }
      };
      this.proc.once('exit', () => finish(true));
      arm();
      this.proc.stdin.write(JSON.stringify({ seq, steps }) + '\n');
    });
  }

  stop(): void {
    this.proc.removeAllListeners('exit');
    this.proc.stdin.end();
    setTimeout(() => this.proc.kill('SIGKILL'), 500).unref();
  }
}

class Pair {
  readonly node = new Side('node', process.execPath, [path.join(__dirname, 'node-runner.js')]);
  readonly py = new Side('python', 'python3', [path.join(ROOT, 'scripts', 'differential_driver.py')]);
  private seqNo = 0;

  async run(steps: Step[]): Promise<{ node: StepResult[]; py: StepResult[]; divergences: Divergence[] }> {
    const seq = this.seqNo++;
    const [node, py] = await Promise.all([this.node.run(seq, steps), this.py.run(seq, steps)]);
    return { node, py, divergences: compareSequence(steps, node, py) };
  }

  stop(): void { this.node.stop(); this.py.stop(); }
}

interface Options { seed: number; count: number; jobs: number; replay: boolean; long: boolean; seconds: number; steps?: string; verbose: boolean }

function parseArgs(argv: string[]): Options {
  const o: Options = { seed: 1, count: 2000, jobs: 8, replay: false, long: false, seconds: 0, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i];
    if (a === '--seed') o.seed = Number(value());
    else if (a === '--count') o.count = Number(value());
    else if (a === '--jobs') o.jobs = Number(value());
    else if (a === '--replay') o.replay = true;
    else if (a === '--long') { o.long = true; o.seconds = 3600; o.count = Infinity; }
    else if (a === '--seconds') { o.seconds = Number(value()); o.count = Infinity; }
    else if (a === '--steps') o.steps = value();
    else if (a === '--verbose') o.verbose = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** The first divergence that no allow-list entry explains (later steps often only echo it). */
function firstFailure(divergences: Divergence[]): Divergence | undefined {
  return divergences.find((d) => !d.allowedBy && !d.knownDefect);
}

/** The known defects (known-defects.ts) that a sequence's divergences show. */
function knownIn(divergences: Divergence[]): string[] {
  return [...new Set(divergences.flatMap((d) => (d.knownDefect ? [d.knownDefect] : [])))];
}

/**
 * Divergences that a loaded machine can cause: a timing, a call that did not answer within HANG_MS, a timeout on
 * one side only (a 1 ms timeout runs out while a stalled side resolves an address), what an epoll poll or a
 * selector's select finds ready (TCP's ACKs and resets arrive when the kernel gets to them), and any result in a
 * parallel step (its calls start 5 ms apart: a stall reorders them). They count only if they come back.
 */
function racy(steps: Step[], f: Divergence): boolean {
  const timedOut = (r: unknown) => (r as { err?: string } | null)?.err === 'TimeoutError';
  const step = steps[f.index];
  const readiness = (step?.op === 'ep' && step.name === 'poll') || (step?.op === 'sel' && step.name === 'select');
  return f.what === 'timing' || f.what === 'hang' || timedOut(f.node) !== timedOut(f.py) || readiness || step?.op === 'parallel';
}

/**
 * A racy divergence counts only if it comes back each time the sequence runs again, twice (a loaded
 * machine stalls now and then; a defect in an order or a wait repeats).
 */
async function confirmed(pair: Pair, steps: Step[], f: Divergence): Promise<Divergence | undefined> {
  for (let i = 0; i < 2; i++) {
    const again = firstFailure((await pair.run(steps)).divergences);
    if (!again || signature(again) !== signature(f)) return undefined;
  }
  return f;
}

/** Drops steps (halves, then quarters, ... then single steps) while the same kind of divergence remains. */
async function shrink(pair: Pair, steps: Step[], sig: string, budget: number, seconds: number): Promise<Step[]> {
  return shrinkWhile(steps, async (candidate) => {
    const f = firstFailure((await pair.run(candidate)).divergences);
    return !!f && signature(f) === sig;
  }, budget, seconds);
}

/** Drops steps (halves, then quarters, ... then single steps) while `keeps` says the candidate still shows it. */
async function shrinkWhile(steps: Step[], keeps: (candidate: Step[]) => Promise<boolean>, budget: number,
  seconds: number): Promise<Step[]> {
  let current = steps;
  const stopAt = Date.now() + seconds * 1000;
  for (let chunk = Math.max(1, current.length >> 1); chunk >= 1; chunk = chunk === 1 ? 0 : chunk >> 1) {
    for (let start = current.length - chunk; start >= 0 && budget > 0 && Date.now() < stopAt; start -= chunk) {
      const candidate = [...current.slice(0, start), ...current.slice(start + chunk)];
      budget--;
      if (await keeps(candidate)) current = candidate;
    }
  }
  return current;
}

function show(value: unknown): string {
  const s = String(JSON.stringify(value));
  return s.length > 160 ? s.slice(0, 157) + '...' : s;
}

function printRun(steps: Step[], node: StepResult[], py: StepResult[]): void {
  steps.forEach((step, i) => {
    const n = node[i];
    const p = py[i];
    const same = JSON.stringify(n?.r) === JSON.stringify(p?.r) ? ' ' : '≠';
    console.log(`${String(i).padStart(3)} ${show(step)}`);
    console.log(`    ${same} node ${show(n?.r)} (${n?.ms} ms)   python ${show(p?.r)} (${p?.ms} ms)`);
  });
}

function vocabulary(nodeConstants: Record<string, number>, pyConstants: Record<string, number>): [Vocabulary, string[]] {
  const names = new Set(Object.keys(nodeConstants).filter((n) => n in pyConstants));
  const problems: string[] = [];
  for (const name of [...names].sort()) {
    if (nodeConstants[name] !== pyConstants[name]) problems.push(`${name}: node ${nodeConstants[name]}, python ${pyConstants[name]}`);
  }
  const missing = Object.keys(pyConstants).filter((n) => !(n in nodeConstants)).sort();
  if (missing.length) problems.push(`python has, bsd-sockets lacks: ${missing.join(' ')}`);
  return [{ names, root: process.getuid?.() === 0, hostnameInHosts: hostnameInHosts() }, problems];
}

/** Whether /etc/hosts names this machine, so that getfqdn('') resolves without DNS. */
function hostnameInHosts(): boolean {
  let hosts = '';
  try {
    hosts = fs.readFileSync('/etc/hosts', 'utf8');
  } catch {
    return false;
  }
  const me = os.hostname();
  return hosts.split('\n').some((line) => line.replace(/#.*/, '').trim().split(/\s+/).slice(1).includes(me));
}

interface Failure { seed: number; d: Divergence; shrunk?: Step[] }

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const jobs = o.replay || o.steps ? 1 : o.jobs;
  const pairs = Array.from({ length: jobs }, () => new Pair());
  const [nodeConstants, pyConstants] = await Promise.all([pairs[0].node.hello, pairs[0].py.hello]);
  const [vocab, constantProblems] = vocabulary(nodeConstants, pyConstants);
  try {
    if (o.steps !== undefined || o.replay) {
      const steps: Step[] = o.steps !== undefined
        ? JSON.parse(o.steps.startsWith('[') ? o.steps : fs.readFileSync(o.steps, 'utf8'))
        : generate(o.seed, vocab);
      process.exitCode = await replay(pairs[0], steps, o.seed);
      return;
    }
    const started = Date.now();
    const failures = new Map<string, Failure[]>();
    let passed = 0;
    let allowedCount = 0;
    const knownSeen = new Map<string, { count: number; seed: number; steps: Step[] }>();
    let hung = 0;
    const hungOps = new Map<string, number>();  // "side op" of the steps that never returned
    let next = o.long ? Math.floor(Math.random() * 1e9) : o.seed;
    const first = next;
    let launched = 0;
    let shrinkSeconds = o.long ? 600 : 30;  // shrinking is for the report: bounded, so a bad day still ends soon
    const stopAt = o.seconds ? started + o.seconds * 1000 : Infinity;
    await Promise.all(pairs.map(async (pair) => {
      while (launched < o.count && Date.now() < stopAt) {
        launched++;
        const seed = next++;
        const steps = generate(seed, vocab);
        const { node, py, divergences } = await pair.run(steps);
        const hangAt = [node, py].map((side) => side.findIndex((r) => (r.r as { hang?: boolean } | null)?.hang));
        if (hangAt.some((k) => k >= 0)) {
          hung++;
          for (const [k, side] of hangAt.map((k, j) => [k, j ? 'python' : 'node'] as const)) {
            if (k >= 0) hungOps.set(`${side} ${steps[k]?.op}`, (hungOps.get(`${side} ${steps[k]?.op}`) ?? 0) + 1);
          }
        }
        let f = firstFailure(divergences);
        if (f && racy(steps, f)) f = await confirmed(pair, steps, f);
        if (!f) {
          passed++;
          const known = knownIn(divergences);
          for (const id of known) {
            const seen = knownSeen.get(id);
            if (seen) seen.count++;
            else knownSeen.set(id, { count: 1, seed, steps });
          }
          if (divergences.length && !known.length) allowedCount++;
        } else {
          const sig = signature(f);
          const list = failures.get(sig);
          if (list) list.push({ seed, d: f });
          else {
            const entry: Failure = { seed, d: f };
            failures.set(sig, [entry]);  // before shrinking, so that other jobs count into the same list
            const seconds = Math.min(8, shrinkSeconds);
            if (seconds > 0) {
              const t0 = Date.now();
              entry.shrunk = await shrink(pair, steps, sig, 40, seconds);
              shrinkSeconds -= (Date.now() - t0) / 1000;
            }
          }
          if (o.verbose) console.log(`seed ${seed}: ${sig}`);
        }
      }
    }));
    report(failures, constantProblems, first, passed, allowedCount, Date.now() - started);
    await reportKnown(pairs[0], knownSeen);
    if (hung) {
      const where = [...hungOps.entries()].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
      console.log(`${hung} sequence(s) had a call that never returned (each costs ${HANG_MS} ms and a restart): ${where}`);
    }
    const failed = failuresCount(failures) + (constantProblems.length ? 1 : 0);
    console.log(`${passed + (constantProblems.length ? 0 : 1)} passed, ${failed} failed`);
    process.exitCode = failed ? 1 : 0;
  } finally {
    for (const pair of pairs) pair.stop();
  }
}

function failuresCount(failures: Map<string, Failure[]>): number {
  let n = 0;
  for (const list of failures.values()) n += list.length;
  return n;
}

function report(failures: Map<string, Failure[]>, constantProblems: string[], first: number, passed: number,
  allowedCount: number, ms: number): void {
  console.log(`differential: seeds ${first}.., ${passed} sequences agreed (${allowedCount} only by the allow-list), ${(ms / 1000).toFixed(1)} s`);
  if (constantProblems.length) {
    console.log('✘ constants differ:');
    for (const p of constantProblems) console.log(`    ${p}`);
  }
  const sorted = [...failures.entries()].sort((a, b) => b[1].length - a[1].length);
  for (const [sig, list] of sorted) {
    const { seed, d, shrunk } = list[0];
    console.log(`✘ ${sig}: ${list.length} sequence(s), first seed ${seed} (replay: npm run test:differential -- --seed ${seed} --replay)`);
    console.log(`    node ${show(d.node)} (${d.nodeMs} ms)  python ${show(d.py)} (${d.pyMs} ms)`);
    if (shrunk) console.log(`    shrunk: --steps '${JSON.stringify(shrunk)}'`);
  }
}

/** Each known defect seen, with a shrunk replay of its first sequence; and the entries this run did not see. */
async function reportKnown(pair: Pair, seen: Map<string, { count: number; seed: number; steps: Step[] }>): Promise<void> {
  for (const entry of KNOWN_DEFECTS) {
    const s = seen.get(entry.id);
    if (!s) {
      console.log(`○ known defect ${entry.id} (${entry.defect}): not seen in this run — delete its entry once it is fixed`);
      continue;
    }
    const stillKnown = async (candidate: Step[]) => knownIn((await pair.run(candidate)).divergences).includes(entry.id);
    const shrunk = await shrinkWhile(s.steps, stillKnown, 15, 3);
    console.log(`◐ known defect ${entry.id} (${entry.defect}): ${s.count} sequence(s), first seed ${s.seed}`);
    console.log(`    shrunk: --steps '${JSON.stringify(shrunk)}'`);
  }
}

async function replay(pair: Pair, steps: Step[], seed: number): Promise<number> {
  const { node, py, divergences } = await pair.run(steps);
  printRun(steps, node, py);
  for (const d of divergences) {
    const why = d.allowedBy ? ` allowed: ${d.allowedBy}` : d.knownDefect ? ` known defect: ${d.knownDefect}` : '';
    console.log(`divergence at step ${d.index} (${d.what})${why}`);
  }
  const f = firstFailure(divergences);
  if (f) {
    const shrunk = await shrink(pair, steps, signature(f), 200, 120);
    console.log(`shrunk (seed ${seed}, ${signature(f)}): --steps '${JSON.stringify(shrunk)}'`);
    const again = await pair.run(shrunk);
    printRun(shrunk, again.node, again.py);
  }
  console.log(`${f ? 0 : 1} passed, ${f ? 1 : 0} failed`);
  return f ? 1 : 0;
}

main().catch((error) => {
  console.error(error);
  process.exit(2);
});
