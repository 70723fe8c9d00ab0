import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { createLogger } from '../../src/lib/logger.ts';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { checkEscalationLateness, createEngine, LATE_ALERT_KEY, oncallMetricsText } from '../../src/modules/oncall/index.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { SignalProcessor } from '../../src/modules/signals/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { deliveries, OncallNode, oncallFixture, type OncallFixture } from './oncall-kit.ts';

const MIN = 60_000;
const silent = createLogger({ level: 'silent' });

/**
 * The engine across restarts and nodes: a step that came due while Firebreak was down runs once on
 * start (and the watchdog says it ran late); two nodes firing the same due timers and draining the
 * same outbox page each person once.
 */
for (const { name: dialect, skip } of DIALECTS) {
  describe(`escalation across restarts and nodes (${dialect})`, { skip }, () => {
    let f: OncallFixture;
    before(async () => {
      f = await oncallFixture(dialect, import.meta.url);
    });
    after(() => f?.close());
    beforeEach(async () => {
      await f.reset(10 * MIN);
      await checkEscalationLateness(f.env.ctx(), silent);
    });

    const newNode = async (name: string) => new OncallNode(f.env, await createEngine({ db: f.env.db, clock: f.env.clock }, name));

    it('a step due while Firebreak was down fires once on start, and the watchdog raises then clears its alert', async () => {
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Down during downtime', severity: 'P0', services: ['database'] });
      await f.node.settle();
      // "Crash": the node is gone. Ten minutes pass; level 2 was due after 2.
      f.env.clock.advance(10 * MIN);
      const overdue = await checkEscalationLateness(f.env.ctx(), silent);
      assert.equal(overdue.overdue.length, 1, 'the watchdog sees the overdue step');
      const before = await oncallMetricsText(f.env.ctx());
      assert.match(before, /^firebreak_escalation_steps_overdue 1$/m);
      assert.match(before, /^firebreak_escalation_steps_pending 1$/m);
      const restarted = await newNode('node-restarted');
      await restarted.settle();
      await restarted.settle();
      const steps = await f.env.db.kysely.selectFrom('escalation_steps').selectAll().where('incident_id', '=', inc.id).orderBy('fired_at').execute();
      assert.deepEqual(steps.map((s) => s.step_key), ['L1R1', 'L2R1']);
      assert.equal(Number(steps[1].fired_at) - Number(steps[1].due_at), 8 * MIN, 'ran as soon as it could, 8 minutes late');
      assert.equal(steps[1].node, 'node-restarted');
      const metrics = await oncallMetricsText(f.env.ctx());
      assert.match(metrics, /^firebreak_escalation_steps_overdue 0$/m);
      assert.match(metrics, /^firebreak_escalation_step_lateness_seconds\{quantile="1"\} 480$/m);
      assert.deepEqual(deliveries(f.requests).filter((d) => d.event === 'page').map((d) => `${d.level}:${d.to}`).sort(), ['1:alice', '2:bob', '2:mgr']);
      // The signal processor turns the watchdog's signal into an alert, which joins the open incident.
      const processor = new SignalProcessor({ db: f.env.db, config: f.env.config, clock: f.env.clock, logger: silent });
      processor.start(20);
      try {
        const lateAlert = () => f.env.db.kysely.selectFrom('alerts').select(['status', 'incident_id', 'summary']).where('integration_id', '=', 'firebreak').where('dedup_key', '=', LATE_ALERT_KEY).executeTakeFirst();
        await waitFor(async () => (await lateAlert())?.status === 'triggered');
        assert.match((await lateAlert())!.summary, /1 escalation step is overdue by up to 8m: paging may be stalled/);
        assert.equal((await lateAlert())!.incident_id, inc.id);
        // Steps on time for five minutes: the watchdog resolves its alert.
        await transitionIncident(f.env.ctx(), inc.ref, 'acknowledge');
        await restarted.settle();
        f.env.clock.advance(6 * MIN);
        const verdict = await checkEscalationLateness(f.env.ctx(), silent);
        assert.equal(verdict.overdue.length + verdict.ranLate.length, 0);
        await waitFor(async () => (await lateAlert())?.status === 'resolved');
      } finally {
        await processor.stop();
      }
    });

    it('two nodes firing the same due timers and draining one outbox page each person once', async () => {
      const a = await newNode('node-a');
      const b = await newNode('node-b');
      const refs: string[] = [];
      for (let i = 0; i < 12; i++) refs.push((await createIncident(f.env.ctx(f.env.users.responder.actor), { title: `Storm ${i}`, severity: 'P1', services: ['database'] })).ref);
      await Promise.all([a.settle(), b.settle()]);
      f.env.clock.advance(5 * MIN);
      // Both nodes poll the same due timers at once.
      await Promise.all([runDueTimers(f.env.ctx(), a.handlers, { concurrency: 4 }), runDueTimers(f.env.ctx(), b.handlers, { concurrency: 4 })]);
      await Promise.all([a.settle(), b.settle()]);
      // Each person's rate limit (60 a minute, bursts of 10) defers the rest of the storm a little.
      f.env.clock.advance(MIN);
      await Promise.all([a.settle(), b.settle()]);
      const steps = await f.env.db.kysely.selectFrom('escalation_steps').select(['incident_id', 'step_key']).where('incident_id', 'in', (await f.env.db.kysely.selectFrom('incidents').select('id').where('title', 'like', 'Storm %').execute()).map((r) => r.id)).execute();
      assert.equal(steps.length, 24, 'two steps per incident, each once');
      const pages = deliveries(f.requests).filter((d) => refs.includes(d.ref) && d.event === 'page');
      assert.equal(pages.length, 12 * 3, 'alice at level 1; bob and mgr at level 2');
      assert.equal(new Set(pages.map((p) => p.key)).size, pages.length, 'no message arrived twice');
    });

    it("a message leased by a node that died is sent after the lease runs out (SQLite: at once, it has one node)", async () => {
      const inc = await createIncident(f.env.ctx(f.env.users.responder.actor), { title: 'Lease', severity: 'P3', services: ['database'] });
      await f.node.worker.runOnce();
      // A node claimed the page and died before sending it.
      await f.env.db.kysely.updateTable('notifications').set({ lease_owner: 'dead-node', lease_until: f.env.clock.now() + 60_000 }).where('incident_id', '=', inc.id).execute();
      const other = await newNode('node-c');
      await other.dispatcher.start();
      await other.dispatcher.stop();
      await other.dispatcher.runOnce();
      const sentAtOnce = deliveries(f.requests).filter((d) => d.ref === inc.ref).length;
      if (dialect === 'sqlite') assert.equal(sentAtOnce, 1);
      else {
        assert.equal(sentAtOnce, 0, 'another node waits for the lease');
        f.env.clock.advance(61_000);
        await other.dispatcher.runOnce();
        assert.equal(deliveries(f.requests).filter((d) => d.ref === inc.ref).length, 1);
      }
    });
  });
}

async function waitFor(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  for (const until = Date.now() + ms; Date.now() < until; ) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not met in time');
}
