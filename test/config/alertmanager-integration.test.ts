import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { file, issuesOf, KEY_A, KEY_B } from './integration-fixtures.ts';
import { findIntegrationByKey, integrationKeyMatches } from '../../src/modules/signals/index.ts';

describe('config: alertmanager integrations', () => {
  test('defaults: service and severity labels, severity map with default P3', () => {
    const r = parseConfigText(file(`  - id: prom\n    name: Prometheus\n    type: alertmanager\n    key: \${AM_KEY}\n    service: api\n`), { AM_KEY: KEY_A });
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.integrations, [
      {
        id: 'prom',
        name: 'Prometheus',
        type: 'alertmanager',
        key: KEY_A,
        rate_limit: { per_minute: 6000 },
        service: 'api',
        service_label: 'service',
        severity_label: 'severity',
        severity: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3', default: 'P3' },
      },
    ]);
    const [integration] = r.config.integrations;
    assert.ok(integrationKeyMatches(integration, KEY_A));
    assert.ok(!integrationKeyMatches(integration, KEY_B));
    assert.equal(findIntegrationByKey(r.config, KEY_A), null, 'an Alertmanager key is not an Events API routing key');
  });

  test('custom labels and a severity map over the defaults', () => {
    const r = parseConfigText(
      file(`  - id: prom\n    name: Prometheus\n    type: alertmanager\n    key: ${KEY_A}\n    service: api\n    service_label: component\n    severity_label: priority\n    severity:\n      page: P0\n      critical: P0\n      default: P2\n`),
      {},
    );
    assert.ok(r.ok, JSON.stringify(r));
    const [integration] = r.config.integrations;
    assert.equal(integration.type, 'alertmanager');
    if (integration.type !== 'alertmanager') return;
    assert.equal(integration.service_label, 'component');
    assert.equal(integration.severity_label, 'priority');
    assert.deepEqual(integration.severity, { critical: 'P0', error: 'P2', warning: 'P3', info: 'P3', default: 'P2', page: 'P0' });
  });

  test('the example config has an alertmanager integration with a 32-character default key from the environment', () => {
    const r = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    assert.ok(r.ok);
    const integration = r.config.integrations.find((i) => i.type === 'alertmanager');
    assert.ok(integration);
    assert.equal(integration.key.length, 32);
    const custom = loadConfigFile(EXAMPLE_CONFIG_PATH, { FIREBREAK_ALERTMANAGER_KEY: KEY_B });
    assert.ok(custom.ok);
    assert.equal(custom.config.integrations.find((i) => i.type === 'alertmanager')?.key, KEY_B);
  });

  test('unknown service, bad label name, bad severity, unknown field, key shared with events_v2: each at its path, keys never echoed', () => {
    const issues = issuesOf(
      file(
        [
          `  - { id: one, name: One, type: alertmanager, key: ${KEY_A}, service: ghost }`,
          `  - { id: two, name: Two, type: alertmanager, key: ${KEY_B}, service: api, service_label: "not a label" }`,
          `  - { id: three, name: Three, type: alertmanager, key: cccccccccccccccccccc, service: api, severity: { critical: P9 } }`,
          `  - { id: four, name: Four, type: alertmanager, key: dddddddddddddddddddd, service: api, routing: x }`,
          `  - { id: five, name: Five, type: events_v2, key: ${KEY_A}, service: api }`,
        ].join('\n') + '\n',
      ),
    );
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('integrations[0].service') ?? '', /unknown service "ghost"/);
    assert.match(byPath.get('integrations[1].service_label') ?? '', /label name/);
    assert.ok(byPath.has('integrations[2].severity.critical'), JSON.stringify(issues));
    assert.ok([...byPath.keys()].some((p) => p.startsWith('integrations[3]')), JSON.stringify(issues));
    assert.match(byPath.get('integrations[4].key') ?? '', /duplicate integration key/);
    const text = JSON.stringify(issues);
    for (const secret of [KEY_A, KEY_B, 'cccccccccccccccccccc', 'dddddddddddddddddddd']) assert.ok(!text.includes(secret), `an issue repeats a key: ${text}`);
  });
});
