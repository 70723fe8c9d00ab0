import { fixedInsert } from '../../db/fixed-insert.ts';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  data?: Record<string, unknown>;
}

/** Every change anyone makes writes one (a hot path: see fixedInsert). */
const insertAuditRow = fixedInsert('audit_log', ['at', 'actor_type', 'actor_id', 'actor_name', 'action', 'entity_type', 'entity_id', 'request_id', 'data']);

type AuditCtx = Pick<Ctx, 'db' | 'trx' | 'actor' | 'requestId' | 'clock'>;

/** The row an entry is stored as. */
export const auditRow = (ctx: AuditCtx, entry: AuditEntry) => ({
  at: ctx.clock.now(),
  actor_type: ctx.actor.type,
  actor_id: ctx.actor.userId,
  actor_name: ctx.actor.name,
  action: entry.action,
  entity_type: entry.entityType,
  entity_id: entry.entityId,
  request_id: ctx.requestId,
  data: JSON.stringify(entry.data ?? {}),
});

/** Appends an audit row in the caller's transaction. `data` must never hold secrets. */
export async function writeAudit(ctx: AuditCtx, entry: AuditEntry): Promise<void> {
  await insertAuditRow(ctx, auditRow(ctx, entry));
}

/** Appends many audit rows (made by auditRow) in one statement. */
export async function writeAuditRows(ctx: Pick<Ctx, 'db' | 'trx'>, rows: ReturnType<typeof auditRow>[]): Promise<void> {
  if (rows.length) await q(ctx).insertInto('audit_log').values(rows).execute();
}
