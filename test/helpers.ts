// Shared test helpers: close everything a test opened, count descriptors, run Python peers.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { Socket } from '../lib';

// Where this process's open descriptors are listed: /proc on Linux, /dev/fd on macOS and the BSDs.
const FD_DIR = fs.existsSync('/proc/self/fd') ? '/proc/self/fd' : '/dev/fd';

/** How many descriptors this process has open (the listing's own descriptor included, the same every time). */
export function countOpenFds(): number {
  return fs.readdirSync(FD_DIR).length;
}

/**
 * Tracks what a test opens and closes it afterwards; call `track.install()` inside a describe().
 * Also asserts that the suite leaves the descriptor count as it found it.
 */
export class Tracker {
  private sockets: Socket[] = [];
  private cleanups: Array<() => void> = [];

  add<T extends Socket | Socket[] | [Socket, unknown]>(value: T): T {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item instanceof Socket) this.sockets.push(item);
    }
    return value;
  }

  /**
   * A connected TCP pair on loopback, tracked: `[client, accepted]`. Both sides get a 10 s timeout
   * (the accepted one `acceptedTimeout`, null for blocking) so that a broken test cannot hang.
   */
  tcpPair(acceptedTimeout: number | null = 10): [Socket, Socket] {
    const listener = this.add(new Socket());
    listener.bind(['127.0.0.1', 0]);
    listener.listen();
    listener.settimeout(10);
    const client = this.add(new Socket());
    client.settimeout(10);
    client.connectSync(listener.getsockname() as [string, number]);
    const [accepted] = this.add(listener.acceptSync());
    accepted.settimeout(acceptedTimeout);
    listener.close();
    return [client, accepted];
  }

  defer(fn: () => void): void {
    this.cleanups.push(fn);
  }

  closeAll(): void {
    for (const s of this.sockets.splice(0)) s.close();
    for (const fn of this.cleanups.splice(0).reverse()) {
      try { fn(); } catch { /* best effort */ }
    }
  }

  install(): this {
    let before = 0;
    before_(() => { before = countOpenFds(); });
    afterEach(() => this.closeAll());
    after_(() => {
      this.closeAll();
      const nowOpen = countOpenFds();
      if (nowOpen !== before) throw new Error(`descriptor leak: ${before} open before the suite, ${nowOpen} after`);
    });
    return this;
  }
}

// libuv opens a per-loop signal pipe at the first child process; open it before any suite counts
// descriptors, so that it is not taken for a leak.
before((done) => { spawn('true').on('exit', () => done()); });

// mocha's before/after, renamed so that the class body above reads clearly.
const before_ = before;
const after_ = after;

const tempDirs: string[] = [];
process.on('exit', () => tempDirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A fresh temporary directory, removed when the process exits. */
export function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-'));
  tempDirs.push(dir);
  return dir;
}

/** Runs a Python script to completion and returns its stdout. */
export function runPythonScript(script: string, args: string[] = []): string {
  return execFileSync('python3', ['-c', script, ...args], { encoding: 'utf8', timeout: 20000 });
}

/**
 * Starts a Python script as a peer. It must print one line (e.g. its port) when ready; the
 * returned promise gives that line and the process. The process is killed by `stop()`.
 */
export function pythonPeer(script: string, args: string[] = []): Promise<{ line: string; child: ChildProcess; done: Promise<string> }> {
  const child = spawn('python3', ['-u', '-c', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const done = new Promise<string>((resolve, reject) => {
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`python exited ${code}: ${err}`))));
  });
  done.catch(() => undefined);
  child.stderr!.on('data', (d) => { err += d; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { child.kill(); reject(new Error(`python peer did not start: ${err}`)); }, 10000);
    child.stdout!.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1 && timer) {
        clearTimeout(timer);
        resolve({ line: out.slice(0, nl), child, done });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); if (!out.includes('\n')) reject(new Error(`python exited ${code}: ${err}`)); });
  });
}

/** Rejects with `error` unless `promise` settles within `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what = 'operation'): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => { timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms); }),
  ]);
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
