import type { TimelineEntryView } from '../api/types.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { DeliveryBadge } from './Badges.tsx';
import { Ago, Time } from './Time.tsx';
import { readChecks, ValidationChecks } from './ValidationChecks.tsx';

/** The timeline's kinds, grouped as a responder looks for them. */
const GROUPS = [
  { id: 'notes', label: 'Notes and updates', kinds: ['note', 'stakeholder_update'] },
  { id: 'state', label: 'State and severity', kinds: ['created', 'acknowledged', 'investigating', 'identified', 'monitoring', 'resolved', 'closed', 'reopened', 'severity_changed', 'severity_confirmed', 'auto_resolve_scheduled'] },
  { id: 'alerts', label: 'Alerts', kinds: ['alert_added', 'alert_resolved', 'alert_settled', 'alert_flapping', 'correlated', 'absorbed', 'user_reports', 'user_report', 'change', 'maintenance'] },
  { id: 'notifications', label: 'Notifications', kinds: ['notification', 'escalation', 'escalation_stopped', 'escalation_rebound', 'stakeholders_notified', 'update_reminder', 'renotify', 'renotify_skipped', 'action_link_refused'] },
  { id: 'status_page', label: 'Status page', kinds: ['status_page', 'status_page_opt_out', 'status_page_opt_in'] },
  { id: 'fixes', label: 'Fixes and resolution checks', kinds: ['workaround', 'rollback', 'mitigation', 'resolution_validation', 'resolution_override'] },
  { id: 'follow_up', label: 'Postmortem and action items', kinds: [], prefixes: ['postmortem_', 'action_item_'] },
] as const;
type GroupId = (typeof GROUPS)[number]['id'] | 'other';
const ALL_GROUPS: { id: GroupId; label: string }[] = [...GROUPS, { id: 'other', label: 'Other' }];

const groupOf = (kind: string): GroupId =>
  GROUPS.find((g) => (g.kinds as readonly string[]).includes(kind) || ('prefixes' in g && g.prefixes.some((p) => kind.startsWith(p))))?.id ?? 'other';

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
  resolution_validation: 'Resolution checks',
  resolution_override: 'Resolved despite failed checks',
  reopened: 'Reopened',
  workaround: 'Workaround',
  rollback: 'Rollback',
  postmortem_created: 'Postmortem created',
  postmortem_in_review: 'Postmortem in review',
  postmortem_draft: 'Postmortem back to draft',
  postmortem_completed: 'Postmortem completed',
  postmortem_reopened: 'Postmortem reopened for edits',
  postmortem_published: 'Postmortem published',
  postmortem_reminder: 'Postmortem reminder',
  action_item_added: 'Action item added',
  action_item_closed: 'Action item closed',
  action_item_reopened: 'Action item reopened',
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
      <EntryBody entry={e} />
    </li>
  );
}

/** Most entries are their text; a few kinds carry data that reads better laid out. */
function EntryBody({ entry: e }: { entry: TimelineEntryView }) {
  if (e.kind === 'resolution_validation') {
    const checks = readChecks(e.data.checks);
    if (checks.length) {
      const how = e.data.mode === 'live' ? 'checks run at the time' : 'the latest recorded check results';
      return (
        <div className="tl-body">
          <p>
            <strong>{e.data.passed === true ? 'Passed' : 'Failed'}</strong> ({how})
          </p>
          <ValidationChecks checks={checks} label="Checks" />
        </div>
      );
    }
  }
  if (e.kind.startsWith('postmortem_') && typeof e.data.postmortem_id === 'string') {
    return (
      <p className="tl-body prewrap">
        {e.body} · <Link to={`/postmortems/${e.data.postmortem_id}`}>Open the postmortem</Link>
      </p>
    );
  }
  return <p className="tl-body prewrap">{e.body}</p>;
}
