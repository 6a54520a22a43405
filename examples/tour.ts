// tour: what `npm start` runs. A short guided tour of the examples, each run as a child process
// on the loopback interface with servers on ephemeral ports (the packet and netlink tools, as root,
// in network namespaces the tour makes and removes); their output is shown indented.
// It takes a few seconds and exits 0 if every example did what it should.
//
// Usage: node dist/examples/tour.js
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import { createConnection } from '../lib/modules/create';
import { streamsTour } from './tour-streams';
import { toolsTour } from './tour-tools';

const TIMEOUT_MS = 15000;

function script(name: string): string {
  return path.join(__dirname, `${name}.js`);
}

/** A running example: its output is shown line by line, indented, as it comes. */
interface Example {
  child: ChildProcess;
  /** Settles when it exits: with its whole output if it exited 0. */
  done: Promise<string>;
  /** Resolves with the first output line that matches. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
}

/** Starts an example; `prefix` is a command to run node under (`ip netns exec NAME`). */
function launch(name: string, args: Array<string | number> = [], prefix: string[] = []): Example {
  const command = [...prefix, process.execPath, script(name), ...args.map(String)];
  const child = spawn(command[0], command.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let pending = '';
  let err = '';
  const watchers: Array<[RegExp, (m: RegExpExecArray) => void]> = [];
  child.stdout!.on('data', (d) => {
    out += d;
    pending += d;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      console.log(`    ${line}`);
      for (const [pattern, found] of watchers) {
        const m = pattern.exec(line);
        if (m) found(m);
      }
    }
  });
  child.stderr!.on('data', (d) => { err += d; });
  const timer = setTimeout(() => child.kill(), TIMEOUT_MS);
  const done = new Promise<string>((resolve, reject) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${name} exited with ${code ?? signal}: ${err.trim()}`));
    });
  });
  done.catch(() => undefined);
  return {
    child,
    done,
    waitFor: (pattern) => new Promise((resolve, reject) => {
      watchers.push([pattern, resolve]);
      done.then(() => reject(new Error(`${name} ended without printing ${pattern}`)), reject);
    }),
  };
}

/** Runs an example to completion; rejects if it fails or hangs. */
function run(name: string, args: Array<string | number> = [], prefix: string[] = []): Promise<string> {
  return launch(name, args, prefix).done;
}

/** Starts a server example; resolves with the port it printed, and the running example. */
async function start(name: string, args: Array<string | number>): Promise<Example & { port: number }> {
  const example = launch(name, args);
  const match = await example.waitFor(/port (\d+)$/);
  return { ...example, port: Number(match[1]) };
}

/**
 * Three clients connect before any of them speaks, then speak in reverse order: only a server
 * that multiplexes can answer them all.
 */
async function threeClientsInReverse(port: number): Promise<void> {
  const clients = await Promise.all([0, 1, 2].map(() => createConnection(['127.0.0.1', port], { timeout: 5 })));
  for (const i of [2, 1, 0]) {
    await clients[i].sendall(Buffer.from(`client ${i}`));
    console.log(`    tour: client ${i} got ${JSON.stringify((await clients[i].recv(100)).toString())}`);
  }
  for (const c of clients) c.close();
}

function title(text: string): void {
  console.log(`\n== ${text}`);
}

async function main(): Promise<void> {
  const begin = performance.now();
  console.log('bsd-sockets: a tour of the examples (everything on 127.0.0.1)');

  title('1. TCP echo, synchronous API (examples/echo-server.ts, examples/echo-client.ts)');
  const echo = await start('echo-server', [0, 1]);
  await run('echo-client', [echo.port, 'Hello, world', 'Berkeley sockets']);
  await echo.done;

  title('2. UDP echo: datagrams, sendto and recvfrom (examples/udp-echo.ts)');
  await run('udp-echo');

  title('3. One thread, three clients at once, with selectSync() (examples/select-server.ts)');
  const sel = await start('select-server', [0, 3]);
  await threeClientsInReverse(sel.port);
  await sel.done;

  title('3b. The same with DefaultSelector, as Python\'s selectors (examples/selector-echo-server.ts)');
  const selector = await start('selector-echo-server', [0, 3]);
  await threeClientsInReverse(selector.port);
  await selector.done;

  title('4. 100 concurrent clients on the event loop (examples/concurrent-server.ts)');
  await run('concurrent-server', [0, 100]);

  title('5. socketserver: TCPServer + StreamRequestHandler (examples/socketserver-tcp.ts)');
  await run('socketserver-tcp', [0, 3]);

  title('6. socketserver: UDPServer + DatagramRequestHandler (examples/socketserver-udp.ts)');
  await run('socketserver-udp', [0, 3]);

  title('7. Names and numbers: getaddrinfo and getnameinfo (examples/lookup.ts)');
  await run('lookup', ['localhost']);

  await streamsTour({ title, launch, run });

  title('11. Every core: a TCPServer per worker thread on one SO_REUSEPORT port (examples/multicore-server.ts)');
  await run('multicore-server', [0, 2, 20]);

  await toolsTour({ title, launch, run });

  console.log(`\ntour finished in ${((performance.now() - begin) / 1000).toFixed(1)} s: every example ran.`);
}

main().catch((error) => {
  console.error(`\ntour failed: ${error.message}`);
  process.exitCode = 1;
});
