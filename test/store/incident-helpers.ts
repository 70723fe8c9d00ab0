import assert from 'node:assert/strict';
import { DomainError, type ErrorCode } from '../../src/lib/errors.ts';
import type { Actor } from '../../src/modules/context.ts';
import { createIncident, transitionIncident, type IncidentState, type IncidentView, type LifecycleVerb } from '../../src/modules/incidents/index.ts';
import type { TestEnv } from '../helpers/env.ts';

/** Allowed verbs that bring a freshly created (triggered) incident into each state. */
export const PATH_TO: Record<IncidentState, LifecycleVerb[]> = {
  triggered: [],
  acknowledged: ['acknowledge'],
  investigating: ['acknowledge', 'investigate'],
  identified: ['acknowledge', 'identify'],
  monitoring: ['acknowledge', 'monitor'],
  resolved: ['acknowledge', 'resolve'],
  closed: ['acknowledge', 'resolve', 'close'],
};

/** Declares an incident and drives it into `state` through allowed verbs only. */
export async function incidentIn(env: TestEnv, state: IncidentState, actor: Actor, input: Partial<Parameters<typeof createIncident>[1]> = {}): Promise<IncidentView> {
  let view = await createIncident(env.ctx(actor), { title: `Incident in ${state}`, severity: 'P2', services: ['docs'], ...input });
  for (const verb of PATH_TO[state]) view = await transitionIncident(env.ctx(actor), view.ref, verb);
  assert.equal(view.state, state);
  return view;
}

/** Rows the incident has in each table that a change writes to. */
export async function rowCounts(env: TestEnv, incidentId: string) {
  const k = env.db.kysely;
  const n = (r: { n: unknown } | undefined) => Number(r?.n ?? 0);
  return {
    incidents: n(await k.selectFrom('incidents').select((eb) => eb.fn.countAll().as('n')).where('id', '=', incidentId).executeTakeFirst()),
    timeline: n(await k.selectFrom('incident_timeline').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', incidentId).executeTakeFirst()),
    audit: n(await k.selectFrom('audit_log').select((eb) => eb.fn.countAll().as('n')).where('entity_type', '=', 'incident').where('entity_id', '=', incidentId).executeTakeFirst()),
    outbox: n(await k.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('aggregate_type', '=', 'incident').where('aggregate_id', '=', incidentId).executeTakeFirst()),
    services: n(await k.selectFrom('incident_services').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', incidentId).executeTakeFirst()),
    roles: n(await k.selectFrom('incident_roles').select((eb) => eb.fn.countAll().as('n')).where('incident_id', '=', incidentId).executeTakeFirst()),
  };
}

/** Everything stored about one incident, for "nothing changed" comparisons. */
export async function snapshot(env: TestEnv, incidentId: string) {
  const k = env.db.kysely;
  return {
    row: await k.selectFrom('incidents').selectAll().where('id', '=', incidentId).executeTakeFirst(),
    services: await k.selectFrom('incident_services').selectAll().where('incident_id', '=', incidentId).orderBy('service_id').execute(),
    roles: await k.selectFrom('incident_roles').selectAll().where('incident_id', '=', incidentId).orderBy('role').orderBy('user_id').execute(),
    timeline: await k.selectFrom('incident_timeline').selectAll().where('incident_id', '=', incidentId).orderBy('id').execute(),
    audit: await k.selectFrom('audit_log').selectAll().where('entity_id', '=', incidentId).orderBy('id').execute(),
    outbox: await k.selectFrom('outbox').selectAll().where('aggregate_id', '=', incidentId).orderBy('id').execute(),
  };
}

/**
 * The highest incident number handed out and kept. SQLite's counter row is exact; PostgreSQL's
 * sequence may skip a number after a rollback, so there the highest stored number is what counts.
 */
export async function incidentCounter(env: TestEnv): Promise<number> {
  if (env.dialect === 'postgres') {
    const row = await env.db.kysely.selectFrom('incidents').select((eb) => eb.fn.max('number').as('n')).executeTakeFirstOrThrow();
    return Number(row.n ?? 0);
  }
  return Number((await env.db.kysely.selectFrom('counters').select('value').where('name', '=', 'incident_number').executeTakeFirstOrThrow()).value);
}

/** Asserts the promise rejects with a DomainError of `code`; returns the error for more checks. */
export async function rejectsWith(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  let caught: unknown;
  try {
    await promise;
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof DomainError, `expected DomainError ${code}, got ${caught === undefined ? 'success' : String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

/** The newest audit row and outbox event of an incident, parsed. */
export async function lastAuditAndEvent(env: TestEnv, incidentId: string) {
  const k = env.db.kysely;
  const audit = await k.selectFrom('audit_log').selectAll().where('entity_id', '=', incidentId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  const event = await k.selectFrom('outbox').selectAll().where('aggregate_id', '=', incidentId).orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
  return { audit: { ...audit, data: JSON.parse(audit.data) }, event: { ...event, payload: JSON.parse(event.payload) } };
}
