import type { ClassificationConfig, FirebreakConfig, SeverityRule } from '../../config/schema.ts';
import { SEVERITIES, type Severity } from '../../config/defaults.ts';
import { computeImpact } from '../services/index.ts';

/**
 * Impact score weights, out of 100: how critical the most critical impacted service is, whether
 * customers see it, the share of users affected, and how many services it reaches. Fixed (and
 * documented) so a score means the same thing in every installation; rules choose what to do with it.
 */
const TIER_POINTS: Record<string, number> = { p0: 40, p1: 25, p2: 10, p3: 0 };
const CUSTOMER_FACING_POINTS = 20;
const USER_SHARE_POINTS = 30;
/** Points per impacted service beyond the first, up to SERVICES_POINTS_MAX. */
const SERVICE_POINTS = 2;
const SERVICES_POINTS_MAX = 10;

/** The figures impact scoring is made of, for a service and everything that depends on it. */
export interface ImpactScore {
  score: number;
  highest_tier: string | null;
  customer_facing: boolean;
  user_share: number;
  services: number;
  /** The severity the score alone gives by the configured thresholds. */
  severity: Severity;
}

export function scoreImpact(config: FirebreakConfig, serviceIds: readonly string[]): ImpactScore {
  const impact = computeImpact(config, serviceIds);
  const n = impact.impacted_services.length;
  const raw =
    (impact.highest_tier === null ? 0 : (TIER_POINTS[impact.highest_tier] ?? 0)) +
    (impact.customer_facing ? CUSTOMER_FACING_POINTS : 0) +
    USER_SHARE_POINTS * impact.user_share +
    Math.min(SERVICES_POINTS_MAX, SERVICE_POINTS * Math.max(0, n - 1));
  const score = Math.round(Math.min(100, raw) * 10) / 10;
  const t = config.classification.impact_thresholds;
  const severity: Severity = score >= t.P0 ? 'P0' : score >= t.P1 ? 'P1' : score >= t.P2 ? 'P2' : 'P3';
  return { score, highest_tier: impact.highest_tier, customer_facing: impact.customer_facing, user_share: impact.user_share, services: n, severity };
}

/** What classification looks at in an alert. */
export interface ClassifiedAlert {
  integration: string;
  serviceId: string;
  source: string;
  sourceSeverity: string;
  labels: Record<string, string>;
  /** The integration's own severity map's answer: used when no rule matches. */
  severity: Severity;
}

/** A severity and what decided it, as the timeline and the explain endpoint show it. */
export interface Classification {
  severity: Severity;
  /** The rule that decided, or null when the integration's severity map did. */
  rule: string | null;
  impact: ImpactScore;
  /** One line for the timeline: "rule payments-critical matched", with the figures. */
  text: string;
}

type CompiledRule = { rule: SeverityRule; test: (a: ClassifiedAlert, impact: ImpactScore) => boolean };
const compiled = new WeakMap<ClassificationConfig, CompiledRule[]>();

function compile(config: ClassificationConfig): CompiledRule[] {
  let rules = compiled.get(config);
  if (rules) return rules;
  rules = config.rules.map((rule) => {
    const m = rule.match;
    const source = m.source === undefined ? null : new RegExp(`^(?:${m.source})$`);
    const labels = Object.entries(m.labels ?? {}).map(([name, pattern]) => [name, new RegExp(`^(?:${pattern})$`)] as const);
    const i = m.impact;
    return {
      rule,
      test: (a, impact) =>
        (!m.integration || m.integration.includes(a.integration)) &&
        (!m.service || m.service.includes(a.serviceId)) &&
        (!source || source.test(a.source)) &&
        (!m.severity || m.severity.includes(a.sourceSeverity)) &&
        labels.every(([name, re]) => re.test(Object.hasOwn(a.labels, name) ? a.labels[name] : '')) &&
        (!i ||
          ((i.min_score === undefined || impact.score >= i.min_score) &&
            (i.tier === undefined || (impact.highest_tier !== null && (i.tier as string[]).includes(impact.highest_tier))) &&
            (i.customer_facing === undefined || impact.customer_facing === i.customer_facing) &&
            (i.min_user_share === undefined || impact.user_share >= i.min_user_share) &&
            (i.min_services === undefined || impact.services >= i.min_services))),
    };
  });
  compiled.set(config, rules);
  return rules;
}

/**
 * P0–P3 for an alert on a service: the first rule (in order) whose conditions all hold decides,
 * giving its severity or, for `severity: impact`, the impact score's; when no rule matches, the
 * integration's severity map does. The impact figures are always computed and reported.
 */
export function classify(config: FirebreakConfig, alert: ClassifiedAlert): Classification {
  const impact = scoreImpact(config, [alert.serviceId]);
  const figures = `impact score ${impact.score} (tier ${impact.highest_tier ?? 'none'}, ${impact.customer_facing ? 'customer-facing' : 'internal'}, ${Math.round(impact.user_share * 100)}% of users, ${impact.services} service${impact.services === 1 ? '' : 's'})`;
  for (const { rule, test } of compile(config.classification)) {
    if (!test(alert, impact)) continue;
    const severity = rule.severity === 'impact' ? impact.severity : rule.severity;
    return { severity, rule: rule.name, impact, text: `rule "${rule.name}" gave ${severity}${rule.severity === 'impact' ? ' from the impact score' : ''}; ${figures}` };
  }
  const word = alert.sourceSeverity === '' ? 'no severity' : `severity "${alert.sourceSeverity}"`;
  return { severity: alert.severity, rule: null, impact, text: `no rule matched; ${word} maps to ${alert.severity} for integration ${alert.integration}; ${figures}` };
}

/** True when `a` is more severe than `b` (P0 is the most severe). */
export const moreSevere = (a: Severity, b: string) => SEVERITIES.indexOf(a) < SEVERITIES.indexOf(b as Severity);
