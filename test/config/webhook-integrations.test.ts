import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, loadConfigFile, parseConfigText } from '../../src/config/load.ts';
import { getAtPath, parsePath } from '../../src/lib/json-path.ts';
import { redactKeyInUrl } from '../../src/lib/logger.ts';
import { file, issuesOf, KEY_A, KEY_B } from './integration-fixtures.ts';

const generic = (extra = '', mapping = 'summary: title\n      dedup_key: id\n      status: state') =>
  file(`  - id: hook\n    name: Hook\n    type: generic\n    key: ${KEY_A}\n    service: api\n    mapping:\n      ${mapping}\n${extra}`);

describe('config: grafana and generic integrations', () => {
  test('grafana: the alertmanager settings and defaults', () => {
    const r = parseConfigText(file(`  - id: graf\n    name: Grafana\n    type: grafana\n    key: ${KEY_A}\n    service: api\n    severity: { page: P0 }\n`), {});
    assert.ok(r.ok, JSON.stringify(r));
    assert.deepEqual(r.config.integrations, [
      {
        id: 'graf',
        name: 'Grafana',
        type: 'grafana',
        key: KEY_A,
        rate_limit: { per_minute: 6000 },
        service: 'api',
        service_label: 'service',
        severity_label: 'severity',
        severity: { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3', default: 'P3', page: 'P0' },
      },
    ]);
  });

  test('generic: parsed paths, default status values and severity map', () => {
    const r = parseConfigText(generic(`    parse_json: ['Records[0].Sns.Message']\n`, `summary: Records[0].Sns.Message.AlarmName\n      dedup_key: alert.id\n      status: alert.state\n      service: alert.labels.service`), {});
    assert.ok(r.ok, JSON.stringify(r));
    const [integration] = r.config.integrations;
    assert.equal(integration.type, 'generic');
    if (integration.type !== 'generic') return;
    assert.deepEqual(integration.mapping.summary, { path: 'Records[0].Sns.Message.AlarmName', segments: ['Records', 0, 'Sns', 'Message', 'AlarmName'] });
    assert.deepEqual(integration.mapping.service?.segments, ['alert', 'labels', 'service']);
    assert.equal(integration.mapping.severity, undefined);
    assert.deepEqual(integration.parse_json, [{ path: 'Records[0].Sns.Message', segments: ['Records', 0, 'Sns', 'Message'] }]);
    assert.deepEqual(integration.status_values, {
      firing: ['firing', 'alert', 'triggered', 'down', 'ALARM', 'trigger'],
      resolved: ['resolved', 'ok', 'OK', 'up', 'recovered', 'resolve'],
    });
    assert.deepEqual(integration.severity, { critical: 'P1', error: 'P2', warning: 'P3', info: 'P3', default: 'P3' });
  });

  test('generic: bad paths, prototype segments, missing mapping fields, clashing status values: each at its path', () => {
    const issues = issuesOf(
      file(
        [
          `  - { id: one, name: One, type: generic, key: ${KEY_A}, service: api, mapping: { summary: "a..b", dedup_key: "__proto__.x", status: "a[x]" } }`,
          `  - { id: two, name: Two, type: generic, key: ${KEY_B}, service: ghost, mapping: { summary: "a.constructor", dedup_key: "x.prototype", status: "" } }`,
          `  - { id: three, name: Three, type: generic, key: cccccccccccccccccccc, service: api, mapping: { summary: s, dedup_key: d } }`,
          `  - { id: four, name: Four, type: generic, key: dddddddddddddddddddd, service: api, mapping: { summary: s, dedup_key: d, status: st, url: u }, parse_json: ["a b"] }`,
          `  - { id: five, name: Five, type: generic, key: eeeeeeeeeeeeeeeeeeee, service: api, mapping: { summary: s, dedup_key: d, status: st }, status_values: { firing: [down], resolved: [up, down] }, severity: { high: P9 } }`,
        ].join('\n') + '\n',
      ),
    );
    const byPath = new Map(issues.map((i) => [i.path, i.message]));
    assert.match(byPath.get('integrations[0].mapping.summary') ?? '', /bad path/);
    assert.match(byPath.get('integrations[0].mapping.dedup_key') ?? '', /"__proto__" is not allowed/);
    assert.match(byPath.get('integrations[0].mapping.status') ?? '', /bad path/);
    assert.match(byPath.get('integrations[1].mapping.summary') ?? '', /"constructor" is not allowed/);
    assert.match(byPath.get('integrations[1].mapping.dedup_key') ?? '', /"prototype" is not allowed/);
    assert.match(byPath.get('integrations[1].mapping.status') ?? '', /must not be empty/);
    assert.match(byPath.get('integrations[1].service') ?? '', /unknown service "ghost"/);
    assert.ok(byPath.has('integrations[2].mapping.status'), JSON.stringify(issues));
    assert.ok([...byPath.keys()].some((p) => p.startsWith('integrations[3].mapping')), JSON.stringify(issues));
    assert.match(byPath.get('integrations[3].parse_json[0]') ?? '', /bad path/);
    assert.match(byPath.get('integrations[4].status_values.resolved[1]') ?? '', /"down" is both a firing and a resolved value/);
    assert.ok(byPath.has('integrations[4].severity.high'), JSON.stringify(issues));
    const text = JSON.stringify(issues);
    for (const secret of [KEY_A, KEY_B, 'cccccccccccccccccccc', 'dddddddddddddddddddd', 'eeeeeeeeeeeeeeeeeeee']) assert.ok(!text.includes(secret), `an issue repeats a key: ${text}`);
  });

  test('a generic key shared with another integration is a duplicate key', () => {
    const issues = issuesOf(file(`  - { id: one, name: One, type: grafana, key: ${KEY_A}, service: api }\n  - { id: two, name: Two, type: generic, key: ${KEY_A}, service: api, mapping: { summary: s, dedup_key: d, status: st } }\n`));
    assert.match(issues.find((i) => i.path === 'integrations[1].key')?.message ?? '', /duplicate integration key/);
  });

  test('the example config has a grafana and a generic integration with keys from the environment', () => {
    const r = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
    assert.ok(r.ok, JSON.stringify(r));
    const grafana = r.config.integrations.find((i) => i.type === 'grafana');
    const hook = r.config.integrations.find((i) => i.type === 'generic');
    assert.equal(grafana?.key.length, 32);
    assert.equal(hook?.key.length, 32);
    const custom = loadConfigFile(EXAMPLE_CONFIG_PATH, { FIREBREAK_GRAFANA_KEY: KEY_A, FIREBREAK_DATADOG_KEY: KEY_B });
    assert.ok(custom.ok);
    assert.equal(custom.config.integrations.find((i) => i.type === 'grafana')?.key, KEY_A);
    assert.equal(custom.config.integrations.find((i) => i.type === 'generic')?.key, KEY_B);
  });
});

describe('json paths', () => {
  test('names, indexes, own properties only', () => {
    assert.deepEqual(parsePath('Records[0].Sns.Message'), ['Records', 0, 'Sns', 'Message']);
    assert.deepEqual(parsePath('[2].a'), [2, 'a']);
    assert.deepEqual(parsePath('a[0][1]'), ['a', 0, 1]);
    assert.deepEqual(parsePath('evt-type:x'), ['evt-type:x']);
    for (const bad of ['', 'a.', '.a', 'a..b', 'a.[0]', 'a[-1]', 'a b', 'a["b"]', 'a[0]b', 'toString.__proto__', 'x'.repeat(300)]) {
      assert.throws(() => parsePath(bad), Error, bad);
    }
    const doc = { a: { b: [10, { c: 'x' }] }, n: null };
    assert.equal(getAtPath(doc, parsePath('a.b[1].c')), 'x');
    assert.equal(getAtPath(doc, parsePath('a.b[5]')), undefined);
    assert.equal(getAtPath(doc, parsePath('a.b.c')), undefined);
    assert.equal(getAtPath(doc, parsePath('n.x')), undefined);
    assert.equal(getAtPath(doc, parsePath('a.toString')), undefined, 'inherited properties are not reached');
    assert.equal(getAtPath(doc, parsePath('a.b.length')), undefined, 'array properties are not names');
  });

  test('request logs never carry a key query parameter', () => {
    assert.equal(redactKeyInUrl('/api/v1/integrations/x/webhook?key=secret&a=1'), '/api/v1/integrations/x/webhook?key=[redacted]&a=1');
    assert.equal(redactKeyInUrl('/x?a=1&KEY=secret'), '/x?a=1&KEY=[redacted]');
    assert.equal(redactKeyInUrl('/x?k%65y=secret'), '/x?k%65y=[redacted]');
    assert.equal(redactKeyInUrl('/ical/schedules/db.ics?token=secret'), '/ical/schedules/db.ics?token=[redacted]');
    assert.equal(redactKeyInUrl('/a/eyJpIjoi.c2lnbmF0dXJl?x=1'), '/a/[redacted]?x=1');
    assert.equal(redactKeyInUrl('/x?key'), '/x?key=[redacted]');
    assert.equal(redactKeyInUrl('/x?monkey=1'), '/x?monkey=1');
    assert.equal(redactKeyInUrl('/x'), '/x');
    assert.equal(redactKeyInUrl('/ping/secret-ping-key/start?rid=1'), '/ping/[redacted]/start?rid=1');
    assert.equal(redactKeyInUrl('/PING/secret-ping-key'), '/PING/[redacted]');
    assert.equal(redactKeyInUrl('/api/v1/monitors/ping/x'), '/api/v1/monitors/ping/x');
  });
});
