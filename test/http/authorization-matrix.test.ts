import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { configWithMonitors } from '../monitors/monitor-kit.ts';
import type { RouteDef } from '../../src/http/route.ts';
import { createToken, createUser } from '../../src/modules/auth/index.ts';
import type { Role } from '../../src/modules/context.ts';
import { createSilence } from '../../src/modules/silences/index.ts';
import { createMaintenanceWindow } from '../../src/modules/maintenance/index.ts';
import { insertSignal } from '../../src/modules/signals/repository.ts';
import { syncConfiguredUsers } from '../../src/modules/auth/index.ts';
import { createOverride, feedToken, whoIsOnCall } from '../../src/modules/oncall/index.ts';
import { createIncident, findIncidentRow } from '../../src/modules/incidents/index.ts';
import { loadSigningKey, signLink, type LinkAction } from '../../src/modules/notifications/index.ts';
import { addSubscriber, confirmToken, subscriptionKey, unsubscribeToken } from '../../src/modules/statuspage/index.ts';
import { createActionItem, requestPostmortem } from '../../src/modules/postmortems/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestApp, createTestEnv, TEST_PASSWORD, type TestApp, type TestEnv } from '../helpers/env.ts';
import { fillUrl, mintSessionCookie, paramNames } from './support.ts';
import { startRun } from '../../src/modules/runbooks/index.ts';
import { startDrill } from '../../src/modules/drills/index.ts';
import { drillsSectionSchema, finishDrills } from '../../src/config/drill-schema.ts';
import { runbookSchema, runbookVersion } from '../../src/config/runbook-schema.ts';
import { backupsSchema, finishBackups } from '../../src/config/backup-schema.ts';
import { newRunner, setRunbooks } from '../runbooks/kit.ts';

/**
 * Every route in the route table × every kind of caller. The matrix is generated from `routes`, so
 * a new route is covered the moment it is added; fixtures below only make bodies plausible.
 */
const CALLERS = ['anonymous', 'viewer', 'responder', 'admin', 'token', 'adminToken', 'readToken'] as const;
type Caller = (typeof CALLERS)[number];

/** The effective role each caller should end up with (tokens are capped by scope and by their user). */
const EFFECTIVE_ROLE: Record<Caller, Role | null> = {
  anonymous: null,
  viewer: 'viewer',
  responder: 'responder',
  admin: 'admin',
  token: 'responder', // admin user, read+write scopes
  adminToken: 'admin', // admin user, admin scope
  readToken: 'viewer', // admin user, read scope only
};
const RANK: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

interface Fixture {
  params?: Record<string, string>;
  body?: unknown;
  /** The whole path, for routes whose parameter is not a `:name` (the one-click links' wildcard). */
  url?: string;
}

/** Plausible values for path parameters by name; anything unknown still gets a value. */
const DEFAULT_PARAMS: Record<string, string> = { ref: 'INC-1', handle: 'viewer-user', id: 'api' };

