// bsd-sockets/netlink against iproute2: dumps compared field by field with `ip -j -N` (numeric
// JSON) in a namespace with a veth pair, addresses, a route and a neighbour the test made;
// address and route requests checked by `ip`; errors with the kernel's extended ACK; events.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as bs from '../lib';
import { netnsUnavailable, runInNetns } from './netns';

const NETLINK = JSON.stringify(path.resolve(__dirname, '../lib/netlink'));
const PRELUDE = `const nl = require(${NETLINK});
const { execFileSync } = require('node:child_process');
// iproute2 is not ours to sanitize: scripts/ci-sanitize.sh preloads ASan into child processes, and
// ASan stops \`ip route\` at a strncpy of its own.
const ipEnv = { ...process.env };
delete ipEnv.LD_PRELOAD;
const ip = (...args) => JSON.parse(execFileSync('ip', ['-j', '-N', ...args], { encoding: 'utf8', env: ipEnv }) || '[]');
const sock = new nl.RouteSocket({ timeout: 5 });
const outcome = (fn) => { try { fn(); return 'ok'; } catch (e) { return { name: e.constructor.name, code: e.code, syscall: e.syscall, message: e.message, detail: e.detail }; } };
`;
// No duplicate address detection: link-local addresses (and their routes) are final at once, so
// that ip and we see the same tables.
const SETUP = [
  'sysctl -qw net.ipv6.conf.default.accept_dad=0', 'ip link add va type veth peer name vb', 'ip link set va up', 'ip link set vb up',
  'ip addr add 10.77.0.1/24 dev va', 'ip addr add fd00:77::1/64 dev va nodad',
  'ip route add 10.88.0.0/16 via 10.77.0.2', 'ip neigh add 10.77.0.2 lladdr 02:00:00:00:00:02 dev va nud permanent',
];
// iproute2's names of the IF_OPER_* states (include/uapi/linux/if.h order).
const OPERSTATES = ['UNKNOWN', 'NOTPRESENT', 'DOWN', 'LOWERLAYERDOWN', 'TESTING', 'DORMANT', 'UP'];
type Json = Record<string, unknown>;

function skipUnlessNetns(ctx: Mocha.Context): void {
  const why = netnsUnavailable();
  if (why) { console.log(`      skipped: ${why}`); ctx.skip(); }
}

/** A link as `ip -j -N link` prints it, from ours. */
function linkAsIp(link: Json, names: Map<number, string>): Json {
  const shown: Json = {
    ifindex: link.index, ifname: link.name, mtu: link.mtu, qdisc: link.qdisc, operstate: OPERSTATES[link.operstate as number],
    group: String(link.group), txqlen: link.txqlen, link_type: `[${link.type}]`, address: link.address, broadcast: link.broadcast,
  };
  if (link.link) shown.link = names.get(link.link as number);
  return shown;
}

/** A route as `ip -j -N route show table all` prints it (it leaves out main table, unicast, boot, universe). */
function routeAsIp(r: Json, names: Map<number, string>): Json {
  const full = r.family === bs.AF_INET6 ? 128 : 32;
  const shown: Json = { dst: r.dstLen === 0 ? 'default' : r.dstLen === full ? r.dst : `${r.dst}/${r.dstLen}` };
  if (r.type !== 1) shown.type = String(r.type);
  if (r.gateway) shown.gateway = r.gateway;
  if (r.oif) shown.dev = names.get(r.oif as number);
  if (r.table !== 254) shown.table = String(r.table);
  if (r.protocol !== 3) shown.protocol = String(r.protocol);
  if (r.scope !== 0) shown.scope = String(r.scope);
  if (r.prefsrc) shown.prefsrc = r.prefsrc;
  if (r.priority !== undefined) shown.metric = r.priority;
  return shown;
}

const pick = (o: Json, keys: string[]): Json => Object.fromEntries(keys.filter((k) => o[k] !== undefined).map((k) => [k, o[k]]));
const byKey = (a: Json, b: Json): number => JSON.stringify(a).localeCompare(JSON.stringify(b));

