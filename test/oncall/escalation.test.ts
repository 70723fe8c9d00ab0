import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { systemActor } from '../../src/modules/context.ts';
import { assignRole, changeSeverity, createIncident, getIncidentTimeline, recordChange, transitionIncident } from '../../src/modules/incidents/index.ts';
import { escalateNow, reassignIncident, rebindEscalation } from '../../src/modules/oncall/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { deliveries, oncallFixture, type OncallFixture } from './oncall-kit.ts';

const MIN = 60_000;

for (const { name: dialect, skip } of DIALECTS) {
  describe(`escalation (${dialect})`, { skip }, () => {
    let f: OncallFixture;
    before(async () => {
      f = await oncallFixture(dialect, import.meta.url);
    });
    after(() => f?.close());
    // Each case starts with nothing open and nothing received.
    beforeEach(() => f.reset(MIN));

    const declare = (severity: 'P0' | 'P1' | 'P2' | 'P3', services = ['database']) =>
      createIncident(f.env.ctx(f.env.users.responder.actor), { title: `${severity} on ${services.join(', ')}`, severity, services });
    const received = (ref: string) => deliveries(f.requests).filter((d) => d.ref === ref);
    const timeline = async (ref: string) => getIncidentTimeline(f.env.ctx(), ref);

    it('pages the primary at once, tells executives for a P0, and escalates after the 2-minute ack target', async () => {
      const inc = await declare('P0');
      await f.node.settle();
      assert.deepEqual(received(inc.ref).map((d) => `${d.event}:${d.to}`).sort(), ['page:alice', 'stakeholder:ceo']);
      f.env.clock.advance(2 * MIN - 1000);
      await f.node.settle();
      assert.equal(received(inc.ref).filter((d) => d.event === 'page').length, 1, 'nothing more before the ack target');
      f.env.clock.advance(1000);
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.level === 2).map((d) => d.to).sort(), ['bob', 'mgr']);
      const entries = await timeline(inc.ref);
      const steps = entries.filter((e) => e.kind === 'escalation');
      assert.equal(steps.length, 2);
      assert.match(steps[0].body, /level 1: alice \(on call for Primary\) via hook.*next: level 2 in 2m/);
      assert.match(steps[1].body, /level 2: bob \(on call for Secondary\) via hook; mgr \(named in the escalation policy\)/);
      assert.ok(entries.some((e) => e.kind === 'notification' && /Page to alice via hook \(webhook\) delivered \(HTTP 200/.test(e.body)));
      assert.ok(entries.some((e) => e.kind === 'stakeholders_notified' && /Executives told \(P0\)/.test(e.body)));
    });

    it('stops escalating when acknowledged, and a resolve cancels everything pending', async () => {
      const inc = await declare('P1');
      await f.node.settle();
      await transitionIncident(f.env.ctx(f.env.users.responder.actor), inc.ref, 'acknowledge');
      await f.node.settle();
      f.env.clock.advance(60 * MIN);
      await f.node.settle();
      const pages = received(inc.ref).filter((d) => d.event === 'page');
      assert.deepEqual(pages.map((d) => d.to), ['alice'], 'only level 1 was paged');
      const stopped = (await timeline(inc.ref)).find((e) => e.kind === 'escalation_stopped');
      assert.match(stopped!.body, /acknowledged by responder-user/);
      assert.equal(await pendingTimers(f, inc.id, 'oncall.escalate'), 0);
      // The reminder is still armed while open; resolving cancels it.
      assert.equal(await pendingTimers(f, inc.id, 'oncall.reminder'), 1);
      await transitionIncident(f.env.ctx(), inc.ref, 'resolve');
      await f.node.settle();
      assert.equal(await pendingTimers(f, inc.id, 'oncall.reminder'), 0);
      assert.equal((await escalationRow(f, inc.id)).state, 'resolved');
    });

    it('walks every level, repeats the policy, then stops; the paged channel hears the resolve', async () => {
      const inc = await declare('P1'); // ack target 5m: level 1 waits 5m, level 2 10m, level 3 5m
      await f.node.settle();
      for (const wait of [5, 10, 5, 5, 10]) {
        f.env.clock.advance(wait * MIN);
        await f.node.settle();
      }
      const pages = received(inc.ref).filter((d) => d.event === 'page').map((d) => `${d.level}:${d.to}`);
      assert.deepEqual([...pages].sort(), ['1:alice', '1:alice', '2:bob', '2:bob', '2:mgr', '2:mgr', '3:ops', '3:ops']);
      assert.equal(new Set(received(inc.ref).map((d) => d.key)).size, received(inc.ref).length, 'every message has its own idempotency key');
      assert.equal((await escalationRow(f, inc.id)).state, 'exhausted');
      f.env.clock.advance(60 * MIN);
      await f.node.settle();
      assert.equal(received(inc.ref).filter((d) => d.event === 'page').length, 8, 'nothing after the last round');
      await transitionIncident(f.env.ctx(), inc.ref, 'resolve');
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'resolved').map((d) => d.to), ['ops']);
    });

    it('P3 pages the first level only and never escalates', async () => {
      const inc = await declare('P3');
      await f.node.settle();
      f.env.clock.advance(5 * 60 * MIN);
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'page').map((d) => d.to), ['alice']);
      const step = (await timeline(inc.ref)).find((e) => e.kind === 'escalation');
      assert.match(step!.body, /P3 does not escalate beyond the first level/);
    });

    it('a P2 raised to P1 after 30 minutes owes the executives and the director a notice at once', async () => {
      const inc = await declare('P2');
      await f.node.settle();
      f.env.clock.advance(30 * MIN);
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'stakeholder').map((d) => d.to), []);
      await changeSeverity(f.env.ctx(f.env.users.responder.actor), inc.ref, { severity: 'P1', reason: 'open 30 minutes at P2' });
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'stakeholder').map((d) => d.to).sort(), ['ceo', 'dir']);
    });

    it('a P2 raised to P1 tells the executives at once and the director 30 minutes later', async () => {
      const inc = await declare('P2');
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'stakeholder').map((d) => d.to), []);
      await changeSeverity(f.env.ctx(f.env.users.responder.actor), inc.ref, { severity: 'P1', reason: 'more users affected' });
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'stakeholder').map((d) => d.to), ['ceo']);
      f.env.clock.advance(30 * MIN);
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'stakeholder').map((d) => d.to).sort(), ['ceo', 'dir']);
    });

    it('reminds the commander when no stakeholder update was posted for the cadence, and passes updates on', async () => {
      const inc = await declare('P1');
      await assignRole(f.env.ctx(f.env.users.responder.actor), inc.ref, { role: 'commander', user: 'bob' });
      await transitionIncident(f.env.ctx(f.env.users.responder.actor), inc.ref, 'acknowledge');
      await f.node.settle();
      f.env.clock.advance(30 * MIN);
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'reminder').map((d) => d.to), ['bob']);
      const reminder = (await timeline(inc.ref)).find((e) => e.kind === 'update_reminder');
      assert.match(reminder!.body, /No stakeholder update has been posted on INC-\d+ for 30m \(the P1 cadence\)/);
      // An update goes to the groups told so far (executives at once, the director at 30 minutes),
      // and the next reminder is a full cadence after it.
      await postUpdate(f, inc.ref, 'Failover to the replica is under way.');
      await f.node.settle();
      const updates = f.requests.filter((r) => JSON.parse(r.body).event === 'update');
      assert.deepEqual(updates.map((r) => r.path.split('/').pop()).sort(), ['ceo', 'dir']);
      assert.equal(JSON.parse(updates[0].body).body, 'Failover to the replica is under way.');
      f.env.clock.advance(29 * MIN);
      await f.node.settle();
      assert.equal(received(inc.ref).filter((d) => d.event === 'reminder').length, 1);
      f.env.clock.advance(MIN);
      await f.node.settle();
      assert.equal(received(inc.ref).filter((d) => d.event === 'reminder').length, 2);
    });

    it('a responder escalates by hand (acknowledged or not) and reassigns, which stops the automatic escalation', async () => {
      const responder = f.env.ctx(f.env.users.responder.actor);
      const inc = await declare('P1');
      await f.node.settle();
      await transitionIncident(responder, inc.ref, 'acknowledge');
      await f.node.settle();
      assert.deepEqual(await escalateNow(responder, f.node.engine, inc.ref, { note: 'need the database team' }), { level: 2, step: 'manual-1' });
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.level === 2).map((d) => d.to).sort(), ['bob', 'mgr']);
      assert.deepEqual(await escalateNow(responder, f.node.engine, inc.ref), { level: 3, step: 'manual-2' });
      assert.deepEqual(await escalateNow(responder, f.node.engine, inc.ref), { level: 3, step: 'manual-3' }, 'past the last level: the last level again');
      await f.node.settle();
      const manual = (await timeline(inc.ref)).filter((e) => e.kind === 'escalation' && /by hand/.test(e.body));
      assert.match(manual[0].body, /Escalated by hand to level 2 by responder-user \(need the database team\)/);

      const other = await declare('P1');
      await f.node.settle();
      await reassignIncident(responder, f.node.engine, other.ref, { user: 'dir', note: 'director takes it' });
      await f.node.settle();
      assert.deepEqual(received(other.ref).filter((d) => d.event === 'page').map((d) => d.to).sort(), ['alice', 'dir']);
      assert.equal((await escalationRow(f, other.id)).state, 'reassigned');
      f.env.clock.advance(60 * MIN);
      await f.node.settle();
      assert.deepEqual(received(other.ref).filter((d) => d.event === 'page').map((d) => d.to).sort(), ['alice', 'dir'], 'no automatic step after a reassignment');
      await assert.rejects(reassignIncident(responder, f.node.engine, other.ref, { user: 'nobody-here' }), { code: 'NOT_FOUND' });
      await assert.rejects(reassignIncident(responder, f.node.engine, other.ref, { user: 'alice', schedule: 'primary' } as never), { name: 'ZodError' });
      await transitionIncident(responder, other.ref, 'resolve');
      await assert.rejects(escalateNow(responder, f.node.engine, other.ref), { code: 'INVALID_TRANSITION' });
      await assert.rejects(escalateNow(f.env.ctx(f.env.users.viewer.actor), f.node.engine, inc.ref), { code: 'FORBIDDEN' });
    });

    it('policy edits apply to new incidents; an open incident is re-bound on request', async () => {
      const saved = f.env.config.current;
      const inc = await declare('P0');
      await f.node.settle();
      f.env.config.current = { ...saved, escalation_policies: [{ ...saved.escalation_policies[0], levels: [{ notify: [{ user: 'dir' }], timeout: 60_000 }] }] };
      try {
        f.env.clock.advance(2 * MIN);
        await f.node.settle();
        assert.deepEqual(received(inc.ref).filter((d) => d.level === 2).map((d) => d.to).sort(), ['bob', 'mgr'], 'the bound policy still runs');
        await rebindEscalation(f.env.ctx(f.env.users.responder.actor), inc.ref);
        const fresh = await declare('P0');
        await f.node.settle();
        assert.deepEqual(received(fresh.ref).filter((d) => d.event === 'page').map((d) => d.to), ['dir'], 'a new incident gets the new policy');
        const entry = (await timeline(inc.ref)).find((e) => e.kind === 'escalation_rebound');
        assert.match(entry!.body, /re-bound to the current policy "Test policy" \(1 level, repeat 1\)/);
        // The pending step (level 3, past the new policy's single level) becomes the next round's first level.
        f.env.clock.advance(10 * MIN);
        await f.node.settle();
        assert.ok(received(inc.ref).some((d) => d.event === 'page' && d.to === 'dir'));
      } finally {
        f.env.config.current = saved;
      }
    });

    it('a new alert on an acknowledged incident re-notifies its responders when configured', async () => {
      const inc = await declare('P1');
      await f.node.settle();
      await transitionIncident(f.env.ctx(f.env.users.responder.actor), inc.ref, 'acknowledge');
      await f.node.settle();
      // What correlate.ts records when correlation.renotify_acknowledged is on.
      await recordChange(f.env.ctx(systemActor('signals')), inc, { kind: 'renotify', body: 'New alert on an incident already being handled', data: {} });
      await f.node.settle();
      assert.deepEqual(received(inc.ref).filter((d) => d.event === 'page').map((d) => d.to), ['alice', 'alice']);
      const steps = await f.env.db.kysely.selectFrom('escalation_steps').select('step_key').where('incident_id', '=', inc.id).orderBy('fired_at').execute();
      assert.match(steps[1].step_key, /^renotify-\d+$/);
    });

    it('a reopened incident pages nobody again but resumes the update reminders', async () => {
      const inc = await declare('P1');
      await f.node.settle();
      await transitionIncident(f.env.ctx(), inc.ref, 'resolve');
      await f.node.settle();
      assert.equal(await pendingTimers(f, inc.id, 'oncall.reminder'), 0);
      await transitionIncident(f.env.ctx(f.env.users.responder.actor), inc.ref, 'reopen');
      await f.node.settle();
      assert.equal((await escalationRow(f, inc.id)).state, 'acknowledged');
      assert.equal(await pendingTimers(f, inc.id, 'oncall.reminder'), 1);
      assert.equal(received(inc.ref).filter((d) => d.event === 'page').length, 1, 'only the first page');
    });

    it('an incident on a service without a policy says that nobody is paged', async () => {
      const saved = f.env.config.current;
      f.env.config.current = { ...saved, escalation_policies: [] };
      try {
        const inc = await declare('P1', ['docs']);
        await f.node.settle();
        const note = (await timeline(inc.ref)).find((e) => e.kind === 'escalation');
        assert.match(note!.body, /No escalation policy applies to docs: nobody is paged/);
        assert.equal(received(inc.ref).filter((d) => d.event === 'page').length, 0);
      } finally {
        f.env.config.current = saved;
      }
    });
  });
}

async function pendingTimers(f: OncallFixture, incidentId: string, kind: string): Promise<number> {
  const rows = await f.env.db.kysely.selectFrom('timers').select('subject_id').where('kind', '=', kind).where('subject_id', '=', incidentId).execute();
  return rows.length;
}

async function escalationRow(f: OncallFixture, incidentId: string) {
  return f.env.db.kysely.selectFrom('escalations').selectAll().where('incident_id', '=', incidentId).executeTakeFirstOrThrow();
}

async function postUpdate(f: OncallFixture, ref: string, body: string): Promise<void> {
  const { postStakeholderUpdate } = await import('../../src/modules/incidents/index.ts');
  await postStakeholderUpdate(f.env.ctx({ ...systemActor('x'), type: 'user', userId: f.env.users.responder.id, name: 'responder-user', role: 'responder' }), ref, { body });
}
