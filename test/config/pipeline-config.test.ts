import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { file, issuesOf } from './integration-fixtures.ts';

const INTEGRATIONS = `  - id: pd
    name: PD
    type: events_v2
    key: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
    service: database
    auto_resolve: { quiet_period: 5m }`;

describe('config: classification, correlation, flapping, ingest', () => {
  test('the example config: rules, impact thresholds, duration rules, auto-resolve; defaults for the rest', () => {
    const loaded = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    assert.ok(loaded.ok);
    const { classification, correlation, flapping, ingest, integrations } = loaded.config;
    assert.deepEqual(classification.rules.map((r) => r.name), ['security', 'critical-where-most-users-notice']);
    assert.deepEqual(classification.impact_thresholds, { P0: 80, P1: 60, P2: 35 });
    assert.deepEqual(classification.duration_rules[0], { severity: 'P2', open_for: 30 * 60_000, raise_to: 'P1' });
    assert.deepEqual(correlation, { dependencies: true, renotify_acknowledged: false });
    assert.deepEqual(flapping, { changes: 6, window: 30 * 60_000 });
    assert.deepEqual(ingest, { wait_for_processing: 50, signal_retention: 30 * 24 * 3_600_000 });
    assert.deepEqual(integrations.find((i) => i.id === 'prometheus')!.auto_resolve, { quiet_period: 10 * 60_000 });
  });

  test('every pipeline section parses with its units', () => {
    const r = parseConfigText(
      `${file(INTEGRATIONS)}
classification:
  rules:
    - name: r1
      match: { service: [database, api], integration: pd, source: "db-.*", severity: critical, labels: { env: "prod|staging" }, impact: { min_score: 50, tier: p0 } }
      severity: impact
  impact_thresholds: { P0: 90, P1: 70, P2: 40 }
  duration_rules: [{ severity: P3, open_for: 2h, raise_to: P1 }]
correlation: { group_window: 45m, dependencies: false, renotify_acknowledged: true }
flapping: { changes: 3, window: 10m }
ingest: { wait_for_processing: 0ms, signal_retention: 7d }
`,
      {},
    );
    assert.ok(r.ok, JSON.stringify(!r.ok && r.issues));
    assert.deepEqual(r.config.classification.rules[0].match.service, ['database', 'api']);
    assert.deepEqual(r.config.classification.rules[0].match.integration, ['pd']);
    assert.deepEqual(r.config.correlation, { group_window: 45 * 60_000, dependencies: false, renotify_acknowledged: true });
    assert.equal(r.config.ingest.wait_for_processing, 0);
    assert.equal(r.config.ingest.signal_retention, 7 * 24 * 3_600_000);
    assert.deepEqual(r.config.integrations[0].auto_resolve, { quiet_period: 5 * 60_000 });
  });

  test('bad rules are refused at their paths: unknown service or integration, bad regex, duration rules that lower or repeat', () => {
    const issues = issuesOf(`${file(INTEGRATIONS)}
classification:
  rules:
    - name: r1
      match: { service: [database, nope], integration: ghost, source: "(" }
      severity: P9
  impact_thresholds: { P0: 10, P1: 70 }
  duration_rules:
    - { severity: P1, open_for: 30m, raise_to: P2 }
    - { severity: P3, open_for: 1h, raise_to: P2 }
    - { severity: P3, open_for: 2h, raise_to: P1 }
flapping: { changes: 1 }
ingest: { signal_retention: 10m }
`);
    const at = (path: string) => issues.filter((i) => i.path === path).map((i) => i.message).join(' | ');
    assert.match(at('classification.rules[0].match.service[1]'), /unknown service "nope"/);
    assert.match(at('classification.rules[0].match.integration'), /unknown integration "ghost"/);
    assert.match(at('classification.rules[0].match.source'), /bad regular expression/);
    assert.ok(at('classification.rules[0].severity'), JSON.stringify(issues));
    assert.match(at('classification.impact_thresholds'), /must not increase/);
    assert.match(at('classification.duration_rules[0].raise_to'), /more severe/);
    assert.match(at('classification.duration_rules[2].severity'), /a second duration rule for P3/);
    assert.ok(at('flapping.changes'), JSON.stringify(issues));
    assert.match(at('ingest.signal_retention'), /at least 1h/);
    for (const i of issues) assert.ok(i.line === undefined || i.line > 0);
  });
});
