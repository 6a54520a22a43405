// The package under the other runtimes: Deno (libuv backend; its Node-API once aborted at exit, see
// docs/DENO-ASYNC-CLEANUP.md) and Bun (no libuv: the poll-thread backend). Each runtime is taken
// from $DENO / $BUN or the PATH; a runtime that is not installed is skipped with the reason printed.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const ECHO = path.join(ROOT, 'test', 'runtime-echo.cjs');

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  killedByTest: boolean;
}

/** The runtime's executable: $VAR if set, else `name` on the PATH; undefined if neither. */
function findRuntime(name: string, variable: string): string | undefined {
  const given = process.env[variable];
  if (given) return given;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function run(file: string, args: string[], killAfterMs = 20000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, BSD_SOCKETS_BACKEND: '' } });
    let stdout = '';
    let stderr = '';
    let killedByTest = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => {
      killedByTest = true;
      child.kill('SIGKILL');
    }, killAfterMs);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killedByTest });
    });
  });
}

function skipUnless(runtime: string | undefined, name: string, variable: string, ctx: Mocha.Context): asserts runtime is string {
  if (runtime !== undefined) return;
  console.log(`      skipped: ${name} is not installed (not on the PATH, $${variable} unset)`);
  ctx.skip();
}

describe('other runtimes', function () {
  this.timeout(60000);

  describe('Deno', () => {
    const deno = findRuntime('deno', 'DENO');

    it('loads the package, echoes over TCP and exits 0 without aborting', async function () {
      skipUnless(deno, 'Deno', 'DENO', this);
      const r = await run(deno, ['run', '--allow-all', ECHO, ROOT]);
      assert.equal(r.killedByTest, false, 'still running after 20 s');
      assert.doesNotMatch(r.stderr, /double free|corruption/, r.stderr);
      assert.equal(r.signal, null, `died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'echo libuv ping sync');
    });
  });

  describe('Bun', () => {
    const bun = findRuntime('bun', 'BUN');

    it('chooses the poll thread, echoes over TCP and exits by itself', async function () {
      skipUnless(bun, 'Bun', 'BUN', this);
      const r = await run(bun, [ECHO, ROOT]);
      assert.equal(r.killedByTest, false, 'still running after 20 s: a watcher held the process');
      assert.equal(r.signal, null, `died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'echo thread ping sync');
    });

    it('Workers with pending recvs exit, or are terminated, cleanly', async function () {
      skipUnless(bun, 'Bun', 'BUN', this);
      const script = `
        const { Worker } = require('node:worker_threads');
        const body = \`
          const lib = require(${JSON.stringify(ROOT)});
          const { parentPort, workerData } = require('node:worker_threads');
          const [a, b] = lib.socketpair();
          globalThis.keep = [a, b, a.recv(1), b.recv(1)];
          if (workerData === 'exit') process.exit(0);
          parentPort.postMessage('waiting');
        \`;
        (async () => {
          for (const mode of ['exit', 'terminate', 'exit', 'terminate']) {
            const w = new Worker(body, { eval: true, workerData: mode });
            if (mode === 'terminate') w.once('message', () => w.terminate());
            await new Promise((resolve, reject) => { w.on('exit', resolve); w.on('error', reject); });
          }
          console.log('ok');
        })();
      `;
      const r = await run(bun, ['-e', script]);
      assert.equal(r.killedByTest, false, 'still running after 20 s');
      assert.equal(r.signal, null, `died of ${r.signal}: ${r.stderr}`);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'ok');
    });

    // A pending recv keeps the process alive unless its socket is unref()'d, as under Node.
    const pending = (unref: boolean): string => `
      const lib = require(${JSON.stringify(ROOT)});
      const [a, b] = lib.socketpair();
      globalThis.keep = b;
      ${unref ? 'a.unref();' : ''}
      a.recv(1).then(() => process.exit(3), () => process.exit(4));
      console.log('waiting');
    `;

    it('a pending recv keeps the process alive', async function () {
      skipUnless(bun, 'Bun', 'BUN', this);
      const r = await run(bun, ['-e', pending(false)], 1500);
      assert.equal(r.stdout.trim(), 'waiting', r.stderr);
      assert.ok(r.killedByTest, `exited by itself (code ${r.code}) while a recv was pending`);
    });

    it('a pending recv on an unref()d socket lets the process exit', async function () {
      skipUnless(bun, 'Bun', 'BUN', this);
      const r = await run(bun, ['-e', pending(true)], 10000);
      assert.equal(r.stdout.trim(), 'waiting', r.stderr);
      assert.equal(r.killedByTest, false, 'still running after 10 s');
      assert.equal(r.code, 0, r.stderr);
    });
  });
});
