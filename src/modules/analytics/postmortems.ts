import { requireRole, type Ctx } from '../context.ts';
import { toCsv } from './csv.ts';
import { periodView, ratio, resolveFilter } from './period.ts';
import { postmortemAggregates } from './repository.ts';
import type { AnalyticsQueryInput, PostmortemsReport } from './schemas.ts';

/**
 * Learning from the incidents in the filter: postmortems completed by their due time (48 hours
 * after resolution by default) and action items closed, as of now.
 */
export async function postmortemsReport(ctx: Ctx, input: AnalyticsQueryInput): Promise<PostmortemsReport> {
  requireRole(ctx, 'viewer');
  const f = resolveFilter(ctx, input);
  const { postmortems: p, actionItems: a } = await postmortemAggregates(ctx, f);
  const closed = a.done + a.wontDo;
  return {
    period: periodView(f),
    postmortems: {
      total: p.total,
      completed: p.completed,
      due: p.due,
      completed_on_time: p.onTime,
      on_time_share: ratio(p.onTime, p.due),
      target: ctx.config.current.analytics.targets.postmortem_on_time,
      overdue: p.overdue,
      mean_completion_ms: p.completed ? Math.round(p.completionSum / p.completed) : null,
    },
    action_items: { total: a.total, done: a.done, wont_do: a.wontDo, open: a.total - closed, closed, closure_rate: ratio(closed, a.total), overdue_open: a.overdueOpen },
  };
}

export function postmortemsCsv(r: PostmortemsReport): string {
  const p = [r.period.from, r.period.to, r.period.severity?.join(' ') ?? '', r.period.service ?? ''];
  const pm = r.postmortems;
  const ai = r.action_items;
  return toCsv(
    ['from', 'to', 'severity', 'service', 'kpi', 'count', 'of', 'share', 'target'],
    [
      [...p, 'postmortems_completed_on_time', pm.completed_on_time, pm.due, pm.on_time_share, pm.target],
      [...p, 'postmortems_completed', pm.completed, pm.total, ratio(pm.completed, pm.total), ''],
      [...p, 'postmortems_overdue', pm.overdue, pm.total, ratio(pm.overdue, pm.total), ''],
      [...p, 'action_items_closed', ai.closed, ai.total, ai.closure_rate, ''],
      [...p, 'action_items_overdue_open', ai.overdue_open, ai.open, ratio(ai.overdue_open, ai.open), ''],
    ],
  );
}
