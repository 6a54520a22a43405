// Environment teardown at the worst moment: a Worker terminated while it loads the package. Once
// termination starts, every Node-API call that could run JavaScript fails and no exception can be
// thrown; the addon must give up quietly (issue 11: node-addon-api rethrew, the rethrow failed and
// std::terminate aborted the whole process). The rounds run in a child process, so that an abort
// is seen as the child's exit status, while another child keeps the CPU busy.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

const ROUNDS = 60;
const BUDGET_MS = 20000;

// Each Worker loads the package over and over (a fresh require each time, so that the addon's Init
// runs again), so that a termination 0-20 ms after it has started lands inside Init most times.
const child = `
const { Worker } = require('node:worker_threads');
const [pkg, rounds, budget] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const body = 'const pkg = ' + JSON.stringify(pkg) + ';' +
  'require("node:worker_threads").parentPort.postMessage("started");' +
  'for (;;) { for (const k of Object.keys(require.cache)) delete require.cache[k]; require(pkg); }';
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

describe('teardown: a Worker terminated while it loads the package', () => {
  it(`${ROUNDS} rounds of load-then-terminate on a busy CPU: the process never aborts`, async function () {
    this.timeout(BUDGET_MS + 30000);
    const pkg = path.join(__dirname, '..', 'lib', 'index.js');
    const busy = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    try {
      const run = spawn(process.execPath, ['-e', child, pkg, String(ROUNDS), String(BUDGET_MS)], { stdio: ['ignore', 'pipe', 'pipe'] });
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
  });
});
