// The O_NONBLOCK books (lib/socket/fdmode.ts). A Promise accept needs an O_NONBLOCK listener. The
// books skip the fcntl() check before each accept while nobody else can hold the open file
// description; these tests make another holder clear O_NONBLOCK and look that the next Promise
// accept still does not block the event loop. Were the books wrong, accept(2) would block the
// loop until a python3 child connects (after CONNECT_AFTER_MS): the timer set beside the accept
// would then fire after it, and the test fails rather than hangs.
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as bs from '../lib';
import { native } from '../lib/binding/native';

const O_NONBLOCK_BIT = 1;  // native.getFdFlags: bit 0 is O_NONBLOCK
const CONNECT_AFTER_MS = 400;

function loopbackListener(): bs.Socket<bs.AF_INET> {
  const listener = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
  listener.bind(['127.0.0.1', 0]);
  listener.listen(8);
  return listener;
}

/** A python3 child that connects to `port` after `ms` and holds the connection until it is closed. */
function connectLater(port: number, ms: number): Promise<number | null> {
  const child = spawn('python3', ['-c', `
import socket, sys, time
time.sleep(${ms / 1000})
c = socket.create_connection(('127.0.0.1', ${port}))
c.recv(1)
`], { stdio: ['ignore', 'ignore', 'inherit'] });
  return new Promise((resolve) => child.on('exit', resolve));
}

/** One Promise accept with a client connecting now: the books then say O_NONBLOCK. */
async function acceptOnce(listener: bs.Socket<bs.AF_INET>): Promise<void> {
  const client = bs.socket(bs.AF_INET, bs.SOCK_STREAM);
  const [accepted, connected] = await Promise.all([listener.accept(), client.connect(listener.getsockname())]);
  assert.equal(connected, undefined);
  accepted[0].close();
  client.close();
}

/** Whether a Promise accept with no client yet lets a timer run before it settles; then it is served. */
async function acceptLetsTheLoopRun(listener: bs.Socket<bs.AF_INET>, fd: number): Promise<void> {
  assert.equal(native.getFdFlags(fd) & O_NONBLOCK_BIT, 0, 'the other holder made the listener blocking');
  const order: string[] = [];
  const client = connectLater(listener.getsockname()[1], CONNECT_AFTER_MS);
  const timer = new Promise<void>((resolve) => setTimeout(() => { order.push('timer'); resolve(); }, 20));
  const [sock, address] = await listener.accept();
  order.push('accepted');
  await timer;
  assert.deepEqual(order, ['timer', 'accepted']);
  assert.equal(address[0], '127.0.0.1');
  sock.close();
  assert.equal(await client, 0);
}

describe('O_NONBLOCK books: a Promise accept after another holder made the listener blocking', function () {
  this.timeout(10000);

  it('a dup() made blocking', async () => {
    const listener = loopbackListener();
    await acceptOnce(listener);
    const copy = listener.dup();
    copy.setblocking(true);  // O_NONBLOCK is the open file description's: cleared for both
    copy.close();
    await acceptLetsTheLoopRun(listener, listener.fileno());
    listener.close();
  });

  it('a python3 child given the number from fileno() made it blocking', async () => {
    const listener = loopbackListener();
    await acceptOnce(listener);
    const child = spawn('python3', ['-c', 'import os; os.set_blocking(3, True)'],
      { stdio: ['ignore', 'ignore', 'inherit', listener.fileno()] });
    assert.equal(await new Promise((resolve) => child.on('exit', resolve)), 0);
    await acceptLetsTheLoopRun(listener, listener.fileno());
    listener.close();
  });

  it('an adopted descriptor (new Socket(…, fileno)) whose first holder made it blocking', async () => {
    const first = loopbackListener();
    const adopted = new bs.Socket(bs.AF_INET, bs.SOCK_STREAM, 0, native.dup(first.fileno()));
    await acceptOnce(adopted);
    first.setblocking(true);
    const fd = adopted.fileno();
    await acceptLetsTheLoopRun(adopted, fd);
    adopted.close();
    first.close();
  });

  it('a listener whose number was never handed out stays O_NONBLOCK between accepts', async () => {
    const listener = loopbackListener();
    for (let i = 0; i < 3; i++) await acceptOnce(listener);
    const fd = listener.fileno();  // only now: the books may not be what is checked here
    assert.equal(native.getFdFlags(fd) & O_NONBLOCK_BIT, O_NONBLOCK_BIT);
    listener.close();
  });
});