describe('netlink: rtnetlink against ip -j', function () {
  this.timeout(30000);

  it('links, addresses, routes and neighbours match ip -j -N field by field', function () {
    skipUnlessNetns(this);
    const out = JSON.parse(runInNetns(SETUP, `${PRELUDE}
console.log(JSON.stringify({ links: sock.linksSync(), addresses: await sock.addresses(), routes: sock.routesSync(), neighbours: await sock.neighbours(),
  ipLink: ip('link'), ipAddr: ip('addr'), ipRoute: ip('route', 'show', 'table', 'all'), ipNeigh: ip('neigh') }));
sock.close();`));
    const names = new Map<number, string>(out.links.map((l: Json) => [l.index, l.name]));
    assert.deepEqual([...names.values()].sort(), ['lo', 'va', 'vb']);

    const linkKeys = ['ifindex', 'ifname', 'mtu', 'qdisc', 'operstate', 'group', 'txqlen', 'link_type', 'address', 'broadcast', 'link'];
    assert.deepEqual(out.links.map((l: Json) => linkAsIp(l, names)).sort(byKey), out.ipLink.map((l: Json) => pick(l, linkKeys)).sort(byKey));
    for (const theirs of out.ipLink) {
      const ours = out.links.find((l: Json) => l.index === theirs.ifindex);
      for (const flag of theirs.flags as string[]) {
        const bit = (bs.constants as Readonly<Record<string, number | undefined>>)[`IFF_${flag}`];
        if (bit !== undefined) assert.ok(ours.flags & bit, `${theirs.ifname} ${flag}`);
      }
    }

    const ourAddresses = out.addresses.map((a: Json) => ({
      ifindex: a.index, family: a.family === bs.AF_INET ? 'inet' : 'inet6', local: a.local ?? a.address, prefixlen: a.prefixlen,
      scope: String(a.scope), ...(a.label ? { label: a.label } : {}), ...(a.broadcast ? { broadcast: a.broadcast } : {}),
    }));
    const theirAddresses = out.ipAddr.flatMap((l: Json) => (l.addr_info as Json[]).map((a) => ({ ifindex: l.ifindex, ...pick(a, ['family', 'local', 'prefixlen', 'scope', 'label', 'broadcast']) })));
    assert.deepEqual(ourAddresses.sort(byKey), theirAddresses.sort(byKey));
    assert.ok(ourAddresses.some((a: Json) => a.local === '10.77.0.1' && a.prefixlen === 24));

    const routeKeys = ['dst', 'type', 'gateway', 'dev', 'table', 'protocol', 'scope', 'prefsrc', 'metric'];
    const ourRoutes = out.routes.filter((r: Json) => !((r.flags as number) & 0x200)).map((r: Json) => routeAsIp(r, names));  // not RTM_F_CLONED
    assert.deepEqual(ourRoutes.sort(byKey), out.ipRoute.map((r: Json) => pick(r, routeKeys)).sort(byKey));
    assert.ok(ourRoutes.some((r: Json) => r.dst === '10.88.0.0/16' && r.gateway === '10.77.0.2'));

    const ourNeighbours = out.neighbours.filter((n: Json) => n.dst === '10.77.0.2');
    assert.deepEqual(ourNeighbours.map((n: Json) => ({ dst: n.dst, dev: names.get(n.index as number), lladdr: n.lladdr, permanent: n.state === 0x80 })),
      out.ipNeigh.map((n: Json) => ({ dst: n.dst, dev: n.dev, lladdr: n.lladdr, permanent: (n.state as string[]).includes('PERMANENT') })));
  });

  it('adds and removes an address and a route; errors carry the errno and the kernel extended ACK', function () {
    skipUnlessNetns(this);
    const out = JSON.parse(runInNetns(SETUP.slice(0, 4), `${PRELUDE}
const index = sock.linksSync().find((l) => l.name === 'va').index;
const address = { index, address: '10.66.0.1', prefixlen: 24, broadcast: '10.66.0.255' };
const route = { dst: '10.99.0.0', dstLen: 16, gateway: '10.66.0.2' };
const r = {};
r.addAddress = outcome(() => sock.addAddressSync(address));
r.addAddressAgain = outcome(() => sock.addAddressSync(address));
r.addRoute = await sock.addRoute(route).then(() => 'ok');
r.addRouteAgain = outcome(() => sock.addRouteSync(route));
r.badGateway = await sock.addRoute({ dst: '10.55.0.0', dstLen: 16, gateway: '192.0.2.1' }).then(() => 'ok', (e) => ({ name: e.constructor.name, code: e.code, message: e.message, detail: e.detail }));
r.addr6 = outcome(() => sock.addAddressSync({ index, address: 'fd00:66::1', prefixlen: 64 }));
r.ipAddr = ip('addr', 'show', 'dev', 'va');
r.ipRoute = ip('route', 'show', '10.99.0.0/16');
r.deleteRoute = outcome(() => sock.deleteRouteSync(route));
r.deleteAddress = await sock.deleteAddress(address).then(() => 'ok');
r.deleteAddressAgain = outcome(() => sock.deleteAddressSync(address));
r.ipAddrAfter = ip('addr', 'show', 'dev', 'va');
r.ipRouteAfter = ip('route', 'show', '10.99.0.0/16');
console.log(JSON.stringify(r));`));
    assert.equal(out.addAddress, 'ok');
    assert.deepEqual(pick(out.addAddressAgain, ['name', 'code', 'syscall']), { name: 'SocketError', code: 'EEXIST', syscall: 'RTM_NEWADDR' });
    assert.equal(out.addRoute, 'ok');
    assert.equal(out.addRouteAgain.code, 'EEXIST');
    assert.equal(out.badGateway.code, 'ENETUNREACH');
    assert.match(out.badGateway.detail, /gateway/i, 'the extended ACK names the gateway');
    assert.ok(out.badGateway.message.endsWith(`: ${out.badGateway.detail}`), out.badGateway.message);
    assert.equal(out.addr6, 'ok');
    const info = out.ipAddr[0].addr_info as Json[];
    assert.ok(info.some((a) => a.local === '10.66.0.1' && a.prefixlen === 24 && a.broadcast === '10.66.0.255'), JSON.stringify(info));
    assert.ok(info.some((a) => a.local === 'fd00:66::1' && a.prefixlen === 64), JSON.stringify(info));
    assert.deepEqual(pick(out.ipRoute[0], ['dst', 'gateway', 'dev', 'protocol']), { dst: '10.99.0.0/16', gateway: '10.66.0.2', dev: 'va', protocol: '4' });
    assert.equal(out.deleteRoute, 'ok');
    assert.equal(out.deleteAddress, 'ok');
    assert.equal(out.deleteAddressAgain.name, 'AddressNotAvailableError');
    assert.ok(!(out.ipAddrAfter[0].addr_info as Json[]).some((a) => a.local === '10.66.0.1'));
    assert.deepEqual(out.ipRouteAfter, []);
  });

  it('a link event arrives on a socket that joined RTNLGRP_LINK (Promise and Sync)', function () {
    skipUnlessNetns(this);
    const out = JSON.parse(runInNetns([], `${PRELUDE}
const events = new nl.RouteSocket({ timeout: 5, groups: [nl.RTNLGRP.LINK] });
execFileSync('ip', ['link', 'add', 'ev0', 'type', 'veth', 'peer', 'name', 'ev1'], { env: ipEnv });
const seen = [];
while (!seen.includes('ev0') || !seen.includes('ev1')) {
  for (const m of await events.receive()) if (m.type === bs.RTM_NEWLINK) seen.push(nl.decodeLink(m).name);
}
execFileSync('ip', ['link', 'del', 'ev0'], { env: ipEnv });
let deleted = null;
while (!deleted) for (const m of events.receiveSync()) if (m.type === bs.RTM_DELLINK) deleted = nl.decodeLink(m).name;
events.dropMembership(nl.RTNLGRP.LINK);
console.log(JSON.stringify({ seen, deleted, pid: events.pid > 0 }));
events.close();`));
    assert.ok(out.seen.includes('ev0') && out.seen.includes('ev1'), JSON.stringify(out));
    assert.ok(['ev0', 'ev1'].includes(out.deleted));
    assert.equal(out.pid, true);
  });
});
