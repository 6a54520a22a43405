// lib/modules/features.ts: what the platform and the loaded build support, checked against what the
// build actually does. BSD_SOCKETS_EXPECT_PORTABLE=1 (scripts/ci-portable.sh) says that the
// portable build is the one loaded, and these tests then check that it is.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { features } from '../lib/modules/features';
import { native } from '../lib/binding/native';
import {
  constants, socket, socketpair, Socket, SocketError, AF_INET, AF_UNIX, SOCK_DGRAM, SOCK_STREAM,
} from '../lib';
import { Tracker } from './helpers';

const KEYS = [
  'recvmmsg', 'sendmmsg', 'accept4', 'sockFlags', 'msgNosignal', 'soNosigpipe', 'afPacket', 'afNetlink',
  'abstractUnix', 'soPeercred', 'udpGso', 'udpGro', 'portable', 'ioUring',
].sort();

const expectPortable = process.env.BSD_SOCKETS_EXPECT_PORTABLE === '1';
const linux = process.platform === 'linux';

describe('features', () => {
  it('every constant native/names/constants.txt marks "all" (typed number) is defined here', () => {
    const everywhere = fs.readFileSync(path.join(__dirname, '..', '..', 'native', 'names', 'constants.txt'), 'utf8')
      .split('\n').map((line) => line.replace(/#.*/, '').trim().split(/\s+/)).filter((w) => w[1] === 'all').map((w) => w[0]);
    assert.ok(everywhere.length > 100, `only ${everywhere.length} names marked all`);
    assert.deepEqual(everywhere.filter((name) => typeof (constants as Readonly<Record<string, number | undefined>>)[name] !== 'number'), []);
  });

  const track = new Tracker().install();

  it('is a frozen object of booleans with the documented names', () => {
    assert.ok(Object.isFrozen(features));
    assert.deepEqual(Object.keys(features).sort(), KEYS);
    for (const [name, value] of Object.entries(features)) assert.equal(typeof value, 'boolean', name);
    assert.throws(() => { (features as { recvmmsg: boolean }).recvmmsg = !features.recvmmsg; }, TypeError);
  });

  it('agrees with the constants the headers defined', () => {
    assert.equal(features.udpGso, typeof constants.UDP_SEGMENT === 'number');
    assert.equal(features.udpGro, typeof constants.UDP_GRO === 'number');
    if (features.afPacket) assert.equal(typeof constants.AF_PACKET, 'number');
    if (features.afNetlink) assert.equal(typeof constants.AF_NETLINK, 'number');
    if (features.soPeercred) assert.equal(typeof constants.SO_PEERCRED, 'number');
  });

  it('tells the build it describes: the portable switch or the platform fast paths', () => {
    assert.equal(typeof native.buildFeatures, 'object', 'the addon exports no buildFeatures: rebuild it');
    assert.equal(features.portable, expectPortable);
    const fast = linux && !expectPortable;
    assert.equal(features.accept4, fast);
    assert.equal(features.sockFlags, fast);
    assert.equal(features.msgNosignal, fast);
    assert.equal(features.recvmmsg, fast);
    assert.equal(features.sendmmsg, fast);
    assert.equal(features.abstractUnix, linux);
    assert.equal(features.afPacket, linux);
    assert.equal(features.afNetlink, linux);
  });

  it('recvmmsg and sendmmsg work exactly when features says so', async () => {
    const a = track.add(socket(AF_INET, SOCK_DGRAM));
    const b = track.add(socket(AF_INET, SOCK_DGRAM));
    a.bind(['127.0.0.1', 0]);
    b.bind(['127.0.0.1', 0]);
    const to = a.getsockname() as [string, number];
    const messages: Array<[Uint8Array, [string, number]]> = [[Buffer.from('one'), to], [Buffer.from('two'), to]];
    if (features.sendmmsg) {
      assert.equal(b.sendmmsgSync(messages), 2);
    } else {
      assert.throws(() => b.sendmmsgSync(messages), (e: unknown) => e instanceof SocketError && e.code === 'ENOSYS');
      await assert.rejects(b.sendmmsg(messages), (e: unknown) => e instanceof SocketError && e.code === 'ENOSYS');
      for (const [data] of messages) b.sendtoSync(data, to);
    }
    const buffers = [Buffer.alloc(16), Buffer.alloc(16)];
    if (features.recvmmsg) {
      const got = a.recvmmsgSync(buffers);
      assert.ok(got.length >= 1);
      assert.equal(buffers[0].subarray(0, got[0][0]).toString(), 'one');
    } else {
      assert.throws(() => a.recvmmsgSync(buffers), (e: unknown) => e instanceof SocketError && e.code === 'ENOSYS');
      await assert.rejects(a.recvmmsg(buffers), (e: unknown) => e instanceof SocketError && e.code === 'ENOSYS');
      assert.equal(a.recvSync(16).toString(), 'one');
    }
  });

  it('with or without accept4 and SOCK_CLOEXEC, new and accepted sockets are close-on-exec', async () => {
    const server = track.add(socket(AF_INET, SOCK_STREAM));
    server.bind(['127.0.0.1', 0]);
    server.listen();
    const client = track.add(socket(AF_INET, SOCK_STREAM));
    const connecting = client.connect(server.getsockname() as [string, number]);
    const [conn] = track.add(await server.accept());
    await connecting;
    const [p, q] = track.add(socketpair(AF_UNIX, SOCK_STREAM));
    for (const s of [server, client, conn, p, q] as Socket[]) assert.equal(s.getInheritable(), false);
    // The Promise forms made the descriptors non-blocking underneath; the sockets still block.
    assert.equal(conn.getblocking(), true);
  });
});
