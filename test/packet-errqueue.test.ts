// decodeExtendedError: the struct sock_extended_err of an IP_RECVERR control message, against the
// bytes Python's struct builds and against what the kernel queues (read by us and by Python).
import * as assert from 'node:assert/strict';
import * as bs from '../lib';
import * as pk from '../lib/packet';
import { Tracker, runPythonScript, sleep, within } from './helpers';

const linux = process.platform === 'linux';

describe('packet: decodeExtendedError (IP_RECVERR, MSG_ERRQUEUE)', () => {
  const track = new Tracker().install();

  it('reads the fields of a struct Python packs, and its IPv4 and IPv6 offenders', () => {
    const [v4, v6, local] = runPythonScript(String.raw`
import socket, struct
head = struct.pack('=IBBBBII', 113, 2, 11, 0, 0, 1400, 7)
print((head + struct.pack('=H', socket.AF_INET) + struct.pack('!H', 0) + socket.inet_aton('10.9.8.7') + bytes(8)).hex())
print((head + struct.pack('=H', socket.AF_INET6) + struct.pack('!HI', 0, 0) + socket.inet_pton(socket.AF_INET6, 'fe80::9') + struct.pack('=I', 0)).hex())
print((struct.pack('=IBBBBII', 90, 1, 0, 0, 0, 1280, 0) + bytes(16)).hex())`).trim().split('\n').map((h) => Buffer.from(h, 'hex'));
    assert.deepEqual(pk.decodeExtendedError(v4), { errno: 113, origin: 2, type: 11, code: 0, info: 1400, data: 7, offender: '10.9.8.7' });
    assert.equal(pk.decodeExtendedError(v6).offender, 'fe80::9');
    assert.deepEqual(pk.decodeExtendedError(local), { errno: 90, origin: 1, type: 0, code: 0, info: 1280, data: 0, offender: null });
    assert.equal(pk.decodeExtendedError(v4.subarray(0, 16)).offender, null);
  });

  it('a message cut short is a RangeError naming the field', () => {
    const ee = Buffer.alloc(32);
    ee.set(new Uint8Array(new Uint16Array([bs.AF_INET]).buffer), 16);  // sa_family, in host order
    assert.equal(pk.decodeExtendedError(ee).offender, '0.0.0.0');
    for (const [data, field] of [[ee.subarray(0, 15), 'sock_extended_err.length'], [ee.subarray(0, 22), 'sock_extended_err.offender']] as const) {
      assert.throws(() => pk.decodeExtendedError(data), (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.equal((error as { code?: string }).code, 'ERR_OUT_OF_RANGE');
        assert.ok(error.message.includes(`"${field}"`), error.message);
        return true;
      });
    }
  });

  it('decodes what the kernel queues for a datagram to a closed port, as Python reads it', async function () {
    if (!linux) { console.log('      skipped: IP_RECVERR is Linux-only'); this.skip(); }
    /** Sends one datagram to a port nobody listens on, with IP_RECVERR, and reads the queued error. */
    const ours = async (): Promise<[pk.ExtendedError, number]> => {
      const closed = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      closed.bind(['127.0.0.1', 0]);
      const port = (closed.getsockname() as bs.InetAddress)[1];
      closed.close();
      const s = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      s.setsockopt(bs.IPPROTO_IP, bs.IP_RECVERR!, 1);
      s.sendtoSync(Buffer.from('probe'), ['127.0.0.1', port]);
      for (;;) {
        try {
          const [data, ancdata, flags, address] = s.recvmsgSync(64, 256, bs.MSG_ERRQUEUE!);
          assert.equal(data.toString(), 'probe');  // the datagram the error is about
          assert.ok((flags & bs.MSG_ERRQUEUE!) !== 0);
          assert.deepEqual(address, ['127.0.0.1', port]);
          const [level, type, ee] = ancdata.find(([l, t]) => l === bs.IPPROTO_IP && t === bs.IP_RECVERR)!;
          assert.deepEqual([level, type], [bs.IPPROTO_IP, bs.IP_RECVERR]);
          return [pk.decodeExtendedError(ee), port];
        } catch (error) {
          if (!(error instanceof bs.BlockingIOError)) throw error;
          await sleep(5);  // the ICMP message comes back through the loopback's softirq
        }
      }
    };
    const [error] = await within(ours(), 5000, 'the queued error');
    const python = JSON.parse(runPythonScript(String.raw`
import errno, json, select, socket, struct, sys
IP_RECVERR = int(sys.argv[1])  # the C headers' value, as the addon read it: Python's socket module lacks the name
closed = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); closed.bind(('127.0.0.1', 0)); port = closed.getsockname()[1]; closed.close()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, IP_RECVERR, 1)
s.sendto(b'probe', ('127.0.0.1', port))
p = select.poll(); p.register(s, select.POLLERR); p.poll(5000)
data, anc, flags, addr = s.recvmsg(64, 256, socket.MSG_ERRQUEUE)
ee = [d for (l, t, d) in anc if l == socket.IPPROTO_IP and t == IP_RECVERR][0]
e, origin, typ, code, pad, info, extra = struct.unpack('=IBBBBII', ee[:16])
print(json.dumps([{'errno': e, 'origin': origin, 'type': typ, 'code': code, 'info': info, 'data': extra, 'offender': socket.inet_ntoa(ee[20:24])}, errno.ECONNREFUSED]))`, [String(bs.IP_RECVERR)]));
    assert.deepEqual(error, python[0]);
    assert.equal(error.errno, python[1]);
    assert.equal(error.origin, bs.SO_EE_ORIGIN_ICMP);
    assert.deepEqual([error.type, error.code, error.offender], [pk.ICMP_DEST_UNREACH, 3, '127.0.0.1']);
  });
});
