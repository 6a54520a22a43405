// bsd-sockets/packet: encoders compared byte for byte with packets Python's struct builds (with
// Python's own checksum), decoders read back every field, malformed input is a typed RangeError.
import * as assert from 'node:assert/strict';
import * as pk from '../lib/packet';
import { runPythonScript } from './helpers';

const REFERENCES = String.raw`
import struct, socket, json
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
def ipv4(src, dst, proto, payload, ident=0, ttl=64, flags=0, opts=b''):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(payload), ident, flags, ttl, proto, 0,
                    socket.inet_aton(src), socket.inet_aton(dst)) + opts
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
def pseudo4(src, dst, proto, n): return socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack('!BBH', 0, proto, n)
def pseudo6(src, dst, proto, n): return socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + struct.pack('!IxxxB', n, proto)
def udp(sp, dp, data, pseudo):
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    c = csum(pseudo(17, len(u)) + u) or 0xffff
    return u[:6] + struct.pack('!H', c) + u[8:]
out = {}
for name, data in (('even', b'hello world!'), ('odd', b'abc')):
    u = udp(4000, 53, data, lambda p, n: pseudo4('10.1.2.3', '192.168.7.9', p, n))
    out['udp4_' + name] = ipv4('10.1.2.3', '192.168.7.9', 17, u, ident=0x1234, ttl=33, flags=0x4000).hex()
opts = struct.pack('!BBH', 2, 4, 1460) + bytes([4, 2]) + struct.pack('!BBII', 8, 10, 111, 0) + bytes([1, 3, 3, 7])
t = struct.pack('!HHIIBBHHH', 40000, 80, 1000, 0, (20 + len(opts)) // 4 << 4, 0x02, 64240, 0, 0) + opts + b'GET'
c = csum(pseudo4('127.0.0.1', '127.0.0.2', 6, len(t)) + t)
out['tcp_syn'] = (t[:16] + struct.pack('!H', c) + t[18:]).hex()
e = struct.pack('!BBHHH', 8, 0, 0, 0x4242, 7) + b'ping!'
out['icmp_echo'] = (e[:2] + struct.pack('!H', csum(e)) + e[4:]).hex()
e6 = struct.pack('!BBHHH', 128, 0, 0, 0x4243, 9) + b'ping6'
c6 = csum(pseudo6('2001:db8::1', '2001:db8::2', 58, len(e6)) + e6)
out['icmpv6_echo'] = (e6[:2] + struct.pack('!H', c6) + e6[4:]).hex()
u6 = udp(5353, 5353, b'v6!', lambda p, n: pseudo6('2001:db8::1', 'ff02::fb', p, n))
ip6 = struct.pack('!IHBB', 6 << 28, len(u6), 17, 255) + socket.inet_pton(socket.AF_INET6, '2001:db8::1') + socket.inet_pton(socket.AF_INET6, 'ff02::fb') + u6
out['eth_vlan_udp6'] = (bytes.fromhex('3333000000fb020000000001') + struct.pack('!HHH', 0x8100, (3 << 13) | 100, 0x86dd) + ip6).hex()
out['arp'] = (struct.pack('!HHBBH', 1, 0x0800, 6, 4, 1) + bytes.fromhex('020000000001') + socket.inet_aton('10.0.0.1') + bytes(6) + socket.inet_aton('10.0.0.2')).hex()
print(json.dumps(out))
`;

