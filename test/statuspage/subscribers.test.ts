import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isoTime } from '../../src/lib/iso-time.ts';
import { buildSnapshot } from '../../src/modules/statuspage/build-snapshot.ts';
import { loadPublicIncident, subscriptionKey, unsubscribeToken } from '../../src/modules/statuspage/index.ts';
import { pageTime } from '../../src/modules/statuspage/subscriber-messages.ts';
import { v2Incident } from '../../src/modules/statuspage/v2-json.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { changeComponent, linkIn, pathOf, postForm, postIncident, rowsFor, subscriberByAddress, subscriberFixture, type SubscriberFixture } from './subscribers-kit.ts';

/**
 * Status page subscribers end to end, through the HTTP app, the notification outbox, a real SMTP
 * server and a real webhook receiver on loopback: double opt-in, component choice, one-click
 * unsubscribe (which also stops mail already queued), the exact Statuspage webhook envelopes,
 * retries with backoff, and the private-address guard at subscribe time and at send time.
 */
const V2_INCIDENT_KEYS = ['id', 'name', 'status', 'impact', 'created_at', 'updated_at', 'started_at', 'monitoring_at', 'resolved_at', 'shortlink', 'page_id', 'incident_updates', 'components'];
const V2_UPDATE_KEYS = ['id', 'incident_id', 'status', 'body', 'created_at', 'updated_at', 'display_at', 'affected_components', 'deliver_notifications', 'custom_tweet', 'tweet_id'];
const V2_COMPONENT_KEYS = ['id', 'name', 'status', 'created_at', 'updated_at', 'position', 'description', 'showcase', 'start_date', 'group_id', 'page_id', 'group', 'only_show_if_degraded'];
const DOCS = 'https://support.atlassian.com/statuspage/docs/enable-webhook-notifications/';

