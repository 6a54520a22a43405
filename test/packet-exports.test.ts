// The subpath exports `bsd-sockets/packet` and `bsd-sockets/netlink` resolve from dist/ for
// require and import, as an installed package (a node_modules link to this checkout).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import { tempDir } from './helpers';

describe('packet/netlink: subpath exports', () => {
  it('require and import both find decodeIpv4, readPcap, RouteSocket and encodeMessage', () => {
    const dir = tempDir();
    fs.mkdirSync(path.join(dir, 'node_modules'));
    fs.symlinkSync(path.resolve(__dirname, '../..'), path.join(dir, 'node_modules', 'bsd-sockets'));
    const script = `const p = require('bsd-sockets/packet'); const n = require('bsd-sockets/netlink');
import('bsd-sockets/packet').then(async (m) => { const k = await import('bsd-sockets/netlink');
console.log([typeof p.decodeIpv4, typeof p.readPcap, typeof n.RouteSocket, m.decodeIpv4 === p.decodeIpv4, typeof k.encodeMessage].join(' ')); });`;
    const out = execFileSync(process.execPath, ['-e', script], { cwd: dir, encoding: 'utf8' }).trim();
    assert.equal(out, 'function function function true function');
    const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
    for (const sub of ['./packet', './netlink']) assert.ok(fs.existsSync(path.resolve(__dirname, '../..', pkg.exports[sub].types)), `${sub} types`);
  });
});
