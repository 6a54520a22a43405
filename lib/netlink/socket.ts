// NetlinkSocket: request/acknowledge and dumps over an AF_NETLINK socket, matched by sequence
// number; NLMSG_ERROR becomes a SocketError with the kernel's extended ACK message.
import { Socket } from '../socket/socket';
import { SOCK_RAW } from '../binding/constants';
import { type SocketError, socketError } from '../binding/errors';
import { type NetlinkMessage, NLMSG_HDRLEN, attributeMap, attributeString, decodeAttributes, decodeMessages, encodeMessage, readI32, readU32 } from './message';
import { NLMSGERR_ATTR_MSG, required } from './uapi';

const RECV_SIZE = 65536;

/** Options of a NetlinkSocket. */
export interface NetlinkSocketOptions {
  /** Multicast groups to join at once (the group numbers, e.g. `RTNLGRP.LINK`). */
  groups?: number[];
  /** Seconds a Sync call or Promise may wait for the kernel (null: as long as it takes). */
  timeout?: number | null;
}

/** A netlink socket of one protocol (NETLINK_ROUTE, NETLINK_GENERIC…), bound to a port id the kernel picks. */
export class NetlinkSocket {
  /** The underlying socket (AF_NETLINK, SOCK_RAW). */
  readonly socket: Socket;
  /** Messages received that answered no request of ours (events of the groups joined). */
  readonly #events: NetlinkMessage[] = [];
  #seq = Math.floor(Math.random() * 0x7fffffff);

  /** Opens, binds and turns on extended ACKs (where the kernel has them). */
  constructor(protocol: number = required('NETLINK_ROUTE'), options: NetlinkSocketOptions = {}) {
    this.socket = new Socket(required('AF_NETLINK') as never, SOCK_RAW, protocol);
    try {
      this.socket.bind([0, 0] as never);
      this.socket.settimeout(options.timeout ?? null);
      trySetsockopt(this.socket, 'NETLINK_EXT_ACK');
      for (const group of options.groups ?? []) this.addMembership(group);
    } catch (error) {
      this.socket.close();
      throw error;
    }
  }

  /** Our port id (nl_pid). */
  get pid(): number { return (this.socket.getsockname() as unknown as [number, number])[0]; }

  /** Joins a multicast group (NETLINK_ADD_MEMBERSHIP). */
  addMembership(group: number): void {
    this.socket.setsockopt(required('SOL_NETLINK'), required('NETLINK_ADD_MEMBERSHIP'), group);
  }

  /** Leaves a multicast group. */
  dropMembership(group: number): void {
    this.socket.setsockopt(required('SOL_NETLINK'), required('NETLINK_DROP_MEMBERSHIP'), group);
  }

  /**
   * Sends a request (NLM_F_REQUEST | NLM_F_ACK | `flags`) and returns the messages answered before
   * the acknowledgment (those NLM_F_ECHO asks for). An error ACK throws a SocketError.
   */
  requestSync(type: number, body: Uint8Array[], flags = 0): NetlinkMessage[] {
    return this.#exchangeSync(type, body, flags | required('NLM_F_ACK'));
  }

  /** Promise form of requestSync. */
  request(type: number, body: Uint8Array[], flags = 0): Promise<NetlinkMessage[]> {
    return this.#exchange(type, body, flags | required('NLM_F_ACK'));
  }

  /** Sends a dump request (NLM_F_REQUEST | NLM_F_DUMP) and returns every message of the multi-part answer. */
  dumpSync(type: number, body: Uint8Array[], flags = 0): NetlinkMessage[] {
    return this.#exchangeSync(type, body, flags | required('NLM_F_DUMP'));
  }

  /** Promise form of dumpSync. */
  dump(type: number, body: Uint8Array[], flags = 0): Promise<NetlinkMessage[]> {
    return this.#exchange(type, body, flags | required('NLM_F_DUMP'));
  }

