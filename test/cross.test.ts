// Issue 23: what differs between platforms comes from the build, not from a guess in TypeScript.
// The darwin layout of sockaddr_in (a length byte, then a one-byte family) is read by the same code
// the Linux build uses, given darwin's offsets; limits are the system's, as Python reads them.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../lib/binding/native';
import { familyAt, inetOffsets } from '../lib/input/address';
import { runPythonScript } from './helpers';

describe('platform differences come from the build (issue 23)', () => {
  it('sin_family is read at the offset and width the build gives: Linux\'s two bytes and darwin\'s one byte after sin_len', () => {
    const linux = inetOffsets(native.sockaddrIn);
    assert.deepEqual([linux.port, linux.addr], [2, 4], 'POSIX puts sin_port at 2 and sin_addr at 4');
    const darwin = inetOffsets({ size: 16, fields: { sin_family: { offset: 1, size: 1 }, sin_port: { offset: 2, size: 2 }, sin_addr: { offset: 4, size: 4 } } });
    const bsdBytes = Uint8Array.from([16, 2, 0x1f, 0x90, 127, 0, 0, 1]);  // sin_len 16, AF_INET (2 on darwin)
    assert.equal(familyAt(bsdBytes, 0, darwin), 2);
    assert.notEqual(familyAt(bsdBytes, 0, { ...darwin, family: 0, familySize: 2 }), 2, 'a two-byte read at 0 would misread it');
    const family = new Uint8Array(2);
    new Uint16Array(family.buffer)[0] = native.constants.AF_INET;
    assert.equal(familyAt(Uint8Array.from([...family, 0x1f, 0x90, 127, 0, 0, 1]), 0, linux), native.constants.AF_INET);
  });

  it('the sendmsg batch limit is the system\'s IOV_MAX, as Python\'s os.sysconf reads it', () => {
    assert.equal(native.iovMax, Number(runPythonScript("import os; print(os.sysconf('SC_IOV_MAX'))").trim()));
  });

  it('no lib/ module branches on process.platform (features.ts\'s fallback for an old binding aside)', () => {
    const libDir = path.join(__dirname, '..', 'lib');
    const branching = (fs.readdirSync(libDir, { recursive: true }) as string[])
      .filter((f) => f.endsWith('.js') && path.basename(f) !== 'features.js')
      .filter((f) => /process\.platform\s*(===|!==|==|!=)/.test(fs.readFileSync(path.join(libDir, f), 'utf8')));
    assert.deepEqual(branching, []);
  });
});
