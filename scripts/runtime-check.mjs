// The runtime check: a short run of the package's core under whatever runtime runs this file
// (Node, Deno, Bun, Node for arm64 under qemu). scripts/ci-runtimes.sh runs it in each of them,
// from the checkout and from installs of the packed tarball. Exits 0 only if every check passed
// and the runtime then ended by itself (nothing left holding the event loop, no crash at exit).
//
//   node scripts/runtime-check.mjs [--module SPEC] [--expect-prebuild TUPLE]
//   deno run -A scripts/runtime-check.mjs ...      bun scripts/runtime-check.mjs ...
// --module: what to require (default 'bsd-sockets', resolved from this file's folder; the checkout
//   passes its dist/lib/index.js). --expect-prebuild linux-x64: the addon this process mapped must
//   be the package's prebuilds/linux-x64/ binary, and nothing was compiled at install.
import { createRequire } from 'node:module';
import * as assert from 'node:assert/strict';
import { Buffer } from 'node:buffer';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const given = option('--module') ?? 'bsd-sockets';
// A path is taken from the working directory; a package name is resolved from this file's folder.
const spec = /^[./]/.test(given) ? path.resolve(given) : given;
const expectPrebuild = option('--expect-prebuild');
// Under qemu every instruction is emulated: give each check room.
const CHECK_TIMEOUT_MS = Number(process.env.BSD_SOCKETS_CHECK_TIMEOUT_MS ?? 30_000);

const runtime = globalThis.Deno ? `deno ${globalThis.Deno.version.deno}`
  : process.versions.bun ? `bun ${process.versions.bun}` : `node ${process.version}`;
const bs = require(spec);
// The package as an ES module too, when it is installed. Imported first thing, as an application
// does: under Node 20, an import() made after the checks below has resolved a pnpm-linked package
// to its symlinked path, and so to a second, empty copy of the module.
const esm = spec === 'bsd-sockets' ? await import('bsd-sockets') : undefined;
const LOCAL = '127.0.0.1';

/** A listening TCP socket on an ephemeral loopback port. */
function listener() {
  const server = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
  server.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, 1);
  server.bind([LOCAL, 0]);
  server.listen();
  return server;
}

/** Reads until the peer shuts its side. */
async function recvAll(sock) {
  const parts = [];
  for (let data; (data = await sock.recv(4096)).length > 0;) parts.push(data);
  return Buffer.concat(parts).toString();
}

