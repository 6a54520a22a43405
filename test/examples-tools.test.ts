// The tool examples, run as a user would: ping, sniff, links, traceroute, ip-monitor, fd-passing
// (dist/examples/*.js).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import * as bs from '../lib';
import * as pk from '../lib/packet';
import { Tracker, isRoot, sleep, tempDir, within } from './helpers';
import { netnsUnavailable, runInNetns } from './netns';

const examples = path.resolve(__dirname, '../examples');

function run(name: string, args: string[] = [], timeout = 15000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(examples, `${name}.js`), ...args], { timeout, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

function pingAllowed(): string | null {
  if (isRoot()) return null;
  if (process.platform !== 'linux') return 'not root, and no unprivileged ICMP sockets here';
  const [lo, hi] = fs.readFileSync('/proc/sys/net/ipv4/ping_group_range', 'utf8').trim().split(/\s+/).map(Number);
  const gid = process.getgid!();
  return gid >= lo && gid <= hi ? null : `not root, and net.ipv4.ping_group_range (${lo} ${hi}) excludes gid ${gid}`;
}

describe('examples: tools', function () {
  this.timeout(20000);
  const track = new Tracker().install();

  it('ping -c 2 127.0.0.1 gets 2 replies with times', async function () {
    const why = pingAllowed();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const { code, stdout, stderr } = await run('ping', ['-c', '2', '127.0.0.1']);
    assert.equal(code, 0, stderr);
    const replies = stdout.split('\n').filter((l) => /^\d+ bytes from 127\.0\.0\.1: icmp_seq=\d+ .*time=\d+\.\d+ ms$/.test(l));
    assert.equal(replies.length, 2, stdout);
    assert.match(stdout, /2 packets transmitted, 2 received, 0% packet loss/);
  });

  it('ping -c 1 ::1 gets a reply (ICMPv6)', async function () {
    if (!isRoot()) { console.log('      skipped: ICMPv6 echo needs root here'); this.skip(); }
    const { code, stdout, stderr } = await run('ping', ['-c', '1', '::1']);
    assert.equal(code, 0, stderr);
    assert.match(stdout, /bytes from ::1: icmp_seq=1 time=\d+\.\d+ ms/);
  });

  it('ping with a bad count prints its usage and exits 2', async () => {
    const { code, stderr } = await run('ping', ['-c', 'zero']);
    assert.equal(code, 2);
    assert.match(stderr, /usage: ping/);
  });

  it('sniff -c prints a line for a UDP datagram sent on lo', async function () {
    if (process.platform !== 'linux' || !isRoot()) { console.log('      skipped: sniff needs Linux and root'); this.skip(); }
    const child = spawn(process.execPath, [path.join(examples, 'sniff.js'), '-c', '100000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    try {
      await within((async () => { while (!out.includes('listening on lo')) await sleep(20); })(), 5000, 'sniff start');
      const receiver = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      receiver.bind(['127.0.0.1', 0]);
      const port = (receiver.getsockname() as bs.InetAddress)[1];
      const sender = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
      const wanted = new RegExp(`^lo \\w+ 00:00:00:00:00:00 > 00:00:00:00:00:00 ethertype 0x0800 length \\d+ IPv4 127\\.0\\.0\\.1:\\d+ > 127\\.0\\.0\\.1:${port} UDP`, 'm');
      await within((async () => {
        while (!wanted.test(out)) {
          sender.sendtoSync(Buffer.from('sniff me'), ['127.0.0.1', port]);
          await sleep(100);
        }
      })(), 8000, 'the datagram to show up');
    } finally {
      child.kill();
      await exited;
    }
  });

  /** Runs sniff with `args`, sending a datagram on lo every 100 ms until it exits. */
  async function sniffWhileSending(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let finished = false;
    const pending = run('sniff', args, 10000).finally(() => { finished = true; });
    const sender = track.add(bs.socket(bs.AF_INET, bs.SOCK_DGRAM));
    for (let i = 0; i < 50 && !finished; i++) {
      sender.sendtoSync(Buffer.from('sniff me'), ['127.0.0.1', 9]);
      await sleep(100);
    }
    return pending;
  }

  it('sniff -c 1 exits by itself after one frame', async function () {
    if (process.platform !== 'linux' || !isRoot()) { console.log('      skipped: sniff needs Linux and root'); this.skip(); }
    const { code, stdout } = await sniffWhileSending(['-c', '1']);
    assert.equal(code, 0);
    assert.equal(stdout.trim().split('\n').length, 2, stdout);  // "listening on lo" and one frame
  });

  it('links lists lo with its index', async function () {
    if (process.platform !== 'linux') { console.log('      skipped: rtnetlink is Linux-only'); this.skip(); }
    const { code, stdout, stderr } = await run('links');
    assert.equal(code, 0, stderr);
    const line = stdout.split('\n').find((l) => / lo mtu /.test(l));
    assert.ok(line, stdout);
    assert.match(line, new RegExp(`^${bs.if_nametoindex('lo')}: lo mtu \\d+ mac 00:00:00:00:00:00 flags <.*LOOPBACK.*>$`));
  });

  it('sniff -w writes a pcap file that holds the frames it printed', async function () {
    if (process.platform !== 'linux' || !isRoot()) { console.log('      skipped: sniff needs Linux and root'); this.skip(); }
    const file = path.join(tempDir(), 'sniff.pcap');
    const { code, stdout } = await sniffWhileSending(['-c', '3', '-w', file]);
    assert.equal(code, 0);
    const capture = pk.readPcap(fs.readFileSync(file));
    assert.equal(capture.packets.length, 3);
    const lines = stdout.trim().split('\n').slice(1);
    capture.packets.forEach((p, i) => assert.match(lines[i], new RegExp(`length ${p.data.length}( |$)`)));
  });

  it('traceroute finds the router and the host of namespaces the test made', function () {
    const why = netnsUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    // us (10.31.1.1) --veth-- router namespace (10.31.1.2 | 10.31.2.1) --veth-- host namespace (10.31.2.2)
    const [router, host] = [`bsdtr-${process.pid}-r`, `bsdtr-${process.pid}-h`];
    try {
      // Made from here: "ip netns add" inside "ip netns exec" mounts into that command's private mount namespace.
      for (const ns of [router, host]) execFileSync('ip', ['netns', 'add', ns]);
      const out = runInNetns([
        `ip link add a0 type veth peer name r0 netns ${router}`, 'ip addr add 10.31.1.1/24 dev a0', 'ip link set a0 up',
        'ip route add 10.31.2.0/24 via 10.31.1.2',
        `ip -n ${router} link add r1 type veth peer name h0 netns ${host}`,
        `ip -n ${router} addr add 10.31.1.2/24 dev r0`, `ip -n ${router} addr add 10.31.2.1/24 dev r1`,
        `ip -n ${router} link set r0 up`, `ip -n ${router} link set r1 up`, `ip -n ${router} link set lo up`,
        `ip netns exec ${router} sysctl -qw net.ipv4.ip_forward=1`,
        `ip -n ${host} addr add 10.31.2.2/24 dev h0`, `ip -n ${host} link set h0 up`, `ip -n ${host} link set lo up`,
        `ip -n ${host} route add default via 10.31.2.1`,
      ], `const r = require('node:child_process').spawnSync(process.execPath, [${JSON.stringify(path.join(examples, 'traceroute.js'))}, '-m', '5', '-w', '3', '10.31.2.2'], { encoding: 'utf8' });
console.log(JSON.stringify({ status: r.status, stdout: r.stdout, stderr: r.stderr }));`, 30000);
      const { status, stdout, stderr } = JSON.parse(out);
      assert.equal(status, 0, stderr + stdout);
      const hops = stdout.trim().split('\n').slice(1);
      assert.equal(hops.length, 2, stdout);
      assert.match(hops[0], /^ 1 {2}10\.31\.1\.2 {2}\d+\.\d{3} ms$/);
      assert.match(hops[1], /^ 2 {2}10\.31\.2\.2 {2}\d+\.\d{3} ms$/);
    } finally {
      for (const ns of [router, host]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  });

  it('traceroute without a host prints its usage and exits 2', async () => {
    const { code, stderr } = await run('traceroute', ['-m', '0', '10.0.0.1']);
    assert.equal(code, 2);
    assert.match(stderr, /usage: traceroute/);
  });

  it('ip-monitor prints the link and address events of changes made in its namespace', function () {
    const why = netnsUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const out = runInNetns([], `const { spawn, execFileSync } = require('node:child_process');
const child = spawn(process.execPath, [${JSON.stringify(path.join(examples, 'ip-monitor.js'))}, '-c', '3'], { stdio: ['ignore', 'pipe', 'inherit'] });
let text = '';
child.stdout.on('data', (d) => { text += d; });
while (!text.includes('listening')) await new Promise((r) => setTimeout(r, 20));
execFileSync('ip', ['link', 'add', 'mon0', 'type', 'veth', 'peer', 'name', 'mon1']);
execFileSync('ip', ['addr', 'add', '10.41.0.1/24', 'dev', 'mon0']);
const code = await new Promise((r) => child.on('exit', r));
console.log(JSON.stringify({ code, text }));`, 20000);
    const { code, text } = JSON.parse(out);
    assert.equal(code, 0, text);
    const lines = text.trim().split('\n');
    assert.equal(lines[0], 'listening for link and address events');
    assert.ok(lines.some((l: string) => /^link new \d+: mon0 \(veth\) DOWN mtu 1500$/.test(l)), text);
    assert.ok(lines.some((l: string) => /^link new \d+: mon1 \(veth\) DOWN mtu 1500$/.test(l)), text);
    assert.ok(lines.some((l: string) => /^address new 10\.41\.0\.1\/24 on \d+$/.test(l)), text);
  });

  it("fd-passing prints the child's success line", async () => {
    const { code, stdout, stderr } = await run('fd-passing');
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^child \d+: received file,socket as descriptors \d+ and \d+; read \d+ bytes and replied: success$/m);
    assert.match(stdout, /the child answered on the passed socket: "child \d+ read "a note from parent \d+""/);
    assert.match(stdout, /^fd-passing: ok$/m);
  });
});
