import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { withTransaction } from '../../src/db/transaction.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { buildMessage, enqueueNotifications, enqueuePrepared, NotificationDispatcher } from '../../src/modules/notifications/index.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { closeHttp, listen } from './helpers.ts';

/**
 * A post to a long, slow subscriber list never holds up a page: subscriber messages get their own
 * lane, at most a quarter of the sends in flight.
 */
for (const { name: dialect, skip } of DIALECTS) {
  describe(`delivery lanes (${dialect})`, { skip }, () => {
    let env: TestEnv;
    let server: http.Server;
    let base: string;
    const arrived: { path: string; at: number }[] = [];
    before(async () => {
      env = await createTestEnv(dialect, import.meta.url);
      server = http.createServer((req, res) => {
        req.resume();
        arrived.push({ path: req.url ?? '', at: Date.now() });
        // Subscribers' endpoints are slow: each holds its send slot for 1.5 s.
        setTimeout(() => res.end('ok'), req.url?.startsWith('/slow') ? 1500 : 0);
      });
      base = `http://127.0.0.1:${await listen(server)}`;
      const current = env.config.current;
      env.config.current = {
        ...current,
        channels: [{ id: 'ops', name: 'Ops', type: 'webhook', url: `${base}/fast/ops` } as (typeof current.channels)[number]],
        notifications: { ...current.notifications, attempt_timeout: 5000 },
        status_page: { ...current.status_page, subscribers: { ...current.status_page.subscribers, allow_private_targets: true } },
      };
    });
    after(async () => {
      await closeHttp(server);
      await env?.close();
    });

    it('sends a page at once while 40 slow subscriber webhooks wait their turn', async () => {
      const now = env.clock.now();
      const ids = Array.from({ length: 40 }, (_, i) => `sub_lane_${i}`);
      await env.db.kysely.insertInto('status_subscribers').values(ids.map((id) => ({ id, kind: 'webhook', address: `${base}/slow/${id}`, components: null, created_at: now, confirmed_at: now, confirm_sent_at: null, unsubscribed_at: null, created_by: 'test' }))).execute();
      await withTransaction(env.ctx(), (tx) => enqueuePrepared(tx, ids.map((id) => ({ key: `lane-${id}`, subscriberId: id, message: { kind: 'subscriber', idempotencyKey: `lane-${id}`, event: 'component', audience: 'confirmed', webhook: { body: '{}' } } }))));
      // The page is queued after all of them (oldest first would put it last).
      env.clock.advance(1000);
      const inc = await createIncident(env.ctx(env.users.responder.actor), { title: 'db down', severity: 'P1', services: ['database'] });
      await withTransaction(env.ctx(), (tx) =>
        enqueueNotifications(tx, [{ key: 'lane-page', incidentId: inc.id, destination: 'channel:ops', provider: 'webhook', user: null, message: buildMessage(env.config.current, env.clock.now(), { kind: 'page', key: 'lane-page', incident: inc }), notBefore: 0 }]),
      );
      const dispatcher = new NotificationDispatcher({ db: env.db, config: env.config, clock: env.clock, logger: createLogger({ level: 'silent' }), nodeId: 'lanes' }, { maxInFlight: 8, pollMs: 20 });
      const started = Date.now();
      await dispatcher.start();
      try {
        for (let i = 0; i < 100 && !arrived.some((a) => a.path === '/fast/ops'); i++) await new Promise((r) => setTimeout(r, 20));
        const page = arrived.find((a) => a.path === '/fast/ops');
        assert.ok(page, 'the page arrived');
        assert.ok(page.at - started < 1000, `the page waited ${page.at - started} ms behind slow subscribers`);
        const slowInFlight = arrived.filter((a) => a.path.startsWith('/slow') && a.at < page.at).length;
        assert.ok(slowInFlight <= 2, `${slowInFlight} subscriber sends were in flight: at most a quarter of 8`);
      } finally {
        await dispatcher.stop();
      }
    });
  });
}
