// Generated steps for issue 22's readiness objects: Python's select.epoll (`epoll`, `ep` steps) and
// selectors (`selector`, `sel` steps), on the sockets of the sequence. Nothing here waits longer than a
// short timeout: poll/select get 0 or POLL_WAIT seconds, never None or a negative timeout (forever).
// Arguments are encoded as in calls.ts ({u} undefined/None, {c} a constant, {or} constants or-ed), plus
// {sock} a sequence socket, {fdOf} its fileno(), {epfd} an epoll object's fileno().
import type { Rng } from './generator';
import type { Step } from './steps';

type Arg = unknown;
const U = { u: 1 };
/** A short wait: both sides wait it out alike when nothing is ready, so it is never timed. */
const POLL_WAIT = 0.02;
const EPOLL_BITS = ['EPOLLIN', 'EPOLLOUT', 'EPOLLPRI', 'EPOLLRDHUP', 'EPOLLET', 'EPOLLONESHOT', 'EPOLLEXCLUSIVE'];
/** Hostile event masks: negative, past 32 bits, not integers, undefined. */
const BAD_MASKS: Arg[] = [-1, -2147483648, 2 ** 32, 2 ** 33 + 1, 1.5, 'x', U];
const EVENTS: Arg[] = [1, 2, 3, 1, 3, 0, 4, -1, 1.5, 'x', U];

/** What the generator knows of a sequence socket. */
export interface SocketView { id: string; closed: boolean; raw: boolean }

/** An epoll object: fromfd copies share the kernel object, and so its registrations. */
interface EpollModel { id: string; closed: boolean; registered: Set<string> }
interface SelectorModel { id: string; closed: boolean; registered: Set<string>; hasFileno: boolean }

export class PollingSteps {
  private readonly epolls: EpollModel[] = [];
  private readonly selectors: SelectorModel[] = [];
  private counter = 0;

  constructor(private readonly rng: Rng, private readonly push: (step: Step) => void) {}

  /**
   * A few epoll steps or a few selector steps in a row (an object is made, sockets registered, then polled), on
   * the sockets `views()` gives at each step (raw sockets excluded: they see the other side's packets).
   */
  burst(views: () => SocketView[]): void {
    const epoll = this.rng.chance(0.5);
    for (let k = 2 + this.rng.int(5); k > 0; k--) {
      const usable = views().filter((s) => !s.raw);
      if (epoll) this.epollStep(usable);
      else this.selectorStep(usable);
    }
  }

  /** The object to act on: mostly an open one, now and then a closed one; undefined (make one) if none is open. */
  private target<M extends { closed: boolean }>(all: M[]): M | undefined {
    const open = all.filter((m) => !m.closed);
    if (!open.length || this.rng.chance(0.07)) return undefined;
    return this.rng.chance(0.93) ? this.rng.pick(open) : this.rng.pick(all);
  }

  // --- epoll ------------------------------------------------------------------------------------
  private epollStep(socks: SocketView[]): void {
    const ep = this.target(this.epolls);
    if (!ep) return this.newEpoll();
    const r = this.rng.int(20);
    if (r < 6) this.epRegister(ep, socks);
    else if (r < 8) this.epModify(ep, socks);
    else if (r < 10) this.epUnregister(ep, socks);
    else if (r < 15) this.epPoll(ep);
    else if (r < 16) this.epClose(ep);
    else if (r < 18) this.push({ op: 'ep', id: ep.id, name: this.rng.pick(['fileno', 'closed']), args: [] });
    else this.epFromfd(ep);
  }

  private newEpoll(): void {
    const args = this.rng.chance(0.7) ? this.rng.pick<Arg[]>([[], [-1], [5], [-1, 0], [-1, { c: 'EPOLL_CLOEXEC' }]])
      : this.rng.pick<Arg[]>([[0], [-2], [1.5], ['x'], [-1, 1], [-1, -1], [-1, 1.5], [U], [-1, U]]);
    const id = `e${this.counter++}`;
    this.push({ op: 'epoll', as: id, name: 'epoll', args });
    this.epolls.push({ id, closed: false, registered: new Set() });
  }

  /** A sequence socket (as the object or its number), another epoll, or a descriptor no one has. */
  private fileobj(socks: SocketView[], prefer?: Set<string>): [Arg, string | undefined] {
    const preferred = socks.filter((s) => prefer?.has(s.id));
    const pool = preferred.length && this.rng.chance(0.8) ? preferred : socks.filter((s) => !s.closed || this.rng.chance(0.1));
    if (pool.length && this.rng.chance(0.9)) {
      const s = this.rng.pick(pool);
      return [this.rng.chance(0.6) ? { sock: s.id } : { fdOf: s.id }, s.id];
    }
    const ep = this.epolls.length ? this.rng.pick(this.epolls) : undefined;
    return [this.rng.pick<Arg>([-1, 2 ** 30, 'x', 1.5, ...(ep ? [{ epfd: ep.id }] : [])]), undefined];
  }

