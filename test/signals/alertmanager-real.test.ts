import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/http/build-app.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { startAlertmanager, waitFor, type ChildServer } from '../helpers/processes.ts';
import { EXAMPLE_AM_KEY, EXAMPLE_AM_URL } from './receiver-kit.ts';

/*
 * Conformance with a real Prometheus Alertmanager, not a hand-written payload: Alertmanager
 * groups the alerts we give it and posts its own webhooks to Firebreak, firing and then resolved.
 * SQLite only: what is checked here is the webhook contract, which does not depend on the engine
 * (the receiver's own suite runs every case on both).
 */
const BINARY = process.env.FIREBREAK_ALERTMANAGER_BIN ?? '/usr/bin/prometheus-alertmanager';
/** CI sets this so a missing binary fails the run instead of skipping the test. */
const REQUIRED = process.env.FIREBREAK_REQUIRE_ALERTMANAGER === '1';
const missing = existsSync(BINARY) ? null : `Alertmanager conformance SKIPPED: ${BINARY} not found (apt-get install prometheus-alertmanager)`;
if (missing && REQUIRED) throw new Error(`FIREBREAK_REQUIRE_ALERTMANAGER=1 but ${BINARY} is missing`);

const INTEGRATION = 'prometheus';
const PER_SERVICE = 20;

interface PostedAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt?: string;
  generatorURL: string;
}

