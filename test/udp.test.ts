// UDP: datagrams both ways in both forms, broadcast, multicast on loopback, packet info, truncation,
// batched recvmmsg/sendmmsg, UDP GSO/GRO, and Python as the peer.
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import { packIpMreq, unpackIn6Pktinfo, unpackInPktinfo } from '../lib/modules/structs';
import { Tracker, pythonPeer, within } from './helpers';
import { netnsUnavailable, runInNetns } from './netns';

const linux = process.platform === 'linux';
const LO = linux ? 'lo' : 'lo0';

function udp(track: Tracker, family: bs.AF_INET | bs.AF_INET6 = bs.AF_INET, host = family === bs.AF_INET ? '127.0.0.1' : '::1'): bs.Socket {
  const s = track.add(bs.socket(family, bs.SOCK_DGRAM));
  s.bind([host, 0]);
  return s;
}

function addr(s: bs.Socket): bs.InetAddress {
  const a = s.getsockname() as [string, number];
  return [a[0], a[1]];
}

describe('UDP', () => {
  const track = new Tracker().install();

  it('sendtoSync / recvfromSync / recvfromIntoSync over IPv4 and IPv6', () => {
    for (const family of [bs.AF_INET, bs.AF_INET6]) {
      const a = udp(track, family);
      const b = udp(track, family);
      assert.equal(a.sendtoSync(Buffer.from('ping'), addr(b)), 4);
      const [data, from] = b.recvfromSync(100);
      assert.equal(data.toString(), 'ping');
      assert.deepEqual((from as unknown[]).slice(0, 2), addr(a));
      assert.equal(b.sendtoSync(Buffer.from('pong!'), 0, from as bs.Address), 5);
      const into = Buffer.alloc(16, 0xee);
      const [n, from2] = a.recvfromIntoSync(into, 8);
      assert.equal(n, 5);
      assert.equal(into.subarray(0, 5).toString(), 'pong!');
      assert.equal(into[8], 0xee);  // nothing written past nbytes
      assert.deepEqual((from2 as unknown[]).slice(0, 2), addr(b));
    }
  });

  it('sendto / recvfrom / recvfromInto Promise forms', async () => {
    const a = udp(track);
    const b = udp(track);
    const pending = b.recvfrom(100);
    assert.equal(await a.sendto(Buffer.from('async'), addr(b)), 5);
    const [data, from] = await within(pending, 2000, 'recvfrom');
    assert.equal(data.toString(), 'async');
    assert.deepEqual(from, addr(a));
    const into = new Uint8Array(10);
    const got = a.recvfromInto(into);
    assert.equal(await b.sendto(Buffer.from('back'), 0, addr(a)), 4);
    const [n, from2] = await within(got, 2000, 'recvfromInto');
    assert.equal(n, 4);
    assert.equal(Buffer.from(into.subarray(0, 4)).toString(), 'back');
    assert.deepEqual(from2, addr(b));
  });

  it("sendto '<broadcast>' fails with EACCES (PermissionError) without SO_BROADCAST", () => {
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    assert.equal(s.getsockopt(bs.SOL_SOCKET, bs.SO_BROADCAST), 0);
    assert.throws(() => s.sendtoSync(Buffer.from('x'), ['<broadcast>', 9]), (e: unknown) => {
      // On a host without any IPv4 route the lookup fails first; that is still no traffic.
      assert.ok(e instanceof bs.SocketError);
      if ((e as bs.SocketError).code === 'ENETUNREACH') return true;
      assert.ok(e instanceof bs.PermissionError, String(e));
      assert.equal((e as bs.SocketError).code, 'EACCES');
      assert.equal((e as bs.SocketError).syscall, 'sendto');
      return true;
    });
  });

  it('a broadcast with SO_BROADCAST is received (inside a private network namespace)', function () {
    const why = netnsUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    // A veth pair that exists only inside the namespace; the broadcast is looped back to us.
    const out = runInNetns([
      'ip link add bsv0 type veth peer name bsv1',
      'ip addr add 10.213.0.1/24 dev bsv0',
      'ip link set bsv0 up', 'ip link set bsv1 up',
      'ip route add default dev bsv0',
    ], `
      const r = bs.socket(bs.AF_INET, bs.SOCK_DGRAM); r.bind(['', 0]);
      const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
      let denied = '';
      try { s.sendtoSync(Buffer.from('x'), ['<broadcast>', r.getsockname()[1]]); } catch (e) { denied = e.code; }
      s.setsockopt(bs.SOL_SOCKET, bs.SO_BROADCAST, 1);
      s.sendtoSync(Buffer.from('to all'), ['<broadcast>', r.getsockname()[1]]);
      r.settimeout(2);
      const [data, from] = r.recvfromSync(100);
      console.log(JSON.stringify({ denied, data: data.toString(), from: from[0] }));
      r.close(); s.close();`);
    assert.deepEqual(JSON.parse(out), { denied: 'EACCES', data: 'to all', from: '10.213.0.1' });
  });

  it('multicast on loopback: a member joined with packIpMreq gets the datagram', async () => {
    const group = '239.255.77.' + (1 + (process.pid % 250));
    const receiver = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    receiver.setsockopt(bs.SOL_SOCKET, bs.SO_REUSEADDR, 1);
    receiver.bind([group, 0]);
    receiver.setsockopt(bs.IPPROTO_IP, bs.IP_ADD_MEMBERSHIP, packIpMreq(group, '127.0.0.1'));
    const sender = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    sender.setsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_IF, bs.inet_aton('127.0.0.1'));  // stays on lo
    sender.setsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_TTL, 0);  // and never leaves the host
    sender.setsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_LOOP, 1);
    assert.equal(sender.getsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_LOOP), 1);
    assert.equal(sender.getsockopt(bs.IPPROTO_IP, bs.IP_MULTICAST_TTL), 0);
    const port = (receiver.getsockname() as bs.InetAddress)[1];
    const got = receiver.recvfrom(100);
    await sender.sendto(Buffer.from('to the group'), [group, port]);
    const [data, from] = await within(got, 2000, 'multicast recvfrom');
    assert.equal(data.toString(), 'to the group');
    assert.equal((from as bs.InetAddress)[0], '127.0.0.1');
    receiver.setsockopt(bs.IPPROTO_IP, bs.IP_DROP_MEMBERSHIP, packIpMreq(group, '127.0.0.1'));
  });

  it('IP_PKTINFO and IPV6_RECVPKTINFO arrive through recvmsg', async function () {
    if (bs.IP_PKTINFO === undefined) { console.log('      skipped: no IP_PKTINFO here'); this.skip(); }
    const lo = bs.if_nametoindex(LO);
    const r4 = udp(track);
    r4.setsockopt(bs.IPPROTO_IP, bs.IP_PKTINFO, 1);
    udp(track).sendtoSync(Buffer.from('v4'), addr(r4));
    const [data, anc] = r4.recvmsgSync(100, bs.CMSG_SPACE(64));
    assert.equal(data.toString(), 'v4');
    const info = anc.find(([level, type]) => level === bs.IPPROTO_IP && type === bs.IP_PKTINFO);
    assert.ok(info, `no IP_PKTINFO in ${JSON.stringify(anc)}`);
    assert.deepEqual(unpackInPktinfo(info[2]), { ifindex: lo, specDst: '127.0.0.1', addr: '127.0.0.1' });

    const r6 = udp(track, bs.AF_INET6);
    r6.setsockopt(bs.IPPROTO_IPV6, bs.IPV6_RECVPKTINFO, 1);
    const got = r6.recvmsg(100, bs.CMSG_SPACE(64));
    await udp(track, bs.AF_INET6).sendto(Buffer.from('v6'), addr(r6));
    const [data6, anc6, , from6] = await within(got, 2000, 'recvmsg');
    assert.equal(data6.toString(), 'v6');
    assert.equal((from6 as unknown[])[0], '::1');
    const info6 = anc6.find(([level, type]) => level === bs.IPPROTO_IPV6 && type === bs.IPV6_PKTINFO);
    assert.ok(info6, `no IPV6_PKTINFO in ${JSON.stringify(anc6)}`);
    assert.deepEqual(unpackIn6Pktinfo(info6[2]), { addr: '::1', ifindex: lo });
  });

  it('recvmsg of a 100-byte datagram into 10 bytes sets MSG_TRUNC (both forms)', async () => {
    const a = udp(track);
    const b = udp(track);
    const payload = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    a.sendtoSync(payload, addr(b));
    const [data, anc, flags] = b.recvmsgSync(10);
    assert.deepEqual(data, payload.subarray(0, 10));
    assert.deepEqual(anc, []);
    assert.equal(flags & bs.MSG_TRUNC, bs.MSG_TRUNC);
    a.sendtoSync(payload, addr(b));
    const [data2, , flags2] = await b.recvmsg(10);
    assert.equal(data2.length, 10);
    assert.equal(flags2 & bs.MSG_TRUNC, bs.MSG_TRUNC);
    a.sendtoSync(payload.subarray(0, 10), addr(b));
    const [, , flags3] = b.recvmsgSync(10);
    assert.equal(flags3 & bs.MSG_TRUNC, 0);  // exactly fitting is not truncated
  });

  function batch(count: number, seed: number): Array<[Buffer, bs.Address]> {
    return Array.from({ length: count }, (_, i) => {
      const b = Buffer.alloc(1 + ((i * 7 + seed) % 200));
      for (let j = 0; j < b.length; j++) b[j] = (i * 13 + j + seed) & 0xff;
      return [b, ['', 0]];
    });
  }

  it('sendmmsgSync / recvmmsgSync move 50 datagrams, every byte and address checked', function () {
    if (!bs.features.recvmmsg) { console.log('      skipped: recvmmsg/sendmmsg are not in this build'); this.skip(); }
    const a = udp(track);
    const b = udp(track);
    const c = udp(track);
    // Alternate destinations: b gets the even ones, c the odd ones.
    const messages = batch(50, 3).map(([data], i): [Buffer, bs.Address] => [data, addr(i % 2 ? c : b)]);
    let sent = 0;
    while (sent < messages.length) sent += a.sendmmsgSync(messages.slice(sent));
    assert.equal(sent, 50);
    for (const [who, parity] of [[b, 0], [c, 1]] as const) {
      const expected = messages.filter((_, i) => i % 2 === parity);
      const buffers = expected.map(() => Buffer.alloc(256));
      const got: Array<[Buffer, unknown]> = [];
      while (got.length < expected.length) {
        const slice = buffers.slice(got.length);
        for (const [i, [n, from]] of who.recvmmsgSync(slice).entries()) got.push([slice[i].subarray(0, n), from]);
      }
      assert.equal(got.length, 25);
      got.forEach(([data, from], i) => {
        assert.deepEqual(data, expected[i][0], `datagram ${i}`);
        assert.deepEqual(from, addr(a));
      });
    }
  });

  it('sendmmsg / recvmmsg Promise forms, connected sender without addresses', async function () {
    if (!bs.features.recvmmsg) { console.log('      skipped: recvmmsg/sendmmsg are not in this build'); this.skip(); }
    const a = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    const b = udp(track);
    a.connectSync(addr(b));
    const messages = batch(50, 11).map(([data]): [Buffer] => [data]);
    const buffers = messages.map(() => Buffer.alloc(256));
    const got: Buffer[] = [];
    const receiving = (async () => {
      while (got.length < 50) {
        const slice = buffers.slice(got.length);
        for (const [i, [n, from]] of (await b.recvmmsg(slice)).entries()) {
          assert.deepEqual(from, a.getsockname());
          got.push(slice[i].subarray(0, n));
        }
      }
    })();
    let sent = 0;
    while (sent < 50) sent += await a.sendmmsg(messages.slice(sent));
    await within(receiving, 3000, 'recvmmsg');
    assert.deepEqual(got, messages.map(([data]) => data));
  });

  it('UDP_SEGMENT: one send of 10×100 bytes arrives as 10 datagrams of 100 (setsockopt and ancillary)', function () {
    if (!linux || bs.UDP_SEGMENT === undefined) { console.log('      skipped: UDP_SEGMENT is Linux-only'); this.skip(); }
    const payload = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 3) & 0xff));
    const receive = (r: bs.Socket): void => {
      r.settimeout(2);
      for (let i = 0; i < 10; i++) {
        const [data] = r.recvfromSync(2000);
        assert.deepEqual(data, payload.subarray(i * 100, (i + 1) * 100), `segment ${i}`);
      }
      r.setblocking(false);
      assert.throws(() => r.recvSync(2000), bs.BlockingIOError);
    };
    const r = udp(track);
    const s = udp(track);
    s.setsockopt(bs.SOL_UDP!, bs.UDP_SEGMENT, 100);
    assert.equal(s.getsockopt(bs.SOL_UDP!, bs.UDP_SEGMENT), 100);
    assert.equal(s.sendtoSync(payload, addr(r)), 1000);
    receive(r);

    const r2 = udp(track);
    const s2 = udp(track);
    const size = Buffer.alloc(2);
    if (bs.htons(1) === 1) size.writeUInt16BE(100); else size.writeUInt16LE(100);
    assert.equal(s2.sendmsgSync([payload.subarray(0, 500), payload.subarray(500)], [[bs.SOL_UDP!, bs.UDP_SEGMENT, size]], 0, addr(r2)), 1000);
    receive(r2);
  });

  it('UDP_GRO is accepted by setsockopt and reads back', function () {
    if (!linux || bs.UDP_GRO === undefined) { console.log('      skipped: UDP_GRO is Linux-only'); this.skip(); }
    const s = udp(track);
    s.setsockopt(bs.SOL_UDP!, bs.UDP_GRO, 1);
    assert.equal(s.getsockopt(bs.SOL_UDP!, bs.UDP_GRO), 1);
    s.setsockopt(bs.SOL_UDP!, bs.UDP_GRO, false);
    assert.equal(s.getsockopt(bs.SOL_UDP!, bs.UDP_GRO), 0);
  });

  it('Python as the peer: datagrams both ways', async () => {
    const me = udp(track);
    const peer = await pythonPeer(`
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
s.settimeout(10)
print(s.getsockname()[1], flush=True)
data, addr = s.recvfrom(1000)
s.sendto(data[::-1], addr)
s.sendto(b'from python %d' % addr[1], ('127.0.0.1', int(sys.argv[1])))
`, [String(addr(me)[1])]);
    try {
      const port = Number(peer.line);
      assert.equal(await me.sendto(Buffer.from('abcdef'), ['127.0.0.1', port]), 6);
      const [reply, from] = await within(me.recvfrom(100), 5000, 'reply');
      assert.equal(reply.toString(), 'fedcba');
      assert.deepEqual(from, ['127.0.0.1', port]);
      me.settimeout(5);
      const [second] = me.recvfromSync(100);
      assert.equal(second.toString(), `from python ${addr(me)[1]}`);
      await within(peer.done, 5000, 'python exit');
    } finally {
      peer.child.kill();
    }
  });
});
