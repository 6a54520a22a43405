// ip-monitor: link and address events as they happen, like `ip monitor link address` (Linux):
// a NETLINK_ROUTE socket that joined the RTNLGRP_LINK and RTNLGRP_IPV4/IPV6_IFADDR groups.
//
//   node dist/examples/ip-monitor.js [-c count]
import * as bs from '../lib';
import * as nl from '../lib/netlink';

/** One line for an rtnetlink event; null for a message that is not a link or address event. */
export function describeEvent(message: nl.NetlinkMessage): string | null {
  const verb = message.type === bs.RTM_NEWLINK || message.type === bs.RTM_NEWADDR ? 'new' : 'deleted';
  if (message.type === bs.RTM_NEWLINK || message.type === bs.RTM_DELLINK) {
    const link = nl.decodeLink(message);
    const up = link.flags & bs.IFF_UP ? 'UP' : 'DOWN';
    return `link ${verb} ${link.index}: ${link.name}${link.kind ? ` (${link.kind})` : ''} ${up} mtu ${link.mtu ?? '?'}`;
  }
  if (message.type === bs.RTM_NEWADDR || message.type === bs.RTM_DELADDR) {
    const address = nl.decodeAddress(message);
    return `address ${verb} ${address.local ?? address.address}/${address.prefixlen} on ${address.index}`;
  }
  return null;
}

async function main(argv: string[]): Promise<number> {
  const count = argv[0] === '-c' ? Number(argv[1]) : Infinity;
  if (!(count >= 1) || (argv.length && argv[0] !== '-c')) {
    console.error('usage: ip-monitor [-c count]');
    return 2;
  }
  if (process.platform !== 'linux') {
    console.error('ip-monitor: rtnetlink is Linux-only');
    return 2;
  }
  using sock = new nl.RouteSocket({ groups: [nl.RTNLGRP.LINK, nl.RTNLGRP.IPV4_IFADDR, nl.RTNLGRP.IPV6_IFADDR] });
  console.log('listening for link and address events');
  for (let seen = 0; seen < count;) {
    for (const message of await sock.receive()) {
      const line = describeEvent(message);
      if (line && seen++ < count) console.log(line);
    }
  }
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (error) => {
    console.error(`ip-monitor: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 2;
  });
}
