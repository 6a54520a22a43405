// The named expected-failure list: divergences from CPython that ARE defects of bsd-sockets, known
// and being fixed (issue 19) or reported (marked 'new'). A divergence that matches an entry does not
// fail the run, but every run prints how many sequences each entry explained, and which entries it
// no longer saw: once a fix lands, its entry is deleted here (the divergence then fails the run if
// it comes back). Intended differences are in allow-list.ts, never here.
import type { Step } from './steps';

export interface KnownDefect {
  id: string;
  /** Where it is tracked: 'issue 19 #N', 'issue 19 (one engine: …)', or 'new' (see docs/DIFFERENTIAL.md). */
  defect: string;
  what: string;
  matches(step: Step, node: unknown, py: unknown): boolean;
}

// A new one goes here (marked 'new') only while it is being fixed.
export const KNOWN_DEFECTS: KnownDefect[] = [
  {
    id: 'errqueue-blocks-off-inet',
    defect: 'new',
    what: 'a Sync receive with MSG_ERRQUEUE on an AF_UNIX socket whose descriptor is blocking (a dup() cleared '
      + "O_NONBLOCK) blocks in the kernel for ever, timeout mode or not: lib/engine/deadline.ts takes MSG_ERRQUEUE as "
      + 'never waiting, but only the IP families serve it; AF_UNIX ignores the flag and waits for data. Python polls '
      + 'first (TimeoutError).',
    matches(step, node) {
      return step.op.startsWith('recv') && !!step.flags?.includes('MSG_ERRQUEUE') && (node as { hang?: boolean })?.hang === true;
    },
  },
  {
    id: 'write-order-under-load',
    defect: 'issue 19 #2 (again)',
    what: 'a sendall called after a 4 MiB Promise sendfile on the same socket sometimes reaches the peer before the '
      + "file's last bytes when the machine is loaded (CI run at load average 17-20, seed 1182): the peer's SHA-1 is "
      + "not the file-then-trailer one that Python's (write turns in call order) gives. Not seen at low load.",
    matches(step, node, py) {
      const digest = (r: unknown) => (r as { len?: number; sha1?: string } | null);
      return step.op === 'recvAll' && digest(node)?.len === digest(py)?.len && digest(node)?.sha1 !== digest(py)?.sha1;
    },
  },
];

export function knownDefect(step: Step, node: unknown, py: unknown): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((entry) => entry.matches(step, node, py));
}
