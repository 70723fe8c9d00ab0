import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createUser } from '../../src/modules/auth/index.ts';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';

/** Reads Server-Sent Events from a fetch response until `until` says stop (or the timeout). */
async function readEvents(res: Response, until: (events: { event: string; id: string | null; data: any }[]) => boolean, timeoutMs = 5000) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { event: string; id: string | null; data: any }[] = [];
  let buffer = '';
  const deadline = Date.now() + timeoutMs;
  while (!until(events) && Date.now() < deadline) {
    const chunk = await Promise.race([reader.read(), new Promise<{ done: true; value: undefined }>((r) => setTimeout(() => r({ done: true, value: undefined }), deadline - Date.now()))]);
    if (chunk.done) break;
    buffer += decoder.decode(chunk.value, { stream: true });
    let cut: number;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      if (block.startsWith(':')) continue;
      const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
      events.push({ event: field('event') ?? 'message', id: field('id'), data: JSON.parse(field('data') ?? 'null') });
    }
  }
  await reader.cancel().catch(() => {});
  return events;
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`web console serving and live events (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let base: string;
    before(async () => {
      env = await createTestEnv(dialect, import.meta.url);
      t = await createTestApp(env, { monitors: false });
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });

    it('serves the console for its own paths, its assets, and nothing else', async () => {
      const root = await t.app.inject({ method: 'GET', url: '/', headers: { accept: 'text/html' } });
      assert.equal(root.statusCode, 200);
      assert.match(String(root.headers['content-security-policy']), /script-src 'self'/);
      const deep = await t.app.inject({ method: 'GET', url: '/incidents/INC-4?tab=timeline', headers: { accept: 'text/html,application/xhtml+xml' } });
      assert.equal(deep.statusCode, 200);
      assert.equal(deep.body, root.body, 'a reload of a console path gets the app');
      const script = /src="(\/assets\/[^"]+\.js)"/.exec(root.body)?.[1];
      assert.ok(script, 'the built page names its bundle');
      const asset = await t.app.inject({ method: 'GET', url: script });
      assert.equal(asset.statusCode, 200);
      assert.match(String(asset.headers['cache-control']), /immutable/);
      const zipped = await t.app.inject({ method: 'GET', url: script, headers: { 'accept-encoding': 'gzip, br' } });
      assert.equal(zipped.headers['content-encoding'], 'gzip');
      assert.ok(zipped.rawPayload.length < asset.rawPayload.length / 2, 'the bundle is sent gzipped');
      assert.equal((await t.app.inject({ method: 'GET', url: '/assets/nope.js' })).statusCode, 404);
      // The API and other surfaces never get the console's page.
      for (const url of ['/api/v1/nope', '/api/v2/nope.json', '/status/nope', '/metrics/x']) {
        const res = await t.app.inject({ method: 'GET', url, headers: { accept: 'text/html' } });
        assert.equal(res.statusCode, 404, url);
        assert.match(String(res.headers['content-type']), /json/, url);
      }
    });

    it('streams incident events to signed-in browsers, resumes from Last-Event-ID, and refuses the signed-out', async () => {
      assert.equal((await fetch(`${base}/api/v1/stream`)).status, 401);
      const open = await fetch(`${base}/api/v1/stream`, { headers: t.auth.viewer });
      assert.equal(open.status, 200);
      assert.match(String(open.headers.get('content-type')), /^text\/event-stream/);
      const pending = readEvents(open, (ev) => ev.some((e) => e.event === 'incident' && e.data.topic === 'incident.acknowledged'));
      await new Promise((r) => setTimeout(r, 100));
      const inc = await createIncident(env.ctx(env.users.responder.actor), { title: 'Live one', severity: 'P2', services: ['api'] });
      await transitionIncident(env.ctx(env.users.responder.actor), inc.id, 'acknowledge');
      const events = await pending;
      assert.equal(events[0].event, 'ready');
      const mine = events.filter((e) => e.event === 'incident' && e.data.incident_id === inc.id);
      assert.ok(mine.some((e) => e.data.topic === 'incident.created' && e.data.ref === inc.ref), JSON.stringify(events));
      assert.ok(mine.every((e) => Number(e.id) > 0));
      // A browser that was away comes back with the last id it saw and gets what it missed.
      const firstId = mine[0].id!;
      const resumed = await fetch(`${base}/api/v1/stream?max_seconds=1`, { headers: { ...t.auth.viewer, 'last-event-id': firstId } });
      const replay = await readEvents(resumed, (ev) => ev.some((e) => e.event === 'ready'));
      assert.ok(replay.some((e) => e.event === 'incident' && e.data.topic === 'incident.acknowledged'), JSON.stringify(replay));
      assert.ok(!replay.some((e) => e.id === firstId), 'nothing it already had');
      // A new EventSource cannot set the header: the same resume through the query.
      const viaQuery = await fetch(`${base}/api/v1/stream?max_seconds=1&last_event_id=${firstId}`, { headers: t.auth.viewer });
      const replayed = await readEvents(viaQuery, (ev) => ev.some((e) => e.event === 'ready'));
      assert.ok(replayed.some((e) => e.event === 'incident' && e.data.topic === 'incident.acknowledged'));
    });

    it('counts open incidents per severity and state exactly', async () => {
      const before = (await t.app.inject({ method: 'GET', url: '/api/v1/incidents/counts', headers: t.auth.viewer })).json();
      for (const severity of ['P0', 'P2', 'P2'] as const) await createIncident(env.ctx(env.users.responder.actor), { title: `count ${severity}`, severity, services: ['api'] });
      const after = (await t.app.inject({ method: 'GET', url: '/api/v1/incidents/counts', headers: t.auth.viewer })).json();
      assert.equal(after.by_severity.P0 - before.by_severity.P0, 1);
      assert.equal(after.by_severity.P2 - before.by_severity.P2, 2);
      assert.equal(after.total - before.total, 3);
      assert.equal(after.by_state.triggered - before.by_state.triggered, 3);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/incidents/counts' })).statusCode, 401);
    });

    it('lets a session that must change its password do only that', async () => {
      const { user, generatedPassword } = await createUser(env.ctx(env.users.admin.actor), { handle: 'fresh-user', name: 'Fresh', email: 'fresh@example.com', role: 'responder' });
      assert.ok(generatedPassword);
      const login = await t.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { handle: user.handle, password: generatedPassword } });
      assert.equal(login.json().password_change_required, true);
      const cookie = { cookie: `firebreak_session=${login.cookies.find((c) => c.name === 'firebreak_session')!.value}` };
      const refused = await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: cookie });
      assert.equal(refused.statusCode, 403);
      assert.equal(refused.json().error.code, 'PASSWORD_CHANGE_REQUIRED');
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/me', headers: cookie })).statusCode, 200);
      const changed = await t.app.inject({ method: 'POST', url: '/api/v1/me/password', headers: cookie, payload: { current_password: generatedPassword, new_password: 'a brand new long password' } });
      assert.ok(changed.statusCode < 300, changed.body);
      assert.equal((await t.app.inject({ method: 'GET', url: '/api/v1/incidents', headers: cookie })).statusCode, 200);
    });
  });
}
