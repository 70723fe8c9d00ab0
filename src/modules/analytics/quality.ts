import { requireRole, type Ctx } from '../context.ts';
import { toCsv } from './csv.ts';
import { periodView, ratio, resolveFilter } from './period.ts';
import { qualityAggregates } from './repository.ts';
import { parseIntegers, summarize } from './values.ts';
import type { AnalyticsQueryInput, QualityReport } from './schemas.ts';

/**
 * How well incidents are handled beyond speed: severity right from the start, false positives,
 * automatic detection, reopening, and how soon customers and stakeholders heard.
 */
export async function qualityReport(ctx: Ctx, input: AnalyticsQueryInput): Promise<QualityReport> {
  requireRole(ctx, 'viewer');
  const f = resolveFilter(ctx, input);
  const { targets, escalation_grace } = ctx.config.current.analytics;
  const a = await qualityAggregates(ctx, f, { grace: escalation_grace, statusPage: targets.status_page_post, stakeholders: targets.stakeholder_notification });
  const status = summarize(parseIntegers(a.statusTimes), targets.status_page_post);
  const told = summarize(parseIntegers(a.notifiedTimes), targets.stakeholder_notification);
  const rate = (count: number, of: number, target: number) => ({ count, of, share: ratio(count, of), target });
  return {
    period: periodView(f),
    incidents: a.incidents,
    escalation_accuracy: rate(a.accurate, a.incidents, targets.escalation_accuracy),
    false_positive_rate: rate(a.falsePositives, a.ended, targets.false_positive_rate),
    automatic_detection: rate(a.automated, a.incidents, targets.automatic_detection_share),
    reopen_rate: rate(a.reopened, a.resolvedOnce, Math.round((1 - targets.resolved_without_reopening) * 1e4) / 1e4),
    resolved_without_reopening: rate(a.resolvedOnce - a.reopened, a.resolvedOnce, targets.resolved_without_reopening),
    status_page_post: {
      count: status.count,
      mean_ms: status.mean,
      p90_ms: status.p90,
      eligible: a.statusEligible,
      within_target: a.statusWithin,
      share_within_target: ratio(a.statusWithin, a.statusEligible),
      target_ms: targets.status_page_post,
    },
    stakeholder_notification: {
      count: told.count,
      mean_ms: told.mean,
      p90_ms: told.p90,
      eligible: a.notifiedEligible,
      within_target: a.notifiedWithin,
      share_within_target: ratio(a.notifiedWithin, a.notifiedEligible),
      target_ms: targets.stakeholder_notification,
    },
  };
}

/** One line per KPI: a rate (count of) or a time (mean, p90, share of the eligible within target). */
export function qualityCsv(r: QualityReport): string {
  const p = [r.period.from, r.period.to, r.period.severity?.join(' ') ?? '', r.period.service ?? ''];
  const rates = (['escalation_accuracy', 'false_positive_rate', 'automatic_detection', 'reopen_rate', 'resolved_without_reopening'] as const).map((k) => [...p, k, r[k].count, r[k].of, r[k].share, r[k].target, '', '', '']);
  const times = (['status_page_post', 'stakeholder_notification'] as const).map((k) => [...p, k, r[k].within_target, r[k].eligible, r[k].share_within_target, r[k].target_ms, r[k].count, r[k].mean_ms, r[k].p90_ms]);
  return toCsv(['from', 'to', 'severity', 'service', 'kpi', 'count', 'of', 'share', 'target', 'measured', 'mean_ms', 'p90_ms'], [...rates, ...times]);
}
