// The other end is played by Python's own socket module, as server and as client, over TCP (IPv4
// and IPv6), UDP (IPv4 and IPv6), Unix stream and Unix datagram sockets. Python's view of each
// connection (its getsockname/getpeername, the addresses recvfrom gave it) is compared with ours.
import * as assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import * as path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import * as bs from '../lib';
import { Tracker, tempDir, pythonPeer, within } from './helpers';

const MiB = 1 << 20;
const TIMEOUT = 15;  // seconds, for every socket here: a broken peer fails the test instead of hanging it

/** The same deterministic pattern Python builds with `pattern(n, seed)`. */
function pattern(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}

const PY_PRELUDE = `
import socket, sys, json, hashlib, os
def pattern(n, seed):
    return bytes(((i * 31 + seed + (i >> 8)) & 0xff) for i in range(n))
def recv_exactly(s, n):
    parts, got = [], 0
    while got < n:
        d = s.recv(min(65536, n - got))
        if not d:
            break
        parts.append(d)
        got += len(d)
    return b''.join(parts)
def recv_all(s):
    parts = []
    while True:
        d = s.recv(65536)
        if not d:
            return b''.join(parts)
        parts.append(d)
def family(name):
    return {'4': socket.AF_INET, '6': socket.AF_INET6, 'unix': socket.AF_UNIX}[name]
def addr_of(name, text):
    if name == 'unix':
        return text
    return tuple(json.loads(text))  # (host, port) or (host, port, flowinfo, scope_id)
def say(obj):
    print(json.dumps(obj), flush=True)
`;

function recvExactly(s: bs.Socket, n: number): Buffer {
  const parts: Buffer[] = [];
  let got = 0;
  while (got < n) {
    const chunk = s.recvSync(Math.min(n - got, 65536));
    if (chunk.length === 0) break;
    parts.push(chunk);
    got += chunk.length;
  }
  return Buffer.concat(parts);
}

function recvUntilEof(s: bs.Socket): Buffer {
  const parts: Buffer[] = [];
  for (;;) {
    const chunk = s.recvSync(65536);
    if (chunk.length === 0) return Buffer.concat(parts);
    parts.push(chunk);
  }
}

/** The last line a finished peer printed, parsed. */
async function finalReport(done: Promise<string>): Promise<any> {
  const out = await within(done, 20000, 'python peer');
  const lines = out.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]);
}

interface Variant {
  name: string;
  pyFamily: '4' | '6' | 'unix';
  family: number;
  /** Where to listen or bind: a loopback host with port 0, or a fresh Unix path. */
  local(): bs.Address;
}

const STREAMS: Variant[] = [
  { name: 'TCP over IPv4', pyFamily: '4', family: bs.AF_INET, local: () => ['127.0.0.1', 0] },
  { name: 'TCP over IPv6 (::1)', pyFamily: '6', family: bs.AF_INET6, local: () => ['::1', 0] },
  { name: 'Unix stream', pyFamily: 'unix', family: bs.AF_UNIX, local: () => path.join(tempDir(), 'stream.sock') },
];

const DATAGRAMS: Variant[] = [
  { name: 'UDP over IPv4', pyFamily: '4', family: bs.AF_INET, local: () => ['127.0.0.1', 0] },
  { name: 'UDP over IPv6 (::1)', pyFamily: '6', family: bs.AF_INET6, local: () => ['::1', 0] },
  { name: 'Unix datagram', pyFamily: 'unix', family: bs.AF_UNIX, local: () => path.join(tempDir(), 'dgram.sock') },
];

/** The Python form of a local address, as a command-line argument. */
function pyArg(address: bs.Address): string {
  return typeof address === 'string' ? address : JSON.stringify(address);
}