  /** The next messages not answering a request: events of the groups joined (waits for one datagram if none is queued). */
  receiveSync(): NetlinkMessage[] {
    if (this.#events.length) return this.#events.splice(0);
    return decodeMessages(this.socket.recvSync(RECV_SIZE));
  }

  /** Promise form of receiveSync. */
  async receive(): Promise<NetlinkMessage[]> {
    if (this.#events.length) return this.#events.splice(0);
    return decodeMessages(await this.socket.recv(RECV_SIZE));
  }

  /** The name a failed request of `type` reports as its `syscall` (subclasses name their message types). */
  protected describe(type: number): string {
    return `netlink(${type})`;
  }

  /** Closes the socket. */
  close(): void {
    this.socket.close();
  }

  /** Closes. */
  [Symbol.dispose](): void {
    this.close();
  }

  #message(type: number, body: Uint8Array[], flags: number): { seq: number; packet: Buffer } {
    this.#seq = (this.#seq + 1) >>> 0;
    return { seq: this.#seq, packet: encodeMessage({ type, flags: flags | required('NLM_F_REQUEST'), seq: this.#seq }, ...body) };
  }

  #exchangeSync(type: number, body: Uint8Array[], flags: number): NetlinkMessage[] {
    const { seq, packet } = this.#message(type, body, flags);
    this.socket.sendtoSync(packet, [0, 0] as never);
    const replies: NetlinkMessage[] = [];
    while (!this.#take(this.socket.recvSync(RECV_SIZE), seq, type, replies)) { /* more to come */ }
    return replies;
  }

  async #exchange(type: number, body: Uint8Array[], flags: number): Promise<NetlinkMessage[]> {
    const { seq, packet } = this.#message(type, body, flags);
    await this.socket.sendto(packet, [0, 0] as never);
    const replies: NetlinkMessage[] = [];
    while (!this.#take(await this.socket.recv(RECV_SIZE), seq, type, replies)) { /* more to come */ }
    return replies;
  }

  /**
   * Sorts one datagram: answers to `seq` go to `replies`, others to the event queue. Returns true
   * once the answer is complete (NLMSG_DONE, or an ACK); throws for an error ACK.
   */
  #take(data: Buffer, seq: number, type: number, replies: NetlinkMessage[]): boolean {
    let complete = false;
    for (const message of decodeMessages(data)) {
      if (message.seq !== seq || (message.pid !== 0 && message.pid !== this.pid)) { this.#events.push(message); continue; }
      if (message.type === required('NLMSG_DONE')) complete = true;
      else if (message.type === required('NLMSG_ERROR')) {
        const error = ackError(message, this.describe(type));
        if (error) throw error;
        complete = true;
      } else if (message.type !== required('NLMSG_NOOP')) replies.push(message);
    }
    return complete;
  }
}

function trySetsockopt(socket: Socket, name: string): void {
  try {
    socket.setsockopt(required('SOL_NETLINK'), required(name), 1);
  } catch {
    // Older kernels lack extended ACKs; errors then come without the kernel's words.
  }
}

/** The SocketError an NLMSG_ERROR carries (null for an ACK, error 0), with the extended ACK message. */
export function ackError(message: NetlinkMessage, syscall: string): SocketError | null {
  if (message.body.length < 4) return null;
  const errno = -readI32(message.body, 0);
  if (errno === 0) return null;
  const error = socketError(errno, syscall);
  const words = extendedAck(message);
  if (words) {
    error.message += `: ${words}`;
    error.detail = words;
  }
  return error;
}

function extendedAck(message: NetlinkMessage): string | undefined {
  if (!(message.flags & required('NLM_F_ACK_TLVS')) || message.body.length < 4 + NLMSG_HDRLEN) return undefined;
  const quoted = message.flags & required('NLM_F_CAPPED') ? NLMSG_HDRLEN : readU32(message.body, 4);
  const at = 4 + ((quoted + 3) & ~3);
  const text = attributeMap(decodeAttributes(message.body, at)).get(NLMSGERR_ATTR_MSG);
  return text ? attributeString(text) : undefined;
}
