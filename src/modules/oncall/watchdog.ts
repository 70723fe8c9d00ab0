import { sql } from 'kysely';
import { q } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import type { Logger } from '../../lib/logger.ts';
import type { Ctx } from '../context.ts';
import { FIREBREAK_INTEGRATION_ID, raiseInternalAlert } from '../signals/index.ts';
import { ESCALATE_TIMER } from './escalation-state.ts';

/** A step later than this is a fault of Firebreak's, and says so. */
export const LATE_STEP_MS = 30_000;
/** After a step ran late, the alert stays up at least this long. */
const LATE_MEMORY_MS = 5 * 60_000;
export const LATE_ALERT_KEY = 'firebreak/escalation-late';

export interface WatchdogVerdict {
  /** Steps due more than 30 s ago that have not run. */
  overdue: { incident_id: string; due_at: number }[];
  /** Steps that ran more than 30 s after they were due, recently (after a restart, say). */
  ranLate: { incident_id: string; late_ms: number }[];
}

/**
 * The escalation watchdog: an escalation step still pending more than 30 s after it was due, or one
 * that ran that late (Firebreak was down, the database stalled), raises one internal alert; it
 * resolves when steps are on time again. Its state is the alert itself, so any node may run it.
 */
export async function checkEscalationLateness(ctx: Ctx, logger: Logger): Promise<WatchdogVerdict> {
  const now = ctx.clock.now();
  const overdue = (
    await q(ctx).selectFrom('timers').select(['subject_id', 'due_at']).where('kind', '=', ESCALATE_TIMER).where('due_at', '<', now - LATE_STEP_MS).orderBy('due_at').limit(20).execute()
  ).map((t) => ({ incident_id: t.subject_id, due_at: Number(t.due_at) }));
  const ranLate = (
    await q(ctx)
      .selectFrom('escalation_steps')
      .select(['incident_id', 'fired_at', 'due_at'])
      .where('fired_at', '>', now - LATE_MEMORY_MS)
      .where(sql<boolean>`fired_at - due_at > ${LATE_STEP_MS}`)
      .where('step_key', 'like', 'L%')
      .limit(20)
      .execute()
  ).map((s) => ({ incident_id: s.incident_id, late_ms: Number(s.fired_at) - Number(s.due_at) }));
  const open = await q(ctx).selectFrom('alerts').select(['id', 'service_id']).where('integration_id', '=', FIREBREAK_INTEGRATION_ID).where('dedup_key', '=', LATE_ALERT_KEY).where('status', '!=', 'resolved').executeTakeFirst();
  const late = overdue.length > 0 || ranLate.length > 0;
  if (late && !open) {
    const subject = overdue[0]?.incident_id ?? ranLate[0].incident_id;
    const service = (await q(ctx).selectFrom('incident_services').select('service_id').where('incident_id', '=', subject).orderBy('added_at').limit(1).executeTakeFirst())?.service_id ?? ctx.config.current.services[0]?.id;
    const worst = Math.max(...overdue.map((o) => now - o.due_at), ...ranLate.map((r) => r.late_ms));
    const summary = overdue.length
      ? `${overdue.length} escalation step${overdue.length > 1 ? 's are' : ' is'} overdue by up to ${formatDuration(worst)}: paging may be stalled`
      : `An escalation step ran ${formatDuration(worst)} late (was Firebreak down or the database stalled?)`;
    logger.error({ overdue, ranLate }, `escalation watchdog: ${summary}`);
    if (service) await raiseInternalAlert(ctx, { dedupKey: LATE_ALERT_KEY, serviceId: service, summary, severity: 'P1', details: { overdue, ran_late: ranLate } });
  } else if (!late && open) {
    await raiseInternalAlert(ctx, { dedupKey: LATE_ALERT_KEY, serviceId: open.service_id, summary: 'Escalation steps are on time again', severity: 'P1', details: {} }, false);
  }
  return { overdue, ranLate };
}
