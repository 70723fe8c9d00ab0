import { formatDuration } from '../../lib/duration.ts';
import type { PostmortemView } from './schemas.ts';

/**
 * Text from people and alerts, safe in Markdown that someone renders to HTML: markup characters
 * become entities and control characters (terminal escapes, bidi overrides) are dropped.
 */
const safe = (s: string) =>
  s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
const oneLine = (s: string) => safe(s).replace(/\r?\n|\r/g, ' ');
const cell = (s: string) => oneLine(s).replace(/\|/g, '\\|');
const orNone = (s: string) => (s.trim() === '' ? '_Not written yet._' : safe(s.trim()));
const bullets = (items: string[]) => (items.length ? items.map((i) => `- ${oneLine(i)}`).join('\n') : '_None recorded._');
const ms = (v: number | null) => (v === null ? '—' : formatDuration(v));

const STATUS_LABEL = { draft: 'Draft', in_review: 'In review', completed: 'Completed' } as const;

/** The whole internal postmortem as one Markdown document (the plan's PostmortemReport, in order). */
export function renderPostmortemMarkdown(pm: PostmortemView): string {
  const c = pm.content;
  const i = c.incident;
  const m = c.metrics;
  const metric = (label: string, x: (typeof m)['time_to_detect']) => `| ${label} | ${ms(x.actual_ms)} | ${ms(x.target_ms)} | ${x.met === null ? '—' : x.met ? 'met' : 'missed'} |`;
  const out = [
    `# Postmortem: ${i.ref} ${oneLine(i.title)}`,
    '',
    `Status: ${STATUS_LABEL[pm.status]} · revision ${pm.revision} · owner ${pm.owner ?? 'none'} · due ${pm.due_at}${pm.completed_at ? ` · completed ${pm.completed_at}` : ''}`,
    '',
    '## Incident',
    '',
    '| | |',
    '|---|---|',
    `| Incident | ${i.ref} |`,
    `| Severity | ${i.severity} |`,
    `| Start | ${i.start} |`,
    `| End | ${i.end ?? 'not resolved'} |`,
    `| Duration | ${i.duration ?? '—'} |`,
    `| Services | ${cell(i.impact.services.join(', ') || 'none')} |`,
    `| Impacted services | ${cell(i.impact.impacted_services.join(', ') || 'none')} |`,
    `| Share of users | ${Math.round(i.impact.user_share * 1000) / 10}% |`,
    `| Customer-facing | ${i.impact.customer_facing ? 'yes' : 'no'} |`,
    `| Detection | ${cell(c.detection.method)}${c.detection.fingerprint ? ` (${cell(c.detection.fingerprint)})` : ''}, detected ${c.detection.detected_at}, triggered ${c.detection.triggered_at} |`,
    '',
    '## Response times',
    '',
    '| Measure | Actual | Target | |',
    '|---|---|---|---|',
    metric('Time to detect', m.time_to_detect),
    metric('Time to acknowledge', m.time_to_acknowledge),
    metric('Time to respond', m.time_to_respond),
    metric('Time to resolve', m.time_to_resolve),
    '',
    '## Summary',
    '',
    orNone(c.summary),
    '',
    '## Root cause',
    '',
    orNone(c.root_cause),
    '',
    '## Resolution',
    '',
    orNone(c.resolution),
    '',
    '## Prevention',
    '',
    bullets(c.prevention),
    '',
    '## Contributing factors',
    '',
    '### Technical',
    '',
    bullets(c.factors.technical),
    '',
    '### Process',
    '',
    bullets(c.factors.process),
    '',
    '### Human',
    '',
    bullets(c.factors.human),
    '',
    '### Organisational',
    '',
    bullets(c.factors.organisational),
    '',
    '## Five whys',
    '',
    ...(c.five_whys.some((w) => w.answer.trim())
      ? c.five_whys.filter((w) => w.question.trim() || w.answer.trim()).map((w, n) => `${n + 1}. ${oneLine(w.question) || 'Why?'} ${w.answer.trim() ? `${oneLine(w.answer)}` : '_No answer yet._'}`)
      : ['_Not written yet._']),
    '',
    '## Lessons learned',
    '',
    '### What went well',
    '',
    bullets(c.lessons.went_well),
    '',
    '### What could be improved',
    '',
    bullets(c.lessons.could_improve),
    '',
    '### Surprises',
    '',
    bullets(c.lessons.surprises),
    '',
    '## Action items',
    '',
    ...(pm.action_items.length
      ? [
          '| Title | Owner | Priority | Due | Status | Tracker |',
          '|---|---|---|---|---|---|',
          ...pm.action_items.map((a) => `| ${cell(a.title)} | ${a.owner ?? '—'} | ${a.priority} | ${a.due_at ?? '—'}${a.overdue ? ' (overdue)' : ''} | ${a.status} | ${a.tracker_url ? `<${cell(a.tracker_url)}>` : '—'} |`),
        ]
      : ['_None yet._']),
    '',
    '## Timeline',
    '',
    ...(c.timeline.length ? c.timeline.map((e) => `- ${e.at} · ${cell(e.actor)} · ${oneLine(e.body)}`) : ['_Empty._']),
    '',
  ];
  return out.join('\n');
}
