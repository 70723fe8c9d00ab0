import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createUser, updateUser } from '../../src/modules/auth/index.ts';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { submitReport } from '../../src/modules/reports/index.ts';
import { actionLinkUrl, loadSigningKey, signLink, type LinkAction } from '../../src/modules/notifications/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { TEST_PASSWORD, useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';

const MINUTE = 60_000;
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

for (const { name, skip } of DIALECTS) {
  describe(`one-click action links [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    let aliceId: string;
    let seq = 0;

    useTestApp(name, import.meta.url, (e, a) => ((env = e), (t = a)));

    /** Alice (responder) receives pages; Dora is disabled; Vic can only view. */
    const people = async () => {
      if (aliceId) return;
      aliceId = (await createUser(env.ctx(), { handle: 'alice', name: 'Alice', email: 'alice@example.com', role: 'responder', password: TEST_PASSWORD })).user.id;
      await createUser(env.ctx(), { handle: 'dora', name: 'Dora', email: 'dora@example.com', role: 'responder', password: TEST_PASSWORD });
      await updateUser(env.ctx(), 'dora', { disabled: true });
      await createUser(env.ctx(), { handle: 'vic', name: 'Vic', email: 'vic@example.com', role: 'viewer', password: TEST_PASSWORD });
    };
    const incident = async (title = `Checkout failing ${++seq}`) => {
      await people();
      return createIncident(env.ctx(), { title, severity: 'P1', services: ['api'] });
    };
    /** A token as messages carry them: a fresh nonce per link, valid for `ttl`. */
    const link = async (incidentId: string, action: LinkAction, u: string | null, opts: { ttl?: number; key?: Buffer; nonce?: string } = {}) =>
      signLink(opts.key ?? (await loadSigningKey(env.ctx())), { i: incidentId, a: action, u, e: env.clock.now() + (opts.ttl ?? 60 * MINUTE), n: opts.nonce ?? `${incidentId}/page-${++seq}/user:${u}/${action}` });
    const get = (token: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url: `/a/${token}`, headers });
    const post = (token: string, headers: Record<string, string> = {}, payload = '') => t.app.inject({ method: 'POST', url: `/a/${token}`, headers: { ...FORM, ...headers }, payload });
    const state = async (id: string) => (await env.db.kysely.selectFrom('incidents').select('state').where('id', '=', id).executeTakeFirstOrThrow()).state;
    const timeline = (id: string) => env.db.kysely.selectFrom('incident_timeline').selectAll().where('incident_id', '=', id).orderBy('id').execute();
    const uses = () => env.db.kysely.selectFrom('action_link_uses').selectAll().execute();
    const refusals = async () =>
      (await env.db.kysely.selectFrom('audit_log').selectAll().where('action', '=', 'action_link.refused').orderBy('id').execute()).map((r) => ({ ...r, data: JSON.parse(r.data) as Record<string, unknown> }));
    const auditText = async () => JSON.stringify(await env.db.kysely.selectFrom('audit_log').selectAll().execute());
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/&#34;/g, '"').replace(/\s+/g, ' ');

    function assertPageHeaders(res: { headers: Record<string, unknown> }) {
      assert.match(String(res.headers['content-type']), /^text\/html; charset=utf-8/);
      assert.equal(res.headers['cache-control'], 'no-store');
      assert.equal(res.headers['referrer-policy'], 'same-origin');
      assert.equal(res.headers['x-frame-options'], 'DENY');
      assert.match(String(res.headers['content-security-policy']), /frame-ancestors 'none'/);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    }

    test('GET shows the incident and a button that posts back, and changes nothing', async () => {
      const inc = await incident('<b>Checkout</b> & "payments" fail');
      const token = await link(inc.id, 'acknowledge', 'alice');
      assert.ok(token.length > 100, `a real token is ${token.length} characters: longer than a named route parameter may be`);
      assert.ok(actionLinkUrl(env.config.current, token).endsWith(`/a/${token}`));
      const before = await timeline(inc.id);
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await t.app.inject({ method, url: `/a/${token}` });
        assert.equal(res.statusCode, 200, res.body);
        assertPageHeaders(res);
      }
      const res = await get(token);
      const html = res.body;
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /<html lang="en">/);
      assert.match(html, /<meta name="viewport"/);
      assert.match(html, /<main>[\s\S]*<h1>[\s\S]*<\/main>/);
      assert.doesNotMatch(html, /<script/i);
      assert.ok(html.includes('&#60;b&#62;Checkout&#60;/b&#62; &#38; &#34;payments&#34; fail'), 'the title is escaped');
      assert.ok(!html.includes('<b>Checkout'), 'the title was not escaped');
      const words = text(html);
      for (const fact of [inc.ref, 'P1 (High)', 'triggered', 'sent to alice']) assert.ok(words.includes(fact), `${fact} missing from: ${words}`);
      assert.ok(html.includes(`<form method="post" action="${token}">`), 'the form posts back to the same URL');
      assert.match(html, new RegExp(`<button type="submit">Acknowledge ${inc.ref}</button>`));
      // Opening the page (as link scanners and chat unfurlers do) acted on nothing and recorded nothing.
      assert.equal(await state(inc.id), 'triggered');
      assert.deepEqual(await timeline(inc.id), before);
      assert.equal((await uses()).length, 0);
    });

    test('POST acknowledges as the recipient; the second press is refused as reused, and recorded', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', 'alice');
      const res = await post(token, {}, 'extra=ignored&note=also+ignored');
      assert.equal(res.statusCode, 200, res.body);
      assertPageHeaders(res);
      assert.match(text(res.body), new RegExp(`${inc.ref} was acknowledged by alice \\(via link\\)`));
      assert.equal(await state(inc.id), 'acknowledged');
      const entry = (await timeline(inc.id)).find((e) => e.kind === 'acknowledged')!;
      assert.ok(entry, 'no acknowledged timeline entry');
      assert.equal(entry.actor_name, 'alice (via link)');
      assert.equal(entry.actor_id, aliceId);
      assert.match(entry.body, /via one-click link/);
      assert.equal(JSON.parse(entry.data).note, 'via one-click link', 'form fields did not replace the note');
      const used = (await uses()).filter((u) => u.incident_id === inc.id);
      assert.equal(used.length, 1);
      assert.equal(used[0].action, 'acknowledge');
      assert.equal(used[0].used_by, 'alice (via link)');
      assert.equal(used[0].used_at, env.clock.now());

      env.clock.advance(MINUTE);
      const again = await post(token);
      assert.equal(again.statusCode, 409, again.body);
      assertPageHeaders(again);
      assert.match(text(again.body), /This link was already used by alice \(via link\) at/);
      assert.doesNotMatch(again.body, /<form/);
      const refused = (await refusals()).filter((r) => r.entity_id === inc.id);
      assert.equal(refused.length, 1);
      assert.deepEqual(refused[0].data, { reason: 'reused', how: 'used', action: 'acknowledge', recipient: 'alice', ref: inc.ref });
      const note = (await timeline(inc.id)).filter((e) => e.kind === 'action_link_refused');
      assert.equal(note.length, 1);
      assert.match(note[0].body, /An acknowledge link sent to alice that had already been used \(by alice \(via link\)\) was used again/);
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 1);
      // Opening it again says the same, without a button.
      const look = await get(token);
      assert.equal(look.statusCode, 409);
      assert.doesNotMatch(look.body, /<form/);
      assert.ok(!(await auditText()).includes(token), 'a token reached the audit log');
    });

    test('a resolve link resolves', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'resolve', 'alice');
      assert.match((await get(token)).body, new RegExp(`<button type="submit">Resolve ${inc.ref}</button>`));
      const res = await post(token);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(text(res.body), new RegExp(`${inc.ref} was resolved by alice \\(via link\\)`));
      assert.equal(await state(inc.id), 'resolved');
      const entry = (await timeline(inc.id)).find((e) => e.kind === 'resolved')!;
      assert.equal(entry.actor_name, 'alice (via link)');
    });

    test('a resolve link is validated: a failing check keeps the incident open, says why, records the check and leaves the link usable', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'resolve', 'alice');
      await submitReport(env.ctx(env.users.viewer.actor), { service: 'api', description: 'still failing for me' });
      const refused = await post(token);
      assert.equal(refused.statusCode, 409, refused.body);
      const words = text(refused.body);
      assert.match(words, new RegExp(`${inc.ref} stays open`));
      assert.match(words, /user reports: 1 user report in the last 10m/);
      assert.equal(await state(inc.id), 'triggered');
      const check = (await timeline(inc.id)).find((e) => e.kind === 'resolution_validation')!;
      assert.equal(check.actor_name, 'alice (via link)');
      assert.equal(JSON.parse(check.data).passed, false);
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0, 'the link is not spent');

      env.clock.advance(11 * MINUTE);
      const done = await post(token);
      assert.equal(done.statusCode, 200, done.body);
      assert.equal(await state(inc.id), 'resolved');
      const entries = await timeline(inc.id);
      assert.equal(JSON.parse(entries.filter((e) => e.kind === 'resolution_validation').at(-1)!.data).passed, true);
      assert.equal(JSON.parse(entries.find((e) => e.kind === 'resolved')!.data).validated, true);
    });

    test('an expired link is 410, acts on nothing, and is recorded on the timeline', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', 'alice', { ttl: 5 * MINUTE });
      env.clock.advance(5 * MINUTE);
      const seen = await get(token);
      assert.equal(seen.statusCode, 410, seen.body);
      assertPageHeaders(seen);
      assert.match(text(seen.body), new RegExp(`This acknowledge link for ${inc.ref} expired at`));
      assert.doesNotMatch(seen.body, /<form/);
      const pressed = await post(token);
      assert.equal(pressed.statusCode, 410, pressed.body);
      assert.equal(await state(inc.id), 'triggered');
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      const notes = (await timeline(inc.id)).filter((e) => e.kind === 'action_link_refused').map((e) => e.body);
      assert.deepEqual(notes, ['An expired acknowledge link sent to alice was opened', 'An expired acknowledge link sent to alice was used']);
      const refused = (await refusals()).filter((r) => r.entity_id === inc.id);
      assert.deepEqual(
        refused.map((r) => r.data.reason),
        ['expired', 'expired'],
      );
      // Reloading the page does not write it down again.
      await get(token);
      assert.equal((await timeline(inc.id)).filter((e) => e.kind === 'action_link_refused').length, 2);
    });

    test('forged links are 403 and audited, and never reveal whether the incident exists', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', 'alice');
      const [body, mac] = token.split('.');
      const claims = JSON.parse(Buffer.from(body, 'base64url').toString());
      const tamperedBody = `${Buffer.from(JSON.stringify({ ...claims, u: 'admin-user' })).toString('base64url')}.${mac}`;
      const tamperedMac = `${body}.${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
      const otherKey = await link(inc.id, 'acknowledge', 'alice', { key: randomBytes(32) });
      const nowhere = await link('inc_00000000000000000000000000', 'acknowledge', 'alice', { key: randomBytes(32) });
      const before = (await refusals()).length;
      const pages = new Set<string>();
      for (const forged of [tamperedBody, tamperedMac, otherKey, nowhere]) {
        for (const send of [get, post]) {
          const res = await send(forged);
          assert.equal(res.statusCode, 403, res.body);
          assertPageHeaders(res);
          assert.doesNotMatch(res.body, /INC-|<form/);
          pages.add(res.body);
        }
      }
      assert.equal(pages.size, 1, 'forged links for a real and a missing incident must read the same');
      assert.equal(await state(inc.id), 'triggered');
      assert.equal((await timeline(inc.id)).filter((e) => e.kind === 'action_link_refused').length, 0, 'a forged link wrote to a real incident');
      const audited = (await refusals()).slice(before);
      assert.ok(audited.length >= 2, 'forged GET and POST were not audited');
      for (const r of audited) {
        assert.deepEqual(r.data, { reason: 'forged', how: r.data.how });
        assert.equal(r.entity_id, null);
        assert.equal(r.entity_type, 'action_link');
      }
      const audit = await auditText();
      for (const forged of [tamperedBody, tamperedMac, otherKey, nowhere]) assert.ok(!audit.includes(forged) && !audit.includes(forged.split('.')[1]), 'a token reached the audit log');
    });

    test('malformed, overlong and unicode tokens are refused without a server error', async () => {
      const before = (await refusals()).length;
      const cases = ['garbage', 'a.b', '', 'x'.repeat(10_000), `${'A'.repeat(20)}.${'B'.repeat(43)}`, encodeURIComponent('ünïcødé.töken'), encodeURIComponent('🔥'.repeat(50)), '%2e%2e%2fetc%2fpasswd', 'a/b/c', `${'x'.repeat(3000)}.${'y'.repeat(43)}`, '%ZZ', '%00'];
      for (const raw of cases) {
        for (const method of ['GET', 'POST'] as const) {
          const res = await t.app.inject({ method, url: `/a/${raw}`, headers: method === 'POST' ? FORM : {}, ...(method === 'POST' && { payload: '' }) });
          assert.ok([400, 403, 404].includes(res.statusCode), `${method} /a/${raw.slice(0, 40)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          assert.doesNotMatch(res.body, /<form/);
        }
      }
      const audited = (await refusals()).slice(before);
      assert.ok(audited.some((r) => r.data.reason === 'malformed'), 'malformed links were not audited');
      assert.ok(!(await auditText()).includes('x'.repeat(100)), 'a token reached the audit log');
    });

    test('a channel link asks an anonymous visitor to sign in, without spending the link; signed in, it acts as them', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', null);
      assert.match(text((await get(token)).body), /sent to a channel/);
      const anonymous = await post(token);
      assert.equal(anonymous.statusCode, 401, anonymous.body);
      assertPageHeaders(anonymous);
      assert.match(text(anonymous.body), /Sign in to Firebreak/);
      assert.ok(anonymous.body.includes(`<form method="post" action="${token}">`), 'the sign-in page keeps the button');
      assert.equal(await state(inc.id), 'triggered');
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      // A viewer is refused (and that is recorded); the link still works for someone who may act.
      const viewer = await post(token, t.auth.viewer);
      assert.equal(viewer.statusCode, 403, viewer.body);
      assert.match(text(viewer.body), /viewer-user may not acknowledge incidents/);
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      const signedIn = await post(token, t.auth.responder);
      assert.equal(signedIn.statusCode, 200, signedIn.body);
      assert.match(text(signedIn.body), new RegExp(`${inc.ref} was acknowledged by responder-user at`));
      assert.equal(await state(inc.id), 'acknowledged');
      const entries = await timeline(inc.id);
      const ack = entries.find((e) => e.kind === 'acknowledged')!;
      assert.equal(ack.actor_name, 'responder-user');
      assert.equal(ack.actor_id, env.users.responder.id);
      assert.match(ack.body, /via one-click link/);
      assert.deepEqual(
        entries.filter((e) => e.kind === 'action_link_refused').map((e) => [e.actor_name, e.body]),
        [['viewer-user', 'An acknowledge link was refused: viewer-user may not acknowledge incidents (role viewer)']],
      );
      assert.equal((await uses()).find((u) => u.incident_id === inc.id)?.used_by, 'responder-user');
    });

    test('a link whose action no longer applies explains where the incident is, and records nothing', async () => {
      const inc = await incident();
      await transitionIncident(env.ctx(), inc.id, 'resolve');
      const token = await link(inc.id, 'acknowledge', 'alice');
      const before = { timeline: (await timeline(inc.id)).length, refusals: (await refusals()).length, audit: (await auditText()).length };
      const seen = await get(token);
      assert.equal(seen.statusCode, 200, seen.body);
      assert.match(text(seen.body), new RegExp(`${inc.ref} is already resolved by test at .*nothing was changed`));
      assert.doesNotMatch(seen.body, /<form|<button/);
      const pressed = await post(token);
      assert.equal(pressed.statusCode, 409, pressed.body);
      assert.match(text(pressed.body), new RegExp(`${inc.ref} is already resolved`));
      assert.doesNotMatch(pressed.body, /<form|<button|stack|Error:/);
      const resolveAgain = await post(await link(inc.id, 'resolve', 'alice'));
      assert.equal(resolveAgain.statusCode, 409, resolveAgain.body);
      assert.equal((await timeline(inc.id)).length, before.timeline);
      assert.equal((await refusals()).length, before.refusals);
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      // Acknowledged by someone else first: the page says so, and by whom.
      const other = await incident();
      await transitionIncident(env.ctx(env.users.responder.actor), other.id, 'acknowledge');
      const late = await post(await link(other.id, 'acknowledge', 'alice'));
      assert.equal(late.statusCode, 409);
      assert.match(text(late.body), new RegExp(`${other.ref} is already acknowledged by responder-user at`));
    });

    test('disabled, unknown and view-only recipients are refused, recorded, and nothing is spent', async () => {
      const inc = await incident();
      for (const [u, status, why] of [
        ['dora', 403, /dora, the person this link was sent to, is disabled/],
        ['nobody', 403, /nobody, the person this link was sent to, is not a Firebreak user/],
        ['vic', 403, /vic \(via link\) may not acknowledge incidents \(role: viewer\)/],
      ] as const) {
        const res = await post(await link(inc.id, 'acknowledge', u));
        assert.equal(res.statusCode, status, res.body);
        assert.match(text(res.body), why);
      }
      assert.equal(await state(inc.id), 'triggered');
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      assert.deepEqual(
        (await refusals()).filter((r) => r.entity_id === inc.id).map((r) => r.data.reason),
        ['recipient_disabled', 'recipient_unknown', 'forbidden'],
      );
    });

    test('a cross-origin POST is refused and spends nothing; our own origin is fine', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', 'alice');
      const hostile: Record<string, string>[] = [{ origin: 'https://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'http://localhost:8080' }, { origin: 'null' }];
      for (const headers of hostile) {
        const res = await post(token, headers);
        assert.equal(res.statusCode, 403, `${JSON.stringify(headers)}: ${res.body}`);
        assert.match(text(res.body), /only works on Firebreak’s own page/);
      }
      // With a session cookie the shared same-origin check refuses first (a JSON error).
      const withCookie = await post(await link(inc.id, 'acknowledge', null), { ...t.auth.responder, origin: 'https://evil.example' });
      assert.equal(withCookie.statusCode, 403, withCookie.body);
      assert.equal(await state(inc.id), 'triggered');
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 0);
      const ours = await post(token, { origin: new URL(env.config.current.organisation.public_url).origin, 'sec-fetch-site': 'same-origin' });
      assert.equal(ours.statusCode, 200, ours.body);
      assert.equal(await state(inc.id), 'acknowledged');
    });

    test('form bodies over 4 KB are refused; a JSON or empty body is ignored like any form field', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'acknowledge', 'alice');
      const big = await post(token, {}, `x=${'y'.repeat(5000)}`);
      assert.equal(big.statusCode, 413, big.body);
      const bigJson = await t.app.inject({ method: 'POST', url: `/a/${token}`, headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ x: 'y'.repeat(5000) }) });
      assert.equal(bigJson.statusCode, 413, bigJson.body);
      assert.equal(await state(inc.id), 'triggered');
      const bare = await t.app.inject({ method: 'POST', url: `/a/${token}` });
      assert.equal(bare.statusCode, 200, bare.body);
      assert.equal(await state(inc.id), 'acknowledged');
    });

    test('two presses at once act once', async () => {
      const inc = await incident();
      const token = await link(inc.id, 'resolve', 'alice');
      const results = await Promise.all([post(token), post(token), post(token)]);
      assert.deepEqual(results.map((r) => r.statusCode).sort(), [200, 409, 409], results.map((r) => r.body.slice(0, 300)).join('\n'));
      assert.equal((await timeline(inc.id)).filter((e) => e.kind === 'resolved').length, 1);
      assert.equal((await uses()).filter((u) => u.incident_id === inc.id).length, 1);
    });
  });
}
