import { SEVERITIES, type Severity } from '../../config/defaults.ts';
import { requireRole, type Ctx } from '../context.ts';
import { toCsv } from './csv.ts';
import { periodView, ratio, resolveFilter } from './period.ts';
import { durationValues, type DurationName } from './repository.ts';
import { parseIntegers, summarize } from './values.ts';
import type { AnalyticsQueryInput, DurationStat, ResponseReport } from './schemas.ts';

const KPIS = ['detect', 'acknowledge', 'respond', 'resolve'] as const satisfies readonly DurationName[];

/**
 * MTTD, MTTA, mean time to respond and MTTR per severity: mean and exact p90 of TTD = triggered −
 * detected, TTA = acknowledged − triggered, respond = responded − triggered, TTR = resolved −
 * triggered, each against its target, over incidents that have the timestamp.
 */
export async function responseReport(ctx: Ctx, input: AnalyticsQueryInput): Promise<ResponseReport> {
  requireRole(ctx, 'viewer');
  const f = resolveFilter(ctx, input);
  const config = ctx.config.current;
  const target = (name: DurationName, s: Severity): number =>
    name === 'detect' ? config.analytics.targets.detection : name === 'acknowledge' ? config.severities[s].ack_target : name === 'respond' ? config.severities[s].response_target : config.severities[s].resolve_target;
  const found = await durationValues(ctx, f, [...KPIS]);
  const severities: ResponseReport['severities'] = [];
  for (const severity of f.severities ? SEVERITIES.filter((s) => f.severities!.includes(s)) : SEVERITIES) {
    const row = found.get(severity);
    const stat = (name: (typeof KPIS)[number]): DurationStat => {
      const t = target(name, severity);
      const s = summarize(parseIntegers(row?.values[name]), t);
      return { count: s.count, mean_ms: s.mean, p90_ms: s.p90, target_ms: t, within_target: s.within, share_within_target: ratio(s.within, s.count) };
    };
    severities.push({ severity, incidents: row?.incidents ?? 0, detect: stat('detect'), acknowledge: stat('acknowledge'), respond: stat('respond'), resolve: stat('resolve') });
  }
  return { period: periodView(f), severities };
}

/** One line per severity and KPI. */
export function responseCsv(r: ResponseReport): string {
  const rows = r.severities.flatMap((s) => KPIS.map((k) => [r.period.from, r.period.to, r.period.service ?? '', s.severity, k, s.incidents, s[k].count, s[k].mean_ms, s[k].p90_ms, s[k].target_ms, s[k].within_target, s[k].share_within_target]));
  return toCsv(['from', 'to', 'service', 'severity', 'kpi', 'incidents', 'count', 'mean_ms', 'p90_ms', 'target_ms', 'within_target', 'share_within_target'], rows);
}
