// The raw binding's one convention (lib/binding/native.ts): a call that can fail returns its result or
// -errno; a lookup returns its result or a failure object; nothing answers with an ad-hoc sentinel
// (-1, null, 1/0). The errno values are Node's, from os.constants.errno.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { constants as os } from 'node:os';
import * as path from 'node:path';
import { native } from '../lib/binding/native';

const { ENOENT, ERANGE, EINVAL } = os.errno;
const { AF_INET, SOCK_STREAM, AI_NUMERICHOST } = native.constants;

/** The members `interface Native` in lib/binding/native.ts declares: name -> whether it is optional. */
function declaredMembers(): Map<string, boolean> {
  const source = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'binding', 'native.ts'), 'utf8');
  const body = source.slice(source.indexOf('export interface Native {'));
  const block = body.slice(0, body.indexOf('\n}\n'));
  const members = new Map<string, boolean>();
  for (const m of block.matchAll(/^ {2}(\w+)(\??)[(:]/gm)) members.set(m[1], m[2] === '?');
  return members;
}

describe('the typed binding', () => {
  it('lib/binding/native.ts declares every name the addon registers, and the addon has every required one', () => {
    const declared = declaredMembers();
    assert.ok(declared.size > 50, `found ${declared.size} declared members`);
    const registered = Object.keys(native);
    assert.deepEqual(registered.filter((name) => !declared.has(name)), [], 'registered but not declared');
    const missing = [...declared].filter(([name, optional]) => !optional && !(name in native)).map(([name]) => name);
    assert.deepEqual(missing, [], 'declared as always there but not registered');
  });

  it('services and protocols that are not known give -ENOENT', () => {
    assert.equal(native.getservbyname('no-such-service', null), -ENOENT);
    assert.equal(native.getservbyport(22, 'no-such-proto'), -ENOENT);
    assert.equal(native.getprotobyname('no-such-proto'), -ENOENT);
    assert.equal(native.getprotobyname('tcp'), native.constants.IPPROTO_TCP);
  });

  it('CMSG_LEN / CMSG_SPACE of a length out of range give -ERANGE', () => {
    assert.equal(native.cmsgLen(native.cmsgLenMax + 1), -ERANGE);
    assert.equal(native.cmsgSpace(native.cmsgSpaceMax + 1), -ERANGE);
    assert.equal(native.cmsgLen(-1), -ERANGE);
    assert.ok(native.cmsgLen(4) >= 4);
  });

  it('inetAton gives the bytes written, 0 for text that is no address, -EINVAL for a short buffer', () => {
    const out = Buffer.alloc(4);
    assert.equal(native.inetAton('127.1', out), 4);
    assert.deepEqual([...out], [127, 0, 0, 1]);
    assert.equal(native.inetAton('not an address', out), 0);
    assert.equal(native.inetAton('1.2.3.4', Buffer.alloc(3)), -EINVAL);
  });

  it('lookups give their result itself, or a failure object', () => {
    const entries = native.getaddrinfoSync('127.0.0.1', '80', AF_INET, SOCK_STREAM, 0, AI_NUMERICHOST);
    assert.ok(Array.isArray(entries), 'getaddrinfo entries');
    assert.equal(entries[0][0], AF_INET);
    const failure = native.getaddrinfoSync('not numeric', null, AF_INET, 0, 0, AI_NUMERICHOST);
    assert.ok(!Array.isArray(failure) && typeof failure.gai === 'number', 'a failure carries its EAI_* code');
    const nameInfo = native.getnameinfoSync(entries[0][4], native.constants.NI_NUMERICHOST | native.constants.NI_NUMERICSERV);
    assert.deepEqual(nameInfo, ['127.0.0.1', '80']);
    assert.equal(native.gethostbynameSync('127.0.0.1'), '127.0.0.1');
  });

  it('unpack refuses what is not an address blob with a TypeError of Node\'s code', () => {
    assert.throws(() => native.unpack(Buffer.alloc(3)), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
    const blob = Buffer.alloc(native.addrBlobSize);
    blob.writeUInt32LE(0xffff, 0);
    blob.writeUInt32BE(0xffff, 0);  // a length past any sockaddr, in either byte order
    assert.throws(() => native.unpack(blob), { name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' });
  });
});
