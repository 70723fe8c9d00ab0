import type { Insertable, Selectable, Updateable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import { chunks as split } from '../../lib/chunks.ts';
import { q } from '../../db/transaction.ts';
import type { MonitorChangesTable, MonitorResultsTable, MonitorStateTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';

export type MonitorStateRow = Selectable<MonitorStateTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

/** Large IN lists are split: SQLite binds at most 32 766 parameters, and shorter lists plan better. */
export const CHUNK = 500;
export const chunks = <T>(items: T[], size = CHUNK): T[][] => split(items, size);

/** Result status as stored: 0 up, 1 degraded, 2 down. */
export const STATUS_CODE = { up: 0, degraded: 1, down: 2 } as const;
export const STATUS_NAME = ['up', 'degraded', 'down'] as const;

/** Creates the state row of every configured monitor that has none (a new monitor starts `new`). */
export async function ensureStateRows(ctx: Db, monitorIds: string[]): Promise<void> {
  for (const ids of chunks(monitorIds)) {
    await q(ctx)
      .insertInto('monitor_state')
      .values(ids.map((monitor_id) => ({ monitor_id, status: 'new', changed_at: null, streak_status: null, streak_since: null })))
      .onConflict((oc) => oc.column('monitor_id').doNothing())
      .execute();
  }
}

/** State rows by monitor id, locked until commit on PostgreSQL when `lock`. */
export async function stateRows(ctx: Db, monitorIds: string[], lock = false): Promise<Map<string, MonitorStateRow>> {
  const out = new Map<string, MonitorStateRow>();
  for (const ids of chunks([...new Set(monitorIds)].sort())) {
    const select = q(ctx).selectFrom('monitor_state').selectAll().where('monitor_id', 'in', ids).orderBy('monitor_id');
    const rows = await (lock ? forUpdate(select, ctx.db.dialect) : select).execute();
    for (const r of rows) out.set(r.monitor_id, normalise(r));
  }
  return out;
}

/** Every state row (for lists and /metrics). */
export async function allStateRows(ctx: Db): Promise<MonitorStateRow[]> {
  return (await q(ctx).selectFrom('monitor_state').selectAll().execute()).map(normalise);
}

/** PostgreSQL returns bigint columns as strings. */
function normalise(r: MonitorStateRow): MonitorStateRow {
  const n = (v: number | string | null) => (v === null ? null : Number(v));
  return {
    ...r,
    changed_at: n(r.changed_at),
    streak_since: n(r.streak_since),
    last_check_at: n(r.last_check_at),
    cert_expires_at: n(r.cert_expires_at),
    paused_at: n(r.paused_at),
    last_ping_at: n(r.last_ping_at),
    last_start_at: n(r.last_start_at),
    due_at: n(r.due_at),
    lease_until: Number(r.lease_until),
  };
}

export async function updateState(ctx: Db, monitorId: string, patch: Updateable<MonitorStateTable>): Promise<void> {
  await q(ctx).updateTable('monitor_state').set(patch).where('monitor_id', '=', monitorId).execute();
}

export async function insertResults(ctx: Db, rows: Insertable<MonitorResultsTable>[]): Promise<void> {
  // A run-now and a scheduled check finishing in the same millisecond: keep the first.
  for (const part of chunks(rows)) await q(ctx).insertInto('monitor_results').values(part).onConflict((oc) => oc.columns(['monitor_id', 'at']).doNothing()).execute();
}

export async function insertChange(ctx: Db, row: Insertable<MonitorChangesTable>): Promise<void> {
  await q(ctx).insertInto('monitor_changes').values(row).execute();
}
