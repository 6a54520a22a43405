// bsd-sockets/netlink: nlmsghdr/nlattr codecs against Python struct references (nesting, 4-byte
// alignment, host byte order), malformed lengths, and generic netlink family lookup against `genl`.
import * as assert from 'node:assert/strict';
import * as os from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import * as nl from '../lib/netlink';
import { runPythonScript } from './helpers';

const REFERENCE = String.raw`
import struct
def nla(t, data): n = 4 + len(data); return struct.pack('=HH', n, t) + data + b'\0' * (-n % 4)
inner = nla(1, b'veth\0') + nla(2, struct.pack('=I', 7))
body = struct.pack('=BxHiII', 0, 0, 3, 0, 0) + nla(3, b'eth0\0') + nla(18 | 0x8000, inner) + nla(4, struct.pack('=I', 1500)) + nla(9, b'abcde')
print((struct.pack('=IHHII', 16 + len(body), 16, 0x405, 77, 0) + body).hex())
`;

describe('netlink: messages and attributes', () => {
  it('encodes a message with nested, padded attributes exactly as Python struct packs it, and decodes it back', () => {
    const ifinfo = Buffer.alloc(16);
    ifinfo.writeInt32LE(3, 4);  // compared against '=' (native) packing below: this machine is little-endian
    const message = nl.encodeMessage({ type: 16, flags: 0x405, seq: 77 }, ifinfo, nl.encodeAttributes([
      [nl.IFLA.IFNAME, 'eth0'],
      [nl.IFLA.LINKINFO, [[nl.IFLA_INFO.KIND, 'veth'], [nl.IFLA_INFO.DATA, 7]], nl.NLA_F_NESTED],
      [nl.IFLA.MTU, 1500],
      [9, Buffer.from('abcde')],
    ]));
    if (os.endianness() === 'LE') assert.equal(message.toString('hex'), runPythonScript(REFERENCE).trim());
    const [m] = nl.decodeMessages(message);
    assert.deepEqual([m.type, m.flags, m.seq, m.pid, m.body.length], [16, 0x405, 77, 0, message.length - 16]);
    const attributes = nl.decodeAttributes(m.body, 16);
    assert.deepEqual(attributes.map((a) => [a.type, a.nested, a.data.length]), [[3, false, 5], [18, true, 20], [4, false, 4], [9, false, 5]]);
    const map = nl.attributeMap(attributes);
    assert.equal(nl.attributeString(map.get(nl.IFLA.IFNAME)!), 'eth0');
    assert.equal(nl.attributeU32(map.get(nl.IFLA.MTU)!), 1500);
    const nested = nl.attributeMap(nl.decodeAttributes(map.get(nl.IFLA.LINKINFO)!));
    assert.equal(nl.attributeString(nested.get(nl.IFLA_INFO.KIND)!), 'veth');
    assert.equal(nl.attributeU32(nested.get(nl.IFLA_INFO.DATA)!), 7);
    assert.equal(nl.decodeLink(m).name, 'eth0');
  });

  it('several messages in one datagram, each aligned to 4', () => {
    const data = Buffer.concat([nl.encodeMessage({ type: 20, seq: 1 }, Buffer.from('abc')), nl.encodeMessage({ type: 3, seq: 2 })]);
    assert.deepEqual(nl.decodeMessages(data).map((m) => [m.type, m.seq, m.body.toString()]), [[20, 1, 'abc\0'], [3, 2, '']]);
  });

  it('an error ACK becomes the typed SocketError with the extended ACK text', () => {
    const quoted = nl.encodeMessage({ type: 20 });
    const errno = Buffer.alloc(4);
    errno.writeInt32LE(-17);
    const ack = nl.decodeMessages(nl.encodeMessage({ type: 2, flags: 0x100 | 0x200 }, errno, quoted.subarray(0, 16), nl.encodeAttributes([[nl.NLMSGERR_ATTR_MSG, 'Address already assigned']])))[0];
    const error = nl.ackError(ack, 'RTM_NEWADDR')!;
    assert.deepEqual([error.code, error.errno, error.syscall, error.detail], ['EEXIST', 17, 'RTM_NEWADDR', 'Address already assigned']);
    assert.match(error.message, /^RTM_NEWADDR EEXIST.*: Address already assigned$/);
    assert.equal(nl.ackError(nl.decodeMessages(nl.encodeMessage({ type: 2 }, Buffer.alloc(4), quoted))[0], 'x'), null);
  });

  for (const [name, run, field] of [
    ['nlmsg_len past the datagram', () => nl.decodeMessages(Buffer.from(nl.encodeMessage({ type: 1 }, Buffer.alloc(8))).subarray(0, 20)), 'nlmsg_len'],
    ['nlmsg_len below the header', () => { const b = nl.encodeMessage({ type: 1 }); b.writeUInt32LE(4); return nl.decodeMessages(b); }, 'nlmsg_len'],
    ['nla_len past the data', () => nl.decodeAttributes(nl.encodeAttribute(1, 'abcdef').subarray(0, 8)), 'nla_len'],
    ['nla_len below 4', () => nl.decodeAttributes(Buffer.from([2, 0, 1, 0])), 'nla_len'],
    ['ifinfomsg cut short', () => nl.decodeLink({ type: 16, flags: 0, seq: 0, pid: 0, body: Buffer.alloc(8) }), 'ifinfomsg'],
    ['an address of 5 bytes', () => nl.decodeAddress({ type: 20, flags: 0, seq: 0, pid: 0, body: Buffer.concat([Buffer.alloc(8), nl.encodeAttribute(nl.IFA.LOCAL, Buffer.alloc(5))]) }), 'IFA_LOCAL'],
  ] as Array<[string, () => unknown, string]>) {
    it(`${name}: RangeError naming ${field}`, () => {
      assert.throws(run, (e: Error & { code?: string }) => e instanceof RangeError && e.code === 'ERR_OUT_OF_RANGE' && e.message.includes(`"${field}"`));
    });
  }
});

