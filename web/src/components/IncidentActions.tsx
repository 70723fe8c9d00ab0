import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { IncidentRole, IncidentView, LifecycleVerb, Severity, UserView } from '../api/types.ts';
import { SEVERITY_LEVELS, SEVERITY_NAMES } from '../lib/config-data.ts';
import { useShortcut } from '../lib/shortcuts.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { DoneNote, ErrorNote } from './Feedback.tsx';

/** Each lifecycle verb as a button: its words, and what it says when it worked. */
const VERBS: Record<LifecycleVerb, { label: string; done: string; primary?: boolean }> = {
  acknowledge: { label: 'Acknowledge', done: 'Acknowledged: paging stops.', primary: true },
  investigate: { label: 'Investigating', done: 'Now investigating.' },
  identify: { label: 'Cause identified', done: 'Marked as identified.' },
  monitor: { label: 'Fix in, monitoring', done: 'Now monitoring.' },
  resolve: { label: 'Resolve', done: 'Resolved.', primary: true },
  close: { label: 'Close', done: 'Closed.' },
  reopen: { label: 'Reopen', done: 'Reopened: investigating again.' },
};
const ORDER: LifecycleVerb[] = ['acknowledge', 'investigate', 'identify', 'monitor', 'resolve', 'reopen', 'close'];

/** The state changes the server allows from here (allowed_actions), one button each; `a` acknowledges. */
export function LifecycleActions({ incident, onChanged }: { incident: IncidentView; onChanged: (view?: IncidentView) => void }) {
  const action = useAction();
  const allowed = ORDER.filter((v) => incident.allowed_actions.includes(v));
  // The answer is shown in the same render as the result message.
  const act = (verb: LifecycleVerb) => void action.run(async () => onChanged(await api.transition(incident.ref, verb)), `${incident.ref}: ${VERBS[verb].done}`);
  useShortcut('a', () => act('acknowledge'), allowed.includes('acknowledge') && !action.busy);

  return (
    <div className="lifecycle" role="group" aria-label="Change state">
      {allowed.length === 0 ? (
        <p className="muted">No state change is possible: {incident.state} is final.</p>
      ) : (
        <div className="button-row">
          {allowed.map((verb) => (
            <button
              key={verb}
              type="button"
              className={VERBS[verb].primary ? 'primary' : undefined}
              disabled={action.busy}
              aria-keyshortcuts={verb === 'acknowledge' ? 'a' : undefined}
              onClick={() => act(verb)}
            >
              {VERBS[verb].label}
            </button>
          ))}
        </div>
      )}
      {action.busy && <p role="status">Saving…</p>}
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </div>
  );
}

/** A new severity, always with the reason (the timeline keeps both). */
export function SeverityForm({ incident, onChanged }: { incident: IncidentView; onChanged: (view?: IncidentView) => void }) {
  const [severity, setSeverity] = useState<Severity>(incident.severity);
  const [reason, setReason] = useState('');
  const action = useAction();
  // When someone else changes it, the form starts from what it is now.
  useEffect(() => setSeverity(incident.severity), [incident.severity]);
  const closed = incident.state === 'closed';

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => onChanged(await api.changeSeverity(incident.ref, { severity, reason: reason.trim() })), `Severity is now ${severity} ${SEVERITY_NAMES[severity]}.`);
    if (ok) setReason('');
  };
  return (
    <form className="card panel" onSubmit={submit} aria-labelledby="sev-h">
      <h3 id="sev-h">Change severity</h3>
      <label htmlFor="sev-new">Severity</label>
      <select id="sev-new" value={severity} onChange={(e) => setSeverity(e.target.value as Severity)} disabled={closed}>
        {SEVERITY_LEVELS.map((s) => (
          <option key={s} value={s}>
            {s} {SEVERITY_NAMES[s]}
            {s === incident.severity ? ' (current)' : ''}
          </option>
        ))}
      </select>
      <label htmlFor="sev-reason">Reason</label>
      <input id="sev-reason" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={1000} disabled={closed} placeholder="Why the change" />
      <button type="submit" disabled={action.busy || closed || !reason.trim()}>
        {action.busy ? 'Saving…' : 'Change severity'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}

const ROLE_NAMES: Record<IncidentRole, string> = { commander: 'Commander', communications_lead: 'Communications lead', scribe: 'Scribe', responder: 'Responder' };

/** Who holds each role, with assign and remove. */
export function RolesPanel({ incident, onChanged }: { incident: IncidentView; onChanged: (view?: IncidentView) => void }) {
  const [role, setRole] = useState<IncidentRole>('commander');
  const [user, setUser] = useState('');
  const action = useAction();
  const users = useAsync(() => api.users().then((r) => r.data.filter((u: UserView) => !u.disabled)), 'users');
  const holders: { role: IncidentRole; user: string }[] = [
    ...(['commander', 'communications_lead', 'scribe'] as const).flatMap((r) => (incident.roles[r] ? [{ role: r, user: incident.roles[r]! }] : [])),
    ...incident.roles.responders.map((u) => ({ role: 'responder' as const, user: u })),
  ];

  const change = async (r: IncidentRole, handle: string, what: 'assign' | 'remove') => {
    const ok = await action.run(
      async () => onChanged(await api.assignRole(incident.ref, { role: r, user: handle, action: what })),
      what === 'assign' ? `${handle} is ${ROLE_NAMES[r].toLowerCase()}.` : `${handle} is no longer ${ROLE_NAMES[r].toLowerCase()}.`,
    );
    if (ok && what === 'assign') setUser('');
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void change(role, user.trim(), 'assign');
  };

  return (
    <form className="card panel" onSubmit={submit} aria-labelledby="roles-h">
      <h3 id="roles-h">Roles</h3>
      {holders.length ? (
        <ul className="plain holders">
          {holders.map((h) => (
            <li key={`${h.role}:${h.user}`}>
              <span>
                {ROLE_NAMES[h.role]}: <strong>{h.user}</strong>
              </span>
              <button type="button" className="small" disabled={action.busy} onClick={() => void change(h.role, h.user, 'remove')} aria-label={`Remove ${h.user} as ${ROLE_NAMES[h.role]}`}>
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted">Nobody holds a role yet.</p>
      )}
      <label htmlFor="role-role">Role</label>
      <select id="role-role" value={role} onChange={(e) => setRole(e.target.value as IncidentRole)}>
        {(Object.keys(ROLE_NAMES) as IncidentRole[]).map((r) => (
          <option key={r} value={r}>
            {ROLE_NAMES[r]}
          </option>
        ))}
      </select>
      <label htmlFor="role-user">Person (handle)</label>
      <input id="role-user" list="role-users" value={user} onChange={(e) => setUser(e.target.value)} required autoCapitalize="none" spellCheck={false} />
      <datalist id="role-users">
        {users.data?.map((u) => (
          <option key={u.handle} value={u.handle}>
            {u.name}
          </option>
        ))}
      </datalist>
      <button type="submit" disabled={action.busy || !user.trim()}>
        {action.busy ? 'Saving…' : 'Assign'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}
