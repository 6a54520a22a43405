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
export const KNOWN_DEFECTS: KnownDefect[] = [];

export function knownDefect(step: Step, node: unknown, py: unknown): KnownDefect | undefined {
  return KNOWN_DEFECTS.find((entry) => entry.matches(step, node, py));
}
