// pcap files: ours (classic and pcapng) read by `tcpdump -r`, tcpdump's (`-w`, on lo, filtered on
// a port this test owns) read by readPcap and decoded: tcpdump's own reading of the same packets is
// the oracle; a pcapng that Python packs from the spec, in the other byte order, read by readPcap.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import * as bs from '../lib';
import * as pk from '../lib/packet';
import { Tracker, isRoot, runPythonScript, sleep, tempDir, within } from './helpers';

function tcpdumpMissing(): string | null {
  const r = spawnSync('tcpdump', ['--version'], { encoding: 'utf8' });
  return r.error ? 'tcpdump is not installed' : null;
}

function tcpdumpRead(file: string, ...flags: string[]): string[] {
  return execFileSync('tcpdump', ['-nn', '-r', file, ...flags], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim().split('\n');
}

/** Runs `tcpdump -i lo -w file -c count filter` while `traffic` runs; resolves once it has exited. */
async function captureOnLo(file: string, count: number, filter: string, traffic: () => Promise<void>): Promise<void> {
  const child = spawn('tcpdump', ['-i', 'lo', '-U', '-w', file, '-c', String(count), filter], { stdio: ['ignore', 'ignore', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  try {
    await within((async () => { while (!err.includes('listening on')) await sleep(20); })(), 10000, `tcpdump to start (${err})`);
    await traffic();
    assert.equal(await within(exited, 10000, 'tcpdump to see its packets'), 0, err);
  } finally {
    child.kill();
  }
}

describe('pcap', function () {
  this.timeout(30000);
  const track = new Tracker().install();
  const ip = { src: '10.1.2.3', dst: '10.4.5.6' };
  const frames = [
    pk.encodeEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_IPV4 },
      pk.encodeIpv4({ ...ip, protocol: 17, id: 1 }, pk.encodeUdp({ srcPort: 40001, dstPort: 40002 }, Buffer.from('hello'), ip))),
    pk.encodeEthernet({ dst: '02:00:00:00:00:02', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_IPV4 },
      pk.encodeIpv4({ ...ip, protocol: 6, id: 2 }, pk.encodeTcp({ srcPort: 40003, dstPort: 40004, seq: 7, flags: pk.TcpFlags.SYN, window: 1000, options: { mss: 1400, windowScale: 3 } }, undefined, ip))),
    pk.encodeEthernet({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:00:01', etherType: pk.ETHERTYPE_ARP, vlans: [{ id: 42 }] },
      pk.encodeArp({ operation: pk.ARP_REQUEST, senderHardware: '02:00:00:00:00:01', senderProtocol: '10.1.2.3', targetHardware: '00:00:00:00:00:00', targetProtocol: '10.4.5.6' })),
  ];

  for (const format of ['pcap', 'pcapng'] as const) {
    it(`writes a ${format} file that readPcap reads back (µs and ns stamps, snaplen cuts)`, () => {
      const file = path.join(tempDir(), `ours.${format}`);
      const stamps = [1_700_000_000_123_456_789n, 1_700_000_001_000_000_000n, 1_700_000_002_999_999_999n];
      for (const nanosecond of [false, true]) {
        using writer = new pk.PcapWriter(file, { nanosecond, snaplen: 60, format });
        frames.forEach((f, i) => writer.write(f, stamps[i]));
        writer.close();
        const read = pk.readPcap(fs.readFileSync(file));
        assert.deepEqual([read.format, read.linktype, read.snaplen, read.nanosecond, read.packets.length], [format, 1, 60, nanosecond, 3]);
        read.packets.forEach((p, i) => {
          assert.equal(p.timestamp, nanosecond ? stamps[i] : stamps[i] - (stamps[i] % 1000n));
          assert.equal(p.originalLength, frames[i].length);
          assert.deepEqual(p.data, frames[i].subarray(0, 60));
        });
      }
    });

    it(`tcpdump -r reads our ${format} file and decodes what we encoded`, function () {
      const why = tcpdumpMissing();
      if (why) { console.log(`      skipped: ${why}`); this.skip(); }
      const file = path.join(tempDir(), `ours.${format}`);
      const writer = new pk.PcapWriter(file, { nanosecond: true, format });
      frames.forEach((f, i) => writer.write(f, 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000_001n));
      writer.close();
      checkTcpdumpReading(tcpdumpRead(file, '-tt', '--nano', '-e', '-vv').join('\n'));
    });
  }

  /** What tcpdump must print of `frames` stamped 1700000000 s + i × 1.000000001 s. */
  function checkTcpdumpReading(text: string): void {
    assert.match(text, /^1700000000\.000000000 02:00:00:00:00:01 > 02:00:00:00:00:02, ethertype IPv4 \(0x0800\)/m);
    assert.match(text, /10\.1\.2\.3\.40001 > 10\.4\.5\.6\.40002: \[udp sum ok\] UDP, length 5/);
    assert.match(text, /^1700000001\.000000001 /m);
    assert.match(text, /10\.1\.2\.3\.40003 > 10\.4\.5\.6\.40004: Flags \[S\], cksum 0x[0-9a-f]+ \(correct\), seq 7, win 1000, options \[mss 1400,nop,wscale 3\]/);
    assert.match(text, /ethertype 802\.1Q \(0x8100\).*vlan 42.*ethertype ARP/s);
    assert.match(text, /Request who-has 10\.4\.5\.6 tell 10\.1\.2\.3/);
    assert.doesNotMatch(text, /bad|incorrect/);
  }

  it('reads a big-endian pcapng Python packs from the spec: other blocks skipped, if_tsresol in ms', () => {
    const file = Buffer.from(runPythonScript(String.raw`
import struct, sys
def block(kind, body): return struct.pack('>II', kind, 12 + len(body)) + body + struct.pack('>I', 12 + len(body))
shb = block(0x0A0D0D0A, struct.pack('>IHHq', 0x1A2B3C4D, 1, 0, -1))
odd = block(0x0BAD, b'skip me!')
idb = block(1, struct.pack('>HHI', 1, 0, 96) + struct.pack('>HHB3x', 9, 1, 3) + struct.pack('>HH', 0, 0))
data = bytes.fromhex(sys.argv[1])
ms = 1700000000123
epb = block(6, struct.pack('>IIIII', 0, ms >> 32, ms & 0xffffffff, len(data), len(data) + 4) + data + bytes(-len(data) % 4))
print((shb + odd + idb + epb).hex())`, [frames[0].toString('hex')]).trim(), 'hex');
    const read = pk.readPcap(file);
    assert.deepEqual([read.format, read.linktype, read.snaplen, read.nanosecond, read.packets.length], ['pcapng', 1, 96, false, 1]);
    assert.equal(read.packets[0].timestamp, 1_700_000_000_123_000_000n);
    assert.equal(read.packets[0].originalLength, frames[0].length + 4);
    assert.deepEqual(read.packets[0].data, frames[0]);
  });

  it('reads what tcpdump -w captured on lo, and decodes a TCP handshake as tcpdump does', async function () {
    const why = tcpdumpMissing() ?? (process.platform !== 'linux' || !isRoot() ? 'capturing on lo needs Linux and root' : null);
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const listener = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
    listener.bind(['127.0.0.1', 0]);
    listener.listen();
    const port = (listener.getsockname() as bs.InetAddress)[1];
    const file = path.join(tempDir(), 'tcpdump.pcap');
    await captureOnLo(file, 4, `tcp port ${port}`, async () => {
      const client = track.add(bs.socket(bs.AF_INET, bs.SOCK_STREAM));
      client.settimeout(5);
      client.connectSync(['127.0.0.1', port]);
      client.sendallSync(Buffer.from('over the wire'));
    });
    const capture = pk.readPcap(fs.readFileSync(file));
    assert.equal(capture.linktype, pk.LINKTYPE_ETHERNET);
    assert.equal(capture.packets.length, 4);
    const theirs = tcpdumpRead(file, '-tt', '--nano', '-v', '-S');
    const ours = capture.packets.map((p) => {
      const eth = pk.decodeEthernet(p.data);
      const v4 = pk.decodeIpv4(p.data, eth.payloadOffset);
      assert.equal(v4.checksumValid, true);
      const tcp = pk.decodeTcp(p.data, v4.payloadOffset, v4.end);
      const o = tcp.options;
      const names = [[tcp.fin, 'F'], [tcp.syn, 'S'], [tcp.rst, 'R'], [tcp.psh, 'P']].filter(([on]) => on).map(([, n]) => n).join('') + (tcp.ack ? '.' : '');
      const stamp = `${p.timestamp / 1_000_000_000n}.${String(p.timestamp % 1_000_000_000n).padStart(9, '0')}`;
      return { stamp, ttl: v4.ttl, id: v4.id, src: `${v4.src}.${tcp.srcPort}`, dst: `${v4.dst}.${tcp.dstPort}`, names, seq: tcp.syn || tcp.payloadLength ? tcp.seq : null, ack: tcp.ack ? tcp.ackNumber : null, win: tcp.window, o, length: tcp.payloadLength, payload: tcp.payload.toString() };
    });
    // tcpdump -v prints two lines per packet: the IP header, then the TCP segment.
    ours.forEach((p, i) => {
      const [ipLine, tcpLine] = [theirs[2 * i], theirs[2 * i + 1]];
      assert.ok(ipLine.startsWith(`${p.stamp} IP (tos 0x0, ttl ${p.ttl}, id ${p.id},`), `${ipLine} vs ${JSON.stringify(p)}`);
      assert.ok(tcpLine.includes(`${p.src} > ${p.dst}: Flags [${p.names}]`), tcpLine);
      // tcpdump leaves out the sequence number of a bare ACK.
      if (p.seq !== null) assert.match(tcpLine, new RegExp(`seq ${p.seq}[,:]`));
      if (p.ack !== null) assert.ok(tcpLine.includes(`ack ${p.ack},`), tcpLine);
      assert.ok(tcpLine.includes(`win ${p.win}`), tcpLine);
      if (p.o.mss !== undefined) assert.ok(tcpLine.includes(`mss ${p.o.mss},sackOK,TS val ${p.o.timestamp!.value} ecr ${p.o.timestamp!.echo},nop,wscale ${p.o.windowScale}`), tcpLine);
      else if (p.o.timestamp) assert.ok(tcpLine.includes(`TS val ${p.o.timestamp.value} ecr ${p.o.timestamp.echo}`), tcpLine);
      assert.ok(tcpLine.endsWith(`length ${p.length}`), tcpLine);
    });
    assert.equal(ours[0].names, 'S');
    assert.equal(ours[1].names, 'S.');
    assert.equal(ours[3].payload, 'over the wire');
  });

  it('a file cut short or with a bad magic is a RangeError naming the field', () => {
    const file = Buffer.concat([pk.pcapFileHeader(), pk.pcapRecordHeader(0n, 10), Buffer.alloc(4)]);
    assert.throws(() => pk.readPcap(file), { code: 'ERR_OUT_OF_RANGE', message: /"pcap\.capturedLength"/ });
    assert.throws(() => pk.readPcap(Buffer.alloc(24)), { code: 'ERR_OUT_OF_RANGE', message: /"pcap\.magic"/ });
    assert.throws(() => pk.readPcap(file.subarray(0, 30)), { code: 'ERR_OUT_OF_RANGE', message: /"pcap\.record"/ });
  });

  it('a pcapng file cut short (a block longer than what is left, no interface, no header) is a RangeError naming the field', () => {
    const file = path.join(tempDir(), 'cut.pcapng');
    const writer = new pk.PcapWriter(file, { format: 'pcapng' });
    writer.write(frames[0], 0n);
    writer.close();
    const whole = fs.readFileSync(file);
    assert.throws(() => pk.readPcap(whole.subarray(0, whole.length - 8)), { code: 'ERR_OUT_OF_RANGE', message: /"pcapng\.blockLength"/ });
    assert.throws(() => pk.readPcap(whole.subarray(0, 28)), { code: 'ERR_OUT_OF_RANGE', message: /"pcapng\.interface"/ });
    assert.throws(() => pk.readPcap(whole.subarray(0, 20)), { code: 'ERR_OUT_OF_RANGE', message: /"pcapng\.header"/ });
  });
});
