import type { RecoveryPointsTable } from '../../db/schema.ts';
import { q, type TxContext } from '../../db/transaction.ts';

export type RecoverySource = RecoveryPointsTable['source'];

export interface RecoveryPointInput {
  monitorId: string;
  service: string;
  source: RecoverySource;
  restorableAt: number;
  sizeBytes?: number | null;
  observedAt: number;
  detail?: Record<string, unknown> | null;
}

/**
 * Keeps a monitor's newest restorable point. A heartbeat's ping may name an older point than one
 * already known (a late retry of last night's job): the newer stays. A command's or a replica's
 * reading is the tool's current answer and replaces the last one. Call inside the caller's
 * transaction so the point and the result or ping that carried it are written together.
 */
export async function recordRecoveryPoint(tx: TxContext, p: RecoveryPointInput): Promise<void> {
  const row = {
    monitor_id: p.monitorId,
    service: p.service,
    source: p.source,
    restorable_at: p.restorableAt,
    size_bytes: p.sizeBytes ?? null,
    observed_at: p.observedAt,
    detail: p.detail && Object.keys(p.detail).length ? JSON.stringify(p.detail).slice(0, 2000) : null,
  };
  if (p.source === 'heartbeat') {
    const known = await q(tx).selectFrom('recovery_points').select('restorable_at').where('monitor_id', '=', p.monitorId).executeTakeFirst();
    if (known && Number(known.restorable_at) > p.restorableAt) {
      await q(tx).updateTable('recovery_points').set({ observed_at: p.observedAt, service: p.service }).where('monitor_id', '=', p.monitorId).execute();
      return;
    }
  }
  const { monitor_id: _id, ...update } = row;
  await q(tx).insertInto('recovery_points').values(row).onConflict((oc) => oc.column('monitor_id').doUpdateSet(update)).execute();
}

/** Every stored recovery point. */
export async function allRecoveryPoints(ctx: TxContext): Promise<RecoveryPointsTable[]> {
  const rows = await q(ctx).selectFrom('recovery_points').selectAll().execute();
  return rows.map((r) => ({ ...r, restorable_at: Number(r.restorable_at), observed_at: Number(r.observed_at), size_bytes: r.size_bytes === null ? null : Number(r.size_bytes) }));
}
