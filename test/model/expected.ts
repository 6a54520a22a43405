// Expected divergences: known defects of today's main (issue 19) that the engine rewrite fixes.
// Each entry names the defect; a sequence whose first unexplained divergence matches an entry
// counts as passed. The lead removes an entry once its fix is merged (docs/MODEL.md).
import type { Divergence } from './contract';
import type { Sequence } from './steps';

export interface Expected { id: string; defect: number; why: string; matches(d: Divergence, seq: Sequence): boolean }

export const EXPECTED: Expected[] = [];

export function expectedBy(d: Divergence, seq: Sequence): Expected | undefined {
  return EXPECTED.find((e) => e.matches(d, seq));
}
