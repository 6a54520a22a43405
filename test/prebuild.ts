// The prebuilt binaries of this checkout: made with `npm run prebuild` (scripts/prebuild.sh: this
// machine's, and on Linux x64 linux-arm64 too) when one is missing or older than the native
// sources. Used by test/pack.test.ts and, as a script (`node dist/test/prebuild.js`, which prints
// this machine's path), by scripts/ci-node-versions.sh and scripts/ci-runtimes.sh.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';

/** The root of the checkout (this file runs from dist/test/). */
export const ROOT = path.resolve(__dirname, '..', '..');

/** `prebuilds/<platform>-<arch>`, where prebuildify puts this machine's binary. */
export const PREBUILD_DIR = path.join(ROOT, 'prebuilds', `${process.platform}-${process.arch}`);

/** The newest modification time among the files the addon is built from. */
function sourcesMtime(): number {
  const files = [path.join(ROOT, 'binding.gyp'), ...fs.readdirSync(path.join(ROOT, 'native')).map((f) => path.join(ROOT, 'native', f))];
  return Math.max(...files.map((f) => fs.statSync(f).mtimeMs));
}

/** The prebuilt binary in `dir` (default: this machine's), if there is one. */
export function findPrebuild(dir = PREBUILD_DIR): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(dir).filter((n) => n.endsWith('.node'));
  } catch {
    return undefined;
  }
  return names.length > 0 ? path.join(dir, names.sort()[0]) : undefined;
}

/** Whether `npm run prebuild` here also cross-builds linux-arm64: scripts/prebuild.sh does when the cross tools are on the PATH. */
function crossBuildsArm64(): boolean {
  if (`${process.platform}-${process.arch}` !== 'linux-x64' || process.env.BSD_SOCKETS_PREBUILD_ARM64 === '0') return false;
  return spawnSync('/bin/sh', ['-c', 'command -v aarch64-linux-gnu-g++ && command -v aarch64-linux-gnu-strip']).status === 0;
}

/** The prebuild directories `npm run prebuild` makes on this machine. */
export function expectedPrebuildDirs(): string[] {
  return [PREBUILD_DIR, ...(crossBuildsArm64() ? [path.join(ROOT, 'prebuilds', 'linux-arm64')] : [])];
}

/** The Node headers that came with the running node, so that node-gyp need not download any. */
export function localNodedir(): string | undefined {
  const dir = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(dir, 'include', 'node', 'node_api.h')) ? dir : undefined;
}

/**
 * Returns the path of an up-to-date prebuild, running `npm run prebuild` first when there is
 * none or when a native source is newer. The build happens in a scratch copy of the sources, so
 * that the checkout's build/ (which the running tests have loaded) is never rebuilt under them.
 * Bounded by `timeoutMs`.
 */
export function ensurePrebuild(timeoutMs = 300_000): string {
  const dirs = expectedPrebuildDirs();
  const fresh = (dir: string): boolean => {
    const file = findPrebuild(dir);
    return file !== undefined && fs.statSync(file).mtimeMs >= sourcesMtime();
  };
  const existing = findPrebuild();
  if (existing && dirs.every(fresh)) return existing;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-prebuild-'));
  try {
    for (const name of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(ROOT, name), path.join(scratch, name));
    fs.cpSync(path.join(ROOT, 'native'), path.join(scratch, 'native'), { recursive: true });
    fs.mkdirSync(path.join(scratch, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'prebuild.sh'), path.join(scratch, 'scripts', 'prebuild.sh'));
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
    const env = { ...process.env };
    const nodedir = env.npm_config_nodedir || localNodedir();
    if (nodedir) env.npm_config_nodedir = nodedir;
    env.JOBS = String(os.availableParallelism?.() ?? os.cpus().length);
    const r = spawnSync('npm', ['run', 'prebuild'], { cwd: scratch, env, encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) {
      throw new Error(`npm run prebuild failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    }
    for (const dir of dirs) {
      const made = path.join(scratch, 'prebuilds', path.basename(dir));
      fs.mkdirSync(dir, { recursive: true });
      for (const name of fs.readdirSync(made)) fs.copyFileSync(path.join(made, name), path.join(dir, name));
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  const made = findPrebuild();
  if (!made) throw new Error(`npm run prebuild made nothing in ${PREBUILD_DIR}`);
  return made;
}

if (require.main === module) {
  process.stdout.write(`${ensurePrebuild()}\n`);
}
