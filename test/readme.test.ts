// The README's example is a program: extract it and run it, so that the front door never lies.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tempDir } from './helpers';

describe('README', () => {
  it('the example runs and prints what its comment promises', () => {
    const readme = fs.readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8');
    const match = /## Example[\s\S]*?```js\n([\s\S]*?)```/.exec(readme);
    assert.ok(match, 'the README has a ```js example under "## Example"');
    const entry = path.resolve(__dirname, '..', 'lib', 'index.js');
    const file = path.join(tempDir(), 'echo.mjs');
    fs.writeFileSync(file, match[1].replace("from 'bsd-sockets'", `from ${JSON.stringify(entry)}`));
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 10000 });
    assert.equal(out, 'hello\n');
  });
});
