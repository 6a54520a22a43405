// Compares the two sides' results step by step: values, bytes, addresses, error class and errno,
// and whether each call returned at once, waited, or hung.
import { allowed, isError, type ErrorResult } from './allow-list';
import { knownDefect } from './known-defects';
import type { Step, StepResult } from './steps';

/** A wait shorter than this is "at once"; one longer than SLOW "waited". In between counts as either. */
export const AT_ONCE_MS = 35;
export const SLOW_MS = 75;

export interface Divergence {
  index: number;          // step index (top level)
  op: string;
  what: 'value' | 'error' | 'timing' | 'hang' | 'missing';
  node: unknown;
  py: unknown;
  nodeMs?: number;
  pyMs?: number;
  allowedBy?: string;
  /** The entry of known-defects.ts that names this divergence as a known defect. */
  knownDefect?: string;
}

const NODE_TO_PY: Record<string, string[]> = {
  // Python picks FileExistsError by errno (EEXIST: epoll register twice); API.md has no such class
  SocketError: ['OSError', 'FileExistsError'], AddressInUseError: ['OSError'], AddressNotAvailableError: ['OSError'],
  TypeError: ['TypeError'], RangeError: ['ValueError', 'OverflowError'], GaiError: ['gaierror'],
};

function sameError(node: ErrorResult, py: ErrorResult): boolean {
  const classes = NODE_TO_PY[node.err] ?? [node.err];
  if (!classes.includes(py.err)) return false;
  if (node.err === 'TypeError' || node.err === 'RangeError' || node.err === 'NoSocket' || node.err === 'NoConstant') return true;
  if (node.err === 'GaiError') return node.errno === py.errno && node.isOSError === py.isOSError;
  return node.errno === py.errno && node.code === py.code;
}

function timing(nodeMs: number, pyMs: number): boolean {
  const fast = Math.min(nodeMs, pyMs);
  const slow = Math.max(nodeMs, pyMs);
  if (fast < AT_ONCE_MS && slow > SLOW_MS) return false;
  return !(fast >= AT_ONCE_MS && slow > 1.6 * fast + 30);
}

/** The calls that may wait; the others' durations only measure the machine's load. */
const WAITING = new Set(['connect', 'accept', 'send', 'sendall', 'sendto', 'sendmsg', 'recv', 'recvInto', 'recvfrom',
  'recvfromInto', 'recvmsg']);

/** Bad arguments are refused before any wait, and a failed look-up takes the resolver's time: neither is timed. */
const argumentError = (r: unknown) => isError(r) && ['TypeError', 'RangeError', 'GaiError', 'gaierror'].includes(r.err);

const HANG = (r: unknown) => typeof r === 'object' && r !== null && (r as { hang?: boolean }).hang === true;

export function compareStep(step: Step, index: number, node: StepResult | undefined, py: StepResult | undefined): Divergence[] {
  if (!node || !py) return node === py ? [] : [{ index, op: step.op, what: 'missing', node: node?.r, py: py?.r }];
  const base = { index, op: step.op, node: node.r, py: py.r, nodeMs: node.ms, pyMs: py.ms };
  if (HANG(node.r) && HANG(py.r)) return [];
  if (HANG(node.r) || HANG(py.r)) return [withAllowance({ ...base, what: 'hang' }, step)];
  if (step.op === 'parallel' && Array.isArray(node.r) && Array.isArray(py.r)) {
    // writes that take turns are checked by the bytes the peer received (recvAll), not by how long each waited
    const byBytes = step.steps!.some((sub) => sub.op === 'recvAll');
    return step.steps!.flatMap((sub, k) => compareStep(byBytes ? { ...sub, untimed: true } : sub, index,
      (node.r as StepResult[])[k], (py.r as StepResult[])[k]));
  }
  let what: Divergence['what'] | null = null;
  if (isError(node.r) || isError(py.r)) {
    if (!(isError(node.r) && isError(py.r) && sameError(node.r, py.r))) what = 'error';
  } else if (JSON.stringify(node.r) !== JSON.stringify(py.r)) what = 'value';
  const allowedDifference = what ? withAllowance({ ...base, what }, step) : undefined;
  if (allowedDifference && !allowedDifference.allowedBy) return [allowedDifference];  // a defect, known or not
  // an allowed difference (a timeout's errno) still has to happen at the same moment
  if (WAITING.has(step.op) && !step.untimed && !argumentError(node.r) && !timing(node.ms, py.ms)) {
    return [withAllowance({ ...base, what: 'timing' }, step)];
  }
  return allowedDifference ? [allowedDifference] : [];
}