describe('packet: encoders against Python struct references', () => {
  const ref: Record<string, string> = JSON.parse(runPythonScript(REFERENCES));

  for (const [name, payload] of [['even', 'hello world!'], ['odd', 'abc']]) {
    it(`IPv4 + UDP (${name} payload): same bytes, decoded back`, () => {
      const ip = { src: '10.1.2.3', dst: '192.168.7.9' };
      const packet = pk.encodeIpv4({ ...ip, protocol: 17, id: 0x1234, ttl: 33, df: true },
        pk.encodeUdp({ srcPort: 4000, dstPort: 53 }, Buffer.from(payload), ip));
      assert.equal(packet.toString('hex'), ref[`udp4_${name}`]);
      const v4 = pk.decodeIpv4(packet);
      assert.deepEqual([v4.version, v4.ihl, v4.totalLength, v4.id, v4.df, v4.mf, v4.flags, v4.fragmentOffset, v4.ttl, v4.protocol, v4.src, v4.dst, v4.checksumValid],
        [4, 5, packet.length, 0x1234, true, false, 2, 0, 33, 17, '10.1.2.3', '192.168.7.9', true]);
      const udp = pk.decodeUdp(packet, v4.payloadOffset, v4.end);
      assert.deepEqual([udp.srcPort, udp.dstPort, udp.length, udp.payload.toString()], [4000, 53, 8 + payload.length, payload]);
      assert.equal(udp.verifyChecksum(v4), true);
      assert.equal(udp.payload.buffer, packet.buffer, 'the payload is a view of the same memory');
      packet[packet.length - 1] ^= 1;
      assert.equal(udp.verifyChecksum(v4), false, 'a flipped payload bit fails the checksum');
    });
  }

  it('TCP SYN with MSS, SACK permitted, timestamps and window scale', () => {
    const ip = { src: '127.0.0.1', dst: '127.0.0.2' };
    const segment = pk.encodeTcp({ srcPort: 40000, dstPort: 80, seq: 1000, flags: pk.TcpFlags.SYN, window: 64240,
      options: { mss: 1460, sackPermitted: true, timestamp: { value: 111, echo: 0 }, windowScale: 7 } }, Buffer.from('GET'), ip);
    assert.equal(segment.toString('hex'), ref.tcp_syn);
    const tcp = pk.decodeTcp(segment);
    assert.deepEqual([tcp.srcPort, tcp.dstPort, tcp.seq, tcp.ackNumber, tcp.dataOffset, tcp.syn, tcp.ack, tcp.fin, tcp.window, tcp.payload.toString()],
      [40000, 80, 1000, 0, 10, true, false, false, 64240, 'GET']);
    assert.deepEqual(tcp.options, { mss: 1460, sackPermitted: true, timestamp: { value: 111, echo: 0 }, windowScale: 7 });
    const pseudo = { pseudoHeaderSum: (n = 0) => pk.pseudoHeaderSum(Buffer.from([127, 0, 0, 1]), Buffer.from([127, 0, 0, 2]), 6, n) };
    assert.equal(tcp.verifyChecksum(pseudo), true);
  });

  it('TCP SACK blocks round-trip', () => {
    const tcp = pk.decodeTcp(pk.encodeTcp({ srcPort: 1, dstPort: 2, flags: pk.TcpFlags.ACK, options: { sack: [[10, 20], [30, 0xffffffff]] } }));
    assert.deepEqual(tcp.options.sack, [[10, 20], [30, 0xffffffff]]);
    assert.equal(tcp.ack, true);
  });

  it('ICMP echo and ICMPv6 echo (pseudo-header checksum)', () => {
    const echo = pk.encodeIcmp({ type: pk.ICMP_ECHO_REQUEST, id: 0x4242, seq: 7 }, Buffer.from('ping!'));
    assert.equal(echo.toString('hex'), ref.icmp_echo);
    const icmp = pk.decodeIcmp(echo);
    assert.deepEqual([icmp.type, icmp.code, icmp.id, icmp.seq, icmp.verifyChecksum(), icmp.original], [8, 0, 0x4242, 7, true, null]);
    const ip = { src: '2001:db8::1', dst: '2001:db8::2' };
    const echo6 = pk.encodeIcmpv6({ type: pk.ICMPV6_ECHO_REQUEST, id: 0x4243, seq: 9 }, Buffer.from('ping6'), ip);
    assert.equal(echo6.toString('hex'), ref.icmpv6_echo);
    const packet = pk.encodeIpv6({ ...ip, nextHeader: 58 }, echo6);
    const v6 = pk.decodeIpv6(packet);
    const icmp6 = pk.decodeIcmpv6(packet, v6.payloadOffset, v6.end);
    assert.equal(icmp6.verifyChecksum(v6), true);
    assert.throws(() => icmp6.verifyChecksum(), { code: 'ERR_MISSING_ARGS' }, 'an ICMPv6 checksum needs its pseudo-header');
    assert.deepEqual([icmp6.type, icmp6.id, icmp6.seq], [128, 0x4243, 9]);
  });

  it('Ethernet + 802.1Q + IPv6 + UDP', () => {
    const ip = { src: '2001:db8::1', dst: 'ff02::fb' };
    const frame = pk.encodeEthernet({ dst: '33:33:00:00:00:fb', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_IPV6, vlans: [{ id: 100, pcp: 3 }] },
      pk.encodeIpv6({ ...ip, nextHeader: 17, hopLimit: 255 }, pk.encodeUdp({ srcPort: 5353, dstPort: 5353 }, Buffer.from('v6!'), ip)));
    assert.equal(frame.toString('hex'), ref.eth_vlan_udp6);
    const eth = pk.decodeEthernet(frame);
    assert.deepEqual([eth.dst, eth.src, eth.etherType, eth.headerLength, eth.vlans], ['33:33:00:00:00:fb', '02:00:00:00:00:01', 0x86dd, 18, [{ tpid: 0x8100, pcp: 3, dei: false, id: 100 }]]);
    const v6 = pk.decodeIpv6(frame, eth.payloadOffset);
    assert.deepEqual([v6.src, v6.dst, v6.protocol, v6.hopLimit, v6.payloadLength], ['2001:db8::1', 'ff02::fb', 17, 255, 11]);
    assert.equal(pk.decodeUdp(frame, v6.payloadOffset, v6.end).verifyChecksum(v6), true);
  });

  it('ARP request', () => {
    const arp = pk.encodeArp({ operation: pk.ARP_REQUEST, senderHardware: '02:00:00:00:00:01', senderProtocol: '10.0.0.1', targetHardware: '00:00:00:00:00:00', targetProtocol: '10.0.0.2' });
    assert.equal(arp.toString('hex'), ref.arp);
    const d = pk.decodeArp(arp);
    assert.deepEqual([d.hardwareType, d.protocolType, d.operation, d.senderHardware, d.senderProtocol, d.targetProtocol], [1, 0x800, 1, '02:00:00:00:00:01', '10.0.0.1', '10.0.0.2']);
  });
});