for (const { name: dialect, skip } of DIALECTS) {
  describe(`status page subscribers (${dialect})`, { skip }, () => {
    let f: SubscriberFixture;
    let page: { url: string; id: string; name: string };
    before(async () => {
      f = await subscriberFixture(dialect, import.meta.url);
      page = f.env.config.current.status_page;
    });
    after(() => f?.close());
    beforeEach(() => f.reset());

    const subscribeJson = (payload: object, ip = '198.51.100.7') => f.t.app.inject({ method: 'POST', url: '/status/subscribe', payload, remoteAddress: ip, headers: { accept: 'application/json' } });
    const confirmBy = async (address: string) => {
      await f.drain();
      const mail = (await f.waitForMails(f.mails.length)).find((m) => m.to.includes(address));
      assert.ok(mail, `no confirmation mail for ${address}`);
      const res = await f.t.app.inject({ method: 'GET', url: pathOf(linkIn(mail.parsed.text ?? '', `${page.url}/subscriptions/`)) });
      assert.equal(res.statusCode, 200, res.body);
      return (await subscriberByAddress(f.env, address))!;
    };

    it('email: double opt-in, then incident mail to confirmed subscribers whose components match', async () => {
      const res = await postForm(f.t, '/status/subscribe', [['kind', 'email'], ['email', ' Alice@Example.COM '], ['components', 'api'], ['components', 'database']]);
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.body, /Check your email/);
      const alice = (await subscriberByAddress(f.env, 'alice@example.com'))!;
      assert.equal(alice.confirmed_at, null);
      assert.deepEqual(JSON.parse(alice.components!), ['api', 'database']);

      await f.drain();
      const [confirmation] = await f.waitForMails(1);
      assert.deepEqual(confirmation.to, ['alice@example.com']);
      assert.equal(confirmation.parsed.subject, `[${page.name}] Confirm your subscription`);
      const link = linkIn(confirmation.parsed.text ?? '', `${page.url}/subscriptions/${alice.id}/confirm?token=`);
      // A fixed text: nothing the requester typed but the address (in To), so the form cannot mail anyone a message.
      const expires = pageTime(f.env.clock.now() + 48 * 3_600_000, 'Europe/Berlin');
      assert.equal(
        (confirmation.parsed.text ?? '').replace(link, '<link>'),
        `Someone, hopefully you, asked to receive status updates from ${page.name} at this email address.\n\nConfirm your subscription: <link>\n\nThe link is valid until ${expires}. If you did not ask for this, ignore this email: nothing more will be sent to you.\n\n-- \n${page.name} · ${page.url}\n`,
      );

      // Asking again within 5 minutes: the same answer, no second mail; later, one more.
      assert.match((await postForm(f.t, '/status/subscribe', [['email', 'alice@example.com']])).body, /Check your email/);
      await f.drain();
      assert.equal(f.mails.length, 1);
      f.env.clock.advance(5 * 60_000);
      await postForm(f.t, '/status/subscribe', [['email', 'alice@example.com'], ['components', 'api'], ['components', 'database']], '203.0.113.11');
      await f.drain();
      assert.equal((await f.waitForMails(2)).length, 2);

      // Following the link confirms, and following it again is fine.
      for (const want of [/Subscription confirmed/, /confirmed already/]) {
        const page1 = await f.t.app.inject({ method: 'GET', url: pathOf(link) });
        assert.equal(page1.statusCode, 200, page1.body);
        assert.match(page1.body, want);
      }
      assert.ok((await subscriberByAddress(f.env, 'alice@example.com'))!.confirmed_at);

      // Bob never confirms; carol confirms but only wants checkout; dave wants everything.
      await postForm(f.t, '/status/subscribe', [['email', 'bob@example.com']], '203.0.113.12');
      await postForm(f.t, '/status/subscribe', [['email', 'carol@example.com'], ['components', 'checkout']], '203.0.113.13');
      await postForm(f.t, '/status/subscribe', [['email', 'dave@example.com']], '203.0.113.14');
      await confirmBy('carol@example.com');
      await confirmBy('dave@example.com');
      f.mails.length = 0;

      await postIncident(f.env, { id: 'incapi000001', name: 'Elevated API errors', status: 'investigating', impact: 'major', components: { api: 'partial_outage' }, body: 'We are investigating errors on the API.\nMore soon.' });
      await f.drain();
      const mails = await f.waitForMails(2);
      assert.deepEqual(mails.map((m) => m.to[0]).sort(), ['alice@example.com', 'dave@example.com']);
      const mail = mails.find((m) => m.to[0] === 'alice@example.com')!;
      assert.equal(mail.parsed.subject, `[${page.name}] Elevated API errors – Investigating`);
      const text = mail.parsed.text ?? '';
      assert.match(text, /We are investigating errors on the API\.\nMore soon\./);
      assert.match(text, /Affected components: API/);
      assert.ok(text.includes(`${page.url}/incidents/incapi000001`), text);
      const unsubscribe = linkIn(text, `${page.url}/subscriptions/${alice.id}/unsubscribe?token=`);
      assert.equal(mail.header('list-unsubscribe'), `<${unsubscribe}>`);
      assert.equal(mail.header('list-unsubscribe-post'), 'List-Unsubscribe=One-Click');
      assert.match(mail.parsed.html || '', /Elevated API errors/);

      // The same fan-out again (a retried transaction) queues nothing new.
      const before = (await rowsFor(f.env, alice.id)).length;
      await postIncident(f.env, { id: 'incapi000001', name: 'Elevated API errors', status: 'investigating', impact: 'major', components: {}, body: '' }, 'reminder');
      await postIncident(f.env, { id: 'incapi000001', name: 'Elevated API errors', status: 'investigating', impact: 'major', components: {}, body: '' }, 'reminder');
      assert.equal((await rowsFor(f.env, alice.id)).length, before + 1);
    });

    it('one-click unsubscribe: GET shows a button and does nothing, POST List-Unsubscribe=One-Click stops mail, queued mail too', async () => {
      await postForm(f.t, '/status/subscribe', [['email', 'erin@example.com']]);
      const erin = await confirmBy('erin@example.com');
      f.mails.length = 0;
      const token = unsubscribeToken(await subscriptionKey(f.env.ctx()), erin.id);
      const url = `/status/subscriptions/${erin.id}/unsubscribe?token=${token}`;

      const shown = await f.t.app.inject({ method: 'GET', url });
      assert.equal(shown.statusCode, 200, shown.body);
      assert.match(shown.body, /<form method="post" action="\/status\/subscriptions\/sub_[0-9a-z]+\/unsubscribe">/);
      assert.match(shown.body, /<button type="submit">Unsubscribe<\/button>/);
      assert.equal(shown.headers['x-frame-options'], 'DENY');
      assert.equal((await subscriberByAddress(f.env, 'erin@example.com'))!.unsubscribed_at, null, 'opening the page must not unsubscribe');

      // An update is queued, then the one-click POST arrives before the dispatcher sends it.
      await postIncident(f.env, { id: 'incdb0000001', name: 'Database slow', status: 'identified', impact: 'minor', components: { database: 'degraded_performance' }, body: 'Slow queries.' });
      assert.deepEqual((await rowsFor(f.env, erin.id)).map((r) => r.status), ['sent', 'pending']);
      const done = await postForm(f.t, url, 'List-Unsubscribe=One-Click', '192.0.2.200', { accept: '*/*' });
      assert.equal(done.statusCode, 200, done.body);
      assert.match(done.body, /not receive any more updates/);
      assert.ok((await subscriberByAddress(f.env, 'erin@example.com'))!.unsubscribed_at);
      assert.deepEqual((await rowsFor(f.env, erin.id)).map((r) => r.status), ['sent', 'cancelled']);
      const again = await postForm(f.t, url, 'List-Unsubscribe=One-Click');
      assert.match(again.body, /unsubscribed already/);

      // Nothing more, whatever is posted now.
      await postIncident(f.env, { id: 'incdb0000001', name: 'Database slow', status: 'resolved', impact: 'minor', components: { database: 'degraded_performance' }, body: 'Fixed.' }, 'updated');
      await f.drain();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(f.mails.length, 0);
      const audit = await f.env.db.kysely.selectFrom('audit_log').select('action').where('entity_id', '=', erin.id).execute();
      assert.deepEqual(audit.map((a) => a.action).sort(), ['status_subscriber.confirmed', 'status_subscriber.unsubscribed']);
    });

    it('a message already claimed when the subscriber unsubscribes is cancelled at send time, not sent', async () => {
      await postForm(f.t, '/status/subscribe', [['email', 'frank@example.com']]);
      const frank = await confirmBy('frank@example.com');
      f.mails.length = 0;
      await postIncident(f.env, { id: 'incweb000001', name: 'Web down', status: 'investigating', impact: 'critical', components: { 'web-app': 'major_outage' }, body: 'Down.' });
      // Unsubscribed behind the outbox's back (as if between the claim and the send).
      await f.env.db.kysely.updateTable('status_subscribers').set({ unsubscribed_at: f.env.clock.now() }).where('id', '=', frank.id).execute();
      await f.drain();
      const [row] = (await rowsFor(f.env, frank.id)).slice(-1);
      assert.equal(row.status, 'cancelled');
      assert.equal(row.last_error, 'unsubscribed');
      assert.equal(row.attempts, 0);
      assert.equal(f.mails.length, 0);
    });

    it('webhook: subscribed at once, silent until news, then the exact Statuspage envelopes for incidents and component changes', async () => {
      const res = await subscribeJson({ kind: 'webhook', url: `${f.hooks}/ok/hook-api`, components: ['api'] });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.json().ok, true);
      const hook = (await subscriberByAddress(f.env, `${f.hooks}/ok/hook-api`))!;
      assert.ok(hook.confirmed_at);
      await subscribeJson({ kind: 'webhook', url: `${f.hooks}/ok/hook-checkout`, components: 'checkout' }, '198.51.100.8');
      const watcher = await f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: f.t.auth.admin, payload: { kind: 'email', email: 'watcher@example.com', confirmed: true } });
      assert.equal(watcher.statusCode, 201, watcher.body);
      await f.drain();
      assert.equal(f.hits.length, 0, 'nothing is sent on subscribing');
      const unsubscribe = `${page.url}/subscriptions/${hook.id}/unsubscribe?token=${unsubscribeToken(await subscriptionKey(f.env.ctx()), hook.id)}`;

      const updateId = await postIncident(f.env, { id: 'inchook00001', name: 'API latency', status: 'identified', impact: 'major', components: { api: 'partial_outage' }, body: 'A saturated pool was found.' });
      await f.drain();
      assert.deepEqual(f.hits.map((h) => h.path), ['/ok/hook-api']);
      const [hit] = f.hits;
      assert.equal(hit.headers['content-type'], 'application/json');
      assert.equal(hit.headers['user-agent'], 'Firebreak');
      assert.equal(hit.headers['idempotency-key'], `status-sub:incident:${updateId}:post:${hook.id}`);
      const body = JSON.parse(hit.body);
      assert.deepEqual(Object.keys(body), ['meta', 'page', 'incident']);
      assert.deepEqual(body.meta, { unsubscribe, documentation: DOCS });
      // No component synced yet: the page status comes from the unresolved incident's impact.
      assert.deepEqual(body.page, { id: page.id, status_indicator: 'major', status_description: 'Partial System Outage' });
      assert.deepEqual(Object.keys(body.incident), V2_INCIDENT_KEYS);
      assert.deepEqual(Object.keys(body.incident.incident_updates[0]), V2_UPDATE_KEYS);
      assert.deepEqual(Object.keys(body.incident.components[0]), V2_COMPONENT_KEYS);
      const now = isoTime(f.env.clock.now());
      assert.deepEqual(
        { ...body.incident, incident_updates: undefined, components: undefined },
        { id: 'inchook00001', name: 'API latency', status: 'identified', impact: 'major', created_at: now, updated_at: now, started_at: now, monitoring_at: null, resolved_at: null, shortlink: `${page.url}/incidents/inchook00001`, page_id: page.id, incident_updates: undefined, components: undefined },
      );
      assert.deepEqual(body.incident.incident_updates, [
        { id: updateId, incident_id: 'inchook00001', status: 'identified', body: 'A saturated pool was found.', created_at: now, updated_at: now, display_at: now, affected_components: null, deliver_notifications: true, custom_tweet: null, tweet_id: null },
      ]);
      assert.equal(body.incident.components[0].id, 'api');
      assert.equal(body.incident.components[0].group_id, 'platform');
      // The same object /api/v2/incidents.json serves.
      const snapshot = await buildSnapshot(f.env.ctx(), {});
      assert.deepEqual(body.incident, JSON.parse(JSON.stringify(v2Incident(snapshot, (await loadPublicIncident(f.env.ctx(), 'inchook00001'))!))));

      f.hits.length = 0;
      f.env.clock.advance(1000);
      const change = await changeComponent(f.env, 'api', 'operational', 'major_outage');
      await changeComponent(f.env, 'file-storage', 'operational', 'degraded_performance');
      await f.drain();
      assert.deepEqual(f.hits.map((h) => h.path), ['/ok/hook-api'], 'only the subscriber of the component that changed');
      assert.deepEqual(JSON.parse(f.hits[0].body), {
        meta: { unsubscribe, documentation: DOCS },
        page: { id: page.id, status_indicator: 'critical', status_description: 'Major System Outage' },
        component_update: { id: String(change.id), component_id: 'api', created_at: isoTime(change.at), old_status: 'operational', new_status: 'major_outage' },
        component: { id: 'api', name: 'API', status: 'major_outage', created_at: isoTime(change.at - 86_400_000) },
      });
      assert.equal(f.hits[0].headers['idempotency-key'], `status-sub:component:${change.id}:${hook.id}`);
      // Email subscribers hear about the incident, not about component changes.
      assert.deepEqual((await rowsFor(f.env, watcher.json().id)).map((r) => r.kind), ['subscriber.incident']);
      assert.deepEqual(f.mails.map((m) => m.parsed.subject), [`[${page.name}] API latency – Identified`]);
    });

    it('a failing webhook is retried with backoff, then delivered; a dead one gives up quietly (no internal alert, no timeline)', async () => {
      await subscribeJson({ kind: 'webhook', url: `${f.hooks}/flaky/2/retry` });
      await subscribeJson({ kind: 'webhook', url: `${f.hooks}/fail/500/dead` }, '198.51.100.9');
      const flaky = (await subscriberByAddress(f.env, `${f.hooks}/flaky/2/retry`))!;
      const dead = (await subscriberByAddress(f.env, `${f.hooks}/fail/500/dead`))!;
      await postIncident(f.env, { id: 'incretry0001', name: 'Retry me', status: 'investigating', impact: 'minor', components: { checkout: 'degraded_performance' }, body: 'Hmm.' });
      await f.drain();
      let [row] = await rowsFor(f.env, flaky.id);
      const gaps: number[] = [];
      for (let i = 0; i < 10 && row.status === 'pending'; i++) {
        const wait = Number(row.next_attempt_at) - f.env.clock.now();
        gaps.push(wait);
        f.env.clock.advance(wait);
        await f.drain();
        [row] = await rowsFor(f.env, flaky.id);
      }
      assert.equal(row.status, 'sent');
      assert.equal(row.attempts, 3);
      // 1 s then 2 s, each jittered into its upper half.
      assert.ok(gaps[0] >= 500 && gaps[0] <= 1000, `first retry after ${gaps[0]} ms`);
      assert.ok(gaps[1] >= 1000 && gaps[1] <= 2000, `second retry after ${gaps[1]} ms`);
      const attempts = await f.env.db.kysely.selectFrom('notification_attempts').selectAll().where('notification_id', '=', row.id).orderBy('id').execute();
      assert.deepEqual(attempts.map((a) => a.status_code), [500, 500, 200]);
      const flakyHits = f.hits.filter((h) => h.path === '/flaky/2/retry');
      assert.equal(flakyHits.length, 3);
      assert.equal(new Set(flakyHits.map((h) => `${h.headers['idempotency-key']}|${h.body}`)).size, 1, 'every retry is the same message');

      let [gone] = await rowsFor(f.env, dead.id);
      for (let i = 0; i < 30 && gone.status === 'pending'; i++) {
        f.env.clock.advance(Math.max(0, Number(gone.next_attempt_at) - f.env.clock.now()));
        await f.drain();
        [gone] = await rowsFor(f.env, dead.id);
      }
      assert.equal(gone.status, 'gave_up');
      assert.match(gone.last_error ?? '', /HTTP 500/);
      const alerts = await f.env.db.kysely.selectFrom('signals').select('id').where('integration_id', '=', 'firebreak').execute();
      assert.equal(alerts.length, 0, 'a subscriber endpoint failing is not our incident');
      const timeline = await f.env.db.kysely.selectFrom('incident_timeline').select('id').where('kind', '=', 'notification').execute();
      assert.equal(timeline.length, 0);
    });

    it('a redirect is a failure (Statuspage: 3xx fails), retried, never followed', async () => {
      await subscribeJson({ kind: 'webhook', url: `${f.hooks}/redirect/r1` });
      const sub = (await subscriberByAddress(f.env, `${f.hooks}/redirect/r1`))!;
      await postIncident(f.env, { id: 'incredir0001', name: 'Redirect', status: 'investigating', impact: 'minor', components: {}, body: 'x' });
      await f.drain();
      const [row] = await rowsFor(f.env, sub.id);
      assert.equal(row.status, 'pending');
      assert.match(row.last_error ?? '', /redirected \(HTTP 302\)/);
      assert.deepEqual(f.hits.map((h) => h.path), ['/redirect/r1']);
    });

    it('private targets: refused at subscribe time, and again at send time when the config changed', async () => {
      f.setSubscribers({ allow_private_targets: false });
      const before = await f.env.db.kysely.selectFrom('status_subscribers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const targets = [`${f.hooks}/ok/x`, 'http://localhost:9/x', 'http://[::1]:9/x', 'http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://0x7f000001/x', 'http://[::ffff:127.0.0.1]/x', 'https://192.168.1.1/'];
      for (const [i, url] of targets.entries()) {
        const res = await subscribeJson({ kind: 'webhook', url }, `198.51.100.${50 + i}`);
        assert.equal(res.statusCode, 400, `${url}: ${res.body}`);
        assert.equal(res.json().error.code, 'VALIDATION_FAILED');
        assert.match(res.json().error.message, /^url: .*private/);
        assert.ok(!res.body.includes('169.254') && !res.body.includes('localhost'), 'the URL is not echoed');
      }
      const after = await f.env.db.kysely.selectFrom('status_subscribers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      assert.equal(Number(after.n), Number(before.n));

      // Allowed when it was subscribed; the config says otherwise by the time it is sent.
      f.setSubscribers({ allow_private_targets: true });
      await subscribeJson({ kind: 'webhook', url: `${f.hooks}/ok/now-private` });
      const sub = (await subscriberByAddress(f.env, `${f.hooks}/ok/now-private`))!;
      f.setSubscribers({ allow_private_targets: false });
      await postIncident(f.env, { id: 'incssrf00001', name: 'SSRF', status: 'investigating', impact: 'minor', components: {}, body: 'x' });
      await f.drain();
      const [row] = await rowsFor(f.env, sub.id);
      assert.equal(row.status, 'failed');
      assert.match(row.last_error ?? '', /private/);
      assert.equal(f.hits.length, 0);
    });

    it('admin API: list, add confirmed without a mail, add with a confirmation, remove (audited)', async () => {
      const { admin, responder, viewer } = f.t.auth;
      const added = await f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: admin, payload: { kind: 'email', email: 'Ops@Example.com', confirmed: true, components: ['api'] } });
      assert.equal(added.statusCode, 201, added.body);
      assert.equal(added.json().address, 'ops@example.com');
      assert.equal(added.json().state, 'confirmed');
      const pending = await f.t.app.inject({ method: 'POST', url: '/api/v1/status-page/subscribers', headers: admin, payload: { kind: 'email', email: 'later@example.com' } });
      assert.equal(pending.json().state, 'pending');
      await f.drain();
      const mails = await f.waitForMails(1);
      assert.deepEqual(mails.map((m) => m.to[0]), ['later@example.com']);

      const list = await f.t.app.inject({ method: 'GET', url: '/api/v1/status-page/subscribers?state=confirmed&kind=email&limit=1', headers: responder });
      assert.equal(list.statusCode, 200, list.body);
      assert.deepEqual(list.json().data.map((s: { address: string }) => s.address), ['ops@example.com']);
      assert.equal((await f.t.app.inject({ method: 'GET', url: '/api/v1/status-page/subscribers', headers: viewer })).statusCode, 403);

      const removed = await f.t.app.inject({ method: 'DELETE', url: `/api/v1/status-page/subscribers/${added.json().id}`, headers: admin });
      assert.equal(removed.statusCode, 200, removed.body);
      assert.equal(removed.json().state, 'unsubscribed');
      assert.equal((await f.t.app.inject({ method: 'DELETE', url: `/api/v1/status-page/subscribers/${added.json().id}`, headers: admin })).statusCode, 200);
      assert.equal((await f.t.app.inject({ method: 'DELETE', url: '/api/v1/status-page/subscribers/sub_missing', headers: admin })).statusCode, 404);
      const audit = await f.env.db.kysely.selectFrom('audit_log').select(['action', 'actor_name']).where('entity_id', '=', added.json().id).orderBy('id').execute();
      assert.deepEqual(audit, [
        { action: 'status_subscriber.added', actor_name: 'admin-user' },
        { action: 'status_subscriber.unsubscribed', actor_name: 'admin-user' },
      ]);
    });
  });
}