describe('python peer', () => {
  const track = new Tracker().install();
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill();
  });

  async function peer(script: string, args: string[]): Promise<{ line: string; done: Promise<string> }> {
    const p = await pythonPeer(PY_PRELUDE + script, args);
    children.push(p.child);
    return p;
  }

  function sock(family: number, type: number): bs.Socket {
    const s = track.add(bs.socket(family, type));
    s.settimeout(TIMEOUT);
    return s;
  }

  for (const v of STREAMS) {
    describe(v.name, () => {
      it('Python echo server: several messages, our names against its view', async () => {
        const { line, done } = await peer(`
fam = sys.argv[1]
srv = socket.socket(family(fam), socket.SOCK_STREAM)
srv.bind(addr_of(fam, sys.argv[2]))
srv.listen(1)
srv.settimeout(15)
say(srv.getsockname())
conn, peer = srv.accept()
conn.settimeout(15)
count = total = 0
while True:
    d = conn.recv(65536)
    if not d:
        break
    total += len(d)
    conn.sendall(d)
say({'sockname': conn.getsockname(), 'peername': conn.getpeername(), 'accepted': peer, 'total': total})
`, [v.pyFamily, pyArg(v.local())]);
        const serverAddress = JSON.parse(line);
        const s = sock(v.family, bs.SOCK_STREAM);
        s.connectSync(serverAddress);
        const messages = [Buffer.from('hello, python'), Buffer.alloc(1, 0), pattern(4096, 1), Buffer.from('é ✓ 🐍'), pattern(100000, 2)];
        let total = 0;
        for (const m of messages) {
          s.sendallSync(m);
          const back = recvExactly(s, m.length);
          assert.ok(back.equals(m), `echo of ${m.length} bytes differs`);
          total += m.length;
        }
        const ours = { sockname: s.getsockname(), peername: s.getpeername() };
        s.shutdown(bs.SHUT_WR);
        assert.equal(s.recvSync(10).length, 0, 'EOF after the server closes');
        const theirs = await finalReport(done);
        assert.equal(theirs.total, total);
        assert.deepEqual(ours.peername, theirs.sockname, 'our peer is their socket');
        assert.deepEqual(ours.sockname, theirs.peername, 'our socket is their peer');
        assert.deepEqual(ours.sockname, theirs.accepted, 'accept() saw our address');
        if (v.family !== bs.AF_UNIX) {
          assert.deepEqual(ours.peername, serverAddress);
        } else {
          assert.equal(ours.peername, serverAddress);
          assert.equal(ours.sockname, '', 'an unbound Unix client has no name');
        }
      });

      it('1 MiB with sendallSync, checked byte by byte on both sides', async function () {
        this.timeout(30000);
        const { line, done } = await peer(`
fam = sys.argv[1]
srv = socket.socket(family(fam), socket.SOCK_STREAM)
srv.bind(addr_of(fam, sys.argv[2]))
srv.listen(1)
srv.settimeout(15)
say(srv.getsockname())
conn, _ = srv.accept()
conn.settimeout(15)
data = recv_all(conn)
conn.sendall(data)
conn.close()
say({'length': len(data), 'sha256': hashlib.sha256(data).hexdigest(), 'matches': data == pattern(len(data), 5)})
`, [v.pyFamily, pyArg(v.local())]);
        const s = sock(v.family, bs.SOCK_STREAM);
        s.connectSync(JSON.parse(line));
        const data = pattern(MiB, 5);
        s.sendallSync(data);
        s.shutdown(bs.SHUT_WR);
        const back = recvUntilEof(s);
        assert.equal(back.length, MiB);
        const firstDiff = back.findIndex((x, i) => x !== data[i]);
        assert.equal(firstDiff, -1, `byte ${firstDiff} differs`);
        const theirs = await finalReport(done);
        assert.deepEqual(theirs, {
          length: MiB, sha256: crypto.createHash('sha256').update(data).digest('hex'), matches: true,
        });
      });

      it('Python client to our listening socket (acceptSync), both directions incl. 1 MiB', async function () {
        this.timeout(30000);
        const srv = sock(v.family, bs.SOCK_STREAM);
        srv.bind(v.local());
        srv.listen();
        const ourServerName = srv.getsockname();
        const { line, done } = await peer(`
fam = sys.argv[1]
s = socket.socket(family(fam), socket.SOCK_STREAM)
s.settimeout(15)
s.connect(addr_of(fam, sys.argv[2]))
say({'sockname': s.getsockname(), 'peername': s.getpeername()})
replies = []
for m in [b'first', b'second message', pattern(70000, 9)]:
    s.sendall(m)
    replies.append(recv_exactly(s, len(m)) == m[::-1])
s.sendall(pattern(1 << 20, 11))
s.shutdown(socket.SHUT_WR)
back = recv_all(s)
say({'replies': replies, 'backLength': len(back), 'backMatches': back == pattern(1 << 20, 13)})
`, [v.pyFamily, pyArg(ourServerName as bs.Address)]);
        const theirs = JSON.parse(line);
        const [conn, address] = track.add(srv.acceptSync());
        conn.settimeout(TIMEOUT);
        assert.deepEqual(address, theirs.sockname, 'acceptSync gives the client\'s own name');
        assert.deepEqual(conn.getpeername(), theirs.sockname);
        assert.deepEqual(conn.getsockname(), theirs.peername);
        assert.deepEqual(theirs.peername, ourServerName);
        for (const expected of [Buffer.from('first'), Buffer.from('second message'), pattern(70000, 9)]) {
          const m = recvExactly(conn, expected.length);
          assert.ok(m.equals(expected), `a ${expected.length}-byte message from python`);
          conn.sendallSync(Buffer.from(m).reverse());
        }
        const big = recvUntilEof(conn);
        assert.equal(big.length, MiB);
        const expected = pattern(MiB, 11);
        assert.equal(big.findIndex((x, i) => x !== expected[i]), -1, 'every byte of the 1 MiB from python');
        conn.sendallSync(pattern(MiB, 13));
        conn.close();
        const report = await finalReport(done);
        assert.deepEqual(report, { replies: [true, true, true], backLength: MiB, backMatches: true });
      });
    });
  }

  for (const v of DATAGRAMS) {
    describe(v.name, () => {
      it('Python server: datagrams both ways, recvfromSync addresses against its getsockname()', async () => {
        const { line, done } = await peer(`
fam = sys.argv[1]
s = socket.socket(family(fam), socket.SOCK_DGRAM)
s.bind(addr_of(fam, sys.argv[2]))
s.settimeout(15)
say(s.getsockname())
senders = []
for _ in range(4):
    data, sender = s.recvfrom(70000)
    senders.append(sender)
    s.sendto(data[::-1], sender)
say({'senders': senders, 'sockname': s.getsockname()})
`, [v.pyFamily, pyArg(v.local())]);
        const theirName = JSON.parse(line);
        const s = sock(v.family, bs.SOCK_DGRAM);
        s.bind(v.local());
        const ourName = s.getsockname();
        const messages = [Buffer.from('one'), Buffer.from('two, longer'), Buffer.alloc(0), pattern(8000, 3)];
        for (const m of messages) {
          assert.equal(s.sendtoSync(m, theirName), m.length);
          const [data, from] = s.recvfromSync(70000);
          assert.ok(data.equals(Buffer.from(m).reverse()), `reply to a ${m.length}-byte datagram`);
          assert.deepEqual(from, theirName, 'recvfromSync names the python socket');
        }
        const report = await finalReport(done);
        assert.deepEqual(report.sockname, theirName);
        assert.deepEqual(report.senders, [ourName, ourName, ourName, ourName], 'python saw our getsockname()');
      });

      it('Python client: it sends to our bound socket, we answer with sendtoSync', async () => {
        const s = sock(v.family, bs.SOCK_DGRAM);
        s.bind(v.local());
        const ourName = s.getsockname();
        const { line, done } = await peer(`
fam = sys.argv[1]
s = socket.socket(family(fam), socket.SOCK_DGRAM)
s.bind(addr_of(fam, sys.argv[3]))
s.settimeout(15)
say(s.getsockname())
target = addr_of(fam, sys.argv[2])
results = []
for i in range(3):
    m = pattern(100 + i * 1000, i)
    s.sendto(m, target)
    data, sender = s.recvfrom(70000)
    results.append({'ok': data == m[::-1], 'sender': sender})
say(results)
`, [v.pyFamily, pyArg(ourName as bs.Address), pyArg(v.local())]);
        const theirName = JSON.parse(line);
        const buffer = Buffer.alloc(70000);
        for (let i = 0; i < 3; i++) {
          const [n, from] = s.recvfromIntoSync(buffer);
          assert.equal(n, 100 + i * 1000);
          assert.ok(buffer.subarray(0, n).equals(pattern(n, i)), `datagram ${i} from python`);
          assert.deepEqual(from, theirName, 'recvfromIntoSync gives python\'s getsockname()');
          s.sendtoSync(Buffer.from(buffer.subarray(0, n)).reverse(), from as bs.Address);
        }
        const report = await finalReport(done);
        assert.deepEqual(report, [0, 1, 2].map(() => ({ ok: true, sender: ourName })));
      });

      it('connected datagram sockets: sendSync/recvSync and getpeername against python', async () => {
        const { line, done } = await peer(`
fam = sys.argv[1]
s = socket.socket(family(fam), socket.SOCK_DGRAM)
s.bind(addr_of(fam, sys.argv[2]))
s.settimeout(15)
say(s.getsockname())
data, sender = s.recvfrom(1000)
s.connect(sender)
s.send(data + b'!')
say({'sender': sender, 'peername': s.getpeername()})
`, [v.pyFamily, pyArg(v.local())]);
        const theirName = JSON.parse(line);
        const s = sock(v.family, bs.SOCK_DGRAM);
        s.bind(v.local());
        s.connectSync(theirName);
        assert.deepEqual(s.getpeername(), theirName);
        s.sendSync(Buffer.from('connected'));
        assert.equal(s.recvSync(1000).toString(), 'connected!');
        const report = await finalReport(done);
        assert.deepEqual(report.sender, s.getsockname());
        assert.deepEqual(report.peername, s.getsockname());
      });
    });
  }
});
