import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { IncidentRole, IncidentView, LifecycleVerb, ResolutionRefusal, ResolveInput, Severity, UserView } from '../api/types.ts';
import { SEVERITY_LEVELS, SEVERITY_NAMES } from '../lib/config-data.ts';
import { useShortcut } from '../lib/shortcuts.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { DoneNote, ErrorNote } from './Feedback.tsx';
import { ValidationChecks } from './ValidationChecks.tsx';

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
  const [refusal, setRefusal] = useState<ResolutionRefusal | null>(null);
  const [resolving, setResolving] = useState(false);
  const allowed = ORDER.filter((v) => incident.allowed_actions.includes(v));
  // The answer is shown in the same render as the result message.
  const act = (verb: LifecycleVerb) => {
    if (verb === 'resolve') return resolve({});
    void action.run(async () => onChanged(await api.transition(incident.ref, verb)), `${incident.ref}: ${VERBS[verb].done}`);
  };
  /** Resolving runs the services' checks first; a refusal is kept on screen with what failed. */
  const resolve = (input: ResolveInput) => {
    setResolving(input.resolution !== 'not_an_incident');
    void action
      .run(async () => {
        try {
          onChanged(await api.resolve(incident.ref, input));
          setRefusal(null);
        } catch (err) {
          if (err instanceof ApiError && err.code === 'RESOLUTION_NOT_VALIDATED') {
            setRefusal(err.details as unknown as ResolutionRefusal);
            // The refused validation is on the timeline now: read the incident again.
            onChanged();
          }
          throw err;
        }
      }, input.resolution === 'not_an_incident' ? `${incident.ref}: Resolved as not an incident.` : input.override_reason ? `${incident.ref}: Resolved anyway; the reason is on the timeline.` : `${incident.ref}: ${VERBS.resolve.done}`)
      .finally(() => setResolving(false));
  };
  useShortcut('a', () => act('acknowledge'), allowed.includes('acknowledge') && !action.busy);
  // Once it is resolved (here or elsewhere), a refusal from before no longer applies.
  const canResolve = allowed.includes('resolve');
  useEffect(() => {
    if (!canResolve) setRefusal(null);
  }, [canResolve]);
  const refused = action.error instanceof ApiError && action.error.code === 'RESOLUTION_NOT_VALIDATED';

  return (
    <div className="lifecycle">
      <div role="group" aria-label="Change state">
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
            {canResolve && (
              <button type="button" disabled={action.busy} onClick={() => resolve({ resolution: 'not_an_incident' })}>
                Not an incident (false positive)
              </button>
            )}
          </div>
        )}
      </div>
      {action.busy && <p role="status">{resolving ? 'Checking the services before resolving (health checks can take a few seconds)…' : 'Saving…'}</p>}
      <DoneNote text={action.done} />
      {refused ? <p className="error" role="alert">{incident.ref} stays open: the resolution checks did not pass.</p> : <ErrorNote error={action.error} />}
      {refusal && canResolve && <ResolveRefused refusal={refusal} busy={action.busy} onOverride={(reason) => resolve({ override_reason: reason })} />}
    </div>
  );
}

const MIN_REASON = 10;

/** What the resolution checks found, and resolving anyway with a written reason (recorded on the timeline). */
function ResolveRefused({ refusal, busy, onOverride }: { refusal: ResolutionRefusal; busy: boolean; onOverride: (reason: string) => void }) {
  const [reason, setReason] = useState('');
  const short = reason.trim().length < MIN_REASON;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!short) onOverride(reason.trim());
  };
  return (
    <section className="card refusal" aria-labelledby="refusal-h">
      <h3 id="refusal-h">Resolution checks</h3>
      <ValidationChecks checks={refusal.checks} label="Resolution checks" />
      <p className="small-text">Fix what failed and resolve again, or resolve anyway and say why.</p>
      <form onSubmit={submit}>
        <label htmlFor="override-reason">Reason for resolving anyway (at least {MIN_REASON} characters)</label>
        <textarea id="override-reason" rows={3} minLength={MIN_REASON} maxLength={2000} required value={reason} onChange={(e) => setReason(e.target.value)} aria-describedby="override-hint" />
        <p id="override-hint" className="muted small-text">
          {short ? `${Math.max(0, MIN_REASON - reason.trim().length)} more characters needed.` : 'The reason goes on the timeline with the failed checks.'}
        </p>
        <button type="submit" disabled={busy || short}>
          Resolve anyway
        </button>
      </form>
    </section>
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
