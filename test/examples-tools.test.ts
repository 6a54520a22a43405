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
import { pingUnavailable } from '../examples/ping';

const examples = path.resolve(__dirname, '../examples');

function run(name: string, args: string[] = [], timeout = 15000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(examples, `${name}.js`), ...args], { timeout, encoding: 'utf8' }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

describe('examples: tools', function () {
  this.timeout(20000);
  const track = new Tracker().install();

  it('ping -c 2 127.0.0.1 gets 2 replies with times', async function () {
    const why = pingUnavailable();
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

  /**
   * Runs the traceroute example (`prefix` before node: a user to run as) toward the last host of a
   * chain of namespaces the test makes, and returns its exit status and lines:
   *   us (10.31.1.1) -- (10.31.1.2) r1 (10.31.2.1) -- (10.31.2.2) r2 (10.31.3.1) -- (10.31.3.2) host
   * so that TTL 1 expires at r1, TTL 2 at r2, and TTL 3 reaches the host.
   */
  function traceChain(prefix: string[], args: string[]): { status: number; lines: string[]; stderr: string } {
    const [r1, r2, host] = ['r1', 'r2', 'h'].map((n) => `bsdtr-${process.pid}-${n}`);
    try {
      // Made from here: "ip netns add" inside "ip netns exec" mounts into that command's private mount namespace.
      for (const ns of [r1, r2, host]) execFileSync('ip', ['netns', 'add', ns]);
      const router = (ns: string, inside: string, inAddr: string, out: string, outAddr: string, peer: string) => [
        `ip -n ${ns} link add ${out} type veth peer name ${out}p netns ${peer}`,
        `ip -n ${ns} addr add ${inAddr}/24 dev ${inside}`, `ip -n ${ns} addr add ${outAddr}/24 dev ${out}`,
        `ip -n ${ns} link set ${inside} up`, `ip -n ${ns} link set ${out} up`, `ip -n ${ns} link set lo up`,
        `ip netns exec ${ns} sysctl -qw net.ipv4.ip_forward=1`,
      ];
      const out = runInNetns([
        `ip link add a0 type veth peer name a0p netns ${r1}`, 'ip addr add 10.31.1.1/24 dev a0', 'ip link set a0 up',
        'ip route add 10.31.0.0/16 via 10.31.1.2',
        ...router(r1, 'a0p', '10.31.1.2', 'b0', '10.31.2.1', r2), `ip -n ${r1} route add 10.31.3.0/24 via 10.31.2.2`,
        ...router(r2, 'b0p', '10.31.2.2', 'c0', '10.31.3.1', host), `ip -n ${r2} route add 10.31.1.0/24 via 10.31.2.1`,
        `ip -n ${host} addr add 10.31.3.2/24 dev c0p`, `ip -n ${host} link set c0p up`, `ip -n ${host} link set lo up`,
        `ip -n ${host} route add default via 10.31.3.1`,
      ], `const argv = ${JSON.stringify([...prefix, process.execPath, path.join(examples, 'traceroute.js'), ...args, '10.31.3.2'])};
const r = require('node:child_process').spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
console.log(JSON.stringify({ status: r.status, stdout: r.stdout, stderr: r.stderr }));`, 30000);
      const { status, stdout, stderr } = JSON.parse(out);
      return { status, lines: stdout.trim().split('\n'), stderr };
    } finally {
      for (const ns of [r1, r2, host]) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
    }
  }

  /** The hops a trace of the chain must print, in order. */
  const CHAIN_HOPS = [/^ 1 {2}10\.31\.1\.2 {2}\d+\.\d{3} ms$/, /^ 2 {2}10\.31\.2\.2 {2}\d+\.\d{3} ms$/, /^ 3 {2}10\.31\.3\.2 {2}\d+\.\d{3} ms$/];

  it('traceroute as root (raw ICMP socket) finds both routers and the host of namespaces the test made', function () {
    const why = netnsUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const { status, lines, stderr } = traceChain([], ['-m', '5', '-w', '3']);
    assert.equal(status, 0, stderr + lines.join('\n'));
    assert.match(lines[0], /^traceroute to 10\.31\.3\.2, 5 hops max, ICMP read on a raw socket$/);
    assert.equal(lines.length - 1, CHAIN_HOPS.length, lines.join('\n'));
    CHAIN_HOPS.forEach((hop, i) => assert.match(lines[i + 1], hop));
  });

  it('traceroute as nobody (IP_RECVERR and MSG_ERRQUEUE, no privileges) finds the same hops', function () {
    const why = netnsUnavailable() ?? (spawnSync('setpriv', ['--version']).status === 0 ? null : 'setpriv (util-linux) is not installed');
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const { status, lines, stderr } = traceChain(['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], ['-m', '5', '-w', '3']);
    assert.equal(status, 0, stderr + lines.join('\n'));
    assert.match(lines[0], /^traceroute to 10\.31\.3\.2, 5 hops max, ICMP errors read from the error queue \(IP_RECVERR\)$/);
    assert.equal(lines.length - 1, CHAIN_HOPS.length, lines.join('\n'));
    CHAIN_HOPS.forEach((hop, i) => assert.match(lines[i + 1], hop));
  });

  it('traceroute -E as root takes the IP_RECVERR way too', function () {
    const why = netnsUnavailable();
    if (why) { console.log(`      skipped: ${why}`); this.skip(); }
    const { status, lines, stderr } = traceChain([], ['-E', '-m', '5', '-w', '3']);
    assert.equal(status, 0, stderr + lines.join('\n'));
    assert.match(lines[0], /\(IP_RECVERR\)$/);
    CHAIN_HOPS.forEach((hop, i) => assert.match(lines[i + 1], hop));
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
