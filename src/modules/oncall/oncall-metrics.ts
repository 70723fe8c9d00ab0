import { sql } from 'kysely';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { ESCALATE_TIMER } from './escalation-state.ts';
import { LATE_STEP_MS } from './watchdog.ts';

/** Steps fired this recently make up the lateness quantiles. */
const WINDOW_MS = 15 * 60_000;

/**
 * Paging health for /metrics, from the database (so any node answers for the cluster): queued
 * notifications and how long the oldest due one has waited, escalation steps pending and overdue
 * now, and the lateness of the automatic steps fired in the last 15 minutes (p50, p99, max).
 */
export async function oncallMetricsText(ctx: Ctx): Promise<string> {
  const now = ctx.clock.now();
  // Every query here is an index range (the partial index of due messages, the timers' key, steps
  // by fired_at): a scrape every few seconds must not scan tables that grow with every incident.
  const [pending, timers, steps] = await Promise.all([
    q(ctx).selectFrom('notifications').select([(eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.min<number | null>('next_attempt_at').as('oldest')]).where('status', '=', 'pending').where('next_attempt_at', '<=', now).executeTakeFirstOrThrow(),
    q(ctx)
      .selectFrom('timers')
      .select([(eb) => eb.fn.countAll<number>().as('n'), sql<number>`sum(case when due_at < ${now - LATE_STEP_MS} then 1 else 0 end)`.as('overdue')])
      .where('kind', '=', ESCALATE_TIMER)
      .executeTakeFirstOrThrow(),
    q(ctx).selectFrom('escalation_steps').select(sql<number>`fired_at - due_at`.as('late')).where('fired_at', '>', now - WINDOW_MS).where('step_key', 'like', 'L%').execute(),
  ]);
  const late = steps.map((s) => Math.max(0, Number(s.late))).sort((a, b) => a - b);
  const quantile = (p: number) => (late.length ? late[Math.min(late.length - 1, Math.ceil(p * late.length) - 1)] / 1000 : 0);
  const lines = [
    '# HELP firebreak_notifications_due Notifications due to be sent now (pending, next attempt reached)',
    '# TYPE firebreak_notifications_due gauge',
    `firebreak_notifications_due ${Number(pending.n)}`,
    '# HELP firebreak_notifications_due_oldest_seconds How long the oldest due notification has waited',
    '# TYPE firebreak_notifications_due_oldest_seconds gauge',
    `firebreak_notifications_due_oldest_seconds ${pending.oldest === null ? 0 : Math.max(0, (now - Number(pending.oldest)) / 1000)}`,
    '# HELP firebreak_escalation_steps_overdue Escalation steps more than 30 s past due and not yet run',
    '# TYPE firebreak_escalation_steps_overdue gauge',
    `firebreak_escalation_steps_overdue ${Number(timers.overdue ?? 0)}`,
    '# HELP firebreak_escalation_steps_pending Escalation steps waiting for their time (incidents still escalating)',
    '# TYPE firebreak_escalation_steps_pending gauge',
    `firebreak_escalation_steps_pending ${Number(timers.n)}`,
    '# HELP firebreak_escalation_step_lateness_seconds Lateness of automatic escalation steps fired in the last 15 minutes',
    '# TYPE firebreak_escalation_step_lateness_seconds summary',
    `firebreak_escalation_step_lateness_seconds{quantile="0.5"} ${quantile(0.5)}`,
    `firebreak_escalation_step_lateness_seconds{quantile="0.99"} ${quantile(0.99)}`,
    `firebreak_escalation_step_lateness_seconds{quantile="1"} ${quantile(1)}`,
    `firebreak_escalation_step_lateness_seconds_count ${late.length}`,
    `firebreak_escalation_step_lateness_seconds_sum ${late.reduce((a, b) => a + b, 0) / 1000}`,
  ];
  return `${lines.join('\n')}\n`;
}
