// The blocking-mode bookkeeping of a Socket's descriptor, in one place: whether it is O_NONBLOCK
// and why. Python's modes decide it (timeout mode and non-blocking mode want O_NONBLOCK); a Promise
// accept/connect in blocking mode forces it, and detach() hands the descriptor back as the mode
// wants it.
import { native } from '../binding/native';
import { check } from '../binding/errors';

export class FdMode {
  /** A Promise accept/connect made the descriptor of a blocking-mode socket O_NONBLOCK. */
  private forced = false;

  /**
   * `nonblocking`: whether the descriptor is O_NONBLOCK now. `shared`: whether anyone but this
   * Socket may hold its open file description (and so change O_NONBLOCK under it): a descriptor
   * adopted or duplicated, or one whose number was handed out (fileno(), `fd`).
   */
  constructor(private nonblocking: boolean, private shared = false) {}

  /** The mode of a descriptor made elsewhere, read with one fcntl(). */
  static of(fd: number): FdMode {
    return new FdMode((check(native.getFdFlags(fd), 'fcntl') & 1) !== 0, true);
  }

  /** Someone else may now hold the descriptor: what these books say is checked again before it counts. */
  share(): void {
    this.shared = true;
  }

  /**
   * Sets O_NONBLOCK as `timeout` (Python's) asks, or as it was forced; throws the typed error. A
   * shared descriptor is set whatever the books say, as Python's setblocking() always sets it,
   * unless they were read from the descriptor just now (`justRead`: FdMode.of, then the constructor).
   */
  apply(fd: number, timeout: number | null, justRead = false): void {
    const wanted = timeout !== null || this.forced;
    if (wanted !== this.nonblocking || (this.shared && !justRead)) {
      check(native.setNonblocking(fd, wanted), 'fcntl');
      this.nonblocking = wanted;
    }
  }

  /**
   * Promise accept/connect cannot ask for MSG_DONTWAIT: they need an O_NONBLOCK descriptor. A
   * duplicate shares the flag and may have cleared it, so where one may exist the flag is set (one
   * fcntl) before each call; a descriptor nobody else holds keeps what these books say. 0 or -errno.
   */
  force(fd: number): number {
    if (this.nonblocking && !this.shared) return 0;
    const r = native.setNonblocking(fd, true);
    if (r === 0 && !this.nonblocking) {
      this.forced = true;
      this.nonblocking = true;
    }
    return r;
  }

  /** detach(): the descriptor goes back blocking if only a Promise call had made it O_NONBLOCK. */
  release(fd: number, timeout: number | null): void {
    if (this.forced) native.setNonblocking(fd, timeout !== null);
  }
}
