import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createIncident, getIncidentTimeline } from '../../src/modules/incidents/index.ts';
import { enqueueNotifications, retryDelay, testChannel } from '../../src/modules/notifications/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { oncallFixture, type OncallFixture } from './oncall-kit.ts';

/**
 * Delivery through the notification outbox against a real local receiver whose paths misbehave:
 * 500s are retried with backoff until the give-up time (then an internal alert), a 400 is not
 * retried, a hanging destination does not hold up the others, a channel's rate limit defers
 * rather than drops, and the same key is queued once.
 */
for (const { name: dialect, skip } of DIALECTS) {
  describe(`notification delivery (${dialect})`, { skip }, () => {
    let f: OncallFixture;
    before(async () => {
      f = await oncallFixture(dialect, import.meta.url, (doc) => {
        doc.notifications = { retry: { initial: '1s', max: '8s' }, attempt_timeout: '400ms', give_up_after: '20s' };
        doc.channels = [{ id: 'ops', type: 'webhook', url: 'http://127.0.0.1:1/unused', rate_limit: { per_minute: 6 } }];
      });
    });
    after(() => f?.close());
    beforeEach(async () => {
      await f.reset(60_000);
      await f.env.db.kysely.updateTable('notifications').set({ status: 'cancelled', next_attempt_at: null }).where('status', '=', 'pending').execute();
    });

    /** Points a person's webhook (or the ops channel) at a receiver path. */
    const route = (who: string, path: string) => {
      const cfg = f.env.config.current;
      if (who === 'ops') {
        f.env.config.current = { ...cfg, channels: cfg.channels.map((c) => (c.id === 'ops' ? { ...c, url: `${f.base}${path}` } : c)) };
        return;
      }
      f.env.config.current = {
        ...cfg,
        users: cfg.users.map((u) => (u.handle === who ? { ...u, contact_methods: u.contact_methods.map((m) => ({ ...m, url: `${f.base}${path}` })) } : u)),
      };
    };
    const notificationsTo = (who: string, incidentId: string) =>
      f.env.db.kysely.selectFrom('notifications').selectAll().where('destination', '=', `user:${who}:hook`).where('incident_id', '=', incidentId).orderBy('created_at').execute();

    it('retries a 500 with growing backoff, gives up at the declared time, and raises an internal alert', async () => {
      route('alice', '/fail/500/alice');
      route('ceo', '/ok/200/ceo');
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Primary down', severity: 'P0', services: ['database'] });
      await f.node.settle();
      let [page] = await notificationsTo('alice', inc.id);
      assert.equal(page.status, 'pending');
      assert.equal(page.attempts, 1);
      const gaps: number[] = [];
      for (let i = 0; i < 30 && page.status === 'pending'; i++) {
        const wait = Number(page.next_attempt_at) - f.env.clock.now();
        gaps.push(wait);
        f.env.clock.advance(Math.max(0, wait));
        await f.node.settle();
        [page] = await notificationsTo('alice', inc.id);
      }
      assert.equal(page.status, 'gave_up');
      // 1s, 2s, 4s, 8s, 8s… each jittered into its upper half; stops before the 20 s give-up time.
      for (const [i, gap] of gaps.slice(0, 4).entries()) assert.ok(gap >= 500 * 2 ** i && gap <= 1000 * 2 ** i, `gap ${i} was ${gap}`);
      const attempts = await f.env.db.kysely.selectFrom('notification_attempts').selectAll().where('notification_id', '=', page.id).execute();
      assert.equal(attempts.length, page.attempts);
      assert.ok(attempts.every((a) => a.ok === 0 && a.status_code === 500 && /failure/.test(a.error ?? '')));
      assert.equal(f.requests.filter((r) => r.path.endsWith('/alice')).length, page.attempts, 'one request per attempt');
      const timeline = await getIncidentTimeline(f.env.ctx(), inc.ref);
      assert.ok(timeline.some((e) => e.kind === 'notification' && /Page to alice via hook \(webhook\) failed \(attempt 1: HTTP 500/.test(e.body)));
      assert.ok(timeline.some((e) => e.kind === 'notification' && /given up after \d+ attempts/.test(e.body)));
      const alert = await f.env.db.kysely.selectFrom('signals').select(['dedup_key', 'payload']).where('integration_id', '=', 'firebreak').execute();
      assert.deepEqual(alert.map((a) => a.dedup_key), ['firebreak/notifications/user:alice:hook']);
      assert.match(JSON.parse(alert[0].payload).summary, /gave up after \d+ attempts/);
    });

    it('does not retry a 400, and says so', async () => {
      route('alice', '/fail/400/alice');
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Bad hook', severity: 'P1', services: ['database'] });
      await f.node.settle();
      f.env.clock.advance(60_000);
      await f.node.settle();
      const [page] = await notificationsTo('alice', inc.id);
      assert.equal(page.status, 'failed');
      assert.equal(page.attempts, 1);
    });

    it('a hanging destination does not hold up the others', async () => {
      route('alice', '/hang/alice');
      route('ceo', '/ok/200/ceo');
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Hang', severity: 'P0', services: ['database'] });
      await f.node.worker.runOnce();
      await f.node.dispatcher.runOnce();
      const [alice] = await notificationsTo('alice', inc.id);
      const [ceo] = await notificationsTo('ceo', inc.id);
      assert.equal(ceo.status, 'sent');
      assert.equal(alice.status, 'pending');
      assert.match(alice.last_error ?? '', /timed out after 400 ms/);
      const [ceoAttempt] = await f.env.db.kysely.selectFrom('notification_attempts').selectAll().where('notification_id', '=', ceo.id).execute();
      assert.ok(ceoAttempt.latency_ms < 300, `the other delivery took ${ceoAttempt.latency_ms} ms`);
    });

    it("a channel's rate limit defers messages (never drops them)", async () => {
      route('ops', '/ok/200/ops');
      const admin = f.env.ctx(f.env.users.admin.actor);
      for (let i = 0; i < 3; i++) await testChannel(admin, 'ops');
      await f.node.dispatcher.runOnce();
      const rows = () => f.env.db.kysely.selectFrom('notifications').selectAll().where('destination', '=', 'channel:ops').where('kind', '=', 'test').execute();
      assert.deepEqual((await rows()).map((r) => r.status).sort(), ['pending', 'pending', 'sent'], '6 a minute: a burst of one');
      assert.ok((await rows()).filter((r) => r.status === 'pending').every((r) => r.attempts === 0), 'deferred, not attempted');
      for (let i = 0; i < 4; i++) {
        f.env.clock.advance(10_000);
        await f.node.dispatcher.runOnce();
      }
      assert.deepEqual((await rows()).map((r) => r.status), ['sent', 'sent', 'sent']);
      assert.equal(f.requests.filter((r) => r.path.endsWith('/ops')).length, 3);
    });

    it('queues a key once, however often it is asked', async () => {
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Once', severity: 'P3', services: ['database'] });
      await f.node.settle();
      const [page] = await notificationsTo('alice', inc.id);
      const again = await enqueueNotifications(f.env.ctx(), [
        { key: page.key, incidentId: inc.id, destination: page.destination, provider: 'webhook', user: 'alice', message: JSON.parse(page.message), notBefore: 0 },
      ]);
      assert.deepEqual(again, []);
      assert.equal((await notificationsTo('alice', inc.id)).length, 1);
    });

    it('backoff is full jitter between half and all of the capped exponential', () => {
      assert.equal(retryDelay(1, 1000, 60_000, () => 0), 500);
      assert.equal(retryDelay(1, 1000, 60_000, () => 1), 1000);
      assert.equal(retryDelay(4, 1000, 60_000, () => 1), 8000);
      assert.equal(retryDelay(40, 1000, 60_000, () => 1), 60_000);
    });
  });
}
