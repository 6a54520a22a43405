// The package as users get it: `npm pack`, then an install of the tarball into an empty project
// on a PATH with node and npm but no compiler, make or Python, from local tarballs only (no
// registry). The installed package must load its prebuilt binary (never compile), and work from
// require() and from an ES module import.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { tempDir } from './helpers';
import { ROOT, ensurePrebuild, expectedPrebuildDirs } from './prebuild';

const TUPLE = `${process.platform}-${process.arch}`;

interface PackResult {
  filename: string;
  files: Array<{ path: string }>;
}

interface ConsumerReport {
  echo: string;
  resolved: string;
  loaded: string[];
  exportCount: number;
  missingNamedImports?: string[];
  mainUrl?: string;
}

/** Runs a command; throws with its output unless it exits 0 within the time given. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout: number }): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { ...opts, encoding: 'utf8' });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}, signal ${r.signal}`}):\n${(r.stdout + r.stderr).slice(-3000)}`);
  }
  return r;
}

function sha256(file: string): string {
  return crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** The environment of a user with node and npm but no toolchain, and nothing of this checkout's npm config. */
function bareEnv(bin: string, home: string, cache: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // npm's own variables (npm test sets many), our loader overrides, and anything that finds a compiler.
    if (/^(npm_|NODE_|BSD_SOCKETS|PYTHON|CC$|CXX$|LD$|MAKE|JOBS$)/i.test(k)) continue;
    if (k === 'PATH' || k === 'HOME') continue;
    env[k] = v;
  }
  env.PATH = bin;
  env.HOME = home;
  env.npm_config_cache = cache;
  env.npm_config_update_notifier = 'false';
  return env;
}

const cjsConsumer = `'use strict';
const path = require('node:path');
const bsd = require('bsd-sockets');
const dir = path.dirname(require.resolve('bsd-sockets/package.json'));
const resolved = require('node-gyp-build').path(dir);
// Every shared object this process has loaded that is a Node addon (the diagnostic report lists
// them on Linux and macOS alike): the one bsd-sockets loaded.
const loaded = process.report.getReport().sharedObjects.filter((p) => p.endsWith('.node'));
async function main() {
  const server = bsd.socket(bsd.AF_INET, bsd.SOCK_STREAM);
  server.setsockopt(bsd.SOL_SOCKET, bsd.SO_REUSEADDR, 1);
  server.bind(['127.0.0.1', 0]);
  server.listen();
  const serving = (async () => {
    const [conn] = await server.accept();
    for (let data; (data = await conn.recv(4096)).length > 0; ) await conn.sendall(data);
    conn.close();
  })();
  const client = bsd.socket(bsd.AF_INET, bsd.SOCK_STREAM);
  await client.connect(server.getsockname());
  await client.sendall(Buffer.from('echo through require()'));
  client.shutdown(bsd.SHUT_WR);
  const parts = [];
  for (let data; (data = await client.recv(4096)).length > 0; ) parts.push(data);
  client.close();
  await serving;
  server.close();
  const report = { echo: Buffer.concat(parts).toString(), resolved, loaded, exportCount: Object.keys(bsd).length };
  process.stdout.write(JSON.stringify(report));
}
main().catch((e) => { console.error(e); process.exit(1); });
`;

const esmConsumer = `import { socket, AF_INET, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR } from 'bsd-sockets';
import * as ns from 'bsd-sockets';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const cjs = require('bsd-sockets');
const missingNamedImports = Object.keys(cjs).filter((name) => !(name in ns) || ns[name] !== cjs[name]);
const server = socket(AF_INET, SOCK_STREAM);
server.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
server.bind(['127.0.0.1', 0]);
server.listen();
const client = socket(AF_INET, SOCK_STREAM);
client.connectSync(server.getsockname());
const [conn] = server.acceptSync();
client.sendallSync(Buffer.from('echo through import'));
conn.sendallSync(conn.recvSync(4096));
const echo = client.recvSync(4096).toString();
for (const s of [client, conn, server]) s.close();
const loaded = process.report.getReport().sharedObjects.filter((p) => p.endsWith('.node'));
const resolved = require('node-gyp-build').path(new URL('.', import.meta.resolve('bsd-sockets/package.json')).pathname);
process.stdout.write(JSON.stringify({ echo, resolved, loaded, exportCount: Object.keys(ns).length, missingNamedImports,
  mainUrl: import.meta.resolve('bsd-sockets') }));
`;

