import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import type { DialectName } from '../../src/db/dialect.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { syncConfiguredUsers } from '../../src/modules/auth/index.ts';
import { NotificationDispatcher } from '../../src/modules/notifications/index.ts';
import { createEngine, OncallWorker, oncallTimerHandlers, type EngineDeps } from '../../src/modules/oncall/index.ts';
import { pipelineTimerHandlers } from '../../src/modules/signals/pipeline-timers.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { transitionIncident } from '../../src/modules/incidents/index.ts';
import { closeHttp, listen, receiver, type Recorded } from '../notifications/helpers.ts';

/**
 * The on-call tests' organisation: the example config with people reached by webhook on a local
 * receiver (path /ok/200/<handle> answers 200; tests swap paths for failing behaviours), one
 * primary and one secondary schedule, and a three-level policy bound to `database`.
 */
export function oncallConfig(base: string, patch: (doc: Record<string, any>) => void = () => {}): FirebreakConfig {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
  const person = (handle: string) => ({
    handle,
    name: `${handle[0].toUpperCase()}${handle.slice(1)}`,
    email: `${handle}@example.com`,
    contact_methods: [{ id: 'hook', type: 'webhook', url: `${base}/ok/200/${handle}`, secret: 'a-test-secret-of-16+' }],
  });
  doc.users = ['alice', 'bob', 'mgr', 'dir', 'ceo'].map(person);
  doc.channels = [{ id: 'ops', type: 'webhook', url: `${base}/ok/200/ops`, rate_limit: { per_minute: 6000 } }];
  doc.stakeholder_groups = [
    { id: 'executives', name: 'Executives', members: ['ceo'] },
    { id: 'engineering-directors', name: 'Engineering directors', members: ['dir'] },
    { id: 'team-leads', name: 'Team leads', members: ['mgr'] },
  ];
  doc.schedules = [
    { id: 'primary', name: 'Primary', time_zone: 'Europe/Berlin', layers: [{ members: ['alice'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05' }] },
    { id: 'secondary', name: 'Secondary', time_zone: 'Europe/Berlin', layers: [{ members: ['bob'], rotation: { type: 'weekly', handoff: '09:00' }, start: '2026-01-05' }] },
  ];
  doc.escalation_policies = [
    {
      id: 'default',
      name: 'Test policy',
      repeat: 1,
      levels: [{ notify: [{ schedule: 'primary' }] }, { notify: [{ schedule: 'secondary' }, { user: 'mgr' }], timeout: '10m' }, { notify: [{ channel: 'ops' }], timeout: '5m' }],
    },
  ];
  doc.notifications = { retry: { initial: '1s', max: '1m' }, attempt_timeout: '2s' };
  patch(doc);
  const result = parseConfigText(stringify(doc), {});
  if (!result.ok) throw new Error(`config invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** One "node" of the engine over a shared database: reactions, timers and delivery, driven by hand. */
export class OncallNode {
  readonly worker: OncallWorker;
  readonly dispatcher: NotificationDispatcher;
  readonly handlers;

  constructor(
    readonly env: TestEnv,
    readonly engine: EngineDeps,
  ) {
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    const deps = { db: env.db, config: env.config, clock: env.clock, logger };
    this.worker = new OncallWorker(deps, engine);
    this.dispatcher = new NotificationDispatcher({ ...deps, nodeId: engine.nodeId });
    this.handlers = { ...pipelineTimerHandlers, ...oncallTimerHandlers(engine) };
  }

  /** Reacts to events, fires due timers, and sends what is due, until nothing more happens. */
  async settle(): Promise<void> {
    for (let i = 0; i < 20; i++) {
      const reacted = await this.worker.runOnce();
      const fired = await runDueTimers(this.env.ctx(), this.handlers, { concurrency: 8 });
      const sent = await this.dispatcher.runOnce();
      if (!reacted && !fired && !sent) return;
    }
    throw new Error('the on-call engine did not settle');
  }
}

export interface OncallFixture {
  env: TestEnv;
  node: OncallNode;
  base: string;
  requests: Recorded[];
  server: http.Server;
  /** Between cases: every open incident resolved, the engine settled, nothing received, the clock `advanceMs` on. */
  reset(advanceMs: number): Promise<void>;
  close(): Promise<void>;
}

/** A test env with the on-call organisation, its users in the database, a receiver and one node. */
export async function oncallFixture(dialect: DialectName, file: string, patch?: (doc: Record<string, any>) => void): Promise<OncallFixture> {
  const { server, requests } = receiver();
  const port = await listen(server);
  const base = `http://127.0.0.1:${port}`;
  const env = await createTestEnv(dialect, file);
  env.config.current = oncallConfig(base, patch);
  await syncConfiguredUsers({ db: env.db, config: env.config, clock: env.clock, requestId: 'test' });
  const node = new OncallNode(env, await createEngine({ db: env.db, clock: env.clock }, 'node-a'));
  return {
    env,
    node,
    base,
    requests,
    server,
    reset: async (advanceMs: number) => {
      const open = await env.db.kysely.selectFrom('incidents').select('id').where('state', 'not in', ['resolved', 'closed']).execute();
      for (const { id } of open) await transitionIncident(env.ctx(), id, 'resolve');
      await node.settle();
      requests.length = 0;
      env.clock.advance(advanceMs);
    },
    close: async () => {
      await closeHttp(server);
      await env.close();
    },
  };
}

/** Who a recorded webhook delivery was for (the last path segment) and what it said. */
export function deliveries(requests: Recorded[]): { to: string; event: string; ref: string; key: string; level: number | null }[] {
  return requests.map((r) => {
    const body = JSON.parse(r.body);
    return { to: r.path.split('/').pop()!, event: body.event, ref: body.incident.ref, key: String(r.headers['idempotency-key']), level: body.escalation?.level ?? null };
  });
}
