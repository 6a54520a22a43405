// Raw IP sockets (root): ICMP and ICMPv6 echo to loopback, IP_HDRINCL, and the unprivileged
// ICMP datagram socket inside a private network namespace.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as bs from '../lib';
import { echoRequest, inetChecksum, parseEchoReply } from '../examples/ping';
import { Tracker, isRoot, within } from './helpers';
import { netnsUnavailable, runInNetns } from './netns';

describe('raw sockets: the Internet checksum', () => {
  it('the Internet checksum of a packet including its checksum is 0', () => {
    const packet = echoRequest(0x1234, 7, Buffer.from('odd-length'));
    assert.equal(inetChecksum(packet), 0);
    assert.equal(inetChecksum(Buffer.from([0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
      0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7])), 0xb861);  // RFC 1071-style example
  });
});

describe('raw sockets', () => {
  const track = new Tracker().install();

  beforeEach(function () {
    if (!isRoot()) { console.log('      skipped: raw sockets need root (CAP_NET_RAW)'); this.skip(); }
  });

  it('SOCK_RAW IPPROTO_ICMP: the kernel answers an echo request to 127.0.0.1 (IP header parsed)', async () => {
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_ICMP));
    s.settimeout(2);
    const id = (process.pid + 1) & 0xffff;
    const payload = Buffer.from(`raw echo ${Date.now()}`);
    assert.equal(await s.sendto(echoRequest(id, 1, payload), ['127.0.0.1', 0]), 8 + payload.length);
    for (;;) {
      const [packet, from] = await within(s.recvfrom(65535), 3000, 'echo reply');
      assert.equal(packet[0] >> 4, 4);
      const ihl = (packet[0] & 0x0f) * 4;
      assert.ok(ihl >= 20);
      assert.equal(packet[9], bs.IPPROTO_ICMP);
      const reply = parseEchoReply(packet, true);
      if (!reply || reply.id !== id) continue;  // our own request is seen too on lo
      assert.equal(reply.seq, 1);
      assert.deepEqual(reply.payload, payload);
      assert.equal(inetChecksum(packet.subarray(ihl)), 0);
      assert.deepEqual(from, ['127.0.0.1', 0]);
      break;
    }
  });

  it('SOCK_RAW IPPROTO_ICMPV6: echo to ::1 (Sync form; the kernel computes the checksum)', () => {
    const s = track.add(bs.socket(bs.AF_INET6, bs.SOCK_RAW, bs.IPPROTO_ICMPV6));
    s.settimeout(2);
    const id = (process.pid + 2) & 0xffff;
    const payload = Buffer.from('v6 echo');
    s.sendtoSync(echoRequest(id, 9, payload, true), ['::1', 0]);
    for (;;) {
      const [packet, from] = s.recvfromSync(65535);
      const reply = parseEchoReply(packet, false, true);  // no IPv6 header on raw ICMPv6 sockets
      if (!reply || reply.id !== id) continue;
      assert.equal(reply.seq, 9);
      assert.deepEqual(reply.payload, payload);
      assert.equal((from as unknown[])[0], '::1');
      break;
    }
  });

  it('IP_HDRINCL: a hand-built IPv4/UDP packet reaches a normal UDP socket', () => {
    const receiver = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    receiver.bind(['127.0.0.1', 0]);
    receiver.settimeout(2);
    const port = (receiver.getsockname() as bs.InetAddress)[1];
    const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_UDP));
    s.setsockopt(bs.IPPROTO_IP, bs.IP_HDRINCL, 1);
    assert.equal(s.getsockopt(bs.IPPROTO_IP, bs.IP_HDRINCL), 1);
    const payload = Buffer.from('built by hand');
    const packet = Buffer.alloc(20 + 8 + payload.length);
    packet[0] = 0x45;                                   // version 4, IHL 5
    packet.writeUInt16BE(packet.length, 2);             // total length
    packet.writeUInt16BE(0x4242, 4);                    // identification
    packet[8] = 64;                                     // TTL
    packet[9] = bs.IPPROTO_UDP;
    bs.inet_aton('127.0.0.1').copy(packet, 12);
    bs.inet_aton('127.0.0.1').copy(packet, 16);
    packet.writeUInt16BE(inetChecksum(packet.subarray(0, 20)), 10);
    packet.writeUInt16BE(40000, 20);                    // source port
    packet.writeUInt16BE(port, 22);
    packet.writeUInt16BE(8 + payload.length, 24);
    // UDP checksum 0: "not computed", allowed over IPv4.
    payload.copy(packet, 28);
    assert.equal(s.sendtoSync(packet, ['127.0.0.1', 0]), packet.length);
    const [data, from] = receiver.recvfromSync(100);
    assert.deepEqual(data, payload);
    assert.deepEqual(from, ['127.0.0.1', 40000]);
  });

  it('unprivileged ICMP datagram socket (SOCK_DGRAM, IPPROTO_ICMP) where ping_group_range allows', function () {
    const range = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
    const why = netnsUnavailable();
    if (why) {
      console.log(`      skipped: ${why}; this host's ping_group_range is ${range.join(' ')}`);
      this.skip();
    }
    // Inside a namespace of our own we may open the range without touching the host's setting.
    const out = runInNetns(['sysctl -q -w net.ipv4.ping_group_range="0 2147483647"'], `
      const { echoRequest, parseEchoReply } = require(${JSON.stringify(require.resolve('../examples/ping'))});
      const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM, bs.IPPROTO_ICMP);
      s.settimeout(2);
      const payload = Buffer.from('dgram echo');
      s.sendtoSync(echoRequest(0, 3, payload), ['127.0.0.1', 0]);
      const [packet, from] = s.recvfromSync(1000);
      const reply = parseEchoReply(packet, false);  // no IP header on datagram ICMP sockets
      console.log(JSON.stringify({ seq: reply.seq, payload: reply.payload.toString(), from, id: reply.id === s.getsockname()[1] }));
      s.close();`);
    assert.deepEqual(JSON.parse(out), { seq: 3, payload: 'dgram echo', from: ['127.0.0.1', 0], id: true });
  });
});
