// The tour's tools chapter (run by tour.ts): the packet and netlink examples, each where it can run.
// Without privileges: links, and a traceroute of 127.0.0.1 through IP_RECVERR; ping where
// net.ipv4.ping_group_range lets our group. As root, in network namespaces the tour makes and
// removes: a traceroute across a router, sniff watching it, and ip-monitor seeing links made.
// Whatever cannot run here says why.
import { execFileSync, spawnSync } from 'node:child_process';
import { pingUnavailable } from './ping';

/** What tour.ts lends: its section title, and its ways of running an example (`prefix`: a command to run node under). */
interface TourKit {
  title(text: string): void;
  launch(name: string, args?: Array<string | number>, prefix?: string[]): {
    done: Promise<string>;
    waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  };
  run(name: string, args?: Array<string | number>, prefix?: string[]): Promise<string>;
}

function skip(what: string, why: string): void {
  console.log(`    tour: ${what} skipped: ${why}`);
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Why namespaces cannot be made here, or null. */
function namespacesUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces are Linux-only';
  if (!isRoot()) return 'making network namespaces needs root';
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (`ip`) is not installed';
  return null;
}

/**
 * Three namespaces in a row, `<base>-a` (10.32.1.1) -- (10.32.1.2) `<base>-r` (10.32.2.1) --
 * (10.32.2.2) `<base>-h`, with routes both ways and forwarding on the router. Returns their names.
 */
function makeChain(base: string): [string, string, string] {
  const [a, r, h] = ['a', 'r', 'h'].map((n) => `${base}-${n}`);
  for (const ns of [a, r, h]) {
    execFileSync('ip', ['netns', 'add', ns]);
    // No IPv6: its router solicitations would be the frames sniff shows instead of the traceroute's.
    execFileSync('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  }
  for (const command of [
    `-n ${a} link add a0 type veth peer name r0 netns ${r}`, `-n ${r} link add r1 type veth peer name h0 netns ${h}`,
    `-n ${a} addr add 10.32.1.1/24 dev a0`, `-n ${r} addr add 10.32.1.2/24 dev r0`,
    `-n ${r} addr add 10.32.2.1/24 dev r1`, `-n ${h} addr add 10.32.2.2/24 dev h0`,
    ...[[a, 'a0'], [r, 'r0'], [r, 'r1'], [h, 'h0'], [a, 'lo'], [r, 'lo'], [h, 'lo']].map(([ns, dev]) => `-n ${ns} link set ${dev} up`),
    `-n ${a} route add 10.32.2.0/24 via 10.32.1.2`, `-n ${h} route add default via 10.32.2.1`,
  ]) execFileSync('ip', command.split(' '));
  execFileSync('ip', ['netns', 'exec', r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  return [a, r, h];
}

/** As root: the namespace chapters, in namespaces removed afterwards whatever happens. */
async function inNamespaces({ launch, run }: TourKit): Promise<void> {
  const chain = makeChain(`bsdtour-${process.pid}`);
  try {
    const inA = ['ip', 'netns', 'exec', chain[0]];
    const sniff = launch('sniff', ['-c', 4, '-i', 'a0'], inA);  // ARP request and reply, the first probe, its ICMP answer
    await sniff.waitFor(/^listening on a0/);
    console.log('    tour: traceroute across the router, sniff watching a0 (raw ICMP socket: we are root)');
    await run('traceroute', ['-m', 4, '-w', 2, '10.32.2.2'], inA);
    await sniff.done;

    console.log('    tour: ip-monitor in the namespace while the tour adds a veth pair and an address there');
    const monitor = launch('ip-monitor', ['-c', 3], inA);
    await monitor.waitFor(/^listening/);
    execFileSync('ip', ['-n', chain[0], 'link', 'add', 'mon0', 'type', 'veth', 'peer', 'name', 'mon1']);
    execFileSync('ip', ['-n', chain[0], 'addr', 'add', '10.41.0.1/24', 'dev', 'mon0']);
    await monitor.done;
  } finally {
    for (const ns of chain) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
  }
}

export async function toolsTour(kit: TourKit): Promise<void> {
  const { title, run } = kit;
  title('12. Packets and netlink: links, ping, traceroute, sniff, ip-monitor (bsd-sockets/packet, bsd-sockets/netlink)');
  if (process.platform === 'linux') await run('links');
  else skip('links', 'rtnetlink is Linux-only');

  const noPing = pingUnavailable();
  if (noPing) skip('ping', noPing);
  else await run('ping', ['-c', 2, '127.0.0.1']);

  if (process.platform === 'linux') {
    console.log('    tour: traceroute 127.0.0.1 the unprivileged way (IP_RECVERR, MSG_ERRQUEUE)');
    await run('traceroute', ['-E', '-m', 3, '-w', 2, '127.0.0.1']);
  } else {
    skip('traceroute -E', 'IP_RECVERR is Linux-only');
  }

  const noNamespaces = namespacesUnavailable();
  if (noNamespaces) skip('traceroute across a router, sniff and ip-monitor', noNamespaces);
  else await inNamespaces(kit);
}
