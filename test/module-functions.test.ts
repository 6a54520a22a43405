// The third-round module functions of Python's socket: getfqdn, sethostname, has_ipv6, close(fd),
// dup(fd), each compared with python3. Lookups use only localhost and 127.0.0.1 (/etc/hosts, no
// DNS); sethostname runs only inside a new UTS namespace (unshare -u), never on the machine's name.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { getfqdn, getfqdnSync, sethostname, gethostname, has_ipv6, close, dup, socket, SocketError } from '../lib';
import { native } from '../lib/binding/native';
import { countOpenFds } from './helpers';
import { evalInPython, type PyResult } from './python-oracle';

const DIST_LIB = path.join(__dirname, '..', 'lib');
const isRoot = process.getuid?.() === 0;

/** Our outcome in the oracle's shape: a value, or the errno of the error. */
function outcome(fn: () => unknown): PyResult {
  try {
    return { ok: fn() };
  } catch (error) {
    if (error instanceof SocketError) return { error: 'OSError', errno: error.errno, args: [] };
    throw error;
  }
}

function sameErrno(actual: PyResult, expected: PyResult, what: string): void {
  if ('ok' in expected) assert.deepEqual(actual, expected, what);
  else assert.equal('error' in actual && actual.errno, expected.errno, what);
}

describe('module functions against Python', () => {
  it('has_ipv6 is a boolean, Python\'s', () => {
    const [py] = evalInPython(['socket.has_ipv6']);
    assert.equal(typeof has_ipv6, 'boolean');
    assert.deepEqual({ ok: has_ipv6 }, py);
  });

  it('getfqdn gives Python\'s names for localhost and 127.0.0.1, Sync and Promise', async () => {
    const names = ['localhost', '127.0.0.1', '  localhost  '];
    const expected = evalInPython(names.map((n) => `socket.getfqdn(${JSON.stringify(n)})`));
    for (const [i, name] of names.entries()) {
      assert.deepEqual({ ok: getfqdnSync(name) }, expected[i], name);
      assert.deepEqual({ ok: await getfqdn(name) }, expected[i], name);
    }
    assert.throws(() => getfqdnSync(1 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  it('dup gives a non-inheritable copy, and EBADF as Python for a closed or negative descriptor', () => {
    const s = socket();
    const copy = dup(s.fileno());
    try {
      assert.notEqual(copy, s.fileno());
      const expected = evalInPython([
        '(lambda s: __import__("os").get_inheritable(socket.dup(s.fileno())))(socket.socket())',
      ]);
      assert.deepEqual([{ ok: (native.getFdFlags(copy) & 2) === 0 }], expected, 'inheritable as Python\'s');
    } finally {
      close(copy);
      s.close();
    }
    const py = evalInPython(['socket.dup(-1)', 'socket.close(-1)']);
    sameErrno(outcome(() => dup(-1)), py[0], 'dup(-1)');
    sameErrno(outcome(() => close(-1)), py[1], 'close(-1)');
    sameErrno(outcome(() => close(copy)), py[1], 'close of a closed descriptor');
  });

  it('close and dup leave the descriptor count as it was', () => {
    const before = countOpenFds();
    const s = socket();
    for (let i = 0; i < 10; i++) close(dup(s.fileno()));
    s.close();
    assert.equal(countOpenFds(), before);
  });
});

/** Runs `code` (JavaScript with `lib` loaded, or Python) in a new UTS namespace; its stdout lines. */
function inUtsNamespace(command: string[]): string[] {
  const r = spawnSync('unshare', ['-u', ...command], { encoding: 'utf8', timeout: 15000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n');
}

const usable = isRoot && spawnSync('unshare', ['-u', 'true']).status === 0;
if (!usable) console.log('sethostname tests skipped: they need root and unshare -u');   
(usable ? describe : describe.skip)('sethostname (root, in a new UTS namespace)', () => {
  it('sets the name as Python does, and fails with Python\'s errno for a name too long', () => {
    const machine = gethostname();
    const js = `const lib = require(${JSON.stringify(DIST_LIB)});
lib.sethostname('bsd-sockets-uts'); console.log(lib.gethostname());
lib.sethostname(Buffer.from('by-bytes')); console.log(lib.gethostname());
try { lib.sethostname('x'.repeat(65)); console.log('no error'); } catch (e) { console.log(e.errno); }`;
    const py = `import socket
socket.sethostname('bsd-sockets-uts'); print(socket.gethostname())
socket.sethostname(b'by-bytes'); print(socket.gethostname())
try:
    socket.sethostname('x' * 65); print('no error')
except OSError as e: print(e.errno)`;
    const ours = inUtsNamespace([process.execPath, '-e', js]);
    const theirs = inUtsNamespace(['python3', '-c', py]);
    assert.deepEqual(ours, theirs);
    assert.equal(ours[0], 'bsd-sockets-uts');
    assert.equal(gethostname(), machine, 'the machine\'s own name is untouched');
    assert.equal(execFileSync('hostname', { encoding: 'utf8' }).trim(), machine);
  });

  it('refuses a text name with a NUL byte before the system call, as Python (ValueError)', () => {
    // regression (differential suite, issue 22): the bytes went to sethostname(2), which took "a\0b" as the name
    const js = `const lib = require(${JSON.stringify(DIST_LIB)});
const before = lib.gethostname();
try { lib.sethostname('a\\0b'); console.log('no error'); } catch (e) { console.log(e.code); }
console.log(lib.gethostname() === before);`;
    const py = `import socket
try:
    socket.sethostname('a\\0b'); print('no error')
except ValueError: print('ValueError')`;
    assert.deepEqual(inUtsNamespace([process.execPath, '-e', js]), ['ERR_INVALID_ARG_VALUE', 'true']);
    assert.deepEqual(inUtsNamespace(['python3', '-c', py]), ['ValueError']);
  });

  it('refuses a value that is neither text nor bytes', () => {
    assert.throws(() => sethostname(5 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });
});
