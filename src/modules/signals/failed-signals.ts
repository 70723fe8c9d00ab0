import { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';

export const listFailedSignalsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  /** Only signals older than this one (the previous page's `next_before`). */
  before: z.coerce.number().int().min(1).optional(),
});

export const failedSignalView = z.object({
  id: z.number(),
  integration: z.string(),
  received_at: z.string(),
  event_action: z.string().nullable(),
  dedup_key: z.string().nullable(),
  error: z.string(),
  set_aside_at: z.string().nullable(),
  /** The event as received (without its routing key). */
  payload: z.unknown(),
});
export type FailedSignalView = z.infer<typeof failedSignalView>;

type Row = { id: number | string; integration_id: string; received_at: number | string; event_action: string | null; dedup_key: string | null; error: string | null; processed_at: number | string | null; payload: string };

const toView = (r: Row): FailedSignalView => ({
  id: Number(r.id),
  integration: r.integration_id,
  received_at: isoTime(Number(r.received_at)),
  event_action: r.event_action,
  dedup_key: r.dedup_key,
  error: r.error ?? '',
  set_aside_at: r.processed_at === null ? null : isoTime(Number(r.processed_at)),
  payload: parsePayload(r.payload),
});

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const COLUMNS = ['id', 'integration_id', 'received_at', 'event_action', 'dedup_key', 'error', 'processed_at', 'payload'] as const;

/**
 * Signals whose work could not be applied after every retry, set aside with the error (newest
 * first): what an operator looks at when an alert that was accepted made no incident.
 */
export async function listFailedSignals(ctx: Ctx, input: unknown): Promise<{ data: FailedSignalView[]; next_before: number | null }> {
  requireRole(ctx, 'responder');
  const { limit, before } = listFailedSignalsQuery.parse(input ?? {});
  let query = q(ctx).selectFrom('signals').select(COLUMNS).where('error', 'is not', null);
  if (before !== undefined) query = query.where('id', '<', before);
  const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  return { data: page.map(toView), next_before: rows.length > limit ? Number(page[page.length - 1].id) : null };
}

/**
 * Queues a set-aside signal again (after whatever made it fail was fixed): its error is cleared and
 * the signal processor applies its stored work on its next round, after the signals that arrived
 * since (so a later resolve of the same key may already have been applied). Audited.
 */
export async function retryFailedSignal(ctx: Ctx, id: number): Promise<FailedSignalView> {
  requireRole(ctx, 'admin');
  return withTransaction(ctx, async (tx) => {
    const row = await q(tx).selectFrom('signals').select(COLUMNS).select('work').where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('signal', String(id));
    if (row.error === null) throw new DomainError('CONFLICT', `signal ${id} was not set aside: only a signal that failed can be retried`, { id });
    if (row.work === null) throw new DomainError('CONFLICT', `signal ${id} has no stored work to apply again`, { id });
    await q(tx).updateTable('signals').set({ processed_at: null, error: null }).where('id', '=', id).execute();
    await writeAudit(tx, { action: 'signal.retried', entityType: 'signal', entityId: String(id), data: { integration: row.integration_id, dedup_key: row.dedup_key, error: row.error } });
    return toView(row);
  });
}
