import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { ActionItemStatus } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { ACTION_STATUS_WORDS, ActionStatusBadge, OverdueBadge, PRIORITY_WORDS } from '../components/PostmortemBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { Link } from '../lib/router.tsx';
import { ListFilters, useListFilters } from '../components/ListFilters.tsx';
import { usePaged } from '../lib/use-paged.ts';
import { useLiveReload } from '../live/live.ts';

const STATUSES = Object.keys(ACTION_STATUS_WORDS) as ActionItemStatus[];
const STATUS_CHOICES = [{ value: 'open,in_progress', label: 'Not finished (open or in progress)' }, ...STATUSES.map((s) => ({ value: s, label: ACTION_STATUS_WORDS[s] }))];
const PAGE = 50;

/** Action items across incidents, soonest due first; the filters live in the URL. */
export function ActionItems() {
  const filters = useListFilters('/action-items', STATUS_CHOICES);
  const { status, overdue, owner, key } = filters;
  const list = usePaged((offset) => api.actionItems({ status: status || undefined, overdue: overdue || undefined, owner: owner || undefined, limit: PAGE, offset }), key);
  useLiveReload(list.refresh, (e) => e.topic !== 'incident.notification', 1000);
  useEffect(() => {
    document.title = 'Action items · Firebreak';
  }, []);
  return (
    <>
      <h1>Action items</h1>
      <ListFilters idPrefix="ai-f" label="Filter action items" choices={STATUS_CHOICES} filters={filters} />
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
