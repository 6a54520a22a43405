// What the platform and this build of the addon support, told at run time. Everything is derived
// from the loaded binding: the functions it registered, the constants the C headers defined, and
// the switches of native/platform.h it was compiled with (native/features.cc).
import { native, type Native, type NativeBuildFeatures } from '../binding/native';
import { backend } from '../engine/readiness';

/**
 * What the platform and the loaded build of the addon support. Every field is a boolean fixed
 * when the package is loaded; see {@link features}.
 *
 * @example
 * ```ts
 * import { features, socket, AF_INET, SOCK_DGRAM } from 'bsd-sockets';
 *
 * const sock = socket(AF_INET, SOCK_DGRAM);
 * if (features.recvmmsg) {
 *   const batch = await sock.recvmmsg([Buffer.alloc(1500), Buffer.alloc(1500)]);
 * }
 * ```
 */
export interface Features {
  /** `Socket.recvmmsg()` works (Linux): several datagrams in one system call. */
  readonly recvmmsg: boolean;
  /** `Socket.sendmmsg()` works (Linux): several datagrams in one system call. */
  readonly sendmmsg: boolean;
  /** Accepted sockets are made non-blocking and close-on-exec atomically by `accept4()`. */
  readonly accept4: boolean;
  /** `socket()` and `socketpair()` pass `SOCK_NONBLOCK | SOCK_CLOEXEC` instead of calling `fcntl()` afterwards. */
  readonly sockFlags: boolean;
  /** Sends pass `MSG_NOSIGNAL`; otherwise `SO_NOSIGPIPE` (where it exists) and Node's ignored SIGPIPE keep writes to a closed peer from killing the process. */
  readonly msgNosignal: boolean;
  /** The `SO_NOSIGPIPE` socket option exists (macOS and the BSDs). */
  readonly soNosigpipe: boolean;
  /** `AF_PACKET` sockets and their `[ifname, proto, pkttype, hatype, addr]` addresses (Linux). */
  readonly afPacket: boolean;
  /** `AF_NETLINK` sockets and their `[pid, groups]` addresses (Linux). */
  readonly afNetlink: boolean;
  /** Unix socket names in the abstract namespace (a leading `'\0'`, Linux). */
  readonly abstractUnix: boolean;
  /** `SO_PEERCRED` gives the peer's `struct ucred` on a Unix socket (Linux). */
  readonly soPeercred: boolean;
  /** UDP generic segmentation offload: the `UDP_SEGMENT` option (Linux ≥ 4.18 headers). */
  readonly udpGso: boolean;
  /** UDP generic receive offload: the `UDP_GRO` option (Linux ≥ 5.0 headers). */
  readonly udpGro: boolean;
  /**
   * The Promise forms wait through an io_uring of this thread's own (Linux): `BSD_SOCKETS_BACKEND=uring`
   * asked for it and the kernel allowed it. False where io_uring is refused (seccomp, `kernel.io_uring_disabled`,
   * old kernels): readiness then comes from libuv, with the same behaviour.
   */
  readonly ioUring: boolean;
  /** The addon was built with the portable switch (`BSD_FORCE_PORTABLE`): only the code paths every Unix has. */
  readonly portable: boolean;
}

function buildFeatures(): NativeBuildFeatures {
  const given: Partial<NativeBuildFeatures> | undefined = native.buildFeatures;
  // A build from before native/features.cc existed says nothing: assume only what can be seen.
  const flag = (name: keyof NativeBuildFeatures): boolean => given?.[name] === true;
  return {
    accept4: flag('accept4'),
    sockFlags: flag('sockFlags'),
    msgNosignal: flag('msgNosignal'),
    mmsg: flag('mmsg'),
    linux: given === undefined ? process.platform === 'linux' : flag('linux'),
    recvTruncLength: flag('recvTruncLength'),
    soNosigpipe: flag('soNosigpipe'),
    portable: flag('portable'),
    ioUring: flag('ioUring'),
  };
}

function detect(): Features {
  const C = native.constants;
  const has = (name: string): boolean => typeof C[name] === 'number';
  const fn = (name: keyof Native): boolean => typeof native[name] === 'function';
  const build = buildFeatures();
  return Object.freeze({
    recvmmsg: fn('recvmmsg'),
    sendmmsg: fn('sendmmsg'),
    accept4: build.accept4,
    sockFlags: build.sockFlags,
    msgNosignal: build.msgNosignal,
    soNosigpipe: build.soNosigpipe || has('SO_NOSIGPIPE'),
    afPacket: has('AF_PACKET') && fn('packPacket'),
    afNetlink: has('AF_NETLINK') && fn('packNetlink'),
    abstractUnix: build.linux,
    soPeercred: has('SO_PEERCRED') && build.linux,
    udpGso: has('UDP_SEGMENT'),
    udpGro: has('UDP_GRO'),
    portable: build.portable,
    ioUring: build.ioUring === true && backend === 'uring',
  });
}

/**
 * What this platform and the loaded build of the addon support: a frozen {@link Features}
 * object. Calls that a platform lacks throw a `SocketError` (`ENOSYS`) and their constants are
 * `undefined`; `features` lets a program choose a path before calling.
 *
 * @example
 * ```ts
 * import { features } from 'bsd-sockets';
 *
 * console.log(features.recvmmsg ? 'batched receives' : 'one datagram per call');
 * if (features.portable) console.log('a portable build: no Linux fast paths');
 * ```
 */
export const features: Features = detect();
