import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { configWithMonitors, monitorConfigIssues } from './monitor-kit.ts';

const http = { id: 'site', service: 'web', type: 'http', url: 'https://example.com/' };

describe('monitors in firebreak.yaml', () => {
  test('defaults: 30 s interval, 10 s timeout, confirm 3 down / 2 up, GET expecting 200–399, P2', () => {
    const [m] = configWithMonitors([http]).monitors;
    assert.equal(m.type, 'http');
    if (m.type !== 'http') return;
    assert.equal(m.interval, 30_000);
    assert.equal(m.timeout, 10_000);
    assert.deepEqual(m.confirm, { down: 3, up: 2 });
    assert.equal(m.method, 'GET');
    assert.deepEqual(m.expect.status, ['200-399']);
    assert.equal(m.severity, 'P2');
    assert.equal(m.name, 'site');
    // A short interval gets a timeout below it.
    const [fast] = configWithMonitors([{ ...http, interval: '5s' }]).monitors;
    assert.equal(fast.type === 'http' && fast.timeout, 4000);
  });

  test('every error names the monitor and the field', () => {
    const cases: [unknown[], string, RegExp][] = [
      [[{ ...http, service: 'nope' }], 'monitors[0].service', /unknown service "nope"/],
      [[{ ...http, timeout: '30s' }], 'monitors[0].timeout', /below the interval/],
      [[http, http], 'monitors[1].id', /duplicate monitor id "site"/],
      [[{ ...http, id: 'scheduler' }], 'monitors[0].id', /reserved/],
      [[{ ...http, depends_on: ['ghost'] }], 'monitors[0].depends_on[0]', /unknown monitor "ghost"/],
      [[{ ...http, depends_on: ['site'] }], 'monitors[0].depends_on[0]', /cannot depend on itself/],
      [[{ ...http, id: 'a', depends_on: ['b'] }, { ...http, id: 'b', depends_on: ['a'] }], 'monitors[0].depends_on', /dependency cycle: a → b → a/],
      [[{ ...http, url: 'ftp://example.com' }], 'monitors[0].url', /./],
      [[{ ...http, expect: { body_matches: '(' } }], 'monitors[0].expect.body_matches', /invalid regular expression/],
      [[{ ...http, expect: { json: ['$.status = "ok"'] } }], 'monitors[0].expect.json[0]', /cannot read/],
      [[{ ...http, expect: { json: ['$.count > "3"'] } }], 'monitors[0].expect.json[0]', /compares numbers/],
      [[{ ...http, expect: { status: ['2xxx'] } }], 'monitors[0].expect.status[0]', /./],
      [[{ ...http, interval: '500ms' }], 'monitors[0].interval', /at least 1s/],
      [[{ ...http, colour: 'red' }], 'monitors[0].colour', /unknown key/],
      [[{ id: 'tls', service: 'web', type: 'tls', host: 'example.com', warn_days: 5, critical_days: 10 }], 'monitors[0].critical_days', /not be more than warn_days/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'short' }], 'monitors[0].key', /16–128/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'k'.repeat(20) }], 'monitors[0].period', /either period or cron/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'k'.repeat(20), period: '1h', cron: '0 3 * * *' }], 'monitors[0].cron', /either period or cron/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'k'.repeat(20), cron: '61 3 * * *' }], 'monitors[0].cron', /minute/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'k'.repeat(20), cron: '0 3 * * *', time_zone: 'Mars/Olympus' }], 'monitors[0].time_zone', /unknown IANA time zone/],
      [[{ id: 'hb', service: 'web', type: 'heartbeat', key: 'k'.repeat(20), period: '1h' }, { id: 'hb2', service: 'web', type: 'heartbeat', key: 'k'.repeat(20), period: '1h' }], 'monitors[1].key', /duplicate heartbeat key/],
      [[{ id: 'd', service: 'web', type: 'dns', query: 'example.com', record_type: 'ZZ' }], 'monitors[0].record_type', /./],
      [[{ id: 'x', service: 'web', type: 'smtp' }], 'monitors[0].type', /./],
    ];
    for (const [monitors, path, message] of cases) {
      const issues = monitorConfigIssues(monitors);
      const hit = issues.find((i) => i.path === path && message.test(i.message));
      assert.ok(hit, `${path} ${message}: got ${JSON.stringify(issues)}`);
      assert.ok(hit.line, 'located in the file');
    }
  });

  test('a heartbeat key never appears in an error message', () => {
    const key = 'sEcReT-ping-key-0123456789';
    const issues = monitorConfigIssues([
      { id: 'a', service: 'web', type: 'heartbeat', key, period: '1h' },
      { id: 'b', service: 'web', type: 'heartbeat', key, period: '1h' },
    ]);
    assert.ok(issues.length);
    assert.ok(!JSON.stringify(issues).includes(key));
  });

  test('the integration id "monitors" is reserved for monitors\' own signals', () => {
    const issues = monitorConfigIssues([], { integrations: [{ id: 'monitors', name: 'M', type: 'events_v2', key: 'a'.repeat(32), service: 'web' }] });
    assert.ok(issues.some((i) => i.path === 'integrations[0].id' && /reserved/.test(i.message)), JSON.stringify(issues));
  });
});
