// The prebuilt binary of this checkout: made with `npm run prebuild` (prebuildify) when it is
// missing or older than the native sources. Used by test/pack.test.ts and, as a script
// (`node dist/test/prebuild.js`, which prints the path), by scripts/ci-node-versions.sh.
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

/** The prebuilt binary for this machine, if there is one. */
export function findPrebuild(): string | undefined {
  let names: string[];
  try {
    names = fs.readdirSync(PREBUILD_DIR).filter((n) => n.endsWith('.node'));
  } catch {
    return undefined;
  }
  return names.length > 0 ? path.join(PREBUILD_DIR, names.sort()[0]) : undefined;
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
  const existing = findPrebuild();
  if (existing && fs.statSync(existing).mtimeMs >= sourcesMtime()) return existing;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bsd-sockets-prebuild-'));
  try {
    for (const name of ['package.json', 'binding.gyp']) fs.copyFileSync(path.join(ROOT, name), path.join(scratch, name));
    fs.cpSync(path.join(ROOT, 'native'), path.join(scratch, 'native'), { recursive: true });
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'));
    const env = { ...process.env };
    const nodedir = env.npm_config_nodedir || localNodedir();
    if (nodedir) env.npm_config_nodedir = nodedir;
    env.JOBS = String(os.availableParallelism?.() ?? os.cpus().length);
    const r = spawnSync('npm', ['run', 'prebuild'], { cwd: scratch, env, encoding: 'utf8', timeout: timeoutMs });
    if (r.status !== 0) {
      throw new Error(`npm run prebuild failed (${r.error?.message ?? `exit ${r.status}`}):\n${(r.stdout + r.stderr).slice(-3000)}`);
    }
    const made = path.join(scratch, 'prebuilds', `${process.platform}-${process.arch}`);
    fs.mkdirSync(PREBUILD_DIR, { recursive: true });
    for (const name of fs.readdirSync(made)) fs.copyFileSync(path.join(made, name), path.join(PREBUILD_DIR, name));
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
