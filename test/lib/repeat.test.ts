import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, test } from 'node:test';
import { repeatEvery } from '../../src/lib/repeat.ts';

describe('repeatEvery', () => {
  test('passes run one at a time, the next an interval after the last ended; stop waits for the one in progress and ends them', async () => {
    let running = 0;
    let overlapped = false;
    let passes = 0;
    const loop = repeatEvery(5, async () => {
      running++;
      overlapped ||= running > 1;
      await sleep(20);
      passes++;
      running--;
    });
    await sleep(80);
    await loop.stop();
    assert.equal(running, 0, 'stop waited for the pass in progress');
    assert.equal(overlapped, false);
    assert.ok(passes >= 2, `several passes ran (${passes})`);
    const after = passes;
    await sleep(40);
    assert.equal(passes, after, 'no pass after stop');
  });
});
