// Oracle for the encoders: packets they build go out through raw sockets on loopback, come back
// through an AF_PACKET socket on lo, and must equal what Python's struct builds byte for byte.
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import * as pk from '../lib/packet';
import { Tracker, isRoot, runPythonScript, within } from './helpers';

const REFERENCE = String.raw`
import struct, socket, sys, json
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
marker = sys.argv[1].encode()
src, dst = socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1')
def ipv4(proto, payload, ident):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0x4000, 64, proto, 0, src, dst)
    return h[:10] + struct.pack('!H', csum(h)) + h[12:] + payload
u = struct.pack('!HHHH', 9, 9, 8 + len(marker), 0) + marker
u = u[:6] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 17, len(u)) + u) or 0xffff) + u[8:]
opts = struct.pack('!BBH', 2, 4, 1400) + bytes([1, 3, 3, 2])
t = struct.pack('!HHIIBBHHH', 9, 9, 1, 0, 7 << 4, 0x02, 512, 0, 0) + opts + marker
t = t[:16] + struct.pack('!H', csum(src + dst + struct.pack('!BBH', 0, 6, len(t)) + t)) + t[18:]
e = struct.pack('!BBHHH', 8, 0, 0, 0x5151, 3) + marker
e = e[:2] + struct.pack('!H', csum(e)) + e[4:]
print(json.dumps({'udp': ipv4(17, u, 0x1111).hex(), 'tcp': ipv4(6, t, 0x2222).hex(), 'icmp': e.hex()}))
`;

describe('packet: encoders on the wire (raw socket out, AF_PACKET back, Python reference)', function () {
  this.timeout(20000);
  const track = new Tracker().install();

  beforeEach(function () {
    if (process.platform !== 'linux' || !isRoot()) { console.log('      skipped: raw and AF_PACKET sockets need Linux and root'); this.skip(); }
  });

  /**
   * Opens an AF_PACKET socket on lo; `until` receives frames until one holds `marker` with the IP
   * protocol and first byte wanted. Open it just before sending: it sees all of lo's traffic, and
   * with its large buffer (SO_RCVBUFFORCE: we are root) a bulk TCP transfer of another process on
   * lo, 64 KiB frames, cannot fill it before our frame arrives.
   */
  function sniffer(): { until(marker: Buffer, protocol: number, firstByte?: number): Promise<Buffer> } {
    const sock = track.add(bs.socket(bs.AF_PACKET!, bs.SOCK_RAW, bs.htons(bs.ETH_P_IP!)));
    sock.setsockopt(bs.SOL_SOCKET, bs.SO_RCVBUFFORCE!, 64 << 20);
    sock.bind(['lo', bs.ETH_P_IP!]);
    sock.settimeout(5);
    return {
      async until(marker, protocol, firstByte) {
        for (;;) {
          const [frame] = await within(sock.recvfrom(65535), 6000, 'the frame on lo');
          const ihl = (frame[14] & 0x0f) * 4;
          if (frame.includes(marker) && frame[23] === protocol && (firstByte === undefined || frame[14 + ihl] === firstByte)) return frame;
        }
      },
    };
  }

  it('IPv4+UDP and IPv4+TCP sent with IP_HDRINCL arrive exactly as Python builds them', async () => {
    const marker = Buffer.from(`capture-${process.pid}-${Date.now()}`);
    const ref = JSON.parse(runPythonScript(REFERENCE, [marker.toString()]));
    const ip = { src: '127.0.0.1', dst: '127.0.0.1' };
    const udp = pk.encodeIpv4({ ...ip, protocol: 17, id: 0x1111, df: true }, pk.encodeUdp({ srcPort: 9, dstPort: 9 }, marker, ip));
    const tcp = pk.encodeIpv4({ ...ip, protocol: 6, id: 0x2222, df: true },
      pk.encodeTcp({ srcPort: 9, dstPort: 9, seq: 1, flags: pk.TcpFlags.SYN, window: 512, options: { mss: 1400, windowScale: 2 } }, marker, ip));
    assert.equal(udp.toString('hex'), ref.udp);
    assert.equal(tcp.toString('hex'), ref.tcp);
    const raw = track.add(bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_RAW));
    for (const [packet, expected] of [[udp, ref.udp], [tcp, ref.tcp]]) {
      const waiting = sniffer().until(marker, (packet as Buffer)[9]);
      raw.sendtoSync(packet as Buffer, ['127.0.0.1', 0]);
      const frame = await waiting;
      const eth = pk.decodeEthernet(frame);
      assert.equal(eth.etherType, pk.ETHERTYPE_IPV4);
      assert.equal(eth.payload.toString('hex'), expected, 'the frame carries our packet unchanged');
      const v4 = pk.decodeIpv4(frame, eth.payloadOffset);
      assert.equal(v4.checksumValid, true);
      const transport = v4.protocol === 17 ? pk.decodeUdp(frame, v4.payloadOffset, v4.end) : pk.decodeTcp(frame, v4.payloadOffset, v4.end);
      assert.equal(transport.verifyChecksum(v4), true);
      assert.deepEqual(transport.payload, marker);
    }
  });

  it('an ICMP echo request sent on a raw ICMP socket comes back as a reply that decodes and checks', async () => {
    const marker = Buffer.from(`echo-${process.pid}-${Date.now()}`);
    const ref = JSON.parse(runPythonScript(REFERENCE, [marker.toString()]));
    const echo = pk.encodeIcmp({ type: pk.ICMP_ECHO_REQUEST, id: 0x5151, seq: 3 }, marker);
    assert.equal(echo.toString('hex'), ref.icmp);
    const sniff = sniffer();
    const sock = track.add(bs.socket(bs.AF_INET, bs.SOCK_RAW, bs.IPPROTO_ICMP));
    const request = sniff.until(marker, 1, pk.ICMP_ECHO_REQUEST);
    sock.sendtoSync(echo, ['127.0.0.1', 0]);
    const sent = await request;
    const eth = pk.decodeEthernet(sent);
    const v4 = pk.decodeIpv4(sent, eth.payloadOffset);
    assert.equal(v4.payload.toString('hex'), ref.icmp, 'the request on the wire is ours, byte for byte');
    const frame = await sniff.until(marker, 1, pk.ICMP_ECHO_REPLY);
    const ip = pk.decodeIpv4(frame, 14);
    const icmp = pk.decodeIcmp(frame, ip.payloadOffset, ip.end);
    assert.deepEqual([icmp.type, icmp.id, icmp.seq, icmp.verifyChecksum(), ip.checksumValid], [pk.ICMP_ECHO_REPLY, 0x5151, 3, true, true]);
    assert.deepEqual(icmp.payload, marker);
  });
});
