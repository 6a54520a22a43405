// The suites that exercise the core run again inside a worker_threads Worker: the addon is
// context-aware, its watcher uses the Worker's own event loop, and the Worker exits cleanly.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { countOpenFds } from './helpers';

const SUITES = ['echo.test.js', 'async.test.js', 'stream.test.js', 'sendfile.test.js', 'tls.test.js'];

const runner = `
const { parentPort, workerData } = require('node:worker_threads');
const Mocha = require('mocha');
const mocha = new Mocha({ reporter: process.env.WORKER_VERBOSE ? 'spec' : 'dot', timeout: 60000 });
for (const file of workerData.files) mocha.addFile(file);
// libuv opens a per-loop signal pipe at the first child process: open it before the suites count.
require('node:child_process').spawn('true').on('exit', () => {
  const failed = [];
  const runner = mocha.run((failures) => parentPort.postMessage({ failures, total: mocha.suite.total(), failed }));
  runner.on('fail', (test, error) => failed.push(test.fullTitle() + ': ' + (error && error.message)));
});
`;

describe('inside a Worker', () => {
  it(`runs ${SUITES.join(', ')} with no failures and exits cleanly`, async function () {
    this.timeout(180000);
    // The suites include timing bounds (timer drift, idle CPU, timeout precision); under a loaded
    // sanitizer run one may miss by a hair. A second run must then pass them all.
    this.retries(1);
    const before = countOpenFds();
    const files = SUITES.map((f) => path.join(__dirname, f));
    const worker = new Worker(runner, { eval: true, workerData: { files }, stdout: true });
    worker.stdout.on('data', (d) => { if (process.env.WORKER_VERBOSE) process.stderr.write(d); });
    const result = await new Promise<{ failures: number; total: number; failed: string[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    const code = await new Promise<number>((resolve) => worker.once('exit', resolve));
    assert.equal(result.failures, 0, `${result.failures} of ${result.total} tests failed inside the Worker:\n${result.failed.join('\n')}`);
    assert.ok(result.total >= 15, `ran ${result.total} tests`);
    assert.equal(code, 0);
    assert.equal(countOpenFds(), before, 'no descriptor left open by the Worker');
  });
});
