import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText } from '../../src/config/load.ts';
import { DEFAULT_INTEGRATION_PER_MINUTE } from '../../src/config/schema.ts';
import { file, issuesOf, KEY_A, KEY_B } from './integration-fixtures.ts';

const KEY_C = 'cccccccccccccccccccccccccccccccc';
const KEY_D = 'dddddddddddddddddddddddddddddddd';
/** One integration of every type, each with the given extra YAML (flow style). */
const everyType = (extra: string) =>
  file(
    [
      `  - { id: pd, name: PD, type: events_v2, key: ${KEY_A}, service: api${extra} }`,
      `  - { id: am, name: AM, type: alertmanager, key: ${KEY_B}, service: api${extra} }`,
      `  - { id: gf, name: GF, type: grafana, key: ${KEY_C}, service: api${extra} }`,
      `  - { id: gen, name: Gen, type: generic, key: ${KEY_D}, service: api, mapping: { summary: a, dedup_key: b, status: c }${extra} }`,
    ].join('\n') + '\n',
  );

describe('config: integration rate limits', () => {
  test('default: 6000 requests per minute on every type', () => {
    assert.equal(DEFAULT_INTEGRATION_PER_MINUTE, 6000);
    const r = parseConfigText(everyType(''), {});
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(
      r.config.integrations.map((i) => [i.type, i.rate_limit]),
      [
        ['events_v2', { per_minute: 6000 }],
        ['alertmanager', { per_minute: 6000 }],
        ['grafana', { per_minute: 6000 }],
        ['generic', { per_minute: 6000 }],
      ],
    );
    const empty = parseConfigText(everyType(', rate_limit: {}'), {});
    assert.ok(empty.ok, JSON.stringify(empty));
    assert.ok(empty.config.integrations.every((i) => i.rate_limit.per_minute === 6000), 'an empty rate_limit keeps the default');
  });

  test('per_minute is accepted from 1 to 1,000,000 on every type', () => {
    for (const n of [1, 3, 120, 1_000_000]) {
      const r = parseConfigText(everyType(`, rate_limit: { per_minute: ${n} }`), {});
      assert.ok(r.ok, JSON.stringify(r));
      assert.ok(r.config.integrations.every((i) => i.rate_limit.per_minute === n), `${n}`);
    }
  });

  test('out of bounds, not an integer, unknown fields: an error at the path of each integration', () => {
    for (const [bad, message] of [
      ['0', /1/],
      ['-5', /1/],
      ['1000001', /1000000|1,000,000/],
      ['2.5', /int/i],
      ['lots', /number/i],
    ] as const) {
      const issues = issuesOf(everyType(`, rate_limit: { per_minute: ${bad} }`));
      const paths = issues.map((i) => i.path).sort();
      assert.deepEqual(paths, [0, 1, 2, 3].map((n) => `integrations[${n}].rate_limit.per_minute`), `${bad}: ${JSON.stringify(issues)}`);
      for (const i of issues) assert.match(i.message, message);
    }
    const unknown = issuesOf(everyType(', rate_limit: { per_second: 5 }'));
    assert.deepEqual(unknown.map((i) => i.path).sort(), [0, 1, 2, 3].map((n) => `integrations[${n}].rate_limit.per_second`));
  });
});
