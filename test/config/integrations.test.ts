import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { file, issuesOf, KEY_A, KEY_B } from './integration-fixtures.ts';
import { findIntegrationByKey } from '../../src/modules/signals/index.ts';

describe('config: integrations', () => {
  test('a valid events_v2 integration: key from the environment, severity map over the defaults', () => {
    const r = parseConfigText(file(`  - id: db-mon\n    name: DB monitoring\n    type: events_v2\n    key: \${DB_KEY}\n    service: database\n    severity:\n      critical: P0\n      info: P2\n`), { DB_KEY: KEY_A });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.integrations, [
      { id: 'db-mon', name: 'DB monitoring', type: 'events_v2', key: KEY_A, rate_limit: { per_minute: 6000 }, service: 'database', severity: { critical: 'P0', error: 'P2', warning: 'P3', info: 'P2' } },
    ]);
    assert.equal(findIntegrationByKey(r.config, KEY_A)?.id, 'db-mon');
    assert.equal(findIntegrationByKey(r.config, KEY_B), null);
    assert.equal(findIntegrationByKey(r.config, 'short'), null);
  });

  test('no integrations section: an empty list', () => {
    const r = parseConfigText(file('  []\n'), {});
    assert.ok(r.ok);
    assert.deepEqual(r.config.integrations, []);
  });

  test('the example config has a database integration with a 32-character default key', () => {
    const r = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    assert.ok(r.ok);
    const [integration] = r.config.integrations;
    assert.equal(integration.type, 'events_v2');
    assert.equal(integration.service, 'database');
    assert.equal(integration.key.length, 32);
    const custom = loadConfigFile(EXAMPLE_CONFIG_PATH, { FIREBREAK_EVENTS_KEY: KEY_B });
    assert.ok(custom.ok);
    assert.equal(custom.config.integrations[0].key, KEY_B);
  });

  test('unknown service, duplicate id, duplicate key, bad key length, unknown type: each at its path, keys never echoed', () => {
    const issues = issuesOf(
      file(
        [
          `  - { id: one, name: One, type: events_v2, key: ${KEY_A}, service: ghost }`,
          `  - { id: one, name: Two, type: events_v2, key: ${KEY_A}, service: api }`,
          `  - { id: three, name: Three, type: events_v2, key: shortkey, service: api }`,
          `  - { id: four, name: Four, type: opsgenie, key: ${KEY_B}, service: api }`,
          `  - { id: five, name: Five, type: events_v2, key: ${KEY_B}, service: api, severity: { critical: P9 } }`,
          `  - { id: six, name: Six, type: events_v2, key: ${'c'.repeat(129)} }`,
        ].join('\n') + '\n',
      ),
    );
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('integrations[0].service') ?? '', /unknown service "ghost"/);
    assert.match(byPath.get('integrations[1].id') ?? '', /duplicate integration id "one"/);
    assert.match(byPath.get('integrations[1].key') ?? '', /duplicate integration key/);
    assert.match(byPath.get('integrations[2].key') ?? '', /at least 16/);
    assert.ok(byPath.has('integrations[3].type'));
    assert.ok(byPath.has('integrations[4].severity.critical'));
    assert.match(byPath.get('integrations[5].key') ?? '', /at most 128/);
    assert.ok(byPath.has('integrations[5].service'), 'service is required');
    for (const i of issues) assert.ok(i.line, `${i.path} has a line`);
    const text = JSON.stringify(issues);
    for (const secret of [KEY_A, KEY_B, 'shortkey', 'c'.repeat(129)]) assert.ok(!text.includes(secret), `an issue repeats a key: ${text}`);
  });
});
