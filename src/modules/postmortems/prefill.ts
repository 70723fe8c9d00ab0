import type { FirebreakConfig } from '../../config/schema.ts';
import { formatDuration } from '../../lib/duration.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { IncidentView, TimelineEntryView } from '../incidents/index.ts';
import type { IncidentRow } from '../incidents/repository.ts';
import type { PostmortemContent } from './schemas.ts';

/** Timeline kinds that restored service before the fix: what the resolution section starts from. */
export const MITIGATION_KINDS = new Set(['workaround', 'rollback']);

const n = (v: number | null) => (v === null ? null : Number(v));
const measure = (from: number | null, to: number | null, target: number | null) => {
  const actual = from === null || to === null ? null : Math.max(0, to - from);
  return { actual_ms: actual, target_ms: target, met: actual === null || target === null ? null : actual <= target };
};

/**
 * The postmortem as the incident leaves it: the facts (when, how long, impact, how it was found,
 * the timeline, the four response times against the severity's targets) and the resolution's
 * mitigations; the analysis sections are left for people to write.
 */
export function prefillContent(config: FirebreakConfig, row: IncidentRow, view: IncidentView, timeline: TimelineEntryView[]): PostmortemContent {
  const detected = Number(row.detected_at);
  const triggered = Number(row.triggered_at);
  const resolved = n(row.resolved_at);
  const policy = config.severities[view.severity];
  const duration = resolved === null ? null : Math.max(0, resolved - detected);
  const mitigations = timeline.filter((e) => MITIGATION_KINDS.has(e.kind));
  const resolveEntry = [...timeline].reverse().find((e) => e.kind === 'resolved');
  const resolveNote = typeof resolveEntry?.data.note === 'string' ? resolveEntry.data.note : null;
  const resolution = [
    ...(resolved !== null ? [`Resolved at ${isoTime(resolved)}${resolveNote ? `: ${resolveNote}` : '.'}`] : []),
    ...(mitigations.length ? ['', 'Workarounds and rollbacks:', ...mitigations.map((e) => `- ${e.at} ${e.body}`)] : []),
  ].join('\n');
  return {
    incident: {
      id: view.id,
      ref: view.ref,
      title: view.title,
      severity: view.severity,
      start: isoTime(detected),
      end: resolved === null ? null : isoTime(resolved),
      duration_ms: duration,
      duration: duration === null ? null : formatDuration(duration),
      impact: {
        services: view.services,
        impacted_services: view.impact.impacted_services,
        user_share: view.impact.user_share,
        customer_facing: view.impact.customer_facing,
        highest_tier: view.impact.highest_tier,
      },
    },
    detection: { method: view.source, fingerprint: row.fingerprint ?? null, detected_at: isoTime(detected), triggered_at: isoTime(triggered) },
    metrics: {
      time_to_detect: measure(detected, triggered, config.analytics.targets.detection),
      time_to_acknowledge: measure(triggered, n(row.acknowledged_at), policy.ack_target),
      time_to_respond: measure(triggered, n(row.responded_at), policy.response_target),
      time_to_resolve: measure(triggered, resolved, policy.resolve_target),
    },
    timeline: timeline.map((e) => ({ at: e.at, kind: e.kind, actor: e.actor.name, body: e.body })),
    summary: '',
    root_cause: '',
    resolution,
    prevention: [],
    factors: { technical: [], process: [], human: [], organisational: [] },
    lessons: { went_well: [], could_improve: [], surprises: [] },
    five_whys: [{ question: `Why did this happen: ${view.title}?`, answer: '' }, ...Array.from({ length: 4 }, () => ({ question: 'Why?', answer: '' }))],
  };
}