describe('a real Prometheus Alertmanager posting to Firebreak [sqlite]', { skip: missing ?? false }, () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let dir: string;
  let am: ChildServer | undefined;
  const startedAt = new Date(Date.now() - 5 * 60_000);
  // Two services, two alert names: Alertmanager makes two groups (group_by alertname, service).
  // Neither service depends on the other, so dependency correlation keeps their incidents apart.
  const alerts: PostedAlert[] = Array.from({ length: 2 * PER_SERVICE }, (_, i) => {
    const service = i % 2 ? 'docs' : 'checkout';
    const n = Math.floor(i / 2);
    return {
      labels: { alertname: service === 'checkout' ? 'HighErrorRate' : 'HelpCentreDown', service, severity: n % 3 ? 'warning' : 'critical', instance: `${service}-${n}:9100`, job: service },
      annotations: { summary: `${service} problem on instance ${n} <b>&amp; "quoted"</b>`, runbook_url: `https://runbooks.example.org/${service}` },
      startsAt: new Date(startedAt.getTime() + n * 1000).toISOString(),
      generatorURL: `http://prometheus.example.org:9090/graph?g0.expr=up%7Bjob%3D%22${service}%22%7D+%3D%3D+0&g0.tab=1&n=${n}`,
    };
  });

  const firebreakAlerts = () => env.db.kysely.selectFrom('alerts').selectAll().where('integration_id', '=', INTEGRATION).execute();
  const postToAlertmanager = async (body: PostedAlert[]) => {
    const res = await fetch(`${am!.url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.equal(res.status, 200, await res.text());
  };

  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url, { seedUsers: false });
    // Alertmanager stamps alerts with the real time, so Firebreak runs on the real clock here.
    ({ app } = await buildApp({ db: env.db, config: env.config, clock: systemClock, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), version: 'test' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port: fbPort } = app.server.address() as { port: number };

    dir = mkdtempSync(join(tmpdir(), 'firebreak-am-'));
    const config = join(dir, 'alertmanager.yml');
    writeFileSync(
      config,
      `route:
  receiver: firebreak
  group_by: ['alertname', 'service']
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: firebreak
    webhook_configs:
      - url: http://127.0.0.1:${fbPort}${EXAMPLE_AM_URL}
        send_resolved: true
        http_config:
          authorization:
            credentials: ${EXAMPLE_AM_KEY}
`,
    );
    am = await startAlertmanager({ binary: BINARY, configFile: config, storageDir: join(dir, 'data') });
  });

  after(async () => {
    await am?.stop(5000);
    await app?.close();
    await env?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('firing: every alert arrives with its fingerprint as the key, one incident per service, labels and times kept', async () => {
    await postToAlertmanager(alerts);
    // Alertmanager's own view: the fingerprint it computed for each alert.
    const amView = (await (await fetch(`${am!.url}/api/v2/alerts`)).json()) as { fingerprint: string; labels: Record<string, string> }[];
    assert.equal(amView.length, alerts.length, JSON.stringify(amView).slice(0, 500));
    const fingerprintOf = new Map(amView.map((a) => [a.labels.instance, a.fingerprint]));

    const stored = await waitFor(`${alerts.length} alerts in Firebreak (Alertmanager log: ${am!.output()})`, async () => {
      const rows = await firebreakAlerts();
      return rows.length >= alerts.length ? rows : undefined;
    });
    assert.equal(stored.length, alerts.length, 'one alert per Alertmanager alert, no duplicates');
    const byKey = new Map(stored.map((a) => [a.dedup_key, a]));
    for (const sent of alerts) {
      const fp = fingerprintOf.get(sent.labels.instance)!;
      assert.match(fp, /^[0-9a-f]{16}$/);
      const alert = byKey.get(fp);
      assert.ok(alert, `alert ${sent.labels.instance} (fingerprint ${fp}) is in Firebreak`);
      assert.equal(alert.status, 'triggered');
      assert.equal(alert.service_id, sent.labels.service, 'the service label picks the service');
      assert.equal(alert.severity, sent.labels.severity);
      assert.equal(alert.summary, sent.annotations.summary, 'the summary annotation, verbatim');
      assert.equal(alert.source, sent.labels.instance, 'the instance label is the source');
      assert.equal(alert.detected_at, Date.parse(sent.startsAt), 'startsAt is the detection time');
      const details = JSON.parse(alert.details);
      assert.deepEqual(details.labels, sent.labels);
      assert.deepEqual(details.annotations, sent.annotations);
      assert.equal(Date.parse(details.startsAt), Date.parse(sent.startsAt));
      assert.equal(details.endsAt, null, 'firing alerts have no end');
      assert.equal(details.generatorURL, sent.generatorURL);
      assert.equal(details.fingerprint, fp);
      assert.equal(details.receiver, 'firebreak');
      assert.match(details.groupKey, new RegExp(`alertname="${sent.labels.alertname}".*service="${sent.labels.service}"`));
    }

    // Grouping: one incident per service, holding exactly that service's alerts.
    const incidentOf = new Map<string, Set<string | null>>();
    for (const a of stored) incidentOf.set(a.service_id, (incidentOf.get(a.service_id) ?? new Set()).add(a.incident_id));
    assert.deepEqual([...incidentOf.keys()].sort(), ['checkout', 'docs']);
    const [checkoutIncident] = incidentOf.get('checkout')!;
    const [docsIncident] = incidentOf.get('docs')!;
    assert.equal(incidentOf.get('checkout')!.size, 1, 'all checkout alerts on one incident');
    assert.equal(incidentOf.get('docs')!.size, 1, 'all docs alerts on one incident');
    assert.ok(checkoutIncident && docsIncident && checkoutIncident !== docsIncident, `incidents ${checkoutIncident} and ${docsIncident}`);
    const services = await env.db.kysely.selectFrom('incident_services').select(['incident_id', 'service_id']).where('incident_id', 'in', [checkoutIncident, docsIncident]).execute();
    assert.deepEqual(services.map((s) => `${s.incident_id === checkoutIncident ? 'A' : 'B'}:${s.service_id}`).sort(), ['A:checkout', 'B:docs']);

    // What Alertmanager sent is kept as the signal: webhook version 4, one notification per group.
    const signals = await env.db.kysely.selectFrom('signals').selectAll().where('integration_id', '=', INTEGRATION).execute();
    assert.ok(signals.length >= 2, `${signals.length} notifications`);
    for (const s of signals) {
      const body = JSON.parse(s.payload);
      assert.equal(body.version, '4');
      assert.equal(body.receiver, 'firebreak');
      assert.equal(s.dedup_key, body.groupKey);
      assert.ok(!s.payload.includes(EXAMPLE_AM_KEY), 'the key is never stored');
    }
  });

  test('resolved: the same alerts with endsAt in the past are resolved in Firebreak (send_resolved)', async () => {
    const endsAt = new Date(Date.now() - 1000).toISOString();
    await postToAlertmanager(alerts.map((a) => ({ ...a, endsAt })));
    const stored = await waitFor(`all alerts resolved in Firebreak (Alertmanager log: ${am!.output()})`, async () => {
      const rows = await firebreakAlerts();
      return rows.every((a) => a.status === 'resolved') ? rows : undefined;
    });
    assert.equal(stored.length, alerts.length, 'resolving opened nothing new');
    for (const a of stored) assert.ok(a.resolved_at !== null && a.resolved_at >= Date.parse(endsAt) - 60_000, `resolved_at ${a.resolved_at}`);
    const timeline = await env.db.kysely.selectFrom('incident_timeline').select('kind').where('kind', '=', 'alert_resolved').execute();
    assert.equal(timeline.length, alerts.length, 'one alert_resolved entry per alert');
    const resolvedSignals = await env.db.kysely.selectFrom('signals').select('event_action').where('integration_id', '=', INTEGRATION).where('event_action', '=', 'resolved').execute();
    assert.ok(resolvedSignals.length >= 2, 'a resolved notification per group');
  });
});