const checks = {
  'echo (Sync)': () => {
    const server = listener();
    const client = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    try {
      client.connectSync(server.getsockname());
      const [conn, peer] = server.acceptSync();
      try {
        assert.deepEqual(peer, client.getsockname());
        client.sendallSync(Buffer.from('echo Sync'));
        conn.sendallSync(conn.recvSync(4096));
        assert.equal(client.recvSync(4096).toString(), 'echo Sync');
      } finally {
        conn.close();
      }
    } finally {
      client.close();
      server.close();
    }
  },

  'echo (Promise)': async () => {
    const server = listener();
    const client = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    try {
      const serving = (async () => {
        const [conn] = await server.accept();
        try {
          for (let data; (data = await conn.recv(4096)).length > 0;) await conn.sendall(data);
        } finally {
          conn.close();
        }
      })();
      await client.connect(server.getsockname());
      await client.sendall(Buffer.from('echo Promise'));
      client.shutdown(bs.SHUT_WR);
      assert.equal(await recvAll(client), 'echo Promise');
      await serving;
    } finally {
      client.close();
      server.close();
    }
  },

  select: async () => {
    const [a, b] = bs.socketpair();
    try {
      assert.deepEqual(bs.selectSync([a], [], [], 0), [[], [], []]);
      const waiting = bs.select([a, b.fileno()], [], [], 10);
      b.sendSync(Buffer.from('x'));
      const [r] = await waiting;
      assert.deepEqual(r, [a]);
      const [r2, w2] = bs.selectSync([a], [b], [], 0);
      assert.deepEqual([r2, w2], [[a], [b]]);
    } finally {
      a.close();
      b.close();
    }
  },

  'Unix sockets': async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-check-'));
    const where = path.join(dir, 'stream.sock');
    const server = bs.socket(bs.AF_UNIX, bs.SOCK_STREAM);
    const client = bs.socket(bs.AF_UNIX, bs.SOCK_STREAM);
    try {
      server.bind(where);
      server.listen();
      assert.equal(server.getsockname(), where);
      const accepting = server.accept();
      await client.connect(where);
      const [conn, peer] = await accepting;
      try {
        assert.equal(peer, '');
        await client.sendall(Buffer.from('over a path'));
        assert.equal((await conn.recv(100)).toString(), 'over a path');
      } finally {
        conn.close();
      }
      const [d1, d2] = bs.socketpair(bs.AF_UNIX, bs.SOCK_DGRAM);
      try {
        d1.sendSync(Buffer.from('one'));
        d1.sendSync(Buffer.from('two'));
        assert.equal((await d2.recv(100)).toString(), 'one');
        assert.equal(d2.recvSync(100).toString(), 'two');
      } finally {
        d1.close();
        d2.close();
      }
    } finally {
      client.close();
      server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },

  'descriptor passing': async () => {
    const [a, b] = bs.socketpair();
    const [x, y] = bs.socketpair();
    try {
      bs.sendFdsSync(a, [Buffer.from('take this')], [x.fileno()]);
      const [data, fds] = await bs.recvFds(b, 100, 4);
      assert.equal(data.toString(), 'take this');
      assert.equal(fds.length, 1);
      assert.notEqual(fds[0], x.fileno());
      // Wrap the received descriptor as it is (no dup), as Python's socket(fileno=...) does.
      const received = new bs.Socket(undefined, undefined, undefined, fds[0]);
      try {
        assert.equal(received.family, bs.AF_UNIX);
        received.sendallSync(Buffer.from('through the copy'));
        assert.equal((await y.recv(100)).toString(), 'through the copy');
      } finally {
        received.close();
      }
    } finally {
      for (const s of [a, b, x, y]) s.close();
    }
  },

  'socketserver TCPServer': async () => {
    class Upper extends bs.StreamRequestHandler {
      async handle() {
        for (let line; (line = await this.readline()).length > 0;) await this.write(line.toString().toUpperCase());
      }
    }
    const server = new bs.TCPServer([LOCAL, 0], Upper);
    try {
      const serving = server.serveForever();
      const replies = await Promise.all([1, 2].map(async (i) => {
        const sock = await bs.createConnection(server.serverAddress, { timeout: 20 });
        try {
          await sock.sendall(Buffer.from(`client ${i}\n`));
          sock.shutdown(bs.SHUT_WR);
          return await recvAll(sock);
        } finally {
          sock.close();
        }
      }));
      assert.deepEqual(replies, ['CLIENT 1\n', 'CLIENT 2\n']);
      await server.shutdown();
      await serving;
    } finally {
      server.serverClose();
    }
  },

  errors: async () => {
    // A port nobody listens on: bound (so nothing else takes it) but not listening.
    const holder = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
    try {
      holder.bind([LOCAL, 0]);
      const address = holder.getsockname();
      const refused = (e) => e instanceof bs.ConnectionRefusedError && e instanceof bs.SocketError
        && e.errno === os.constants.errno.ECONNREFUSED && e.code === 'ECONNREFUSED' && e.syscall === 'connect';
      const sync = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
      try {
        assert.throws(() => sync.connectSync(address), refused);
      } finally {
        sync.close();
      }
      const promised = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
      try {
        await assert.rejects(promised.connect(address), refused);
      } finally {
        promised.close();
      }
      const ex = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
      try {
        assert.equal(ex.connectEx(address), os.constants.errno.ECONNREFUSED);
      } finally {
        ex.close();
      }
      assert.throws(() => promised.recvSync(1), (e) => e instanceof bs.SocketError && e.code === 'EBADF');
      assert.throws(() => bs.socket().bind([LOCAL, 70000]), (e) => e instanceof RangeError && e.code === 'ERR_SOCKET_BAD_PORT');
    } finally {
      holder.close();
    }
  },
};

if (esm) {
  checks['ES module import'] = () => {
    for (const name of ['socket', 'select', 'TCPServer', 'sendFds', 'AF_INET']) assert.equal(esm[name], bs[name], name);
  };
}

if (expectPrebuild) {
  checks[`prebuilt binary (${expectPrebuild})`] = () => {
    // Every shared object loaded that is a Node addon: the one bsd-sockets loaded. /proc/self/maps
    // on Linux (every runtime has it, qemu too), Node's diagnostic report elsewhere.
    const objects = fs.existsSync('/proc/self/maps')
      ? fs.readFileSync('/proc/self/maps', 'utf8').split('\n').map((line) => line.trim().split(/\s+/)[5])
      : process.report.getReport().sharedObjects;
    const addons = [...new Set(objects.filter((p) => p && p.endsWith('.node')))];
    assert.equal(addons.length, 1, `addons mapped: ${JSON.stringify(addons)}`);
    const dir = fs.realpathSync(path.dirname(require.resolve(`${spec}/package.json`)));
    assert.equal(path.dirname(fs.realpathSync(addons[0])), path.join(dir, 'prebuilds', expectPrebuild));
    assert.equal(fs.existsSync(path.join(dir, 'build')), false, 'a build/ directory exists: the install compiled');
  };
}

/** Runs `fn`, failing it if it has not settled in CHECK_TIMEOUT_MS. */
function bounded(fn) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no result in ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([Promise.resolve().then(fn), timeout]).finally(() => clearTimeout(timer));
}

const failed = [];
for (const [name, fn] of Object.entries(checks)) {
  try {
    await bounded(fn);
    console.log(`ok - ${name}`);
  } catch (error) {
    failed.push(name);
    console.log(`not ok - ${name}: ${error?.stack ?? error}`);
  }
}
const total = Object.keys(checks).length;
console.log(`runtime-check under ${runtime} (${process.platform}-${process.arch}): ${total - failed.length} of ${total} checks ok`);
// On failure, leave at once (an operation may still be pending); on success, let the runtime end
// by itself, so that a leaked handle (a hang) or a crash at exit shows.
if (failed.length > 0) process.exit(1);
