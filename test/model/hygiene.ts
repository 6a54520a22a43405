// Descriptor hygiene, read from /proc/self: which descriptors are open and what each one is,
// and each one's flags (close-on-exec, O_NONBLOCK) as the kernel holds them.
import * as fs from 'node:fs';

const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** Every open descriptor of this process and what it points to (`socket:[inode]`, a path…). */
export function openFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of fs.readdirSync('/proc/self/fd')) {
    try {
      out.set(Number(name), fs.readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the directory's own descriptor, closed once read
    }
  }
  return out;
}

export function linkOf(fd: number): string | undefined {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return undefined;
  }
}

/** The file status and descriptor flags of `fd` (octal `flags:` of /proc/self/fdinfo), or undefined if it is not open. */
export function flagsOf(fd: number): number | undefined {
  try {
    const m = /^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1'));
    return m ? parseInt(m[1], 8) : undefined;
  } catch {
    return undefined;
  }
}

export function isNonblocking(flags: number): boolean { return (flags & O_NONBLOCK) !== 0; }
export function isCloexec(flags: number): boolean { return (flags & O_CLOEXEC) !== 0; }

/** Descriptors open now that were not in `before`, and those of `before` that are gone or changed. */
export function diffFds(before: Map<number, string>, after: Map<number, string>): { leaked: string[]; lost: string[] } {
  const leaked: string[] = [];
  const lost: string[] = [];
  for (const [fd, link] of after) if (before.get(fd) !== link) leaked.push(`${fd} → ${link}`);
  for (const [fd, link] of before) if (after.get(fd) !== link) lost.push(`${fd} → ${link}`);
  return { leaked, lost };
}
