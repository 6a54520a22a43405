// Expected divergences: open items the model finds that are not yet settled. A sequence whose
// divergences all match entries here counts as passed; anything else fails. Every issue-19 defect
// the model found is fixed and its entry deleted (docs/MODEL.md lists their shrunk sequences).
import type { Divergence } from './contract';
import type { Sequence } from './steps';

export interface Expected { id: string; defect: number; why: string; matches(d: Divergence, seq: Sequence): boolean }

export const EXPECTED: Expected[] = [
  {
    // Not an issue-19 defect (defect 0: open). 1 to 3 in 2 000 sequences per backend on a loaded
    // machine, after large Promise writes (sendfile, sendall, a stream's write); none reproduced on
    // replay (docs/MODEL.md, "Open"). Either the drain's quiet period is too short for TCP on a
    // loaded machine, or bytes reported sent never arrived: to be settled.
    id: 'tcp-bytes-lost-at-drain-unreproduced', defect: 0,
    why: 'TCP bytes missing at the drain after large Promise writes; not reproduced on replay',
    matches: (d, seq) => seq.fixture === 'tcp' && /bytes lost/.test(d.kind),
  },
];

/** MODEL_NO_EXPECTED=1 turns the list off: to shrink a known defect's sequence, or to check that its fix landed. */
export function expectedBy(d: Divergence, seq: Sequence): Expected | undefined {
  if (process.env.MODEL_NO_EXPECTED) return undefined;
  return EXPECTED.find((e) => e.matches(d, seq));
}
