import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { createPublicIncident, postPublicUpdate, scheduleMaintenance, COMPONENT_STATUSES, IMPACTS, INCIDENT_STATUSES, MAINTENANCE_STATUSES, INDICATORS } from '../../src/modules/statuspage/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';

/** Field lists of Atlassian Statuspage's public v2 API (docs/status-page.md), exactly. */
const PAGE = ['id', 'name', 'url', 'time_zone', 'updated_at'];
const COMPONENT = ['id', 'name', 'status', 'created_at', 'updated_at', 'position', 'description', 'showcase', 'start_date', 'group_id', 'page_id', 'group', 'only_show_if_degraded'];
const INCIDENT = ['id', 'name', 'status', 'impact', 'created_at', 'updated_at', 'started_at', 'monitoring_at', 'resolved_at', 'shortlink', 'page_id', 'incident_updates', 'components'];
const MAINTENANCE = [...INCIDENT, 'scheduled_for', 'scheduled_until'];
const UPDATE = ['id', 'incident_id', 'status', 'body', 'created_at', 'updated_at', 'display_at', 'affected_components', 'deliver_notifications', 'custom_tweet', 'tweet_id'];
const ENDPOINTS: Record<string, string[]> = {
  'summary.json': ['page', 'components', 'incidents', 'scheduled_maintenances', 'status'],
  'status.json': ['page', 'status'],
  'components.json': ['page', 'components'],
  'incidents.json': ['page', 'incidents'],
  'incidents/unresolved.json': ['page', 'incidents'],
  'scheduled-maintenances.json': ['page', 'scheduled_maintenances'],
  'scheduled-maintenances/upcoming.json': ['page', 'scheduled_maintenances'],
  'scheduled-maintenances/active.json': ['page', 'scheduled_maintenances'],
};
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const keys = (o: object) => Object.keys(o).sort();
const isoOrNull = (v: unknown, what: string) => assert.ok(v === null || (typeof v === 'string' && ISO.test(v)), `${what}: ${String(v)}`);

function checkComponent(c: Record<string, unknown>) {
  assert.deepEqual(keys(c), [...COMPONENT, ...(c.group ? ['components'] : [])].sort());
  assert.ok((COMPONENT_STATUSES as readonly string[]).includes(c.status as string), String(c.status));
  assert.equal(typeof c.position, 'number');
  assert.equal(typeof c.showcase, 'boolean');
  assert.equal(typeof c.only_show_if_degraded, 'boolean');
  isoOrNull(c.created_at, 'created_at');
  if (c.group) assert.ok(Array.isArray(c.components));
}

