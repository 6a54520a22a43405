// AF_NETLINK (Linux): an rtnetlink RTM_GETLINK dump, addresses as [pid, groups], both forms.
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import { linkDumpRequest, listLinks, listLinksSync, parseLinkMessages } from '../examples/links';
import { Tracker } from './helpers';

describe('netlink', () => {
  const track = new Tracker().install();

  beforeEach(function () {
    if (process.platform !== 'linux') { console.log('      skipped: AF_NETLINK is Linux-only'); this.skip(); }
  });

  it('getsockname gives [pid, groups] after bind([0, 0])', () => {
    const s = track.add(bs.socket(bs.AF_NETLINK!, bs.SOCK_RAW, bs.NETLINK_ROUTE));
    s.bind([0, 0]);
    const [pid, groups] = s.getsockname() as unknown as [number, number];
    assert.equal(typeof pid, 'number');
    assert.ok(pid > 0, `the kernel assigns a port id, got ${pid}`);
    assert.equal(groups, 0);
    assert.equal(s.family, bs.AF_NETLINK);
    assert.throws(() => s.bind([1, 2, 3] as unknown as bs.NetlinkAddress), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('RTM_GETLINK dump (Sync) lists lo with its if_nametoindex index and the loopback flag', () => {
    const links = listLinksSync();
    const lo = links.find((l) => l.name === 'lo');
    assert.ok(lo, `no lo in ${links.map((l) => l.name).join(', ')}`);
    assert.equal(lo.index, bs.if_nametoindex('lo'));
    assert.ok(lo.flags & bs.IFF_LOOPBACK);
    assert.equal(lo.mac, '00:00:00:00:00:00');
    assert.ok(lo.mtu! > 0);
    // Every interface of if_nameindex() is in the dump, with the same index.
    const dumped = new Map(links.map((l) => [l.name, l.index]));
    for (const [index, name] of bs.if_nameindex()) assert.equal(dumped.get(name), index, name);
  });

  it('RTM_GETLINK dump (Promise form), replies addressed from the kernel [0, 0]', async () => {
    const links = await listLinks();
    assert.equal(links.find((l) => l.name === 'lo')?.index, bs.if_nametoindex('lo'));
    const s = track.add(bs.socket(bs.AF_NETLINK!, bs.SOCK_RAW, bs.NETLINK_ROUTE));
    s.bind([0, 0]);
    s.settimeout(5);
    await s.sendto(linkDumpRequest(77), [0, 0]);
    const [data, from] = await s.recvfrom(65536);
    assert.deepEqual(from, [0, 0]);
    assert.ok(data.length >= 16);
    assert.equal(data.readUInt32LE(8), 77);  // the reply carries our sequence number (x86/arm: little-endian)
    assert.ok(parseLinkMessages(data).links.length >= 1);
  });
});
