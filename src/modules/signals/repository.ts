import { sql, type Insertable, type Selectable, type Updateable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import { q } from '../../db/transaction.ts';
import type { AlertsTable, SignalsTable } from '../../db/schema.ts';
import type { Ctx } from '../context.ts';

export type AlertRow = Selectable<AlertsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

export async function insertSignal(ctx: Db, row: Insertable<SignalsTable>): Promise<number> {
  const { id } = await q(ctx).insertInto('signals').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(id);
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
  await q(ctx).insertInto('alerts').values(row).execute();
}

export async function updateAlert(ctx: Db, id: string, patch: Updateable<AlertsTable>): Promise<void> {
  await q(ctx).updateTable('alerts').set(patch).where('id', '=', id).execute();
}