function checkIncident(i: Record<string, any>, maintenance: boolean) {
  assert.deepEqual(keys(i), (maintenance ? MAINTENANCE : INCIDENT).slice().sort());
  assert.ok((maintenance ? (MAINTENANCE_STATUSES as readonly string[]) : (INCIDENT_STATUSES as readonly string[])).includes(i.status), i.status);
  assert.ok([...IMPACTS, 'maintenance'].includes(i.impact), i.impact);
  for (const f of ['created_at', 'updated_at', 'started_at', 'monitoring_at', 'resolved_at', ...(maintenance ? ['scheduled_for', 'scheduled_until'] : [])]) isoOrNull(i[f], f);
  assert.match(i.shortlink, /^http:\/\/localhost:8080\/status\/incidents\/[a-z0-9]+$/);
  for (const u of i.incident_updates) {
    assert.deepEqual(keys(u), UPDATE.slice().sort());
    assert.equal(u.incident_id, i.id);
    assert.equal(typeof u.deliver_notifications, 'boolean');
    if (u.affected_components !== null) for (const a of u.affected_components) assert.deepEqual(keys(a), ['code', 'name', 'new_status', 'old_status']);
  }
  for (const c of i.components) checkComponent(c);
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`Statuspage v2 API (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(dialect, import.meta.url, (e, a) => ((env = e), (t = a)), { app: { monitors: false } });
    const responder = () => env.ctx(env.users.responder.actor);
    const get = async (path: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `/api/v2/${path}`, headers });

    it('answers every endpoint with exactly the documented fields, types and vocabularies', async () => {
      const open = await createPublicIncident(responder(), { name: 'Slow API', body: 'Investigating.', components: { api: 'degraded_performance' } });
      await postPublicUpdate(responder(), open.id, { status: 'identified', body: 'Found it.' });
      const done = await createPublicIncident(responder(), { name: 'Old outage', body: 'Down.', components: { checkout: 'major_outage' } });
      await postPublicUpdate(responder(), done.id, { status: 'resolved', body: 'Fixed.' });
      await scheduleMaintenance(responder(), { name: 'DB upgrade', body: 'Short pause.', components: ['database'], time_zone: 'UTC', starts_at: '2026-06-02T01:00', ends_at: '2026-06-02T02:00' });
      await t.statusPage.changed();
      for (const [path, top] of Object.entries(ENDPOINTS)) {
        const res = await get(path);
        assert.equal(res.statusCode, 200, path);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        assert.equal(res.headers['access-control-allow-origin'], '*');
        const body = res.json();
        assert.deepEqual(keys(body), top.slice().sort(), path);
        assert.deepEqual(keys(body.page), PAGE.slice().sort());
        isoOrNull(body.page.updated_at, 'page.updated_at');
        if (body.status) {
          assert.ok((INDICATORS as readonly string[]).includes(body.status.indicator));
          assert.equal(typeof body.status.description, 'string');
        }
        for (const c of body.components ?? []) checkComponent(c);
        for (const i of body.incidents ?? []) checkIncident(i, false);
        for (const m of body.scheduled_maintenances ?? []) checkIncident(m, true);
      }
      const summary = (await get('summary.json')).json();
      assert.deepEqual(summary.incidents.map((i: { id: string }) => i.id), [open.id], 'summary: unresolved only');
      assert.equal(summary.status.indicator, 'minor');
      assert.equal(summary.incidents[0].incident_updates[0].status, 'identified', 'updates newest first');
      assert.deepEqual((await get('incidents/unresolved.json')).json().incidents.map((i: { id: string }) => i.id), [open.id]);
      assert.deepEqual((await get('incidents.json')).json().incidents.map((i: { id: string }) => i.id), [done.id, open.id].sort().reverse(), 'newest first');
      const groups = summary.components.filter((c: { group: boolean }) => c.group);
      assert.deepEqual(groups.map((g: { id: string; components: string[] }) => [g.id, g.components]), [['platform', ['api', 'sign-in', 'database', 'file-storage']]]);
    });

    it('keeps the 50 most recent incidents, and an older unresolved one still shows as unresolved', async () => {
      const oldest = await createPublicIncident(responder(), { name: 'Long-running', body: 'Still on it.' });
      for (let i = 0; i < 52; i++) {
        env.clock.advance(1000);
        const inc = await createPublicIncident(responder(), { name: `Blip ${i}`, body: 'Blip.' });
        await postPublicUpdate(responder(), inc.id, { status: 'resolved', body: 'Gone.' });
      }
      await t.statusPage.changed();
      const recent = (await get('incidents.json')).json().incidents;
      assert.equal(recent.length, 50);
      assert.equal(recent[0].name, 'Blip 51');
      assert.ok(!recent.some((i: { id: string }) => i.id === oldest.id));
      assert.ok((await get('incidents/unresolved.json')).json().incidents.some((i: { id: string }) => i.id === oldest.id));
    });

    it('serves from the cache with ETags and gzip, and invalidates on change', async () => {
      const first = await get('summary.json', { 'accept-encoding': 'gzip' });
      assert.equal(first.headers['content-encoding'], 'gzip');
      assert.deepEqual(JSON.parse(gunzipSync(first.rawPayload).toString()).page.name, 'MaintAInPro');
      const etag = String(first.headers.etag);
      assert.equal((await get('summary.json', { 'if-none-match': etag })).statusCode, 304);
      await createPublicIncident(responder(), { name: 'New thing', body: 'x' });
      await t.statusPage.changed();
      const changed = await get('summary.json', { 'if-none-match': etag });
      assert.equal(changed.statusCode, 200);
      assert.notEqual(changed.headers.etag, etag);
    });

    it('answers cached documents before routing, byte for byte and header for header as the routes do', async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(t.app.server.address() as import('node:net').AddressInfo).port}`;
      await createPublicIncident(responder(), { name: 'Fast path', body: 'Checking.', components: { api: 'partial_outage' } });
      await t.statusPage.changed();
      const served = async () => Number((await t.app.inject({ method: 'GET', url: '/metrics', headers: t.auth.admin })).body.match(/firebreak_status_page_cached_responses_total\{document="v2:summary.json"\} (\d+)/)?.[1] ?? 0);
      for (const [path, encoding] of [['/api/v2/summary.json', 'gzip'], ['/status', 'identity'], ['/status/history.atom', 'gzip']]) {
        // The first request renders through the route and fills the cache; the second is the fast path.
        const viaRoute = await fetch(`${base}${path}`, { headers: { 'accept-encoding': encoding } });
        const routeBody = Buffer.from(await viaRoute.arrayBuffer());
        const fast = await fetch(`${base}${path}`, { headers: { 'accept-encoding': encoding } });
        assert.equal(fast.status, 200);
        assert.deepEqual(Buffer.from(await fast.arrayBuffer()), routeBody, path);
        for (const h of ['content-type', 'etag', 'cache-control', 'vary', 'content-encoding', 'access-control-allow-origin', 'x-content-type-options']) assert.equal(fast.headers.get(h), viaRoute.headers.get(h), `${path} ${h}`);
        const notModified = await fetch(`${base}${path}`, { headers: { 'if-none-match': String(fast.headers.get('etag')) } });
        assert.equal(notModified.status, 304);
      }
      assert.ok((await served()) >= 1, 'summary.json was answered from memory');
      // A change drops the cache: the next answer is the new one, whichever path serves it.
      await createPublicIncident(responder(), { name: 'Second', body: 'x' });
      await t.statusPage.changed();
      const after = await (await fetch(`${base}/api/v2/incidents/unresolved.json`)).json();
      assert.ok(after.incidents.some((i: { name: string }) => i.name === 'Second'));
      // Query strings, other methods and unknown paths are not the fast path's.
      assert.equal((await fetch(`${base}/api/v2/summary.json?x=1`)).status, 200);
      assert.equal((await fetch(`${base}/api/v2/summary.json`, { method: 'POST' })).status, 404);
    });

    it('reads the page again after a minute without changes (the day moves on the uptime bars)', async () => {
      await t.statusPage.changed();
      await get('status.json');
      const built = t.statusPage.cache.builtAt();
      assert.notEqual(built, null);
      await t.statusPage.refresh();
      assert.equal(t.statusPage.cache.builtAt(), built, 'nothing changed, not a minute old: kept');
      env.clock.advance(61_000);
      await t.statusPage.refresh();
      assert.equal(t.statusPage.cache.builtAt(), null, 'a minute old: dropped');
      await get('status.json');
      assert.equal(t.statusPage.cache.builtAt(), env.clock.now());
    });

    it('serves the page at / of its own host name, and nothing when disabled', async () => {
      const original = env.config.current;
      try {
        env.config.current = { ...original, status_page: { ...original.status_page, host: 'status.example.com' } };
        t.statusPage.cache.invalidate();
        const root = await t.app.inject({ method: 'GET', url: '/', headers: { host: 'status.example.com' } });
        assert.equal(root.statusCode, 200);
        assert.match(String(root.headers['content-type']), /^text\/html/);
        assert.equal((await t.app.inject({ method: 'GET', url: '/api/v2/status.json', headers: { host: 'status.example.com:443' } })).statusCode, 200);
        assert.equal((await t.app.inject({ method: 'GET', url: '/history.atom', headers: { host: 'status.example.com' } })).statusCode, 200);
        const other = await t.app.inject({ method: 'GET', url: '/', headers: { host: 'firebreak.internal', accept: 'text/html' } });
        assert.match(other.body, /id="root"/, 'other hosts: / is the console, not the page');
        assert.notEqual(other.body, root.body);
        env.config.current = { ...original, status_page: { ...original.status_page, enabled: false } };
        assert.equal((await get('summary.json')).statusCode, 404);
        assert.equal((await t.app.inject({ method: 'GET', url: '/status' })).statusCode, 404);
      } finally {
        env.config.current = original;
      }
    });

    it('refuses hostile paths without touching the database', async () => {
      assert.equal((await t.app.inject({ method: 'GET', url: '/status/incidents/..%2F..%2Fetc' })).statusCode, 404);
      assert.equal((await t.app.inject({ method: 'GET', url: `/status/incidents/${'a'.repeat(500)}` })).statusCode, 414, 'longer than any id: refused by the router');
      assert.equal((await t.app.inject({ method: 'GET', url: '/status/history?page=-1' })).statusCode, 400);
      assert.equal((await t.app.inject({ method: 'GET', url: '/status/history?page=1e9' })).statusCode, 400);
      assert.equal((await t.app.inject({ method: 'GET', url: '/status/components/%3Cscript%3E/badge.svg' })).statusCode, 404);
    });
  });
}
