import type { Selectable } from 'kysely';
import { q, type TxContext } from '../../db/transaction.ts';
import type { BackupsTable } from '../../db/schema.ts';
import type { Manifest } from './manifest.ts';

export type BackupRow = Selectable<BackupsTable>;

const rowOf = (m: Manifest, targetId: string) => ({
  id: m.id,
  target_id: targetId,
  created_at: m.created_at_ms,
  engine: m.engine,
  schema_version: m.schema_version,
  plaintext_bytes: m.plaintext.bytes,
  stored_bytes: m.ciphertext.bytes,
  duration_ms: m.duration_ms,
});

export async function insertCompleteBackup(ctx: TxContext, m: Manifest, targetId: string): Promise<void> {
  const row = { ...rowOf(m, targetId), status: 'complete', error: null };
  await q(ctx).insertInto('backups').values(row).onConflict((oc) => oc.columns(['id', 'target_id']).doUpdateSet({ status: 'complete', error: null })).execute();
}

export async function insertFailedBackup(ctx: TxContext, row: { id: string; target_id: string; created_at: number; engine: string; duration_ms: number; error: string }): Promise<void> {
  await q(ctx)
    .insertInto('backups')
    .values({ ...row, status: 'failed', schema_version: '', plaintext_bytes: 0, stored_bytes: 0 })
    .onConflict((oc) => oc.columns(['id', 'target_id']).doUpdateSet({ status: 'failed', error: row.error }))
    .execute();
}

/** Records a verification; a backup this database never wrote (made before a restore) gets its row from the manifest. */
export async function recordVerification(ctx: TxContext, m: Manifest, targetId: string, v: { at: number; ok: boolean; ms: number; error: string | null }): Promise<void> {
  const set = { verified_at: v.at, verify_ok: v.ok ? 1 : 0, verify_ms: v.ms, verify_error: v.error };
  await q(ctx)
    .insertInto('backups')
    .values({ ...rowOf(m, targetId), status: 'complete', error: null, ...set })
    .onConflict((oc) => oc.columns(['id', 'target_id']).doUpdateSet(set))
    .execute();
}

export async function markDeleted(ctx: TxContext, id: string, targetId: string, at: number): Promise<void> {
  await q(ctx).updateTable('backups').set({ status: 'deleted', deleted_at: at }).where('id', '=', id).where('target_id', '=', targetId).execute();
}

/** Ids of backups in a target whose last verification passed. */
export async function verifiedIds(ctx: TxContext, targetId: string): Promise<Set<string>> {
  const rows = await q(ctx).selectFrom('backups').select('id').where('target_id', '=', targetId).where('verify_ok', '=', 1).execute();
  return new Set(rows.map((r) => r.id));
}

export async function listBackupRows(ctx: TxContext, targetId?: string): Promise<BackupRow[]> {
  let query = q(ctx).selectFrom('backups').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
  if (targetId) query = query.where('target_id', '=', targetId);
  return query.execute();
}

/** Per target: the newest complete backup, the newest verification and the newest failure (for /metrics). */
export async function backupMetricsRows(ctx: TxContext) {
  const complete = await q(ctx)
    .selectFrom('backups')
    .select(['target_id', (eb) => eb.fn.max<number>('created_at').as('at')])
    .where('status', '=', 'complete')
    .groupBy('target_id')
    .execute();
  const newest = await Promise.all(
    complete.map((c) =>
      q(ctx).selectFrom('backups').selectAll().where('target_id', '=', c.target_id).where('status', '=', 'complete').where('created_at', '=', c.at).executeTakeFirstOrThrow(),
    ),
  );
  const verified = await q(ctx)
    .selectFrom('backups')
    .select(['target_id', (eb) => eb.fn.max<number>('verified_at').as('at')])
    .where('verified_at', 'is not', null)
    .groupBy('target_id')
    .execute();
  const lastVerify = await Promise.all(
    verified.map((v) => q(ctx).selectFrom('backups').selectAll().where('target_id', '=', v.target_id).where('verified_at', '=', v.at).executeTakeFirstOrThrow()),
  );
  return { newest, lastVerify };
}

/** Creates a timer unless one of its kind and subject is pending (a restart must not postpone it). */
export async function insertTimerIfAbsent(ctx: TxContext, kind: string, subjectId: string, dueAt: number): Promise<void> {
  await q(ctx).insertInto('timers').values({ kind, subject_id: subjectId, due_at: dueAt, data: '{}' }).onConflict((oc) => oc.columns(['kind', 'subject_id']).doNothing()).execute();
}
