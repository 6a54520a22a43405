// Expected divergences: open items the model finds that are not yet settled. A sequence whose
// divergences all match entries here counts as passed; anything else fails.
import type { Divergence } from './contract';
import type { Sequence } from './steps';

export interface Expected { id: string; defect: number; why: string; matches(d: Divergence, seq: Sequence): boolean }

// Empty: every divergence the model found is fixed or explained (docs/MODEL.md). A new open item
// goes here only while it is being settled.
export const EXPECTED: Expected[] = [];

/** MODEL_NO_EXPECTED=1 turns the list off: to shrink a known defect's sequence, or to check that its fix landed. */
export function expectedBy(d: Divergence, seq: Sequence): Expected | undefined {
  if (process.env.MODEL_NO_EXPECTED) return undefined;
  return EXPECTED.find((e) => e.matches(d, seq));
}
