import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { PostmortemStatus } from '../api/types.ts';
import { SeverityBadge } from '../components/Badges.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { OverdueBadge, POSTMORTEM_STATUS_WORDS, PostmortemStatusBadge } from '../components/PostmortemBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { usePaged } from '../lib/use-paged.ts';
import { useLiveReload } from '../live/live.ts';

const STATUSES = Object.keys(POSTMORTEM_STATUS_WORDS) as PostmortemStatus[];
const PAGE = 25;

/** Postmortems across incidents, newest first; the filters live in the URL. */
export function Postmortems() {
  const { query } = useLocation();
  const status = STATUSES.find((s) => s === query.get('status')) ?? '';
  const overdue = query.get('overdue') === 'true';
  const owner = query.get('owner') ?? '';
  const key = `${status}|${overdue}|${owner}`;
  const list = usePaged((offset) => api.postmortems({ status: status || undefined, overdue: overdue || undefined, owner: owner || undefined, limit: PAGE, offset }), key);
  useLiveReload(list.refresh, (e) => e.topic !== 'incident.notification', 1000);
  useEffect(() => {
    document.title = 'Postmortems · Firebreak';
  }, []);
  const set = (name: string, value: string) => {
    const q = new URLSearchParams(query);
    if (value) q.set(name, value);
    else q.delete(name);
    const s = q.toString();
    navigate(s ? `/postmortems?${s}` : '/postmortems', { replace: true });
  };

  return (
    <>
      <h1>Postmortems</h1>
      <form className="filters card" role="search" aria-label="Filter postmortems" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="pm-status">Status</label>
          <select id="pm-status" value={status} onChange={(e) => set('status', e.target.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {POSTMORTEM_STATUS_WORDS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="pm-owner">Owner (handle)</label>
          <input id="pm-owner" defaultValue={owner} key={owner} autoCapitalize="none" spellCheck={false} onBlur={(e) => set('owner', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && set('owner', e.currentTarget.value.trim())} />
        </div>
        <label className="check field">
          <input type="checkbox" checked={overdue} onChange={(e) => set('overdue', e.target.checked ? 'true' : '')} />
          Overdue only
        </label>
      </form>
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
