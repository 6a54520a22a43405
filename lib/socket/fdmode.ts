// The blocking-mode bookkeeping of a Socket's descriptor, in one place: whether it is O_NONBLOCK
// and why. Python's modes decide it (timeout mode and non-blocking mode want O_NONBLOCK); a Promise
// accept/connect in blocking mode forces it, and detach() hands the descriptor back as the mode
// wants it.
import { native } from '../binding/native';
import { check } from '../binding/errors';

export class FdMode {
  /** A Promise accept/connect made the descriptor of a blocking-mode socket O_NONBLOCK. */
  private forced = false;

  /** `nonblocking`: whether the descriptor is O_NONBLOCK now. */
  constructor(private nonblocking: boolean) {}

  /** The mode of a descriptor made elsewhere, read with one fcntl(). */
  static of(fd: number): FdMode {
    return new FdMode((check(native.getFdFlags(fd), 'fcntl') & 1) !== 0);
  }

  /** Sets O_NONBLOCK as `timeout` (Python's) asks, or as it was forced; throws the typed error. */
  apply(fd: number, timeout: number | null): void {
    const wanted = timeout !== null || this.forced;
    if (wanted !== this.nonblocking) {
      check(native.setNonblocking(fd, wanted), 'fcntl');
      this.nonblocking = wanted;
    }
  }

  /**
   * Promise accept/connect cannot ask for MSG_DONTWAIT: they need an O_NONBLOCK descriptor. A
   * duplicate shares the flag and may have cleared it, so it is set (one fcntl) before each call:
   * 0 or -errno.
   */
  force(fd: number): number {
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
