// links: list the network interfaces the way `ip link` does, with an rtnetlink RTM_GETLINK dump
// through bsd-sockets/netlink (Linux).
//
//   node dist/examples/links.js
import * as bs from '../lib';
import * as nl from '../lib/netlink';

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
  return nl.encodeMessage({ type: bs.RTM_GETLINK!, flags: bs.NLM_F_REQUEST! | bs.NLM_F_DUMP!, seq }, Buffer.alloc(16));
}

function flagNames(flags: number): string[] {
  return Object.entries(bs.constants)
    .filter(([name, value]) => name.startsWith('IFF_') && value && (value & (value - 1)) === 0 && flags & value)
    .map(([name]) => name.slice(4));
}

function shown(link: nl.Link): Link {
  return { index: link.index, name: link.name, mtu: link.mtu, mac: link.address, flags: link.flags, flagNames: flagNames(link.flags) };
}

/** Parses one datagram of the dump: its links, and whether NLMSG_DONE was seen (an error ACK throws). */
export function parseLinkMessages(buf: Buffer): { links: Link[]; done: boolean } {
  const links: Link[] = [];
  let done = false;
  for (const message of nl.decodeMessages(buf)) {
    if (message.type === bs.NLMSG_DONE) done = true;
    const error = message.type === bs.NLMSG_ERROR ? nl.ackError(message, 'RTM_GETLINK') : null;
    if (error) throw error;
    if (message.type === bs.RTM_NEWLINK) links.push(shown(nl.decodeLink(message)));
  }
  return { links, done };
}

/** Dumps the links with the Sync calls. */
export function listLinksSync(): Link[] {
  using sock = new nl.RouteSocket({ timeout: 5 });
  return sock.linksSync().map(shown);
}

/** Dumps the links with the Promise calls. */
export async function listLinks(): Promise<Link[]> {
  using sock = new nl.RouteSocket({ timeout: 5 });
  return (await sock.links()).map(shown);
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
