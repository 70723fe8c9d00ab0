import type { TimelineEntryView } from '../api/types.ts';
import { navigate, useLocation } from '../lib/router.tsx';
import { DeliveryBadge } from './Badges.tsx';
import { Ago, Time } from './Time.tsx';

/** The timeline's kinds, grouped as a responder looks for them. */
const GROUPS = [
  { id: 'notes', label: 'Notes and updates', kinds: ['note', 'stakeholder_update'] },
  { id: 'state', label: 'State and severity', kinds: ['created', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed', 'reopened', 'severity_changed', 'severity_confirmed', 'auto_resolve_scheduled'] },
  { id: 'alerts', label: 'Alerts', kinds: ['alert_added', 'alert_resolved', 'alert_settled', 'alert_flapping', 'correlated', 'absorbed', 'user_reports', 'user_report', 'change', 'maintenance'] },
  { id: 'notifications', label: 'Notifications', kinds: ['notification', 'escalation', 'escalation_stopped', 'escalation_rebound', 'stakeholders_notified', 'update_reminder', 'renotify', 'renotify_skipped', 'action_link_refused'] },
  { id: 'status_page', label: 'Status page', kinds: ['status_page', 'status_page_opt_out', 'status_page_opt_in'] },
] as const;
type GroupId = (typeof GROUPS)[number]['id'] | 'other';
const ALL_GROUPS: { id: GroupId; label: string }[] = [...GROUPS, { id: 'other', label: 'Other' }];

const groupOf = (kind: string): GroupId => GROUPS.find((g) => (g.kinds as readonly string[]).includes(kind))?.id ?? 'other';

const KIND_LABELS: Record<string, string> = {
  created: 'Declared',
  note: 'Note',
  stakeholder_update: 'Stakeholder update',
  severity_changed: 'Severity changed',
  severity_confirmed: 'Severity confirmed',
  role_assigned: 'Role assigned',
  role_removed: 'Role removed',
  alert_added: 'Alert',
  alert_resolved: 'Alert resolved',
  notification: 'Notification',
  escalation: 'Escalation',
  escalation_stopped: 'Escalation stopped',
  stakeholders_notified: 'Stakeholders told',
  update_reminder: 'Update reminder',
  status_page: 'Status page post',
  service_added: 'Service added',
};
const kindLabel = (kind: string) => KIND_LABELS[kind] ?? kind.charAt(0).toUpperCase() + kind.slice(1).replace(/_/g, ' ');

/** Newest first, filtered by kind (the choice is kept in the URL's `show`). */
export function Timeline({ entries }: { entries: TimelineEntryView[] }) {
  const { path, query } = useLocation();
  const shown = new Set((query.get('show') ?? '').split(',').filter((x): x is GroupId => ALL_GROUPS.some((g) => g.id === x)));
  const all = shown.size === 0;
  const counts = new Map<GroupId, number>();
  for (const e of entries) counts.set(groupOf(e.kind), (counts.get(groupOf(e.kind)) ?? 0) + 1);
  const visible = entries.filter((e) => all || shown.has(groupOf(e.kind))).sort((a, b) => b.id - a.id);

  const toggle = (id: GroupId, on: boolean) => {
    const next = new Set(shown);
    if (on) next.add(id);
    else next.delete(id);
    const q = new URLSearchParams(query);
    if (next.size && next.size < ALL_GROUPS.length) q.set('show', ALL_GROUPS.filter((g) => next.has(g.id)).map((g) => g.id).join(','));
    else q.delete('show');
    // Commas are fine in a query and easier to read than %2C.
    const s = q.toString().replace(/%2C/gi, ',');
    navigate(s ? `${path}?${s}` : path, { replace: true });
  };

  return (
    <section className="section" aria-labelledby="tl-h">
      <h2 id="tl-h">Timeline</h2>
      <fieldset className="tl-filters">
        <legend>Show</legend>
        <div className="checks">
          {ALL_GROUPS.map((g) => (
            <label key={g.id} className="check">
              <input type="checkbox" checked={shown.has(g.id)} onChange={(e) => toggle(g.id, e.target.checked)} />
              {g.label} ({counts.get(g.id) ?? 0})
            </label>
          ))}
        </div>
        <p className="muted small-text">{all ? `All ${entries.length} entries, newest first.` : `${visible.length} of ${entries.length} entries, newest first.`}</p>
      </fieldset>
      <ol className="timeline" aria-label="Timeline entries, newest first">
        {visible.map((e) => (
          <Entry key={e.id} entry={e} />
        ))}
      </ol>
      {!visible.length && <p className="empty">Nothing of these kinds yet.</p>}
    </section>
  );
}

function Entry({ entry: e }: { entry: TimelineEntryView }) {
  const status = e.kind === 'notification' && typeof e.data.status === 'string' ? e.data.status : null;
  return (
    <li className={`tl-entry tl-${groupOf(e.kind)}`} data-kind={e.kind}>
      <div className="tl-head">
        <span className="tl-kind">{kindLabel(e.kind)}</span>
        {status && <DeliveryBadge status={status} />}
        <span className="tl-when">
          <Time iso={e.at} /> · <Ago iso={e.at} />
        </span>
        <span className="tl-actor">by {e.actor.name}</span>
      </div>
      <p className="tl-body prewrap">{e.body}</p>
    </li>
  );
}
