// Load: one process holds 10 000 concurrent loopback TCP connections with the Promise API, echoes on
// every one of them, and reports the memory each idle connection costs. It runs in a child with a
// raised descriptor limit (`ulimit -n 30000`), the clients in a second process; LOAD_CONNECTIONS
// changes the count.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { spawn } from 'node:child_process';

const INDEX = path.join(__dirname, '..', 'lib', 'index.js');
const MB = 1024 * 1024;

// The server process: accepts n connections, one handler each, parked in recv while idle.
async function server(n: number): Promise<unknown> {
  const bs = require(INDEX) as typeof import('../lib');
  const gc = (globalThis as { gc?: () => void }).gc!;
  const rss = (): number => { gc(); gc(); return process.memoryUsage().rss; };
  const srv = bs.socket();
  srv.bind(['127.0.0.1', 0]);
  srv.listen(4096);
  const rss0 = rss();
  process.stdout.write(`${(srv.getsockname() as [string, number])[1]}\n`);
  const served: Promise<number>[] = [];
  const accepted: InstanceType<typeof bs.Socket>[] = [];
  let started = 0;
  while (accepted.length < n) {
    const [a] = await srv.accept();
    if (!started) started = performance.now();
    accepted.push(a);
    served.push((async () => {
      let echoed = 0;
      for (;;) {
        const data = await a.recv(256);
        if (data.length === 0) break;
        await a.sendall(data);
        echoed += data.length;
      }
      return echoed;
    })());
  }
  const acceptedMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 200));  // every handler is parked in recv now
  const rssIdle = rss();
  const echoed = await Promise.all(served.map((p) => p.catch(() => -1)));
  for (const a of accepted) a.close();
  srv.close();
  return { connections: n, acceptedMs, rss0, rssIdle, perConnection: (rssIdle - rss0) / n,
    serverEchoed: echoed.filter((x) => x === 15).length };
}

// The client process: n connections, then (once the server has measured itself idle) an echo on all.
async function client(n: number, port: number): Promise<unknown> {
  const bs = require(INDEX) as typeof import('../lib');
  const started = performance.now();
  const clients: InstanceType<typeof bs.Socket>[] = [];
  const BATCH = 500;
  for (let i = 0; i < n; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, n - i) }, () => bs.socket());
    await Promise.all(batch.map((c) => c.connect(['127.0.0.1', port])));
    clients.push(...batch);
  }
  const connectedMs = performance.now() - started;
  await new Promise((r) => setTimeout(r, 1500));
  const echoStart = performance.now();
  const results = await Promise.all(clients.map(async (c, i) => {
    const msg = Buffer.from(`hello ${i.toString().padStart(9, '0')}`);
    await c.sendall(msg);
    let got = Buffer.alloc(0);
    while (got.length < msg.length) {
      const d = await c.recv(256);
      if (d.length === 0) break;
      got = Buffer.concat([got, d]);
    }
    return got.equals(msg);
  }));
  const echoMs = performance.now() - echoStart;
  for (const c of clients) c.close();
  return { connectedMs, echoMs, echoedOk: results.filter(Boolean).length };
}

if (process.env.BSD_LOAD_CHILD) {
  const n = Number(process.env.BSD_LOAD_CHILD);
  const port = Number(process.env.BSD_LOAD_PORT ?? 0);
  (port ? client(n, port) : server(n)).then((r) => {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    process.exit(0);
  }, (e) => { process.stderr.write(`${e?.stack ?? e}\n`); process.exit(3); });
} else if (typeof describe === 'function') {
  describe('load', () => {
    it('one process holds 10 000 concurrent loopback connections and echoes on all of them', async function () {
      const n = Number(process.env.LOAD_CONNECTIONS ?? 10000);
      this.timeout(90000);
      // Each side in its own process, with the descriptor limit raised as far as allowed.
      const limit = n + 1000;
      const command = `ulimit -n ${Math.max(limit, 30000)} 2>/dev/null || ulimit -n $(ulimit -Hn); ` +
        `[ $(ulimit -n) -ge ${limit} ] || { echo "descriptor limit $(ulimit -n) < ${limit}" >&2; exit 2; }; ` +
        `exec "${process.execPath}" --expose-gc "${__filename}"`;
      const run = (env: Record<string, string>, onLine?: (line: string) => void): Promise<Record<string, any>> =>
        new Promise((resolve, reject) => {
          const p = spawn('bash', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
          const timer = setTimeout(() => p.kill('SIGKILL'), 60000);
          let out = '';
          let err = '';
          p.stdout.on('data', (d) => {
            out += d;
            if (onLine && out.includes('\n')) { onLine(out.slice(0, out.indexOf('\n'))); onLine = undefined; }
          });
          p.stderr.on('data', (d) => { err += d; });
          p.on('exit', (code, signal) => {
            clearTimeout(timer);
            if (code !== 0) reject(new Error(`load child (${JSON.stringify(env)}) exited ${code ?? signal} (60 s limit):\n${err.slice(-3000)}`));
            else resolve(JSON.parse(out.trim().split('\n').pop()!));
          });
        });
      let clientRun: Promise<Record<string, any>> | undefined;
      const serverRun = run({ BSD_LOAD_CHILD: String(n) }, (port) => {
        clientRun = run({ BSD_LOAD_CHILD: String(n), BSD_LOAD_PORT: port });
        clientRun.catch(() => undefined);
      });
      const s = await serverRun;
      const c = await clientRun!;
      console.log(`      ${s.connections} connections held by one process: up in ${(c.connectedMs / 1000).toFixed(1)} s; ` +
        `echo on all at once in ${(c.echoMs / 1000).toFixed(1)} s; server RSS ${(s.rss0 / MB).toFixed(0)} -> ${(s.rssIdle / MB).toFixed(0)} MB; ` +
        `${(s.perConnection / 1024).toFixed(1)} KiB per idle connection (a Socket with a pending recv)`);
      assert.equal(c.echoedOk, n, 'every client got its echo back');
      assert.equal(s.serverEchoed, n, 'every server handler echoed its message and then saw the end of stream');
      assert.ok(s.perConnection > 0 && s.perConnection < 64 * 1024, `${(s.perConnection / 1024).toFixed(1)} KiB per connection`);
    });
  });
}