let seq = 0;
/** Valid-looking bodies (and params where a default would not do) so allowed callers get past validation. */
const MATRIX_PING_KEY = 'matrix-ping-key-0123456789';
const FIXTURES: Record<string, (env: TestEnv) => Fixture | Promise<Fixture>> = {
  'GET /ping/:key': () => ({ params: { key: MATRIX_PING_KEY } }),
  // A stream that ends right after `ready`, so the matrix gets a whole response.
  'GET /api/v1/stream': () => ({ url: '/api/v1/stream?max_seconds=0' }),
  // Not a user the matrix signs in as: a reset signs its user out everywhere.
  'POST /api/v1/users/:handle/reset-password': () => ({ params: { handle: 'target-user' } }),
  'POST /ping/:key': () => ({ params: { key: MATRIX_PING_KEY } }),
  'GET /ping/:key/:action': () => ({ params: { key: MATRIX_PING_KEY, action: 'start' } }),
  'POST /ping/:key/:action': () => ({ params: { key: MATRIX_PING_KEY, action: '0' } }),
  'GET /api/v1/monitors/:id/pings': () => ({ params: { id: 'matrix-heartbeat' } }),
  // Analytics: every filter, so the matrix runs the real queries.
  'GET /api/v1/analytics/response': () => ({ url: '/api/v1/analytics/response?severity=P0,P1&service=api' }),
  'GET /api/v1/analytics/quality': () => ({ url: '/api/v1/analytics/quality?from=2026-01-01T00:00:00Z&service=api' }),
  'GET /api/v1/analytics/availability': () => ({ url: '/api/v1/analytics/availability?service=api' }),
  'GET /api/v1/analytics/postmortems': () => ({ url: '/api/v1/analytics/postmortems?severity=P1' }),
  'GET /api/v1/analytics/patterns': () => ({ url: '/api/v1/analytics/patterns?limit=5' }),
  'POST /api/v1/auth/login': () => ({ body: { handle: 'viewer-user', password: TEST_PASSWORD } }),
  'PATCH /api/v1/me': () => ({ body: { name: `Matrix ${++seq}` } }),
  // Same password again, so later logins in this file keep working.
  'POST /api/v1/me/password': () => ({ body: { current_password: TEST_PASSWORD, new_password: TEST_PASSWORD } }),
  'POST /api/v1/users': () => {
    const n = ++seq;
    return { body: { handle: `matrix-${n}`, name: `Matrix ${n}`, email: `matrix-${n}@example.com`, role: 'viewer' } };
  },
  'PATCH /api/v1/users/:handle': () => ({ params: { handle: 'target-user' }, body: { name: `Target ${++seq}` } }),
  'POST /api/v1/tokens': () => ({ body: { name: `matrix-${++seq}`, scopes: ['read'] } }),
  'DELETE /api/v1/tokens/:id': async (env) => {
    const { view } = await createToken(env.ctx(env.users.admin.actor), { name: `doomed-${++seq}`, scopes: ['read'] });
    return { params: { id: view.id } };
  },
  'GET /api/v1/services/:id': () => ({ params: { id: 'api' } }),
  'POST /api/v1/incidents': () => ({ body: { title: `Matrix incident ${++seq}`, severity: 'P3', services: ['docs'] } }),
  'PATCH /api/v1/incidents/:ref': () => ({ body: { title: `Renamed ${++seq}` } }),
  'POST /api/v1/incidents/:ref/notes': () => ({ body: { body: 'matrix note' } }),
  'POST /api/v1/incidents/:ref/severity': () => ({ body: { severity: 'P2', reason: 'matrix' } }),
  'POST /api/v1/incidents/:ref/roles': () => ({ body: { role: 'scribe', user: 'responder-user' } }),
  'POST /api/v1/incidents/:ref/services': () => ({ body: { services: ['api'] } }),
  'POST /api/v1/reports': () => ({ body: { service: 'docs', description: `matrix report ${++seq}` } }),
  'POST /api/v1/reports/anonymous': () => ({ body: { service: 'docs', description: `matrix anonymous report ${++seq}` } }),
  // Matches nothing any test sends.
  'POST /api/v1/silences': () => ({ body: { matchers: [{ name: 'matrix', op: '=', value: `m${++seq}` }], duration: '1h', comment: 'matrix' } }),
  'DELETE /api/v1/silences/:id': async (env) => {
    const view = await createSilence(env.ctx(env.users.admin.actor), { matchers: [{ name: 'matrix', op: '=', value: `d${++seq}` }], duration: '1h', comment: 'matrix' });
    return { params: { id: view.id } };
  },
  'POST /api/v1/integrations/:id/explain': () => ({ params: { id: 'database-monitoring' }, body: { event_action: 'resolve', dedup_key: 'matrix' } }),
  'POST /api/v1/maintenance-windows': () => ({ body: { title: `Matrix window ${++seq}`, services: ['docs'], starts_at: '2099-01-01T01:00', ends_at: '2099-01-01T02:00' } }),
  'GET /api/v1/maintenance-windows/:id': async (env) => ({ params: { id: (await matrixWindow(env)).id } }),
  'DELETE /api/v1/maintenance-windows/:id': async (env) => ({ params: { id: (await matrixWindow(env)).id } }),
  // One-click links are public, but only a valid link gets past the page that refuses the rest (403):
  // a fresh link to responder-user per caller; the POST acts on an incident of its own each time.
  'GET /a/*': async (env) => ({ url: await matrixLink(env, (await findIncidentRow(env.ctx(), 'INC-1')).id, 'acknowledge') }),
  'POST /a/*': async (env) => ({ url: await matrixLink(env, (await createIncident(env.ctx(), { title: `Matrix link target ${++seq}`, severity: 'P3' })).id, 'acknowledge') }),
  // Schedules: the example's database-primary; overrides and swaps name people in the database.
  'GET /api/v1/schedules/:id': () => onSchedule(),
  'GET /api/v1/schedules/:id/on-call': () => onSchedule(),
  'GET /api/v1/schedules/:id/shifts': () => onSchedule(),
  'GET /api/v1/schedules/:id/overrides': () => onSchedule(),
  'GET /api/v1/schedules/:id/calendar.ics': () => onSchedule(),
  'GET /api/v1/schedules/:id/calendar-feed': () => onSchedule(),
  'POST /api/v1/schedules/:id/overrides': (env) => ({ ...onSchedule(), body: matrixOverride(env) }),
  'DELETE /api/v1/schedules/:id/overrides/:overrideId': async (env) => ({
    params: { id: 'database-primary', overrideId: (await createOverride(env.ctx(env.users.admin.actor), 'database-primary', matrixOverride(env))).id },
  }),
  // Whoever is on call at a distinct hour per caller hands that half hour to responder-user.
  'POST /api/v1/schedules/:id/swaps': async (env) => {
    await syncConfiguredUsers({ db: env.db, config: env.config, clock: env.clock, requestId: 'matrix' });
    const start = env.clock.now() + ++seq * 3_600_000;
    const schedule = env.config.current.schedules.find((s) => s.id === 'database-secondary')!;
    const holder = (await whoIsOnCall(env.ctx(), schedule, start))!.user;
    const a_shift = { start: new Date(start).toISOString(), end: new Date(start + 1_800_000).toISOString() };
    return { params: { id: schedule.id }, body: { user_a: holder, user_b: 'responder-user', a_shift, reason: 'matrix swap' } };
  },
  // The secret feed URLs, with their real tokens.
  'GET /ical/schedules/:id.ics': async (env) => ({ url: `/ical/schedules/database-primary.ics?token=${await feedToken(env.ctx(), { type: 'schedule', id: 'database-primary' })}` }),
  'GET /ical/users/:handle.ics': async (env) => ({ url: `/ical/users/viewer-user.ics?token=${await feedToken(env.ctx(), { type: 'user', handle: 'viewer-user' })}` }),
  // Status page subscribers: each link carries its real token, for a subscriber of its own per caller.
  'GET /status/subscriptions/:id/confirm': async (env) => {
    const { id } = await matrixSubscriber(env);
    return { url: `/status/subscriptions/${id}/confirm?token=${confirmToken(await subscriptionKey(env.ctx()), id, env.clock.now() + 3_600_000)}` };
  },
  'GET /status/subscriptions/:id/unsubscribe': async (env) => ({ url: await matrixUnsubscribe(env) }),
  'POST /status/subscriptions/:id/unsubscribe': async (env) => ({ url: await matrixUnsubscribe(env) }),
  'POST /api/v1/status-page/subscribers': () => ({ body: { kind: 'email', email: `matrix-added-${++seq}@example.com`, confirmed: true } }),
  'DELETE /api/v1/status-page/subscribers/:id': async (env) => ({ params: { id: (await matrixSubscriber(env)).id } }),
  // Postmortems: one of its own per caller, on a resolved incident; action items on INC-1.
  'POST /api/v1/incidents/:ref/postmortem': async (env) => ({ params: { ref: (await matrixResolvedIncident(env)).ref }, body: {} }),
  'GET /api/v1/incidents/:ref/postmortem': async (env) => ({ params: { ref: (await matrixPostmortem(env)).incident.ref } }),
  'GET /api/v1/postmortems/:id': async (env) => ({ params: { id: (await matrixPostmortem(env)).id } }),
  'GET /api/v1/postmortems/:id/revisions': async (env) => ({ params: { id: (await matrixPostmortem(env)).id } }),
  'GET /api/v1/postmortems/:id/export.md': async (env) => ({ params: { id: (await matrixPostmortem(env)).id } }),
  'PATCH /api/v1/postmortems/:id': async (env) => ({ params: { id: (await matrixPostmortem(env)).id }, body: { revision: 1, summary: `matrix ${++seq}` } }),
  // No public incident: allowed callers get as far as the CONFLICT.
  'POST /api/v1/postmortems/:id/publish': async (env) => ({ params: { id: (await matrixPostmortem(env)).id }, body: { body: 'matrix' } }),
  'POST /api/v1/action-items': () => ({ body: { incident: 'INC-1', title: `Matrix follow-up ${++seq}` } }),
  'GET /api/v1/action-items/:id': async (env) => ({ params: { id: (await matrixActionItem(env)).id } }),
  'PATCH /api/v1/action-items/:id': async (env) => ({ params: { id: (await matrixActionItem(env)).id }, body: { status: 'in_progress' } }),
  // Runbooks: each caller acts on a run of its own, started by Firebreak (so any person may approve).
  'GET /api/v1/runbooks': (env) => (matrixRunbooks(env), {}),
  'GET /api/v1/runbooks/:id': (env) => (matrixRunbooks(env), { params: { id: 'matrix-approval' } }),
  'POST /api/v1/runbooks/:id/runs': (env) => (matrixRunbooks(env), { params: { id: 'matrix-approval' }, body: { dry_run: true } }),
  'GET /api/v1/runbook-runs/:id': async (env) => ({ params: { id: await matrixRun(env, 'matrix-approval', 'queued') } }),
  'POST /api/v1/runbook-runs/:id/approve': async (env) => ({ params: { id: await matrixRun(env, 'matrix-approval', 'waiting_approval') }, body: { step: 'confirm' } }),
  'POST /api/v1/runbook-runs/:id/reject': async (env) => ({ params: { id: await matrixRun(env, 'matrix-approval', 'waiting_approval') }, body: { step: 'confirm' } }),
  'POST /api/v1/runbook-runs/:id/resume': async (env) => ({ params: { id: await matrixRun(env, 'matrix-fails', 'failed') } }),
  'POST /api/v1/runbook-runs/:id/cancel': async (env) => ({ params: { id: await matrixRun(env, 'matrix-approval', 'queued') } }),
  // Drills: a harmless drill of its own (a command and its cleanup); each start queues one run.
  'GET /api/v1/drills': (env) => (matrixDrills(env), {}),
  'GET /api/v1/drills/kpis': (env) => (matrixDrills(env), {}),
  'POST /api/v1/drills/:id/runs': (env) => (matrixDrills(env), { params: { id: 'matrix-drill' } }),
  'GET /api/v1/drill-runs': (env) => (matrixDrills(env), {}),
  'GET /api/v1/drill-runs/:id': async (env) => (matrixDrills(env), { params: { id: (await startDrill(env.ctx(env.users.admin.actor), 'matrix-drill')).id } }),
  // Backups: configured (the app has no target access, so only records are listed); a POST only moves the backup timer.
  'GET /api/v1/backups': (env) => (matrixBackups(env), {}),
  'POST /api/v1/backups': (env) => (matrixBackups(env), {}),
  'POST /api/v1/backups/verify': (env) => (matrixBackups(env), {}),
  // A signal set aside with work that resolves a key nobody uses: retrying it drops it harmlessly.
  'POST /api/v1/signals/:id/retry': async (env) => {
    const id = await insertSignal(env.ctx(), {
      integration_id: 'database-monitoring',
      received_at: env.clock.now(),
      kind: 'alert',
      event_action: 'resolve',
      dedup_key: `matrix-${++seq}`,
      payload: '{}',
      work: JSON.stringify([{ status: 'resolved', dedupKey: `matrix-${seq}`, serviceId: 'database' }]),
      processed_at: env.clock.now(),
      error: 'matrix failure',
    });
    return { params: { id: String(id) } };
  },
};
const matrixRunbooks = (env: TestEnv) => {
  if (env.config.current.runbooks.runbooks.some((r) => r.definition.id === 'matrix-approval')) return;
  setRunbooks(env, [
    { id: 'matrix-approval', name: 'Matrix approval', steps: [{ id: 'confirm', type: 'approval', message: 'Go?' }] },
    { id: 'matrix-fails', name: 'Matrix failure', steps: [{ id: 'exit', type: 'command', command: ['node', '-e', 'process.exit(3)'] }] },
  ]);
};
const matrixDrills = (env: TestEnv) => {
  matrixRunbooks(env);
  const cfg = env.config.current;
  if (cfg.drills.definitions.some((d) => d.id === 'matrix-drill')) return;
  const definition = runbookSchema.parse({ id: 'matrix-drilled', name: 'Matrix drilled', steps: [{ id: 'noop', type: 'command', command: ['node', '-e', ''] }] });
  env.config.current = {
    ...cfg,
    runbooks: { ...cfg.runbooks, runbooks: [...cfg.runbooks.runbooks, { definition, version: runbookVersion(definition), source: null }] },
    drills: finishDrills(drillsSectionSchema.parse({ targets: [{ id: 'matrix-target' }], definitions: [{ id: 'matrix-drill', runbook: 'matrix-drilled', service: 'database', target: 'matrix-target', recovered_step: 'noop', cleanup: [{ id: 'tidy', type: 'command', command: ['node', '-e', ''] }] }] })),
  };
};
const matrixBackups = (env: TestEnv) => {
  if (env.config.current.backups.configured) return;
  env.config.current = { ...env.config.current, backups: finishBackups(backupsSchema.parse({ encryption: { key_env: 'MATRIX_BACKUP_KEY' } })) };
};
/** A run of its own, brought (by a runner) to the status wanted. */
const matrixRun = async (env: TestEnv, runbook: string, status: 'queued' | 'waiting_approval' | 'failed') => {
  matrixRunbooks(env);
  const { run } = await startRun(env.ctx(), runbook, {});
  if (status === 'queued') return run.id;
  const runner = newRunner(env, { nodeId: `matrix-${++seq}` });
  await runner.tick();
  await runner.idle();
  return run.id;
};
/** A window far in the future, so it suppresses nothing any test sends. */
const matrixWindow = (env: TestEnv) =>
  createMaintenanceWindow(env.ctx(env.users.admin.actor), { title: `Matrix ${++seq}`, services: ['docs'], starts_at: '2099-01-01T01:00', ends_at: '2099-01-01T02:00' });
