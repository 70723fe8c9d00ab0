import { useId, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { ActionItemPriority, ActionItemStatus, ActionItemView, UpdateActionItemInput, UserView } from '../api/types.ts';
import { fromLocalInput, toLocalInput } from '../lib/local-time-input.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { DoneNote, ErrorNote } from './Feedback.tsx';
import { ACTION_STATUS_WORDS, ActionStatusBadge, OverdueBadge, PRIORITY_WORDS } from './PostmortemBadges.tsx';
import { Time } from './Time.tsx';

const STATUSES = Object.keys(ACTION_STATUS_WORDS) as ActionItemStatus[];
const PRIORITIES: ActionItemPriority[] = ['high', 'medium', 'low'];

function UserList({ id }: { id: string }) {
  const users = useAsync(() => api.users().then((r) => r.data.filter((u: UserView) => !u.disabled)), 'users');
  return (
    <datalist id={id}>
      {users.data?.map((u) => (
        <option key={u.handle} value={u.handle}>
          {u.name}
        </option>
      ))}
    </datalist>
  );
}

/** The follow-up work of an incident: each item's state, and (for responders) changing it or adding one. */
export function ActionItemsPanel({ incidentRef, items, canAct, onChanged }: { incidentRef: string; items: ActionItemView[]; canAct: boolean; onChanged: () => void }) {
  return (
    <section className="section" aria-labelledby="ai-h">
      <h2 id="ai-h">Action items ({items.length})</h2>
      {items.length ? (
        <ul className="admin-list" aria-label="Action items of this incident">
          {items.map((a) => (
            <ActionItemRow key={a.id} item={a} canAct={canAct} onChanged={onChanged} />
          ))}
        </ul>
      ) : (
        <p className="empty">No action items yet.</p>
      )}
      {canAct && <AddActionItem incidentRef={incidentRef} onChanged={onChanged} />}
      {canAct && <UserList id="ai-users" />}
    </section>
  );
}

function ActionItemRow({ item: a, canAct, onChanged }: { item: ActionItemView; canAct: boolean; onChanged: () => void }) {
  const [editing, setEditing] = useState(false);
  const [status, setStatus] = useState(a.status);
  const [owner, setOwner] = useState(a.owner ?? '');
  const [due, setDue] = useState(toLocalInput(a.due_at));
  const [priority, setPriority] = useState(a.priority);
  const [tracker, setTracker] = useState(a.tracker_url ?? '');
  const action = useAction();
  const id = useId();
  const open = () => {
    // The form starts from the item as it is now.
    setStatus(a.status);
    setOwner(a.owner ?? '');
    setDue(toLocalInput(a.due_at));
    setPriority(a.priority);
    setTracker(a.tracker_url ?? '');
    setEditing(true);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    // Only what changed: a due date untouched is not rewritten to the minute.
    const patch: UpdateActionItemInput = {};
    if (status !== a.status) patch.status = status;
    if (owner.trim() !== (a.owner ?? '')) patch.owner = owner.trim() || null;
    if (due !== toLocalInput(a.due_at) && fromLocalInput(due)) patch.due_at = fromLocalInput(due);
    if (priority !== a.priority) patch.priority = priority;
    if (tracker.trim() !== (a.tracker_url ?? '')) patch.tracker_url = tracker.trim() || null;
    const ok = await action.run(async () => {
      if (Object.keys(patch).length) await api.updateActionItem(a.id, patch);
      onChanged();
    }, `Saved “${a.title}”.`);
    if (ok) setEditing(false);
  };
  return (
    <li className="admin-row" data-action-item={a.id}>
      <div className="admin-row-head">
        <strong>{a.title}</strong>
        <span className="inc-badges">
          <ActionStatusBadge status={a.status} />
          <span className={`badge prio prio-${a.priority}`}>{PRIORITY_WORDS[a.priority]}</span>
          <OverdueBadge overdue={a.overdue} />
        </span>
      </div>
      {a.description && <p className="prewrap small-text">{a.description}</p>}
      <p className="small-text muted">
        {a.owner ? `Owner ${a.owner}` : 'No owner'}
        {a.closed_at ? (
          <>
            {' '}
            · closed <Time iso={a.closed_at} />
          </>
        ) : (
          a.due_at && (
            <>
              {' '}
              · due <Time iso={a.due_at} />
            </>
          )
        )}
        {a.tracker_url && (
          <>
            {' '}
            ·{' '}
            <a href={a.tracker_url} rel="noopener noreferrer" target="_blank">
              tracker link
            </a>
          </>
        )}
      </p>
      {canAct && !editing && (
        <button type="button" className="small" onClick={open} aria-label={`Change “${a.title}”`}>
          Change
        </button>
      )}
      {editing && (
        <form className="admin-form" onSubmit={submit} aria-label={`Change “${a.title}”`}>
          <label htmlFor={`${id}-status`}>Status</label>
          <select id={`${id}-status`} value={status} onChange={(e) => setStatus(e.target.value as ActionItemStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {ACTION_STATUS_WORDS[s]}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-owner`}>Owner (handle)</label>
          <input id={`${id}-owner`} list="ai-users" value={owner} onChange={(e) => setOwner(e.target.value)} autoCapitalize="none" spellCheck={false} />
          <label htmlFor={`${id}-due`}>Due</label>
          <input id={`${id}-due`} type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
          <label htmlFor={`${id}-prio`}>Priority</label>
          <select id={`${id}-prio`} value={priority} onChange={(e) => setPriority(e.target.value as ActionItemPriority)}>
            {PRIORITIES.map((p) => (
              <option key={p} value={p}>
                {PRIORITY_WORDS[p]}
              </option>
            ))}
          </select>
          <label htmlFor={`${id}-tracker`}>Tracker link (http or https)</label>
          <input id={`${id}-tracker`} type="url" value={tracker} onChange={(e) => setTracker(e.target.value)} placeholder="https://tracker.example.com/ISSUE-1" />
          <div className="button-row">
            <button type="submit" className="primary" disabled={action.busy}>
              {action.busy ? 'Saving…' : 'Save item'}
            </button>
            <button type="button" onClick={() => setEditing(false)} disabled={action.busy}>
              Cancel
            </button>
          </div>
        </form>
      )}
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </li>
  );
}

function AddActionItem({ incidentRef, onChanged }: { incidentRef: string; onChanged: () => void }) {
  const [title, setTitle] = useState('');
  const [description, setDescription] = useState('');
  const [owner, setOwner] = useState('');
  const [due, setDue] = useState('');
  const [priority, setPriority] = useState<ActionItemPriority>('medium');
  const [tracker, setTracker] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const ok = await action.run(async () => {
      await api.createActionItem({
        incident: incidentRef,
        title: title.trim(),
        description: description.trim(),
        owner: owner.trim() || undefined,
        due_at: fromLocalInput(due),
        priority,
        tracker_url: tracker.trim() || undefined,
      });
      onChanged();
    }, `Action item “${title.trim()}” added.`);
    if (ok) {
      setTitle('');
      setDescription('');
      setOwner('');
      setDue('');
      setPriority('medium');
      setTracker('');
    }
  };
  return (
    <form className="card admin-form" onSubmit={submit} aria-labelledby="ai-add-h">
      <h3 id="ai-add-h">Add an action item</h3>
      <label htmlFor="ai-title">Title</label>
      <input id="ai-title" value={title} onChange={(e) => setTitle(e.target.value)} required maxLength={200} />
      <label htmlFor="ai-desc">Description (optional)</label>
      <textarea id="ai-desc" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} maxLength={20_000} />
      <label htmlFor="ai-owner">Owner (handle, optional)</label>
      <input id="ai-owner" list="ai-users" value={owner} onChange={(e) => setOwner(e.target.value)} autoCapitalize="none" spellCheck={false} />
      <label htmlFor="ai-due">Due (empty: the configured default)</label>
      <input id="ai-due" type="datetime-local" value={due} onChange={(e) => setDue(e.target.value)} />
      <label htmlFor="ai-prio">Priority</label>
      <select id="ai-prio" value={priority} onChange={(e) => setPriority(e.target.value as ActionItemPriority)}>
        {PRIORITIES.map((p) => (
          <option key={p} value={p}>
            {PRIORITY_WORDS[p]}
          </option>
        ))}
      </select>
      <label htmlFor="ai-tracker">Tracker link (optional, http or https)</label>
      <input id="ai-tracker" type="url" value={tracker} onChange={(e) => setTracker(e.target.value)} placeholder="https://tracker.example.com/ISSUE-1" />
      <button type="submit" disabled={action.busy || !title.trim()}>
        {action.busy ? 'Adding…' : 'Add action item'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}
