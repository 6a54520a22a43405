// Network namespaces for tests that need an interface or a sysctl the host must not be touched
// for: created with this process's pid in the name, always deleted afterwards.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { isRoot, tempDir } from './helpers';

let counter = 0;
let scripts: string | undefined;

/** Why namespaces cannot be used here, or null when they can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (!isRoot()) return 'creating a network namespace needs root';
  const r = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) return 'iproute2 (`ip`) is not installed';
  return null;
}

/**
 * Creates a namespace `bsdtest-<pid>-<n>`, brings its `lo` up, runs each `setup` shell command in
 * it, then runs `script` (JavaScript; `bs` is the package) with node inside it and returns its
 * stdout. The namespace (with any interface created in it) is deleted whatever happens.
 */
export function runInNetns(setup: string[], script: string, timeoutMs = 15000): string {
  const name = `bsdtest-${process.pid}-${counter++}`;
  scripts ??= tempDir();
  const file = path.join(scripts, `${name}.js`);
  const lib = path.resolve(__dirname, '../lib');
  fs.writeFileSync(file, `'use strict';\nconst bs = require(${JSON.stringify(lib)});\n(async () => {\n${script}\n})().catch((e) => { console.error(e); process.exit(1); });\n`);
  execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
  try {
    for (const command of ['ip link set lo up', ...setup]) {
      execFileSync('ip', ['netns', 'exec', name, 'sh', '-c', command], { stdio: 'pipe', timeout: timeoutMs });
    }
    return execFileSync('ip', ['netns', 'exec', name, process.execPath, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  } finally {
    spawnSync('ip', ['netns', 'del', name], { stdio: 'pipe' });
    fs.rmSync(file, { force: true });
  }
}