const matrixLink = async (env: TestEnv, incidentId: string, action: LinkAction) =>
  `/a/${signLink(await loadSigningKey(env.ctx()), { i: incidentId, a: action, u: 'responder-user', e: env.clock.now() + 3_600_000, n: `matrix/${++seq}/${action}` })}`;
const onSchedule = () => ({ params: { id: 'database-primary' } });
const matrixSubscriber = (env: TestEnv) => addSubscriber(env.ctx(env.users.admin.actor), { kind: 'email', email: `matrix-subscriber-${++seq}@example.com` });
const matrixUnsubscribe = async (env: TestEnv) => {
  const { id } = await matrixSubscriber(env);
  return `/status/subscriptions/${id}/unsubscribe?token=${unsubscribeToken(await subscriptionKey(env.ctx()), id)}`;
};
/** A resolved incident of its own (resolved in the database: the matrix tests access, not resolving). */
const matrixResolvedIncident = async (env: TestEnv) => {
  const inc = await createIncident(env.ctx(env.users.admin.actor), { title: `Postmortem subject ${++seq}`, severity: 'P3' });
  await env.db.kysely.updateTable('incidents').set({ state: 'resolved', resolved_at: env.clock.now() }).where('id', '=', inc.id).execute();
  return inc;
};
const matrixPostmortem = async (env: TestEnv) => requestPostmortem(env.ctx(env.users.admin.actor), (await matrixResolvedIncident(env)).ref);
const matrixActionItem = (env: TestEnv) => createActionItem(env.ctx(env.users.admin.actor), { incident: 'INC-1', title: `Matrix item ${++seq}` });
/** An hour of responder-user on call from now. */
const matrixOverride = (env: TestEnv) => ({ user: 'responder-user', start: new Date(env.clock.now()).toISOString(), end: new Date(env.clock.now() + 3_600_000).toISOString(), reason: `matrix ${++seq}` });
const defaultFixture = (route: RouteDef): Fixture => (/^\/api\/v1\/incidents\/:ref\/\w+$/.test(route.url) && route.body ? { body: { note: 'matrix' } } : {});

