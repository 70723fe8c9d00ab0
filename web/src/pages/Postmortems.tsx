import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { PostmortemStatus } from '../api/types.ts';
import { SeverityBadge } from '../components/Badges.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { OverdueBadge, POSTMORTEM_STATUS_WORDS, PostmortemStatusBadge } from '../components/PostmortemBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { Link } from '../lib/router.tsx';
import { ListFilters, useListFilters } from '../components/ListFilters.tsx';
import { usePaged } from '../lib/use-paged.ts';
import { useLiveReload } from '../live/live.ts';

const STATUS_CHOICES = (Object.keys(POSTMORTEM_STATUS_WORDS) as PostmortemStatus[]).map((s) => ({ value: s, label: POSTMORTEM_STATUS_WORDS[s] }));
const PAGE = 25;

/** Postmortems across incidents, newest first; the filters live in the URL. */
export function Postmortems() {
  const filters = useListFilters('/postmortems', STATUS_CHOICES);
  const { status, overdue, owner, key } = filters;
  const list = usePaged((offset) => api.postmortems({ status: status || undefined, overdue: overdue || undefined, owner: owner || undefined, limit: PAGE, offset }), key);
  useLiveReload(list.refresh, (e) => e.topic !== 'incident.notification', 1000);
  useEffect(() => {
    document.title = 'Postmortems · Firebreak';
  }, []);
  return (
    <>
      <h1>Postmortems</h1>
      <ListFilters idPrefix="pm" label="Filter postmortems" choices={STATUS_CHOICES} filters={filters} />
      <ErrorNote error={list.error} prefix="Could not load the postmortems" />
      {!list.items && list.loading && <p role="status">Loading…</p>}
      {list.items && !list.items.length && <p className="empty">No postmortems{key !== '|false|' ? ' match these filters' : ' yet'}.</p>}
      {!!list.items?.length && (
        <ul className="inc-list" aria-label="Postmortems">
          {list.items.map((p) => (
            <li key={p.id} className={`inc-row${p.overdue ? ' overdue-row' : ''}`} data-postmortem={p.id}>
              <div className="inc-badges">
                <SeverityBadge severity={p.incident.severity} />
                <PostmortemStatusBadge status={p.status} />
                <OverdueBadge overdue={p.overdue} />
              </div>
              <Link to={`/postmortems/${p.id}`} className="inc-title">
                <span className="ref">{p.incident.ref}</span> {p.incident.title}
              </Link>
              <p className="inc-meta">
                <span>
                  {p.status === 'completed' && p.completed_at ? (
                    <>
                      completed <Time iso={p.completed_at} />
                    </>
                  ) : (
                    <>
                      due <Time iso={p.due_at} /> (<Ago iso={p.due_at} />)
                    </>
                  )}
                </span>
                <span>{p.owner ? `owner ${p.owner}` : 'no owner'}</span>
                <span>revision {p.revision}</span>
                {p.published_at && <span>published</span>}
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
