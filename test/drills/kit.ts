import type { ServerResponse } from 'node:http';
import BetterSqlite3 from 'better-sqlite3';
import { drillsSectionSchema, finishDrills } from '../../src/config/drill-schema.ts';
import type { RunbookInput } from '../../src/config/runbook-schema.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import type { Actor, Ctx } from '../../src/modules/context.ts';
import { RunbookRunner } from '../../src/modules/runbooks/index.ts';
import type { TestEnv } from '../helpers/env.ts';
import { localServer, setRunbooks } from '../runbooks/kit.ts';

/** Drills measure real durations: their tests run on the wall clock, not the test env's manual one. */
export const liveCtx = (env: TestEnv, actor: Actor): Ctx => ({ ...env.ctx(actor), clock: systemClock });

export function liveRunner(env: TestEnv, opts: { rulesEveryMs?: number } = {}): RunbookRunner {
  return new RunbookRunner(
    { db: env.db, config: env.config, clock: systemClock, logger: createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), nodeId: 'drill-node', env: { PATH: process.env.PATH } },
    { pollMs: 20, leaseMs: 60_000, ...opts },
  );
}

/** Runbooks, sql connections and drills into the env's live config, as the loader would put them. */
export function setDrills(env: TestEnv, runbooks: RunbookInput[], connections: { id: string; url: string }[], drills: unknown): void {
  setRunbooks(env, runbooks, connections);
  env.config.current = { ...env.config.current, drills: finishDrills(drillsSectionSchema.parse(drills)) };
}

/**
 * A small real HTTP app: healthy until broken, healthy again once recovered; every request is
 * recorded (the cleanup's call among them).
 */
export async function flakyApp() {
  const state = { healthy: true, cleanups: 0 };
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = await localServer((req, res) => {
    if (req.url === '/health') return send(res, state.healthy ? 200 : 503, { healthy: state.healthy });
    if (req.url === '/break') {
      state.healthy = false;
      return send(res, 200, { broken: true });
    }
    if (req.url === '/recover') {
      // Recovery takes a moment, as a real one does.
      return void setTimeout(() => {
        state.healthy = true;
        send(res, 200, { recovered: true });
      }, 150);
    }
    if (req.url === '/cleanup') {
      state.cleanups++;
      state.healthy = true;
      return send(res, 200, { clean: true });
    }
    if (req.url === '/fail') return send(res, 500, { error: 'recovery failed' });
    return send(res, 404, {});
  });
  return { ...server, state };
}

/** A SQLite file with a marker table, as the database a drill breaks and checks. */
export function markerDatabase(path: string): { url: string; insert(at: number): void; markers(): number[] } {
  const db = new BetterSqlite3(path);
  db.exec('create table if not exists drill_markers (at integer not null)');
  db.close();
  const use = <T>(fn: (d: BetterSqlite3.Database) => T): T => {
    const d = new BetterSqlite3(path);
    try {
      return fn(d);
    } finally {
      d.close();
    }
  };
  return {
    url: `sqlite:${path}`,
    insert: (at) => use((d) => d.prepare('insert into drill_markers (at) values (?)').run(at)),
    markers: () => use((d) => (d.prepare('select at from drill_markers order by at').all() as { at: number }[]).map((r) => r.at)),
  };
}