describe('packet: decoders', () => {
  it('IPv4 options, fragment offset and MF', () => {
    const options = Buffer.from([0x94, 4, 0, 0, 1, 0]);  // router alert, NOP, EOL (padded to 8)
    const packet = pk.encodeIpv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 17, mf: true, fragmentOffset: 1480, options }, Buffer.from('xx'));
    const ip = pk.decodeIpv4(packet);
    assert.deepEqual([ip.ihl, ip.headerLength, ip.mf, ip.df, ip.fragmentOffset, ip.checksumValid], [7, 28, true, false, 1480, true]);
    assert.deepEqual(ip.options.map((o) => [o.type, [...o.data]]), [[0x94, [0, 0]], [1, []], [0, []]]);
  });

  it('IPv6 extension headers are skipped to the upper layer; the fragment header is read', () => {
    const hopByHop = Buffer.from([44, 0, 1, 4, 0, 0, 0, 0]);          // next: fragment; PadN
    const fragment = Buffer.from([17, 0, 0x05, 0x69, 0, 0, 0, 42]);   // next: UDP; offset 0x568 (1384), M=1, id 42
    const udp = pk.encodeUdp({ srcPort: 7, dstPort: 9 }, Buffer.from('frag'));
    const packet = pk.encodeIpv6({ src: '::1', dst: '::1', nextHeader: 0 }, Buffer.concat([hopByHop, fragment, udp]));
    const ip = pk.decodeIpv6(packet);
    assert.deepEqual([ip.nextHeader, ip.protocol, ip.headerLength], [0, 17, 56]);
    assert.deepEqual(ip.extensions.map((e) => [e.type, e.length]), [[0, 8], [44, 8]]);
    assert.deepEqual(ip.fragment, { offset: 1384, more: true, id: 42 });
    assert.equal(pk.decodeUdp(packet, ip.payloadOffset, ip.end).dstPort, 9);
  });

  it('ICMP time exceeded and ICMPv6 destination unreachable decode the quoted header', () => {
    const ip = { src: '10.0.0.1', dst: '10.9.9.9' };
    const probe = pk.encodeIpv4({ ...ip, protocol: 17, ttl: 1 }, pk.encodeUdp({ srcPort: 33000, dstPort: 33434 }, Buffer.alloc(32), ip));
    const icmp = pk.decodeIcmp(pk.encodeIcmp({ type: pk.ICMP_TIME_EXCEEDED }, probe.subarray(0, 28)));
    assert.ok(icmp.original instanceof pk.Ipv4Header);
    assert.deepEqual([icmp.original.dst, icmp.original.protocol, icmp.original.totalLength, icmp.original.payloadLength], ['10.9.9.9', 17, 60, 8]);
    const quoted = pk.decodeUdp(icmp.buffer, icmp.original.payloadOffset, icmp.original.end, { partial: true });
    assert.deepEqual([quoted.srcPort, quoted.dstPort], [33000, 33434]);
    const probe6 = pk.encodeIpv6({ src: '::1', dst: '2001:db8::9', nextHeader: 17 }, pk.encodeUdp({ srcPort: 1, dstPort: 33435 }, Buffer.alloc(100)));
    const unreachable = pk.decodeIcmpv6(pk.encodeIcmpv6({ type: pk.ICMPV6_DEST_UNREACH, code: 4 }, probe6.subarray(0, 48)));
    assert.ok(unreachable.original instanceof pk.Ipv6Header);
    assert.deepEqual([unreachable.code, unreachable.original.dst, unreachable.original.protocol], [4, '2001:db8::9', 17]);
    const tooBig = pk.decodeIcmpv6(pk.encodeIcmpv6({ type: pk.ICMPV6_PACKET_TOO_BIG, rest: 1280 }, probe6.subarray(0, 48)));
    assert.equal(tooBig.mtu, 1280);
  });

  it('one header object decodes frame after frame (the reused, allocation-free path)', () => {
    const view = new pk.Ipv4Header();
    for (const ttl of [1, 2, 3]) {
      assert.equal(view.decode(pk.encodeIpv4({ src: '1.1.1.1', dst: '2.2.2.2', protocol: 6, ttl })), view);
      assert.equal(view.ttl, ttl);
    }
  });
});