  private mask(): Arg {
    if (this.rng.chance(0.12)) return this.rng.pick(BAD_MASKS);
    const bits = this.rng.subset(EPOLL_BITS, 0.25);
    return { or: bits.length ? bits : [this.rng.pick(['EPOLLIN', 'EPOLLOUT'])] };
  }

  private epRegister(ep: EpollModel, socks: SocketView[]): void {
    const [fileobj, id] = this.fileobj(socks);
    const args = this.rng.chance(0.15) ? [fileobj] : [fileobj, this.mask()];  // Python's default mask
    this.push({ op: 'ep', id: ep.id, name: 'register', args });
    if (id) ep.registered.add(id);
  }

  private epModify(ep: EpollModel, socks: SocketView[]): void {
    const [fileobj] = this.fileobj(socks, ep.registered);
    this.push({ op: 'ep', id: ep.id, name: 'modify', args: [fileobj, this.mask()] });
  }

  private epUnregister(ep: EpollModel, socks: SocketView[]): void {
    const [fileobj, id] = this.fileobj(socks, ep.registered);
    this.push({ op: 'ep', id: ep.id, name: 'unregister', args: [fileobj] });
    if (id) ep.registered.delete(id);
  }

  private epPoll(ep: EpollModel): void {
    const timeout = this.rng.pick<Arg>([0, 0, 0, POLL_WAIT, 1e-9, ...(this.rng.chance(0.1) ? ['x'] : [])]);
    const maxevents = this.rng.pick<Arg>([-1, -1, 1, 2, 16, 0, -2, 1.5, U]);
    const args = this.rng.chance(0.2) ? [timeout] : [timeout, maxevents];
    this.push({ op: 'ep', id: ep.id, name: 'poll', args, form: this.rng.chance(0.5) ? 'sync' : 'promise' });
  }

  private epClose(ep: EpollModel): void {
    this.push({ op: 'ep', id: ep.id, name: 'close', args: [] });
    ep.closed = true;
  }

  /** epoll.fromfd of a copy of `ep`'s descriptor (the new object owns the copy), or of a hostile number. */
  private epFromfd(ep: EpollModel): void {
    if (this.rng.chance(0.25)) {
      this.push({ op: 'ep', name: 'fromfd', args: [this.rng.pick<Arg>([-1, 2 ** 30, 1.5, 'x', U])] });
      return;
    }
    const id = `e${this.counter++}`;
    this.push({ op: 'epFromfd', id: ep.id, as: id });
    if (!ep.closed) this.epolls.push({ id, closed: false, registered: ep.registered });
  }

  // --- selectors --------------------------------------------------------------------------------
  private selectorStep(socks: SocketView[]): void {
    const k = this.target(this.selectors);
    if (!k) return this.newSelector();
    const r = this.rng.int(20);
    if (r < 6) this.selRegister(k, socks);
    else if (r < 8) this.selCall(k, 'modify', socks, [this.rng.pick(EVENTS), this.datum()]);
    else if (r < 10) this.selCall(k, 'unregister', socks, []);
    else if (r < 12) this.selCall(k, 'getKey', socks, []);
    else if (r < 16) {
      const timeout = this.rng.pick<Arg>([0, 0, POLL_WAIT, -1]);  // selectors take a negative timeout as 0
      this.push({ op: 'sel', id: k.id, name: 'select', args: [timeout], form: this.rng.chance(0.5) ? 'sync' : 'promise' });
    } else if (r < 18) this.push({ op: 'sel', id: k.id, name: 'getMap', args: [] });
    else if (r < 19 && k.hasFileno) this.push({ op: 'sel', id: k.id, name: 'fileno', args: [] });
    else {
      this.push({ op: 'sel', id: k.id, name: 'close', args: [] });
      k.closed = true;
    }
  }

  private newSelector(): void {
    const name = this.rng.pick(['DefaultSelector', 'DefaultSelector', 'EpollSelector', 'PollSelector']);
    const id = `k${this.counter++}`;
    this.push({ op: 'selector', as: id, name });
    this.selectors.push({ id, closed: false, registered: new Set(), hasFileno: name !== 'PollSelector' });
  }

  private datum(): Arg {
    return this.rng.pick<Arg>(['d', 7, null, U, 'other']);
  }

  private selRegister(k: SelectorModel, socks: SocketView[]): void {
    const [fileobj, id] = this.fileobj(socks);
    const args = this.rng.chance(0.2) ? [fileobj, this.rng.pick(EVENTS)] : [fileobj, this.rng.pick(EVENTS), this.datum()];
    this.push({ op: 'sel', id: k.id, name: 'register', args });
    if (id) k.registered.add(id);
  }

  private selCall(k: SelectorModel, name: string, socks: SocketView[], rest: Arg[]): void {
    const [fileobj, id] = this.fileobj(socks, k.registered);
    this.push({ op: 'sel', id: k.id, name, args: [fileobj, ...rest] });
    if (name === 'unregister' && id) k.registered.delete(id);
  }
}
