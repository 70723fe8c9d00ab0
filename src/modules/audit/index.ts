import { fixedInsert } from '../../db/fixed-insert.ts';
import type { Ctx } from '../context.ts';

export interface AuditEntry {
  action: string;
  entityType: string;
  entityId: string | null;
  data?: Record<string, unknown>;
}

/** Every change anyone makes writes one (a hot path: see fixedInsert). */
const insertAuditRow = fixedInsert('audit_log', ['at', 'actor_type', 'actor_id', 'actor_name', 'action', 'entity_type', 'entity_id', 'request_id', 'data']);

/** Appends an audit row in the caller's transaction. `data` must never hold secrets. */
export async function writeAudit(ctx: Pick<Ctx, 'db' | 'trx' | 'actor' | 'requestId' | 'clock'>, entry: AuditEntry): Promise<void> {
  await insertAuditRow(ctx, {
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
}
