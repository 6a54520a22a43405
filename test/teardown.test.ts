// Environment teardown at the worst moment: a Worker terminated while it loads the package, or
// while it is in the middle of socket calls. Once termination starts, every Node-API call that
// could run JavaScript fails and no exception can be thrown; the addon must give up quietly
// (issue 11: node-addon-api rethrew, the rethrow failed and std::terminate aborted the whole
// process). The rounds run in a child process, so that an abort is seen as the child's exit
// status, while another child keeps the CPU busy.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

const ROUNDS = 60;
const BUDGET_MS = 20000;

// Starts a Worker running `body` (which posts a message once it is going), terminates it 0-20 ms
// later, and repeats; prints how many rounds ran.
const driver = `
const { Worker } = require('node:worker_threads');
const [body, rounds, budget] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
(async () => {
  const started = Date.now();
  let done = 0;
  while (done < rounds && Date.now() - started < budget) {
    const worker = new Worker(body, { eval: true });
    worker.on('error', (e) => { console.error('worker error: ' + (e && e.stack)); process.exitCode = 2; });
    await new Promise((resolve) => worker.once('message', resolve));
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20));
    await worker.terminate();
    done++;
  }
  console.log(done);
})();
`;

const pkg = JSON.stringify(path.join(__dirname, '..', 'lib', 'index.js'));

// Loads the package over and over (a fresh require each time, so that the addon's Init runs
// again): a termination lands inside Init most times.
const loading = `
require('node:worker_threads').parentPort.postMessage('started');
for (;;) { for (const k of Object.keys(require.cache)) delete require.cache[k]; require(${pkg}); }
`;

// Socket calls of every kind, Sync and Promise, the resolver's thread pool and the watcher.
const working = `
const bs = require(${pkg});
require('node:worker_threads').parentPort.postMessage('started');
(async () => {
  for (;;) {
    const [a, b] = bs.socketpair();
    const pending = b.recv(10).catch(() => {});
    a.sendmsgSync([Buffer.from('x')], []);
    await pending;
    bs.getaddrinfo('127.0.0.1', 80).catch(() => {});
    bs.selectSync([a, b], [a], [], 0);
    await bs.select([a], [], [], 0);
    bs.inet_ntop(bs.AF_INET, Buffer.alloc(4));
    a.close();
    b.close();
  }
})();
`;

async function terminateRounds(body: string): Promise<void> {
  const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    const run = spawn(process.execPath, ['-e', driver, body, String(ROUNDS), String(BUDGET_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    run.stdout.on('data', (d) => { out += d; });
    run.stderr.on('data', (d) => { err += d; });
    const killer = setTimeout(() => run.kill('SIGKILL'), BUDGET_MS + 20000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => run.on('close', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    assert.equal(signal, null, `the child died of ${signal}:\n${err.slice(-2000)}`);
    assert.equal(code, 0, `the child exited ${code}:\n${err.slice(-2000)}`);
    assert.doesNotMatch(err, /terminate called|FATAL ERROR|Aborted/);
    const rounds = Number(out.trim());
    assert.ok(rounds >= 10, `only ${rounds} rounds ran in ${BUDGET_MS} ms`);
  } finally {
    busy.kill('SIGKILL');
  }
}

describe('teardown: a Worker terminated at the worst moment', () => {
  it(`${ROUNDS} rounds of load-then-terminate on a busy CPU: the process never aborts`, async function () {
    this.timeout(BUDGET_MS + 30000);
    await terminateRounds(loading);
  });

  it(`${ROUNDS} rounds of terminate in the middle of socket calls on a busy CPU: the process never aborts`, async function () {
    this.timeout(BUDGET_MS + 30000);
    await terminateRounds(working);
  });
});
