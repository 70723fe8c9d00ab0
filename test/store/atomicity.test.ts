import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Actor } from '../../src/modules/context.ts';
import { addNote, addServices, assignRole, changeSeverity, createIncident, getIncident, transitionIncident, updateIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { incidentCounter, incidentIn, snapshot } from './incident-helpers.ts';

/**
 * A real database trigger makes one write fail, so a verb dies half-way exactly as it would on a
 * constraint violation or a full disk; afterwards nothing of that verb may remain.
 */
async function withFailingTrigger(env: TestEnv, kind: 'outbox-topic' | 'incident-touch', value: string, body: () => Promise<void>): Promise<void> {
  const k = env.db.kysely;
  const name = `fb_test_fail_${kind.replace('-', '_')}`;
  if (env.dialect === 'sqlite') {
    const ddl =
      kind === 'outbox-topic'
        ? `create trigger ${name} before insert on outbox when new.topic = '${value}' begin select raise(abort, 'boom: injected failure'); end`
        : // recordChange's last write bumps updated_at; the state change itself does not touch it.
          `create trigger ${name} before update of updated_at on incidents when new.updated_at is not old.updated_at and new.id = '${value}' begin select raise(abort, 'boom: injected failure'); end`;
    await sql.raw(ddl).execute(k);
  } else {
    await sql.raw(`create or replace function fb_test_boom() returns trigger language plpgsql as $$ begin raise exception 'boom: injected failure'; end $$`).execute(k);
    const ddl =
      kind === 'outbox-topic'
        ? `create trigger ${name} before insert on outbox for each row when (new.topic = '${value}') execute function fb_test_boom()`
        : `create trigger ${name} before update of updated_at on incidents for each row when (new.updated_at is distinct from old.updated_at and new.id = '${value}') execute function fb_test_boom()`;
    await sql.raw(ddl).execute(k);
  }
  try {
    await body();
  } finally {
    await sql.raw(env.dialect === 'sqlite' ? `drop trigger if exists ${name}` : `drop trigger if exists ${name} on ${kind === 'outbox-topic' ? 'outbox' : 'incidents'}`).execute(k);
  }
}

const count = async (env: TestEnv, table: 'incidents' | 'incident_timeline' | 'audit_log' | 'outbox' | 'incident_services' | 'incident_roles') =>
  Number((await env.db.kysely.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);

async function tableCounts(env: TestEnv) {
  return {
    incidents: await count(env, 'incidents'),
    timeline: await count(env, 'incident_timeline'),
    audit: await count(env, 'audit_log'),
    outbox: await count(env, 'outbox'),
    services: await count(env, 'incident_services'),
    roles: await count(env, 'incident_roles'),
    counter: await incidentCounter(env),
  };
}

const BOOM = /boom: injected failure/;

for (const { name, skip } of DIALECTS) {
  describe(`verbs are atomic [${name}]`, { skip }, () => {
    let env: TestEnv;
    let responder: Actor;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      responder = env.users.responder.actor;
    });
    after(async () => {
      await env?.close();
    });

    test('the injected failure is real: the trigger fires and is removed afterwards', async () => {
      const inc = await incidentIn(env, 'triggered', responder);
      await withFailingTrigger(env, 'outbox-topic', 'incident.note', async () => {
        await assert.rejects(addNote(env.ctx(responder), inc.ref, { body: 'x' }), BOOM);
      });
      await addNote(env.ctx(responder), inc.ref, { body: 'works again' });
    });

    test('create: failing its last write (the outbox event) leaves no incident, timeline, audit, outbox or number behind', async () => {
      const before = await tableCounts(env);
      await withFailingTrigger(env, 'outbox-topic', 'incident.created', async () => {
        await assert.rejects(createIncident(env.ctx(responder), { title: 'Doomed', severity: 'P1', services: ['api', 'cache'] }), BOOM);
      });
      assert.deepEqual(await tableCounts(env), before);
      const row = await env.db.kysely.selectFrom('incidents').select('id').where('title', '=', 'Doomed').executeTakeFirst();
      assert.equal(row, undefined);
      const next = await createIncident(env.ctx(responder), { title: 'Survivor', severity: 'P1', services: ['api'] });
      if (name === 'sqlite') {
        // SQLite's counter row rolls back with the create: the number is handed out again, no gap.
        assert.equal(next.number, before.counter + 1);
      } else {
        // PostgreSQL's sequence does not roll back (ADR 0006): a gap, never a duplicate.
        assert.ok(next.number > before.counter, `number ${next.number} must be above ${before.counter}`);
      }
    });

    test('create with a commander: failing the role event (its last write) leaves nothing, not even the role', async () => {
      const before = await tableCounts(env);
      await withFailingTrigger(env, 'outbox-topic', 'incident.role_assigned', async () => {
        await assert.rejects(createIncident(env.ctx(responder), { title: 'Doomed with IC', severity: 'P0', services: ['database'], commander: env.users.admin.handle }), BOOM);
      });
      assert.deepEqual(await tableCounts(env), before);
    });

    test('transition: failing the outbox event leaves no state change, timeline or audit', async () => {
      const inc = await incidentIn(env, 'triggered', responder);
      const before = await snapshot(env, inc.id);
      env.clock.advance(60_000);
      await withFailingTrigger(env, 'outbox-topic', 'incident.acknowledged', async () => {
        await assert.rejects(transitionIncident(env.ctx(responder), inc.ref, 'acknowledge', { note: 'on it' }), BOOM);
      });
      assert.deepEqual(await snapshot(env, inc.id), before);
      const view = await getIncident(env.ctx(responder), inc.ref);
      assert.equal(view.state, 'triggered');
      assert.equal(view.acknowledged_at, null);
      assert.deepEqual(view.timeline.map((e) => e.kind), ['created']);
    });

    test('transition: failing the very last write (the updated_at bump) leaves nothing either', async () => {
      const inc = await incidentIn(env, 'resolved', responder);
      const before = await snapshot(env, inc.id);
      env.clock.advance(60_000);
      await withFailingTrigger(env, 'incident-touch', inc.id, async () => {
        await assert.rejects(transitionIncident(env.ctx(responder), inc.ref, 'reopen'), BOOM);
      });
      assert.deepEqual(await snapshot(env, inc.id), before);
      assert.equal(before.row!.state, 'resolved');
      assert.equal(before.row!.reopen_count, 0);
      // With the trigger gone the same verb goes through.
      const v = await transitionIncident(env.ctx(responder), inc.ref, 'reopen');
      assert.equal(v.reopen_count, 1);
    });

    test('every other verb rolls back completely when its last write fails', async () => {
      const inc = await incidentIn(env, 'investigating', responder, { services: ['docs'] });
      await assignRole(env.ctx(responder), inc.ref, { role: 'commander', user: env.users.responder.handle });
      const before = await snapshot(env, inc.id);
      env.clock.advance(60_000);
      const ctx = env.ctx(responder);
      await withFailingTrigger(env, 'incident-touch', inc.id, async () => {
        await assert.rejects(changeSeverity(ctx, inc.ref, { severity: 'P0', reason: 'worse' }), BOOM);
        await assert.rejects(assignRole(ctx, inc.ref, { role: 'commander', user: env.users.admin.handle }), BOOM);
        await assert.rejects(assignRole(ctx, inc.ref, { role: 'commander', user: env.users.responder.handle, action: 'remove' }), BOOM);
        // Two services: the first service's records are written before the failure.
        await assert.rejects(addServices(ctx, inc.ref, { services: ['storage', 'reporting'] }), BOOM);
        await assert.rejects(updateIncident(ctx, inc.ref, { title: 'renamed', war_room_url: 'https://x.example.com' }), BOOM);
        await assert.rejects(addNote(ctx, inc.ref, { body: 'lost' }), BOOM);
      });
      assert.deepEqual(await snapshot(env, inc.id), before, 'severity, commander, services, impact, title and timeline untouched');
    });

    test('addServices: a failure on the second service event undoes the first service too', async () => {
      const inc = await incidentIn(env, 'acknowledged', responder, { services: ['docs'] });
      const before = await snapshot(env, inc.id);
      // Fail only the second service_added event by matching on its payload.
      const k = env.db.kysely;
      if (env.dialect === 'sqlite') {
        await sql.raw(`create trigger fb_test_second before insert on outbox when new.topic = 'incident.service_added' and new.payload like '%"service":"reporting"%' begin select raise(abort, 'boom: injected failure'); end`).execute(k);
      } else {
        await sql.raw(`create or replace function fb_test_boom() returns trigger language plpgsql as $$ begin raise exception 'boom: injected failure'; end $$`).execute(k);
        await sql.raw(`create trigger fb_test_second before insert on outbox for each row when (new.topic = 'incident.service_added' and new.payload like '%"service":"reporting"%') execute function fb_test_boom()`).execute(k);
      }
      try {
        await assert.rejects(addServices(env.ctx(responder), inc.ref, { services: ['storage', 'reporting'] }), BOOM);
      } finally {
        await sql.raw(env.dialect === 'sqlite' ? 'drop trigger fb_test_second' : 'drop trigger fb_test_second on outbox').execute(k);
      }
      assert.deepEqual(await snapshot(env, inc.id), before);
    });

    test('a failing verb next to successful ones (sharing a commit on SQLite) fails alone', async () => {
      const incs = await Promise.all([0, 1, 2, 3].map(() => incidentIn(env, 'triggered', responder)));
      const doomed = incs[2];
      const before = await snapshot(env, doomed.id);
      env.clock.advance(60_000);
      await withFailingTrigger(env, 'incident-touch', doomed.id, async () => {
        const results = await Promise.allSettled(incs.map((i) => transitionIncident(env.ctx(responder), i.ref, 'acknowledge')));
        assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
        assert.match(String((results[2] as PromiseRejectedResult).reason), BOOM);
      });
      assert.deepEqual(await snapshot(env, doomed.id), before);
      for (const i of [0, 1, 3]) {
        const v = await getIncident(env.ctx(responder), incs[i].ref);
        assert.equal(v.state, 'acknowledged');
        assert.deepEqual(v.timeline.map((e) => e.kind), ['created', 'acknowledged']);
      }
    });

    test('SQLite: a write that makes SQLite abandon the whole shared transaction fails every verb that was in it, and persists none of them', { skip: name !== 'sqlite' && 'SQLite only' }, async () => {
      // RAISE(ROLLBACK) ends the transaction itself, not just the statement, as SQLITE_FULL or an
      // I/O error can. Every verb must then either have failed or be durable; never "succeeded but lost".
      const incs = await Promise.all([0, 1, 2, 3].map(() => incidentIn(env, 'triggered', responder)));
      const doomed = incs[1];
      await sql.raw(`create trigger fb_test_rollback before insert on incident_timeline when new.incident_id = '${doomed.id}' and new.kind = 'note' begin select raise(rollback, 'boom: injected failure'); end`).execute(env.db.kysely);
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(incs.map((i) => addNote(env.ctx(responder), i.ref, { body: `note on ${i.ref}` })));
      } finally {
        await sql.raw('drop trigger fb_test_rollback').execute(env.db.kysely);
      }
      assert.equal(results[1].status, 'rejected');
      // Verbs queued after the failing one must not be dragged down by it.
      assert.deepEqual([results[2].status, results[3].status], ['fulfilled', 'fulfilled']);
      for (const [i, r] of results.entries()) {
        const notes = (await getIncident(env.ctx(responder), incs[i].ref)).timeline.filter((e) => e.kind === 'note');
        if (r.status === 'fulfilled') assert.equal(notes.length, 1, `${incs[i].ref}: reported success, so its note must be stored`);
        else assert.equal(notes.length, 0, `${incs[i].ref}: reported failure (${String(r.reason)}), so nothing may be stored`);
      }
    });
  });
}
