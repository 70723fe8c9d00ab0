import type { Severity } from '../../config/defaults.ts';
import type { Ctx } from '../context.ts';
import { FIREBREAK_INTEGRATION_ID } from '../../config/monitors-schema.ts';
import { q } from '../../db/transaction.ts';
import { acceptSignal } from './signal-queue.ts';

export { FIREBREAK_INTEGRATION_ID } from '../../config/monitors-schema.ts';

export interface InternalAlert {
  dedupKey: string;
  serviceId: string;
  summary: string;
  severity: Severity;
  details: Record<string, unknown>;
}

/**
 * Raises (or, with `firing: false`, resolves) one of Firebreak's own alerts through the ingestion
 * pipeline, like any other signal: durable in the caller's transaction, deduplicated by key.
 */
export async function raiseInternalAlert(ctx: Ctx, alert: InternalAlert, firing = true): Promise<void> {
  const now = ctx.clock.now();
  await acceptSignal(
    ctx,
    FIREBREAK_INTEGRATION_ID,
    { receivedAt: now, eventAction: firing ? 'trigger' : 'resolve', dedupKey: alert.dedupKey, payload: JSON.stringify({ summary: alert.summary, details: alert.details }) },
    firing
      ? [
          {
            status: 'firing',
            firing: {
              dedupKey: alert.dedupKey,
              serviceId: alert.serviceId,
              summary: alert.summary,
              source: 'firebreak',
              sourceSeverity: 'error',
              severity: alert.severity,
              detectedAt: now,
              details: alert.details,
              labels: { firebreak: 'internal' },
            },
          },
        ]
      : [{ status: 'resolved', dedupKey: alert.dedupKey, serviceId: alert.serviceId }],
  );
}

/** One of Firebreak's own alerts, if it is open (a resolve is only sent for an alert that is). */
export async function openInternalAlert(ctx: Ctx, dedupKey: string): Promise<{ id: string } | undefined> {
  return q(ctx).selectFrom('alerts').select('id').where('integration_id', '=', FIREBREAK_INTEGRATION_ID).where('dedup_key', '=', dedupKey).where('status', '!=', 'resolved').executeTakeFirst();
}

/**
 * Resolves one of Firebreak's own alerts if it is open (a check that passes again says so once,
 * instead of sending a resolve for every good result).
 */
export async function clearInternalAlert(ctx: Ctx, alert: Pick<InternalAlert, 'dedupKey' | 'serviceId' | 'summary'>): Promise<void> {
  if (await openInternalAlert(ctx, alert.dedupKey)) await raiseInternalAlert(ctx, { ...alert, severity: 'P3', details: {} }, false);
}
