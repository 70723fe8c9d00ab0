import { formatDuration } from '../../lib/duration.ts';
import { displayTimeZone, formatLocalTime, NONE, toJson } from '../format.ts';
import { createApiClient, refPath, type ClientFlags } from '../http-client.ts';
import { CliError, type Io } from '../io.ts';
import { renderFields, renderTable } from '../table.ts';

type Target = { user: string } | { schedule: string } | { channel: string } | { group: string };

interface Recipient {
  destination: string;
  user: string | null;
  reason: string;
  delay_ms: number;
}

export interface StepView {
  step: string;
  level: number;
  round: number;
  due_at: string;
  fired_at: string;
  late_ms: number;
  node: string;
  recipients: Recipient[];
}

interface AttemptView {
  at: string;
  ok: boolean;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  node: string;
}

interface NotificationView {
  id: string;
  kind: string;
  destination: string;
  provider: string;
  user: string | null;
  status: string;
  attempts: number;
  created_at: string;
  next_attempt_at: string | null;
  sent_at: string | null;
  give_up_at: string | null;
  last_error: string | null;
  history: AttemptView[];
}

/** GET /api/v1/incidents/:ref/escalation. */
export interface EscalationView {
  incident: string;
  state: string;
  policy: { id: string; name: string; repeat: number; levels: { notify: Target[]; timeout?: number }[] } | null;
  severity: string;
  level: number;
  round: number;
  next_step_at: string | null;
  steps: StepView[];
  notifications: NotificationView[];
}

const describeTarget = (t: Target) => Object.entries(t).map(([kind, id]) => `${kind} ${id}`).join('');

/** "carol (on call for Database primary) via email; channel ops-slack". */
export function describeRecipients(recipients: readonly Recipient[]): string {
  const people = new Map<string, { reason: string; via: string[] }>();
  const channels: string[] = [];
  for (const r of recipients) {
    if (r.user) {
      const p = people.get(r.user) ?? { reason: r.reason, via: [] };
      p.via.push(`${r.destination.split(':')[2] ?? r.destination}${r.delay_ms ? ` after ${formatDuration(r.delay_ms)}` : ''}`);
      people.set(r.user, p);
    } else channels.push(r.destination.replace(/^channel:/, ''));
  }
  const parts = [...people].map(([user, p]) => `${user} (${p.reason}) via ${p.via.join(', ')}`);
  if (channels.length) parts.push(`channel${channels.length > 1 ? 's' : ''} ${channels.join(', ')}`);
  return parts.join('; ') || 'nobody';
}

const late = (ms: number) => (ms <= 0 ? NONE : ms < 1000 ? `${ms} ms` : formatDuration(ms));

/**
 * The steps on a time axis: a row per step with ● where it fired (and ╌ from when it was due, if
 * late), a row for the next automatic step (○) when one is scheduled, and the axis with its ends.
 */
export function renderStepTimeline(steps: readonly StepView[], nextStepAt: string | null, tz: string | undefined, width = 60): string {
  const events = [...steps.flatMap((s) => [Date.parse(s.due_at), Date.parse(s.fired_at)]), ...(nextStepAt ? [Date.parse(nextStepAt)] : [])];
  if (!events.length) return '';
  const t0 = Math.min(...events);
  const t1 = Math.max(...events);
  const span = t1 - t0;
  const col = (t: number) => (span === 0 ? 0 : Math.round(((t - t0) / span) * (width - 1)));
  const rows: [string, string][] = steps.map((s) => {
    const cells = Array<string>(width).fill(' ');
    const due = col(Date.parse(s.due_at));
    const fired = col(Date.parse(s.fired_at));
    for (let i = due; i < fired; i++) cells[i] = '╌';
    cells[fired] = '●';
    return [s.step, cells.join('').trimEnd()];
  });
  if (nextStepAt) rows.push(['next step', `${' '.repeat(col(Date.parse(nextStepAt)))}○`]);
  const label = Math.max(...rows.map(([l]) => l.length));
  const start = formatLocalTime(new Date(t0).toISOString(), tz);
  const end = formatLocalTime(new Date(t1).toISOString(), tz);
  const ends = span === 0 ? start : `${start}${' '.repeat(Math.max(2, width - start.length - end.length))}${end}`;
  const scale = span === 0 ? 'all at once' : `one column ≈ ${span / (width - 1) < 1000 ? `${Math.max(1, Math.round(span / (width - 1)))} ms` : formatDuration(Math.round(span / (width - 1)))}`;
  return [
    ...rows.map(([l, r]) => `  ${l.padEnd(label)}  ${r}`.trimEnd()),
    `  ${' '.repeat(label)}  ${span === 0 ? '┴' : `└${'─'.repeat(width - 2)}┘`}`,
    `  ${' '.repeat(label)}  ${ends}`,
    `  ${' '.repeat(label)}  (● fired, ╌ late, ○ next; ${scale})`,
  ].join('\n') + '\n';
}

