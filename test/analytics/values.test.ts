import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseIntegers, summarize } from '../../src/modules/analytics/values.ts';
import { rng } from '../monitors/monitor-kit.ts';

test('parseIntegers reads what string_agg writes', () => {
  assert.deepEqual([...parseIntegers('12,-3,4500,0')], [12, -3, 4500, 0]);
  assert.deepEqual([...parseIntegers(null)], []);
  assert.deepEqual([...parseIntegers('')], []);
  assert.deepEqual([...parseIntegers('86400000000')], [86_400_000_000]);
});

test('summarize: the exact nearest-rank p90, mean and within-target count, against a sort', () => {
  const rand = rng(7);
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(rand() * 400);
    const spread = rand() < 0.3 ? 5 : 1_000_000;
    const values = Array.from({ length: n }, () => Math.floor(rand() * spread) - (rand() < 0.05 ? spread / 2 : 0));
    const target = Math.floor(rand() * spread);
    const sorted = [...values].sort((a, b) => a - b);
    const s = summarize(Float64Array.from(values), target);
    assert.equal(s.count, n);
    assert.equal(s.p90, sorted[Math.ceil(0.9 * n) - 1], `n=${n}`);
    assert.equal(s.mean, Math.round(values.reduce((a, b) => a + b, 0) / n));
    assert.equal(s.within, values.filter((v) => v <= target).length);
  }
  assert.deepEqual(summarize(new Float64Array(0), 5), { count: 0, mean: null, p90: null, within: 0 });
  // Nearest rank: of 1…10 the 9th, of 1…11 the 10th, of one value that value.
  assert.equal(summarize(Float64Array.from({ length: 10 }, (_, i) => i + 1), 0).p90, 9);
  assert.equal(summarize(Float64Array.from({ length: 11 }, (_, i) => 11 - i), 0).p90, 10);
  assert.equal(summarize(Float64Array.of(42), 0).p90, 42);
});
