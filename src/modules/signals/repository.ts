import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import { fixedInsert } from '../../db/fixed-insert.ts';
import { q } from '../../db/transaction.ts';
import type { AlertsTable, SignalsTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';

export type AlertRow = Selectable<AlertsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

const insertSignalRow = fixedInsert('signals', ['integration_id', 'received_at', 'kind', 'event_action', 'dedup_key', 'payload', 'work', 'processed_at', 'error'], { returningId: true });
const insertAlertRow = fixedInsert('alerts', [
  'id', 'integration_id', 'dedup_key', 'status', 'summary', 'source', 'severity', 'service_id', 'incident_id', 'first_seen_at', 'last_seen_at',
  'detected_at', 'acknowledged_at', 'resolved_at', 'event_count', 'details', 'labels', 'suppressed_by', 'flapping_since',
]);

export async function insertSignal(ctx: Db, row: Omit<Insertable<SignalsTable>, 'id'>): Promise<number> {
  return (await insertSignalRow(ctx, row))!;
}

/** The open (not resolved) alert for a key, locked until commit on PostgreSQL. */
export async function findOpenAlert(ctx: Db, integrationId: string, dedupKey: string): Promise<AlertRow | undefined> {
  const select = q(ctx)
    .selectFrom('alerts')
    .selectAll()
    .where('integration_id', '=', integrationId)
    .where('dedup_key', '=', dedupKey)
    // A literal, not a parameter: only then can both engines use the partial index of open alerts.
    .where('status', '<>', sql.lit('resolved'));
  return forUpdate(select, ctx.db.dialect).executeTakeFirst();
}

export async function insertAlert(ctx: Db, row: AlertRow): Promise<void> {
  await insertAlertRow(ctx, row);
}

export async function updateAlert(ctx: Db, id: string, patch: Updateable<AlertsTable>): Promise<void> {
  await q(ctx).updateTable('alerts').set(patch).where('id', '=', id).execute();
}