/** `firebreak incident escalation <ref>`: the bound policy, every step (picture and table), every notification and its delivery attempts. */
export async function incidentEscalationCommand(args: string[], flags: ClientFlags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length !== 1) throw new CliError('usage: firebreak incident escalation <ref>', 2);
  const esc = await createApiClient(flags, io.env).request<EscalationView>('GET', `${refPath(args[0])}/escalation`);
  if (flags.json) {
    io.out(toJson(esc));
    return 0;
  }
  const tz = displayTimeZone(io.env);
  const t = (iso: string | null) => formatLocalTime(iso, tz);
  const levels = esc.policy?.levels.length ?? 0;
  let out = `${esc.incident} escalation: ${esc.state}\n`;
  out += renderFields([
    ['policy', esc.policy ? `${esc.policy.name} (${esc.policy.id}), ${levels} ${levels === 1 ? 'level' : 'levels'}, repeat ${esc.policy.repeat}` : 'none: nobody is paged automatically'],
    ['severity', esc.severity],
    ['level', esc.level ? `${esc.level} of ${levels}${esc.round > 1 ? `, round ${esc.round}` : ''}` : NONE],
    ['next step', t(esc.next_step_at)],
  ]);
  if (esc.policy?.levels.length) {
    out += '\nLevels\n';
    out += renderTable(
      esc.policy.levels.map((l, i) => ({ ...l, n: i + 1 })),
      [
        { header: 'LEVEL', value: (l) => `${l.n}${l.n === esc.level ? ' ◀' : ''}` },
        { header: 'NOTIFY', value: (l) => l.notify.map(describeTarget).join(', ') },
        { header: 'THEN WAIT', value: (l) => (l.timeout === undefined ? 'ack target' : formatDuration(l.timeout)) },
      ],
      '  ',
    );
  }
  out += `\nSteps (${esc.steps.length})\n`;
  if (esc.steps.length) {
    out += renderStepTimeline(esc.steps, esc.next_step_at, tz);
    out += '\n';
    out += renderTable(
      esc.steps,
      [
        { header: 'STEP', value: (s) => s.step },
        { header: 'LEVEL', value: (s) => String(s.level), align: 'right' },
        { header: 'ROUND', value: (s) => String(s.round), align: 'right' },
        { header: 'FIRED', value: (s) => t(s.fired_at) },
        { header: 'LATE', value: (s) => late(s.late_ms), align: 'right' },
        { header: 'PAGED', value: (s) => describeRecipients(s.recipients), max: 100 },
      ],
      '  ',
    );
  } else out += '  none yet\n';
  out += `\nNotifications (${esc.notifications.length})\n`;
  if (esc.notifications.length) {
    out += renderTable(
      esc.notifications.map((n, i) => ({ ...n, n: i + 1 })),
      [
        { header: '#', value: (n) => String(n.n), align: 'right' },
        { header: 'KIND', value: (n) => n.kind },
        { header: 'TO', value: (n) => n.destination, max: 40 },
        { header: 'STATUS', value: (n) => n.status },
        { header: 'TRIES', value: (n) => String(n.attempts), align: 'right' },
        { header: 'CREATED', value: (n) => t(n.created_at) },
        { header: 'SENT / NEXT TRY', value: (n) => (n.sent_at ? t(n.sent_at) : n.next_attempt_at ? `next ${t(n.next_attempt_at)}` : NONE) },
        { header: 'LAST ERROR', value: (n) => n.last_error ?? NONE, max: 60 },
      ],
      '  ',
    );
    const attempts = esc.notifications.flatMap((n, i) => n.history.map((a) => ({ ...a, n: i + 1 })));
    if (attempts.length) {
      out += `\nDelivery attempts (${attempts.length}; # is the notification's)\n`;
      out += renderTable(
        attempts,
        [
          { header: '#', value: (a) => String(a.n), align: 'right' },
          { header: 'AT', value: (a) => t(a.at) },
          { header: 'RESULT', value: (a) => `${a.ok ? 'ok' : 'failed'}${a.status_code !== null ? ` (${a.status_code})` : ''}` },
          { header: 'MS', value: (a) => String(a.latency_ms), align: 'right' },
          { header: 'NODE', value: (a) => a.node, max: 30 },
          { header: 'ERROR', value: (a) => a.error ?? NONE, max: 60 },
        ],
        '  ',
      );
    }
  } else out += '  none\n';
  io.out(out);
  return 0;
}