describe('netlink: generic netlink family lookup', () => {
  beforeEach(function () {
    if (process.platform !== 'linux') { console.log('      skipped: netlink is Linux-only'); this.skip(); }
  });

  it('finds nlctrl as `genl ctrl get name nlctrl` reports it (Sync and Promise)', async function () {
    const genl = spawnSync('genl', ['ctrl', 'get', 'name', 'nlctrl'], { encoding: 'utf8' });
    if (genl.error) { console.log('      skipped: iproute2 genl is not installed'); this.skip(); }
    const text = execFileSync('genl', ['ctrl', 'get', 'name', 'nlctrl'], { encoding: 'utf8' });
    const [, id, version] = /ID: 0x([0-9a-f]+)\s+Version: 0x([0-9a-f]+)/.exec(text)!;
    const groups = [...text.matchAll(/ID-0x([0-9a-f]+)\s+name: (\S+)/g)].map(([, gid, gname]) => [gname, parseInt(gid, 16)]);
    using sock = new nl.GenericSocket({ timeout: 5 });
    const family = sock.getFamilySync('nlctrl');
    assert.deepEqual([family.id, family.name, family.version], [parseInt(id, 16), 'nlctrl', parseInt(version, 16)]);
    assert.deepEqual([...family.groups], groups);
    assert.deepEqual(await sock.getFamily('nlctrl'), family);
  });

  it('an unknown family is a FileNotFoundError (ENOENT) naming CTRL_CMD_GETFAMILY', async () => {
    using sock = new nl.GenericSocket({ timeout: 5 });
    assert.throws(() => sock.getFamilySync('no-such-family'), { name: 'FileNotFoundError', code: 'ENOENT', syscall: 'CTRL_CMD_GETFAMILY' });
    await assert.rejects(sock.getFamily('no-such-family'), { code: 'ENOENT' });
    assert.equal(sock.getFamilySync('nlctrl').name, 'nlctrl', 'the socket still works after an error');
  });
});
