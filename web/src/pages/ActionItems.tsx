import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { ActionItemStatus } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { ACTION_STATUS_WORDS, ActionStatusBadge, OverdueBadge, PRIORITY_WORDS } from '../components/PostmortemBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { usePaged } from '../lib/use-paged.ts';
import { useLiveReload } from '../live/live.ts';

const STATUSES = Object.keys(ACTION_STATUS_WORDS) as ActionItemStatus[];
const STATUS_CHOICES = [{ value: 'open,in_progress', label: 'Not finished (open or in progress)' }, ...STATUSES.map((s) => ({ value: s, label: ACTION_STATUS_WORDS[s] }))];
const PAGE = 50;

/** Action items across incidents, soonest due first; the filters live in the URL. */
export function ActionItems() {
  const { query } = useLocation();
  const status = STATUS_CHOICES.find((c) => c.value === query.get('status'))?.value ?? '';
  const overdue = query.get('overdue') === 'true';
  const owner = query.get('owner') ?? '';
  const key = `${status}|${overdue}|${owner}`;
  const list = usePaged((offset) => api.actionItems({ status: status || undefined, overdue: overdue || undefined, owner: owner || undefined, limit: PAGE, offset }), key);
  useLiveReload(list.refresh, (e) => e.topic !== 'incident.notification', 1000);
  useEffect(() => {
    document.title = 'Action items · Firebreak';
  }, []);
  const set = (name: string, value: string) => {
    const q = new URLSearchParams(query);
    if (value) q.set(name, value);
    else q.delete(name);
    const s = q.toString().replace(/%2C/gi, ',');
    navigate(s ? `/action-items?${s}` : '/action-items', { replace: true });
  };

  return (
    <>
      <h1>Action items</h1>
      <form className="filters card" role="search" aria-label="Filter action items" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="ai-f-status">Status</label>
          <select id="ai-f-status" value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any status</option>
            {STATUS_CHOICES.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="ai-f-owner">Owner (handle)</label>
          <input id="ai-f-owner" defaultValue={owner} key={owner} autoCapitalize="none" spellCheck={false} onBlur={(e) => set('owner', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && set('owner', e.currentTarget.value.trim())} />
        </div>
        <label className="check field">
          <input type="checkbox" checked={overdue} onChange={(e) => set('overdue', e.target.checked ? 'true' : '')} />
          Overdue only
        </label>
      </form>
      <ErrorNote error={list.error} prefix="Could not load the action items" />
      {!list.items && list.loading && <p role="status">Loading…</p>}
      {list.items && !list.items.length && <p className="empty">No action items{key !== '|false|' ? ' match these filters' : ' yet'}.</p>}
      {!!list.items?.length && (
        <ul className="inc-list" aria-label="Action items">
          {list.items.map((a) => (
            <li key={a.id} className="inc-row" data-action-item={a.id}>
              <div className="inc-badges">
                <ActionStatusBadge status={a.status} />
                <span className={`badge prio prio-${a.priority}`}>{PRIORITY_WORDS[a.priority]}</span>
                <OverdueBadge overdue={a.overdue} />
              </div>
              <span className="inc-title">{a.title}</span>
              <p className="inc-meta">
                <span>
                  <Link to={`/incidents/${a.incident.ref}`}>{a.incident.ref}</Link>
                  {a.postmortem_id && (
                    <>
                      {' '}
                      · <Link to={`/postmortems/${a.postmortem_id}`}>postmortem</Link>
                    </>
                  )}
                </span>
                <span>{a.owner ? `owner ${a.owner}` : 'no owner'}</span>
                {a.closed_at ? (
                  <span>
                    closed <Time iso={a.closed_at} />
                  </span>
                ) : (
                  a.due_at && (
                    <span>
                      due <Time iso={a.due_at} /> (<Ago iso={a.due_at} />)
                    </span>
                  )
                )}
                {a.tracker_url && (
                  <a href={a.tracker_url} rel="noopener noreferrer" target="_blank">
                    tracker
                  </a>
                )}
              </p>
            </li>
          ))}
        </ul>
      )}
      {list.next !== null && (
        <button type="button" className="more" disabled={list.loading} onClick={list.more}>
          {list.loading ? 'Loading…' : 'Load more'}
        </button>
      )}
    </>
  );
}
