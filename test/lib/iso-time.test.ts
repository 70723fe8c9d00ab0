import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isoTime } from '../../src/lib/iso-time.ts';

test('isoTime matches Date#toISOString everywhere that matters', () => {
  const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000 /* 2000-02-29 */, 4_107_542_400_000 /* 2100-03-01 */, 253_402_300_799_999, Date.UTC(2026, 11, 31, 23, 59, 59, 999), Date.UTC(2028, 1, 29, 12)];
  for (const ms of edges) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  // A deterministic walk across four centuries, odd steps so every field varies.
  for (let ms = 0; ms < 12_700_000_000_000; ms += 1_234_567_891) assert.equal(isoTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  // Out of the fast range, it defers to Date.
  assert.equal(isoTime(-1), new Date(-1).toISOString());
  assert.equal(isoTime(253_402_300_800_000), new Date(253_402_300_800_000).toISOString());
});
