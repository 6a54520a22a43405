// The vocabulary of the model suite: a sequence is a fixture (a real socket pair or a listener)
// and steps on it. JSON in, JSON out, so that a shrunk sequence replays as one command line.

/** The sockets a sequence starts from. `a`↔`b` are connected peers; `l` is a listener. */
export type Fixture = 'tcp' | 'unix' | 'udp' | 'unixdgram' | 'ltcp' | 'lunix';

/** How a Promise operation gets its `{ signal }`: none, one aborted later by an `abort` step, one aborted before the call, or a value that is not an AbortSignal. */
export type SignalSpec = 'none' | 'abortable' | 'aborted' | 'bad';

export type Mode = 'blocking' | 'timeout' | 'nonblocking';

/**
 * One step. `on` names the socket (`a`, `b`, `l`, `c0`…, `d0`… for dups); `form` is Promise or
 * Sync; `n` a size in bytes; `fill` the first byte of the data (byte i = (fill + i) & 255).
 */
export interface Step {
  op: string;
  on?: string;
  form?: 'sync' | 'promise';
  n?: number;
  fill?: number;
  flags?: string[];
  signal?: SignalSpec;
  how?: 'SHUT_RD' | 'SHUT_WR' | 'SHUT_RDWR';
  mode?: Mode;
  t?: number;
  /** abort: the index of the step whose signal is aborted. */
  target?: number;
  /** connect: by name ('localhost', looked up) or by number. */
  byName?: boolean;
  /** sendfile: the source ('file', or 'dir' that sendfile(2) cannot read) and the offset in it. */
  src?: 'file' | 'dir';
  off?: number;
  ms?: number;
}

export interface Sequence { fixture: Fixture; steps: Step[] }

export const SEND_OPS = ['send', 'sendall', 'sendto', 'sendmsg', 'sendmmsg', 'sendfile', 'sendFds', 'write'] as const;
export const RECV_OPS = ['recv', 'recvInto', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvFds', 'read'] as const;

export function isSend(op: string): boolean { return (SEND_OPS as readonly string[]).includes(op); }
export function isRecv(op: string): boolean { return (RECV_OPS as readonly string[]).includes(op); }
export function isStreamFixture(f: Fixture): boolean { return f === 'tcp' || f === 'unix'; }
export function isListenerFixture(f: Fixture): boolean { return f === 'ltcp' || f === 'lunix'; }

/** The bytes of a send: n bytes, byte i = (fill + i) & 255. */
export function pattern(n: number, fill: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = (fill + i) & 255;
  return out;
}

/** The bytes of the sendfile source file at `offset`: byte i of the file = (i * 7 + 3) & 255. */
export function fileBytes(offset: number, n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) out[i] = ((offset + i) * 7 + 3) & 255;
  return out;
}

export const FILE_SIZE = 4 * 1024 * 1024;
