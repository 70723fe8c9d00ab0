import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import { serviceObjectives } from '../../src/modules/recovery/index.ts';
import { type TestApp, type TestEnv, useTestApp } from '../helpers/env.ts';
import { patchedConfig } from '../statuspage/statuspage-kit.ts';

const MIN = 60_000;

describe('recovery objectives', () => {
  let env: TestEnv;
  let t: TestApp;
  useTestApp('sqlite', import.meta.url, (e, a) => ((env = e), (t = a)), {
    configure: (e) =>
      (e.config.current = patchedConfig((doc) => {
        doc.recovery = { rto: { p2: '2h' }, rpo: { analytical: '30m' } };
        const reporting = doc.services.find((s: { id: string }) => s.id === 'reporting');
        reporting.recovery = { data_class: 'analytical' };
        const database = doc.services.find((s: { id: string }) => s.id === 'database');
        database.recovery = { rto: '10m', rpo: '30s' };
      })),
  });

  test("the plan's defaults per tier and data class, the organisation's overrides, and a service's own", () => {
    const c = env.config.current;
    assert.deepEqual(serviceObjectives(c, 'database'), { service: 'database', tier: 'p0', data_class: 'transactional', rto_ms: 10 * MIN, rpo_ms: 30_000, rto_source: 'service', rpo_source: 'service' });
    assert.deepEqual(serviceObjectives(c, 'api'), { service: 'api', tier: 'p0', data_class: 'transactional', rto_ms: 15 * MIN, rpo_ms: MIN, rto_source: 'tier', rpo_source: 'data_class' });
    const reporting = serviceObjectives(c, 'reporting');
    assert.equal(reporting.data_class, 'analytical');
    assert.equal(reporting.rpo_ms, 30 * MIN, 'the organisation overrides the plan for analytical data');
    const p2 = c.services.find((s) => s.tier === 'p2');
    if (p2 && !p2.recovery) assert.equal(serviceObjectives(c, p2.id).rto_ms, 2 * 60 * MIN);
    assert.equal(c.recovery.rto.p3, 24 * 60 * MIN);
    assert.equal(c.recovery.rpo.static, 24 * 60 * MIN);
    assert.throws(() => serviceObjectives(c, 'nope'), { code: 'NOT_FOUND' });
  });

  test('GET /api/v1/recovery/objectives lists every service in seconds; viewers may read, nobody else', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/recovery/objectives', headers: t.auth.viewer });
    assert.equal(res.statusCode, 200, res.body);
    const rows = res.json().data as { service: string; rto_seconds: number; rpo_seconds: number; rto_source: string }[];
    assert.equal(rows.length, env.config.current.services.length);
    assert.deepEqual(rows.find((r) => r.service === 'database'), { service: 'database', tier: 'p0', data_class: 'transactional', rto_source: 'service', rpo_source: 'service', rto_seconds: 600, rpo_seconds: 30 });
    assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/recovery/objectives' })).statusCode, 401);
  });

  test('bad objectives are config errors at their paths', () => {
    const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
    doc.recovery = { rto: { p5: '1h' }, rpo: { transactional: 'soon' } };
    doc.services[0].recovery = { data_class: 'precious' };
    const result = parseConfigText(stringify(doc), {});
    assert.equal(result.ok, false);
    const paths = (result.ok ? [] : result.issues).map((i) => i.path);
    assert.ok(paths.includes('recovery.rto.p5'), JSON.stringify(paths));
    assert.ok(paths.includes('recovery.rpo.transactional'), JSON.stringify(paths));
    assert.ok(paths.includes('services[0].recovery.data_class'), JSON.stringify(paths));
  });
});