describe('packet: internetChecksum', () => {
  it('agrees with Python over random data, in one buffer or split at odd places', () => {
    const data = Buffer.from(Array.from({ length: 1001 }, (_, i) => (i * 7919 + 13) & 0xff));
    const expected = Number(runPythonScript(String.raw`
import sys, struct
b = bytes.fromhex(sys.argv[1]) + b'\0'
s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
while s >> 16: s = (s & 0xffff) + (s >> 16)
print(~s & 0xffff)`, [data.toString('hex')]).trim());
    assert.equal(pk.internetChecksum(data), expected);
    assert.equal(pk.internetChecksum([data.subarray(0, 3), data.subarray(3, 4), data.subarray(4, 4), data.subarray(4, 777), data.subarray(777)]), expected);
    assert.equal(pk.transportChecksum(Buffer.alloc(4), Buffer.alloc(4), 0, Buffer.alloc(0)), 0xffff);
  });

  it('agrees with Python past 64 KiB (several stretches of the sum) and folds sums up to 2^53', () => {
    const data = Buffer.from(Array.from({ length: 200_003 }, (_, i) => (i * 7919 + 13) & 0xff));
    const large = [0x10000, 0xffffffff, 2 ** 40 + 12345, 2 ** 53 - 1];
    const [checksum, ...folds] = runPythonScript(String.raw`
import sys, struct
def fold(s):
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return s
b = bytes((i * 7919 + 13) & 0xff for i in range(200003)) + b'\0'
print(~fold(sum(struct.unpack('!%dH' % (len(b) // 2), b))) & 0xffff)
for s in sys.argv[1:]: print(fold(int(s)))`, large.map(String)).trim().split('\n').map(Number);
    assert.equal(pk.internetChecksum(data), checksum);
    assert.deepEqual(large.map((s) => pk.foldSum(s)), folds);
  });
});

describe('packet: a buffer that is not one', () => {
  it('is a TypeError naming the protocol', () => {
    assert.throws(() => pk.decodeIpv4([0x45] as unknown as Uint8Array), { name: 'TypeError', message: 'ipv4: the buffer must be a Uint8Array' });
  });
});