const errorCode = (body: string): string | undefined => {
  try {
    return (JSON.parse(body) as { error?: { code?: string } })?.error?.code;
  } catch {
    return undefined; // 204s and HEAD answers have no body
  }
};

/** A success must be the documented status and match the documented schema, with no undocumented fields. */
function responseDrift(route: RouteDef, status: number, body: string): string[] {
  const expected = route.response?.status ?? 200;
  if (status !== expected) return [`answered ${status}, documented ${expected}`];
  const schema = route.response?.schema;
  if (!schema || status === 204) return [];
  const json = JSON.parse(body);
  const parsed = schema.safeParse(json);
  if (!parsed.success) return [`response does not match its documented schema: ${parsed.error.message.slice(0, 300)}`];
  if (schema instanceof z.ZodObject) {
    const extra = Object.keys(json).filter((k) => !(k in schema.shape));
    if (extra.length) return [`undocumented response field(s): ${extra.join(', ')}`];
  }
  return [];
}

const key = (r: Pick<RouteDef, 'method' | 'url'>) => `${r.method} ${r.url}`;

for (const { name, skip } of DIALECTS) {
  describe(`authorization matrix [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    const tokens = {} as Record<'token' | 'adminToken' | 'readToken', Record<string, string>>;
    const exercised = new Set<string>();

    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      // A monitor whose id is the default `:id` ("api"), so monitor routes run their handlers for real.
      env.config.current = configWithMonitors([
        { id: 'api', service: 'api', type: 'tcp', host: '127.0.0.1', port: 9, interval: '1d', timeout: '1s' },
        { id: 'matrix-heartbeat', service: 'api', type: 'heartbeat', key: MATRIX_PING_KEY, period: '1h' },
      ]);
      t = await createTestApp(env);
      tokens.token = t.auth.token;
      const admin = env.ctx(env.users.admin.actor);
      tokens.adminToken = { authorization: `Bearer ${(await createToken(admin, { name: 'admin-scope', scopes: ['admin'] })).token}` };
      tokens.readToken = { authorization: `Bearer ${(await createToken(admin, { name: 'read-only', scopes: ['read'] })).token}` };
      await createUser(admin, { handle: 'target-user', name: 'Target', email: 'target@example.com', role: 'viewer', password: TEST_PASSWORD });
      const created = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: t.auth.token, payload: { title: 'Matrix target', severity: 'P1', services: ['api'] } });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.json().ref, 'INC-1');
    });
    after(async () => {
      await t?.app.close();
      await env?.close();
    });

    /** Fresh credentials per request, so a route that ends a session (logout) cannot poison the next case. */
    async function headersFor(caller: Caller): Promise<Record<string, string>> {
      switch (caller) {
        case 'anonymous':
          return {};
        case 'viewer':
        case 'responder':
        case 'admin':
          return mintSessionCookie(env, env.users[caller].id);
        default:
          return tokens[caller];
      }
    }

    test('the route table is non-trivial and has no duplicates', () => {
      assert.ok(t.routes.length > 25, `only ${t.routes.length} routes; the matrix would be hollow`);
      assert.equal(new Set(t.routes.map(key)).size, t.routes.length);
      for (const r of t.routes) assert.ok(['public', 'viewer', 'responder', 'admin'].includes(r.access), `${key(r)} has access ${r.access}`);
    });

    test('every route is registered with Fastify', () => {
      for (const r of t.routes) assert.ok(t.app.hasRoute({ method: r.method, url: r.url }), `${key(r)} missing from Fastify`);
    });

    // Routes are only known once the app is built, so each route is a subtest of this one.
    test('every route × every caller', async (tt) => {
      for (const route of t.routes) {
        await tt.test(`${key(route)} (${route.access})`, async () => {
          const problems: string[] = [];
          for (const caller of CALLERS) {
            const fixture = await (FIXTURES[key(route)] ?? defaultFixture)(env);
            const params = Object.fromEntries(paramNames(route.url).map((p) => [p, fixture.params?.[p] ?? DEFAULT_PARAMS[p] ?? 'x']));
            const url = fixture.url ?? fillUrl(route.url, params);
            const body = route.body ? (fixture.body ?? {}) : undefined;
            const headers = await headersFor(caller);
            const methods = route.method === 'GET' ? (['GET', 'HEAD'] as const) : [route.method];
            for (const method of methods) {
              const res = await t.app.inject({ method, url, headers, ...(body !== undefined && { payload: body as object }), remoteAddress: `10.1.${CALLERS.indexOf(caller)}.1` });
              const code = errorCode(res.body);
              const role = EFFECTIVE_ROLE[caller];
              const where = `${caller} ${method} ${url} → ${res.statusCode} ${code ?? ''}`;
              if (res.statusCode >= 500) problems.push(`${where}: server error ${res.body.slice(0, 200)}`);
              if (res.statusCode < 300 && method !== 'HEAD') problems.push(...responseDrift(route, res.statusCode, res.body).map((p) => `${where}: ${p}`));
              if (route.access === 'public' || (role !== null && RANK[role] >= RANK[route.access])) {
                if (res.statusCode === 401 || res.statusCode === 403) problems.push(`${where}: allowed caller was refused ${res.body.slice(0, 200)}`);
              } else if (role === null) {
                if (res.statusCode !== 401 || (method !== 'HEAD' && code !== 'UNAUTHENTICATED')) problems.push(`${where}: expected 401 UNAUTHENTICATED`);
              } else if (res.statusCode !== 403 || (method !== 'HEAD' && code !== 'FORBIDDEN')) {
                problems.push(`${where}: expected 403 FORBIDDEN`);
              }
            }
            exercised.add(`${key(route)} ${caller}`);
          }
          assert.deepEqual(problems, []);
        });
      }
    });

    test('the matrix covered every route for every caller', () => {
      assert.equal(exercised.size, t.routes.length * CALLERS.length);
    });

    test('denied requests stored nothing: only allowed callers created incidents and users', async () => {
      // POST /incidents is responder+: responder, admin, token, adminToken succeed (4), plus INC-1.
      const incidents = await env.db.kysely.selectFrom('incidents').select(['title', 'created_by']).execute();
      assert.equal(incidents.filter((i) => i.title.startsWith('Matrix incident')).length, 4);
      const creators = incidents.map((i) => i.created_by ?? '');
      assert.ok(!creators.some((c) => /viewer|anonymous/.test(c)), creators.join(', '));
      // POST /users is admin-only: admin session and admin-scoped token.
      const users = await env.db.kysely.selectFrom('users').select('handle').where('handle', 'like', 'matrix-%').execute();
      assert.equal(users.length, 2);
    });
  });
}
