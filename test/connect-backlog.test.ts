// A Promise connect in blocking mode to a Unix listener whose backlog is full: connect(2) says
// EAGAIN and no readiness event tells when there is room, so the engine retries on a back-off
// (Session.retryOnBackoff) in the writers' turn, as a blocking connect(2) would wait in the kernel.
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as bs from '../lib';
import { Tracker, sleep, tempDir, within } from './helpers';

describe('Promise connect to a full Unix backlog (blocking mode)', () => {
  const track = new Tracker().install();

  /** A listener at a new path whose backlog non-blocking connects have filled. */
  function fullListener(): [bs.Socket, string] {
    const p = path.join(tempDir(), 'full');
    const srv = track.add(bs.socket(bs.AF_UNIX));
    srv.bind(p);
    srv.listen(0);
    srv.settimeout(5);
    let e = 0;
    for (let i = 0; i < 50 && e === 0; i++) {
      const filler = track.add(bs.socket(bs.AF_UNIX));
      filler.setblocking(false);
      e = filler.connectEx(p);
    }
    assert.equal(e, bs.errno.EAGAIN, 'the backlog never filled');
    return [srv, p];
  }

  it('waits until the listener makes room, then connects; a send made meanwhile goes after it', async () => {
    const [srv, p] = fullListener();
    const c = track.add(bs.socket(bs.AF_UNIX));
    let connected = false;
    const connecting = c.connect(p).then(() => { connected = true; });
    const sent = c.sendall(Buffer.from('after connect'));  // the writers' turn: queued behind connect
    await sleep(60);
    assert.equal(connected, false, 'connect settled while the backlog was still full');
    track.add(srv.acceptSync());  // room for one more
    await within(connecting, 5000, 'connect');
    assert.equal(c.getpeername(), p);
    await within(sent, 5000, 'sendall');
  });

  it('close() during the retry rejects it with EBADF', async () => {
    const [, p] = fullListener();
    const c = track.add(bs.socket(bs.AF_UNIX));
    const connecting = c.connect(p);
    await sleep(20);
    c.close();
    await assert.rejects(within(connecting, 5000, 'connect'), (e: bs.SocketError) => e.code === 'EBADF');
  });

  it('an abort during the retry rejects it with an AbortError', async () => {
    const [, p] = fullListener();
    const c = track.add(bs.socket(bs.AF_UNIX));
    const controller = new AbortController();
    const connecting = c.connect(p, { signal: controller.signal });
    await sleep(20);
    controller.abort();
    await assert.rejects(within(connecting, 5000, 'connect'), (e: Error) => e.name === 'AbortError');
  });
});
