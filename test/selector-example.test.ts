// examples/selector-echo-server.ts run as a child process, with Python clients that connect before
// any speaks and then speak in reverse order: only a server that multiplexes answers them all.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { runPythonScript, within } from './helpers';

const SERVER = path.resolve(__dirname, '..', 'examples', 'selector-echo-server.js');

const CLIENTS = `
import socket, sys
port = int(sys.argv[1])
clients = [socket.create_connection(('127.0.0.1', port), timeout=5) for _ in range(5)]
for i in (4, 3, 2, 1, 0):
    clients[i].sendall(b'client %d' % i)
    print(clients[i].recv(100).decode())
for c in clients: c.close()
`;

describe('examples/selector-echo-server', () => {
  it('multiplexes five Python clients with DefaultSelector, then exits', async () => {
    const child = spawn(process.execPath, [SERVER, '0', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr.on('data', (d) => { err += d; });
    const port = new Promise<number>((resolve) => child.stdout.on('data', (d) => {
      out += d;
      const m = /port (\d+)\n/.exec(out);
      if (m) resolve(Number(m[1]));
    }));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    try {
      const p = await within(port, 10000, 'the server\'s port');
      const answers = runPythonScript(CLIENTS, [String(p)]).trim().split('\n');
      assert.deepEqual(answers, ['client 4', 'client 3', 'client 2', 'client 1', 'client 0']);
      assert.equal(await within(exited, 10000, 'the server\'s exit'), 0, err);
    } finally {
      child.kill();
    }
    assert.match(out, /^selector-echo-server \((epoll|kqueue|poll)\) listening on 127\.0\.0\.1 port \d+\n/);
    assert.match(out, /\(5 client\(s\) now\)/, 'all five were connected at once');
    assert.equal((out.match(/ closed\n/g) ?? []).length, 5);
    assert.match(out, /served 5 client\(s\), bye\n$/);
  });
});