describe('packet: malformed input is a RangeError naming the field', () => {
  const good = pk.encodeIpv4({ src: '1.2.3.4', dst: '5.6.7.8', protocol: 17 }, pk.encodeUdp({ srcPort: 1, dstPort: 2 }, Buffer.from('data')));
  const patched = (at: number, value: number, from = good): Buffer => { const b = Buffer.from(from); b[at] = value; return b; };
  const tcp = pk.encodeTcp({ srcPort: 1, dstPort: 2, options: { mss: 1000 } });
  const cases: Array<[string, () => unknown, string]> = [
    ['truncated IPv4', () => pk.decodeIpv4(good.subarray(0, 19)), 'ipv4.length'],
    ['IPv4 version 5', () => pk.decodeIpv4(patched(0, 0x55)), 'ipv4.version'],
    ['IHL 4', () => pk.decodeIpv4(patched(0, 0x44)), 'ipv4.ihl'],
    ['IHL beyond the data', () => pk.decodeIpv4(patched(0, 0x4f)), 'ipv4.ihl'],
    ['total length that lies', () => pk.decodeIpv4(patched(3, 200)), 'ipv4.totalLength'],
    ['total length below the header', () => pk.decodeIpv4(patched(3, 10)), 'ipv4.totalLength'],
    ['IPv4 option running past the header', () => pk.decodeIpv4(pk.encodeIpv4({ src: '1.1.1.1', dst: '1.1.1.1', protocol: 0, options: Buffer.from([7, 9, 0, 0]) })), 'ipv4.options'],
    ['UDP length that lies', () => pk.decodeUdp(patched(25, 99), 20), 'udp.length'],
    ['UDP length below 8', () => pk.decodeUdp(patched(25, 3), 20), 'udp.length'],
    ['TCP data offset 4', () => pk.decodeTcp(patched(12, 0x40, tcp)), 'tcp.dataOffset'],
    ['TCP MSS of length 5', () => pk.decodeTcp(patched(21, 5, tcp)), 'tcp.options'],
    ['truncated Ethernet', () => pk.decodeEthernet(Buffer.alloc(13)), 'ethernet.length'],
    ['VLAN tag cut off', () => pk.decodeEthernet(Buffer.from('000000000000000000000000810000', 'hex')), 'ethernet.vlan'],
    ['IPv6 payload length that lies', () => pk.decodeIpv6(pk.encodeIpv6({ src: '::1', dst: '::1', nextHeader: 59 }, Buffer.alloc(4)).subarray(0, 42)), 'ipv6.payloadLength'],
    ['IPv6 extension cut off', () => pk.decodeIpv6(pk.encodeIpv6({ src: '::1', dst: '::1', nextHeader: 0 }, Buffer.from([59, 1, 0, 0, 0, 0, 0, 0]))), 'ipv6.extension'],
    ['ICMP error quoting a bad header', () => pk.decodeIcmp(pk.encodeIcmp({ type: 3 }, Buffer.from([0x45, 0, 0]))), 'ipv4.length'],
    ['ARP addresses cut off', () => pk.decodeArp(pk.encodeArp({ operation: 1, senderHardware: '00:00:00:00:00:00', senderProtocol: '0.0.0.0', targetHardware: '00:00:00:00:00:00', targetProtocol: '0.0.0.0' }).subarray(0, 27)), 'arp.length'],
    ['offset past the end', () => pk.decodeUdp(good, 999), 'udp.offset'],
    ['offset not an integer', () => pk.decodeIpv4(good, 0.5), 'ipv4.offset'],
    ['end before the offset', () => pk.decodeUdp(good, 20, 10), 'udp.end'],
    ['end past the buffer', () => pk.decodeEthernet(Buffer.alloc(20), 0, 21), 'ethernet.end'],
    ['encoder: port 70000', () => pk.encodeUdp({ srcPort: 70000, dstPort: 1 }), 'udp.srcPort'],
    ['encoder: bad address', () => pk.encodeIpv4({ src: '1.2.3', dst: '1.1.1.1', protocol: 1 }), 'ipv4.src'],
  ];
  for (const [name, run, field] of cases) {
    it(name, () => {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof RangeError, `not a RangeError: ${error}`);
        assert.equal((error as { code?: string }).code, 'ERR_OUT_OF_RANGE');
        assert.ok(error.message.includes(`"${field}"`), `${error.message} should name ${field}`);
        return true;
      });
    });
  }
});
