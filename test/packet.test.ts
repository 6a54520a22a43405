// AF_PACKET (Linux, root): capture on lo, cooked (SOCK_DGRAM) reception with the link-level
// address, and sending a frame to ourselves.
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import { spawn } from 'node:child_process';
import { Tracker, isRoot, within } from './helpers';

const ARPHRD_LOOPBACK = 772;  // <linux/if_arp.h>
const ETH_P_EXPERIMENTAL = 0x88b5;  // IEEE 802 local experimental ethertype

describe('AF_PACKET', () => {
  const track = new Tracker().install();

  beforeEach(function () {
    if (process.platform !== 'linux') { console.log('      skipped: AF_PACKET is Linux-only'); this.skip(); }
    if (!isRoot()) { console.log('      skipped: AF_PACKET needs root (CAP_NET_RAW)'); this.skip(); }
  });

  /**
   * An AF_PACKET socket of `type` bound to lo for `protocol`, with a large buffer (SO_RCVBUFFORCE:
   * we are root): it sees all of lo's traffic, and another process's bulk TCP transfer on lo (64 KiB
   * frames) would fill the default buffer before our frame arrives.
   */
  function onLo(type: number, protocol: number): bs.Socket {
    const s = track.add(bs.socket(bs.AF_PACKET!, type, bs.htons(protocol)));
    s.setsockopt(bs.SOL_SOCKET, bs.SO_RCVBUFFORCE!, 64 << 20);
    s.bind(['lo', protocol]);
    return s;
  }

  /** Receives until `match` accepts a frame, within `ms`. */
  async function until(s: bs.Socket, match: (frame: Buffer, from: bs.ReturnedAddress) => boolean, ms = 3000): Promise<[Buffer, bs.ReturnedAddress]> {
    return within((async () => {
      for (;;) {
        const [frame, from] = await s.recvfrom(65535);
        if (match(frame, from)) return [frame, from] as [Buffer, bs.ReturnedAddress];
      }
    })(), ms, 'capture');
  }

  it("SOCK_RAW bound to ['lo', ETH_P_ALL] captures a UDP datagram that Python sends on 127.0.0.1", async () => {
    const marker = `captured-${process.pid}-${Date.now()}`;
    // Python starts first and sends when told: lo may be busy, so the socket opens just before.
    const child = spawn('python3', ['-u', '-c', `import socket, sys, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
print('ready'); sys.stdin.readline()
for i in range(3):
    u.sendto(sys.argv[1].encode(), ('127.0.0.1', 9)); time.sleep(0.05)`, marker], { stdio: ['pipe', 'pipe', 'ignore'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await within(new Promise((resolve) => child.stdout!.once('data', resolve)), 10000, 'python');
    const s = onLo(bs.SOCK_RAW, bs.ETH_P_ALL!);
    const [ifname, proto] = s.getsockname() as [string, number];
    assert.equal(ifname, 'lo');
    assert.equal(proto, bs.ETH_P_ALL);
    const capture = until(s, (frame) => frame.includes(marker), 5000);
    child.stdin!.end('go\n');
    const [frame, from] = await capture;
    await within(exited, 5000, 'python');
    assert.equal(frame.readUInt16BE(12), bs.ETH_P_IP);  // Ethernet header on lo, all-zero MACs
    const ip = frame.subarray(14);
    assert.equal(ip[9], bs.IPPROTO_UDP);
    assert.equal(bs.inet_ntoa(ip.subarray(16, 20)), '127.0.0.1');
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    assert.equal(udp.readUInt16BE(2), 9);
    assert.equal(udp.subarray(8).toString(), marker);
    assert.equal((from as unknown[])[0], 'lo');
    assert.equal((from as unknown[])[1], bs.ETH_P_IP);
  });

  it('SOCK_DGRAM gets the IP packet without the link header, from [lo, ETH_P_IP, pkttype, hatype, addr]', async () => {
    const s = onLo(bs.SOCK_DGRAM, bs.ETH_P_IP!);
    const marker = `cooked-${process.pid}-${Date.now()}`;
    const capture = until(s, (packet) => packet.includes(marker));
    const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    u.sendtoSync(Buffer.from(marker), ['127.0.0.1', 9]);
    const [packet, from] = await capture;
    assert.equal(packet[0] >> 4, 4);  // starts at the IP header
    assert.equal(packet[9], bs.IPPROTO_UDP);
    const [ifname, proto, pkttype, hatype, addr] = from as [string, number, number, number, Buffer];
    assert.equal(ifname, 'lo');
    assert.equal(proto, bs.ETH_P_IP);
    assert.ok(pkttype === bs.PACKET_HOST || pkttype === bs.PACKET_OUTGOING, `pkttype ${pkttype}`);
    assert.equal(hatype, ARPHRD_LOOPBACK);
    assert.ok(Buffer.isBuffer(addr));
    assert.deepEqual(addr, Buffer.alloc(6));
  });

  it('a frame sent with AF_PACKET on lo comes back to a socket bound to its ethertype (both forms)', async () => {
    const rx = onLo(bs.SOCK_RAW, ETH_P_EXPERIMENTAL);
    const tx = track.add(bs.socket(bs.AF_PACKET!, bs.SOCK_RAW, 0));
    const frame = (text: string): Buffer => {
      const f = Buffer.alloc(14 + 46);
      f.writeUInt16BE(ETH_P_EXPERIMENTAL, 12);  // all-zero MACs, as lo has them
      f.write(text, 14);
      return f;
    };
    const one = frame(`first-${process.pid}`);
    assert.equal(tx.sendtoSync(one, ['lo', ETH_P_EXPERIMENTAL]), one.length);
    rx.settimeout(2);
    const [got, from] = rx.recvfromSync(2000);
    assert.deepEqual(got, one);
    assert.deepEqual((from as unknown[]).slice(0, 3), ['lo', ETH_P_EXPERIMENTAL, bs.PACKET_HOST]);
    const two = frame(`second-${process.pid}`);
    const pending = rx.recv(2000);
    assert.equal(await tx.sendto(two, ['lo', ETH_P_EXPERIMENTAL]), two.length);
    assert.deepEqual(await within(pending, 2000, 'recv'), two);
  });

  // The kernel refuses MSG_CMSG_CLOEXEC on packet sockets (EINVAL); recvmsg must work regardless.
  for (const form of ['Sync', 'Promise'] as const) {
    it(`recvmsg (${form}) on SOCK_DGRAM bound to lo returns a UDP datagram sent to 127.0.0.1`, async () => {
      const s = onLo(bs.SOCK_DGRAM, bs.ETH_P_IP!);
      s.settimeout(3);
      const marker = `recvmsg-${form}-${process.pid}-${Date.now()}`;
      const u = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      u.sendtoSync(Buffer.from(marker), ['127.0.0.1', 9]);
      const deadline = Date.now() + 3000;
      for (;;) {
        assert.ok(Date.now() < deadline, 'the datagram did not arrive');
        const [packet, ancdata, flags, from] = form === 'Sync' ? s.recvmsgSync(65535, 64) : await within(s.recvmsg(65535, 64), 3000, 'recvmsg');
        if (!packet.includes(marker)) continue;
        assert.equal(packet[0] >> 4, 4);
        assert.equal(packet[9], bs.IPPROTO_UDP);
        assert.deepEqual(ancdata, []);
        assert.equal(flags & bs.MSG_TRUNC, 0);
        assert.deepEqual((from as unknown[]).slice(0, 2), ['lo', bs.ETH_P_IP]);
        break;
      }
    });
  }
});
