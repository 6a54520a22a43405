// The vocabulary shared by the generator, the Node runner and scripts/differential_driver.py.

/** Bytes to send: n bytes, byte i = (fill + i) & 255 (the same on both sides). */
export interface DataSpec { n: number; fill: number }

/** A symbolic address that each side turns into its own concrete one (its own ports, temp dir, abstract prefix). */
export type AddressSpec =
  | { inet: string; port: number }
  | { portOf: string; host: string }
  | { nameOf: string }
  | { unix: string; enc: 'str' | 'bytes' | 'raw8' }
  | { abstract: string; enc: 'str' | 'bytes' }
  | { packet: string; proto: number }
  | { raw: unknown };

/** One operation; `id` names the socket it acts on, `as` the socket(s) it creates. */
export interface Step {
  op: string;
  id?: string;
  as?: string | string[];
  form?: 'sync' | 'promise';
  family?: string;
  type?: string;
  typeFlags?: string[];
  proto?: number | string;
  htons?: boolean;
  addr?: AddressSpec;
  backlog?: number;
  how?: string;
  mode?: 'blocking' | 'timeout' | 'nonblocking';
  timeout?: number;
  value?: unknown;
  data?: DataSpec;
  bufs?: DataSpec[];
  anc?: unknown;
  flags?: string[];
  n?: number;
  size?: number;
  off?: number;
  nbytes?: number;
  level?: string;
  name?: string;
  buflen?: number;
  volatile?: boolean;
  ms?: number;
  steps?: Step[];
  /** fn/method: the function's or method's name and its arguments ({u} = undefined/None, {b}, {c}, {t}, {buf}, {addr}). */
  args?: unknown[];
  /** sendfile: the file's contents, where to start, how much, and whether to pass a FileHandle. */
  file?: DataSpec;
  offset?: number;
  count?: number;
  handle?: boolean;
  /** sendFds / recvFds: descriptors to pass (opened on /dev/null), most to receive. */
  nfds?: number;
  maxfds?: number;
  /** sendmmsg's messages; recvmmsg's buffer sizes. */
  msgs?: DataSpec[];
  sizes?: number[];
  /** sendmmsg/recvmmsg/sendFds/recvFds: flags passed as undefined (Python: None) instead of `flags`. */
  undefFlags?: boolean;
  /** Set by compare.ts on the writes of a parallel step whose order the peer's bytes check. */
  untimed?: boolean;
}

/** What a side reported for one step: its normalised result and how long it took. */
export interface StepResult { r: unknown; ms: number }
