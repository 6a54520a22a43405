// links: list the network interfaces the way `ip link` does, over rtnetlink (Linux):
// an RTM_GETLINK dump (NLM_F_REQUEST | NLM_F_DUMP) on an AF_NETLINK / NETLINK_ROUTE socket.
//
//   node dist/examples/links.js
//
// Netlink messages are in the machine's byte order: struct nlmsghdr (16 bytes), then struct
// ifinfomsg (16 bytes), then attributes (struct rtattr: u16 length, u16 type, data, padded to 4).
import * as os from 'node:os';
import * as bs from '../lib';

const LE = os.endianness() === 'LE';
// Attribute types of enum IFLA_* in <linux/if_link.h> (kernel ABI, stable; not among the
// package's constants because they are enum members, not macros).
/** IFLA_ADDRESS: the link-level (MAC) address. */
export const IFLA_ADDRESS = 1;
/** IFLA_IFNAME: the interface name, NUL-terminated. */
export const IFLA_IFNAME = 3;
/** IFLA_MTU: the MTU, a u32. */
export const IFLA_MTU = 4;
/** NLM_F_DUMP is defined in C as NLM_F_ROOT | NLM_F_MATCH. */
export const NLM_F_DUMP: number = bs.constants.NLM_F_DUMP ?? (bs.NLM_F_ROOT! | bs.NLM_F_MATCH!);
const NLMSG_HDRLEN = 16;
const IFINFOMSG_LEN = 16;

const u16 = (b: Buffer, o: number): number => (LE ? b.readUInt16LE(o) : b.readUInt16BE(o));
const u32 = (b: Buffer, o: number): number => (LE ? b.readUInt32LE(o) : b.readUInt32BE(o));
const i32 = (b: Buffer, o: number): number => (LE ? b.readInt32LE(o) : b.readInt32BE(o));
const align4 = (n: number): number => (n + 3) & ~3;

/** One interface from the dump. */
export interface Link {
  index: number;
  name: string;
  mtu?: number;
  mac?: string;
  flags: number;
  /** The IFF_* names of `flags`. */
  flagNames: string[];
}

/** The RTM_GETLINK dump request: nlmsghdr + an empty ifinfomsg (AF_UNSPEC: every interface). */
export function linkDumpRequest(seq: number): Buffer {
  const b = Buffer.alloc(NLMSG_HDRLEN + IFINFOMSG_LEN);
  const w16 = (v: number, o: number): number => (LE ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const w32 = (v: number, o: number): number => (LE ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  w32(b.length, 0);                          // nlmsg_len
  w16(bs.RTM_GETLINK!, 4);                    // nlmsg_type
  w16(bs.NLM_F_REQUEST! | NLM_F_DUMP, 6);     // nlmsg_flags
  w32(seq, 8);                               // nlmsg_seq
  w32(0, 12);                                // nlmsg_pid: 0, the kernel fills in ours
  b[16] = bs.AF_UNSPEC;                      // ifi_family
  return b;
}

function flagNames(flags: number): string[] {
  const names: string[] = [];
  for (const [name, value] of Object.entries(bs.constants)) {
    if (name.startsWith('IFF_') && value && (value & (value - 1)) === 0 && (flags & value)) names.push(name.slice(4));
  }
  return names;
}

/**
 * Parses one buffer of netlink messages. Returns the links found and whether NLMSG_DONE was seen;
 * throws a SocketError for an NLMSG_ERROR message carrying an errno.
 */
export function parseLinkMessages(buf: Buffer): { links: Link[]; done: boolean } {
  const links: Link[] = [];
  let done = false;
  for (let off = 0; off + NLMSG_HDRLEN <= buf.length;) {
    const len = u32(buf, off);
    const type = u16(buf, off + 4);
    if (len < NLMSG_HDRLEN || off + len > buf.length) break;
    if (type === bs.NLMSG_DONE) done = true;
    else if (type === bs.NLMSG_ERROR) {
      const errno = -i32(buf, off + NLMSG_HDRLEN);
      if (errno) throw new bs.SocketError(errno, 'RTM_GETLINK');
    } else if (type === bs.RTM_NEWLINK) {
      const body = off + NLMSG_HDRLEN;
      const flags = u32(buf, body + 8);
      const link: Link = { index: i32(buf, body + 4), name: '', flags, flagNames: flagNames(flags) };
      for (let a = body + IFINFOMSG_LEN; a + 4 <= off + len;) {
        const alen = u16(buf, a);
        const atype = u16(buf, a + 2) & 0x3fff;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
        if (alen < 4) break;
        const data = buf.subarray(a + 4, a + alen);
        if (atype === IFLA_IFNAME) link.name = data.toString('latin1').replace(/\0.*$/s, '');
        else if (atype === IFLA_MTU && data.length >= 4) link.mtu = u32(data, 0);
        else if (atype === IFLA_ADDRESS) link.mac = Array.from(data, (x) => x.toString(16).padStart(2, '0')).join(':');
        a += align4(alen);
      }
      links.push(link);
    }
    off += align4(len);
  }
  return { links, done };
}

/** Dumps the links with the Sync calls. */
export function listLinksSync(): Link[] {
  using sock = bs.socket(bs.AF_NETLINK!, bs.SOCK_RAW, bs.NETLINK_ROUTE);
  sock.bind([0, 0]);
  sock.settimeout(5);
  sock.sendtoSync(linkDumpRequest(1), [0, 0]);
  const links: Link[] = [];
  for (;;) {
    const { links: more, done } = parseLinkMessages(sock.recvSync(65536));
    links.push(...more);
    if (done) return links;
  }
}

/** Dumps the links with the Promise calls. */
export async function listLinks(): Promise<Link[]> {
  using sock = bs.socket(bs.AF_NETLINK!, bs.SOCK_RAW, bs.NETLINK_ROUTE);
  sock.bind([0, 0]);
  sock.settimeout(5);
  await sock.sendto(linkDumpRequest(2), [0, 0]);
  const links: Link[] = [];
  for (;;) {
    const { links: more, done } = parseLinkMessages(await sock.recv(65536));
    links.push(...more);
    if (done) return links;
  }
}

async function main(): Promise<number> {
  if (process.platform !== 'linux') {
    console.error('links: rtnetlink is Linux-only');
    return 2;
  }
  for (const link of await listLinks()) {
    console.log(`${link.index}: ${link.name} mtu ${link.mtu ?? '?'} mac ${link.mac ?? '-'} flags <${link.flagNames.join(',')}>`);
  }
  return 0;
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (error) => {
    console.error(`links: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
