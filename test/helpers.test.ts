// The shared test helpers themselves: the descriptor count that every Tracker relies on.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as bs from '../lib';
import { countOpenFds } from './helpers';

describe('test helpers', () => {
  it('countOpenFds sees one more descriptor per open socket and one less after close', () => {
    const before = countOpenFds();
    const s = bs.socket(bs.AF_INET, bs.SOCK_DGRAM);
    try {
      assert.equal(countOpenFds(), before + 1);
    } finally {
      s.close();
    }
    assert.equal(countOpenFds(), before);
  });

  it('/dev/fd (macOS, the BSDs) lists the same descriptors as /proc/self/fd', function () {
    if (!fs.existsSync('/proc/self/fd') || !fs.existsSync('/dev/fd')) {
      console.log('      skipped: needs both /proc/self/fd and /dev/fd to compare');
      this.skip();
    }
    assert.deepEqual(fs.readdirSync('/dev/fd').sort(), fs.readdirSync('/proc/self/fd').sort());
    assert.equal(fs.readdirSync('/dev/fd').length, countOpenFds());
  });
});