function withAllowance(d: Divergence, step: Step): Divergence {
  const entry = allowed(step, d.node, d.py, d.what === 'timing' ? [d.nodeMs!, d.pyMs!] : undefined);
  if (entry) return { ...d, allowedBy: entry.id };
  const known = d.what === 'timing' ? undefined : knownDefect(step, d.node, d.py);
  return known ? { ...d, knownDefect: known.id } : d;
}

/**
 * fromfd-applies-mode: CPython's socket(fileno=fd) reports blocking mode (timeout None) but leaves
 * the descriptor's O_NONBLOCK as it was, so a call on it fails with BlockingIOError (EAGAIN,
 * EINPROGRESS) where the mode says it should wait. Ours sets the descriptor to the Socket's mode
 * (issue 20's hygiene invariant: O_NONBLOCK as the mode says), and waits.
 */
const pythonWouldBlock = (r: unknown) => isError(r) && r.err === 'BlockingIOError';

/** recvmmsg: ours no message (end of input), the driver's recvmsg loop messages of 0 bytes only. */
function endOfInputVsEmpty(d: Divergence): boolean {
  const entries = (r: unknown) => (Array.isArray(r) && Array.isArray(r[0]) ? r[0] as unknown[][] : undefined);
  const [ours, theirs] = [entries(d.node), entries(d.py)];
  return !!ours && !!theirs && ours.length === 0 && theirs.length > 0 && theirs.every((m) => m[0] === 0);
}

/** Keeps `nonblocking`, the sockets whose own mode is non-blocking, up to date after step `st`. */
function noteMode(st: Step, nonblocking: Set<string>): void {
  const made = typeof st.as === 'string' ? st.as : undefined;
  if (st.op === 'socket' && made && st.typeFlags?.includes('SOCK_NONBLOCK')) nonblocking.add(made);
  else if (st.op === 'dup' && made && nonblocking.has(st.id!)) nonblocking.add(made);
  else if (st.op === 'mode' || st.op === 'settimeout') {
    if (st.mode === 'nonblocking' || (st.op === 'settimeout' && st.value === 0)) nonblocking.add(st.id!);
    else nonblocking.delete(st.id!);
  }
}

/** The sockets a divergence of step `st` is about: the step's own, or those of its sub-steps that made `d` (parallel). */
function idsOf(st: Step, d: Divergence): string[] {
  if (st.op !== 'parallel') return st.id === undefined ? [] : [st.id];
  return st.steps!.filter((sub) => sub.op === d.op && sub.id !== undefined).map((sub) => sub.id!);
}

/** An argument refused before any system call. */
const refused = (r: unknown) => isError(r) && ['TypeError', 'RangeError', 'ValueError', 'OverflowError'].includes(r.err);

const timedOutVsData = (a: unknown, b: unknown) => isError(a) && a.err === 'TimeoutError' && !isError(b) && !HANG(b);
const timedOutVsError = (a: unknown, b: unknown) => isError(a) && a.err === 'TimeoutError' && isError(b) && b.err !== 'TimeoutError';