describe('the package: npm pack, then a prebuilt install with no compiler', function () {
  // The prebuild (a full node-gyp build, about 30 s on 2 cores) is made only when it is missing or stale.
  this.timeout(60_000);

  let prebuild = '';
  let work = '';
  let pack: PackResult;
  let app = '';
  let env: NodeJS.ProcessEnv = {};
  let installed = '';
  const tarballs: string[] = [];

  before(function () {
    this.timeout(330_000);
    prebuild = ensurePrebuild(300_000);
    work = tempDir();
    // The package, and its one runtime dependency plus the build-time one, as tarballs: the install
    // below reads nothing from a registry.
    const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work, '.',
      './node_modules/node-gyp-build', './node_modules/node-addon-api'], { cwd: ROOT, timeout: 60_000 });
    const packs = JSON.parse(r.stdout) as PackResult[];
    pack = packs[0];
    for (const p of packs) tarballs.push(path.join(work, p.filename));

    // A PATH with node and npm only: no cc, gcc, g++, make or python3.
    const bin = path.join(work, 'bin');
    fs.mkdirSync(bin);
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    const npmBin = (process.env.PATH ?? '').split(path.delimiter).map((d) => path.join(d, 'npm')).find((p) => fs.existsSync(p));
    assert.ok(npmBin, 'npm is not on the PATH');
    fs.symlinkSync(fs.realpathSync(npmBin), path.join(bin, 'npm'));
    fs.symlinkSync('/bin/sh', path.join(bin, 'sh'));
    const home = path.join(work, 'home');
    fs.mkdirSync(home);
    env = bareEnv(bin, home, path.join(work, 'npm-cache'));
  });

  it('packs the prebuilds, the compiled JavaScript with its types and the native sources, and nothing else', () => {
    const files = pack.files.map((f) => f.path);
    const prebuildPath = path.relative(ROOT, prebuild).split(path.sep).join('/');
    for (const f of [prebuildPath, 'package.json', 'README.md', 'binding.gyp', 'CMakeLists.txt', 'dist/lib/index.js',
      'dist/lib/index.d.ts', 'dist/lib/binding/native.js', 'native/addon.cc', 'native/platform.h']) {
      assert.ok(files.includes(f), `${f} is missing from the tarball`);
    }
    const unwanted = files.filter((f) => /^(dist\/test|test|scripts|build|node_modules|lib|examples|bench)\//.test(f) || f.endsWith('.map'));
    assert.deepEqual(unwanted, []);
    // The prebuilds `npm run prebuild` makes here (on Linux x64 also linux-arm64), and no others.
    const packedDirs = [...new Set(files.filter((f) => f.startsWith('prebuilds/')).map((f) => path.posix.dirname(f)))].sort();
    assert.deepEqual(packedDirs, expectedPrebuildDirs().map((d) => path.relative(ROOT, d).split(path.sep).join('/')).sort());
  });

  it('the PATH given to npm reaches no compiler, make or Python', () => {
    const r = spawnSync('/bin/sh', ['-c', 'for c in cc gcc g++ c++ clang make python3 python; do command -v $c; done; true'], { env, encoding: 'utf8' });
    assert.equal(r.stdout.trim(), '');
  });

  it('installs from the tarball, offline, with no compiler, and never builds', function () {
    this.timeout(120_000);
    app = path.join(work, 'app');
    fs.mkdirSync(app);
    fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
    run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--foreground-scripts', ...tarballs], { cwd: app, env, timeout: 90_000 });
    installed = path.join(app, 'node_modules', 'bsd-sockets');
    assert.ok(fs.existsSync(path.join(installed, 'package.json')));
    assert.equal(fs.existsSync(path.join(installed, 'build')), false, 'a build/ directory appeared: the install compiled');
    const installedPrebuild = path.join(installed, path.relative(ROOT, prebuild));
    assert.equal(sha256(installedPrebuild), sha256(prebuild), 'the installed prebuild is the one packed');
  });

  it('a build from source in the same environment fails: there really is no toolchain', function () {
    this.timeout(120_000);
    const other = path.join(work, 'from-source');
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, 'package.json'), JSON.stringify({ name: 'from-source', version: '1.0.0', private: true }));
    const r = spawnSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...tarballs],
      { cwd: other, env: { ...env, npm_config_build_from_source: 'true' }, encoding: 'utf8', timeout: 90_000 });
    assert.notEqual(r.status, 0, 'npm install --build-from-source succeeded without a compiler');
    assert.match(r.stdout + r.stderr, /gyp/);
  });

  it('require(): a TCP echo works, with the prebuilt binary loaded', function () {
    assert.ok(installed, 'the install test did not run');
    fs.writeFileSync(path.join(app, 'consumer.cjs'), cjsConsumer);
    const r = run(process.execPath, ['consumer.cjs'], { cwd: app, env, timeout: 30_000 });
    const report = JSON.parse(r.stdout) as ConsumerReport;
    assert.equal(report.echo, 'echo through require()');
    assert.ok(report.exportCount > 100, `only ${report.exportCount} exports`);
    assertPrebuildLoaded(report);
  });

  it('import from an ES module: named imports work (every CommonJS export) and the prebuilt binary is loaded', function () {
    assert.ok(installed, 'the install test did not run');
    fs.writeFileSync(path.join(app, 'consumer.mjs'), esmConsumer);
    const r = run(process.execPath, ['consumer.mjs'], { cwd: app, env, timeout: 30_000 });
    const report = JSON.parse(r.stdout) as ConsumerReport;
    assert.equal(report.echo, 'echo through import');
    assert.deepEqual(report.missingNamedImports, []);
    assert.ok(report.mainUrl?.endsWith('/node_modules/bsd-sockets/dist/lib/index.js'), report.mainUrl);
    assertPrebuildLoaded(report);
  });

  /** node-gyp-build would load prebuilds/<platform>-<arch>/…, and that file is the only addon the process mapped. */
  function assertPrebuildLoaded(report: ConsumerReport): void {
    const prebuilds = fs.realpathSync(path.join(installed, 'prebuilds', TUPLE));
    const resolved = fs.realpathSync(report.resolved);
    assert.equal(path.dirname(resolved), prebuilds, `node-gyp-build resolves ${resolved}`);
    assert.deepEqual(report.loaded.map((p) => fs.realpathSync(p)), [resolved]);
  }
});
