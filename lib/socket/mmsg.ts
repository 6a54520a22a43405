// recvmmsg/sendmmsg (Linux): a batch of datagrams in one system call. The address blobs and
// [length, msgFlags] pairs a recvmmsg fills are scratch shared by a socket's calls, read at once
// by the attempt that filled them, inside the call's turn.
import { native } from '../binding/native';
import { fromBlob, toBlobSync, type AddressOf } from '../input/address';
import type { RecvmmsgResult } from './messages';
import { checkBytes, invalidArgType } from '../input/validate';
import { receiving, recvFlags, type Caller } from './attempts';
import type { Receive } from './receives';

const MSG_WAITFORONE = native.constants.MSG_WAITFORONE ?? 0;

type Recvmmsg = NonNullable<typeof native.recvmmsg>;

/** The scratch of one socket's recvmmsg calls, grown to the largest batch asked for. */
export class MmsgScratch {
  private blobs = Buffer.alloc(0);
  private results = new Int32Array(0);

  /** Address blobs and [length, msgFlags] pairs for a batch of `count`. */
  of(count: number): [Buffer, Int32Array] {
    if (this.results.length < 2 * count) {
      this.blobs = Buffer.alloc(count * native.addrBlobSize);
      this.results = new Int32Array(2 * count);
    }
    return [this.blobs, this.results];
  }
}

/**
 * The batch as entries. On a stream, recvmmsg(2) counts the end of input once per buffer left
 * (0 bytes into a buffer that had room): the batch ends before the first of them, as a loop of
 * recvmsg calls would.
 */
function mmsgResults<F extends number>(n: number, parts: Uint8Array[], blobs: Buffer, results: Int32Array, family: F,
  stream: boolean): RecvmmsgResult<F>[] {
  const size = native.addrBlobSize;
  const out: RecvmmsgResult<F>[] = [];
  for (let i = 0; i < n; i++) {
    if (stream && results[2 * i] === 0 && parts[i].length > 0) break;
    out.push([results[2 * i], fromBlob(blobs, family, i * size), results[2 * i + 1]]);
  }
  return out;
}

/** What a socket's recvmmsg reads into and decodes with. */
export interface MmsgTarget<F extends number> {
  scratch: MmsgScratch;
  family: F;
  /** A SOCK_STREAM socket (see mmsgResults). */
  stream: boolean;
}

/**
 * recvmmsg(): the batch, decoded by the attempt at once, before any other call can reuse the
 * scratch; none at the end of input. A Sync form waits for the first datagram only (MSG_WAITFORONE).
 */
export function recvmmsgCall<F extends number>(caller: Caller, recvmmsg: Recvmmsg, target: MmsgTarget<F>, parts: Uint8Array[],
  flags: number): Receive<RecvmmsgResult<F>[]> {
  const f = recvFlags(caller, flags) | (caller.promise ? 0 : MSG_WAITFORONE);
  let out: RecvmmsgResult<F>[] = [];
  const op = receiving(caller, 'recvmmsg', flags, (fd) => {
    const [blobs, results] = target.scratch.of(parts.length);
    const r = recvmmsg(fd, parts, blobs, results, f);
    if (r >= 0) out = mmsgResults(r, parts, blobs, results, target.family, target.stream);
    return r;
  });
  return { op, result: () => out };
}

/** sendmmsg's `messages`, `[data, address?][]`, checked: the data and the address blobs (null: none). */
export function mmsgMessages<F extends number>(messages: Array<[Uint8Array, AddressOf<F>?]>, family: F): [Uint8Array[], Array<Buffer | null>] {
  if (!Array.isArray(messages)) throw invalidArgType('messages', 'an array of [data, address?]', messages);
  const parts: Uint8Array[] = [];
  const blobs: Array<Buffer | null> = [];
  for (const [i, message] of (messages as unknown[]).entries()) {
    if (!Array.isArray(message) || message.length < 1 || message.length > 2) {
      throw invalidArgType(`messages[${i}]`, 'an array [data, address?]', message);
    }
    parts.push(checkBytes(message[0], `messages[${i}][0]`));
    const address: unknown = message[1];
    blobs.push(address === undefined || address === null ? null : toBlobSync(family, address, 'sendmmsg'));
  }
  return [parts, blobs];
}