export function compareSequence(steps: Step[], node: StepResult[], py: StepResult[]): Divergence[] {
  const out: Divergence[] = [];
  const unsignedSet = new Set<string>();  // options that only we set (allowed: unsigned-option-values)
  let corked = false;  // bytes were sent with MSG_MORE (allowed: msg-more-held)
  const timeoutRefused = new Set<string>();  // sockets whose settimeout failed with EBADF (allowed: python-sets-timeout-first)
  const shutForReading = new Set<string>();  // sockets after SHUT_RD or SHUT_RDWR (allowed: recvmmsg-end-of-input)
  const closedSelectors = new Set<string>();  // selectors after close() (allowed: python-selector-after-close)
  const adopted = new Set<string>();  // sockets made by fromfd whose mode was not set since (allowed: fromfd-applies-mode)
  const nonblocking = new Set<string>();  // sockets in non-blocking mode (allowed: mode-is-the-sockets, Python hanging)
  // raw-sees-both-sides: the two sides run a sequence at the same time on one machine, and a raw
  // or packet socket receives every packet of its protocol on loopback, the other side's too: what
  // a receive on it finds, and whether it times out, depends on the other side's timing.
  const raw = new Set<string>();  // SOCK_RAW and AF_PACKET sockets
  const n = Math.max(node.length, py.length);
  for (let i = 0; i < n && i < steps.length; i++) {
    const found = compareStep(steps[i], i, node[i], py[i]);
    corked ||= !!steps[i].flags?.includes('MSG_MORE');
    for (const d of found) {
      if (!d.allowedBy && corked && d.op.startsWith('recv') && (d.what === 'timing' || timedOutVsData(d.node, d.py)
        || timedOutVsData(d.py, d.node))) d.allowedBy = 'msg-more-held';
      if (!d.allowedBy && corked && d.op === 'accept' && (timedOutVsError(d.node, d.py) || timedOutVsError(d.py, d.node))) {
        d.allowedBy = 'msg-more-held';
      }
      const option = `${steps[i].level} ${steps[i].name}`;
      if (d.allowedBy === 'unsigned-option-values') unsignedSet.add(option);
      // that option then reads back differently: a consequence of the allowed difference, not a new one
      else if (!d.allowedBy && d.op === 'getsockopt' && unsignedSet.has(option)) d.allowedBy = 'unsigned-option-values';
    }
    const st = steps[i];
    if ((st.op === 'mode' || st.op === 'settimeout') && isError(node[i]?.r) && (node[i].r as ErrorResult).code === 'EBADF') timeoutRefused.add(st.id!);
    for (const d of found) if (!d.allowedBy && d.op === 'gettimeout' && timeoutRefused.has(st.id!)) d.allowedBy = 'python-sets-timeout-first';
    if (st.op === 'shutdown' && st.how !== 'SHUT_WR') shutForReading.add(st.id!);
    for (const d of found) if (!d.allowedBy && d.op === 'recvmmsg' && shutForReading.has(st.id!) && endOfInputVsEmpty(d)) d.allowedBy = 'recvmmsg-end-of-input';
    if (st.op === 'sel' && st.name === 'close') closedSelectors.add(st.id!);
    for (const d of found) {
      if (!d.allowedBy && st.op === 'sel' && closedSelectors.has(st.id!) && isError(d.node) && d.node.code === 'EBADF') {
        d.allowedBy = 'python-selector-after-close';
      }
    }
    if (st.op === 'detachFromfd') adopted.add(st.as as string);
    if (st.op === 'socket' && (st.type === 'SOCK_RAW' || st.family === 'AF_PACKET')) raw.add(st.as as string);
    if ((st.op === 'dup' || st.op === 'detachFromfd') && raw.has(st.id!)) raw.add(st.as as string);
    // a receive, and anything that waits for POLLIN first (accept in timeout mode: CPython polls before it)
    for (const d of found) if (!d.allowedBy && (d.op.startsWith('recv') || d.op === 'accept') && raw.has(st.id!)) d.allowedBy = 'raw-sees-both-sides';
    if (st.op === 'mode' || st.op === 'settimeout') adopted.delete(st.id!);
    noteMode(st, nonblocking);
    for (const d of found) {
      if (!d.allowedBy && nonblocking.has(st.id!) && HANG(d.py) && isError(d.node) && d.node.err === 'BlockingIOError') {
        d.allowedBy = 'mode-is-the-sockets';
      }
    }
    for (const d of found) {
      if (!d.allowedBy && idsOf(st, d).some((id) => adopted.has(id)) && pythonWouldBlock(d.py) && !pythonWouldBlock(d.node)) {
        d.allowedBy = 'fromfd-applies-mode';
      }
    }
    out.push(...found);
    // the bytes were consumed on one side only, or a known defect did something else: the rest of the
    // sequence would compare different states
    if (found.some((d) => ['msg-more-held', 'fromfd-applies-mode', 'raw-sees-both-sides'].includes(d.allowedBy ?? '') || d.knownDefect)) break;
    // an intended difference where one side did the call and the other refused it (sendfile on a
    // SEQPACKET socket, an optional undefined: ours made the call, which may fail too and consume a pending
    // error, where Python refused the argument): the sockets now hold different bytes or states
    if (found.some((d) => d.allowedBy && (isError(d.node) !== isError(d.py) || refused(d.node) !== refused(d.py)))) break;
    if (HANG(node[i]?.r) || HANG(py[i]?.r)) break;  // the side that hung was stopped: nothing after it to compare
  }
  return out;
}

/** A short name for a divergence kind, used to group failures and to keep a shrunk sequence failing the same way. */
export function signature(d: Divergence): string {
  const cls = (r: unknown) => (isError(r) ? `${r.err}${r.code ? ':' + r.code : ''}` : HANG(r) ? 'hang' : 'ok');
  return `${d.op} ${d.what} node=${cls(d.node)} py=${cls(d.py)}`;
}
