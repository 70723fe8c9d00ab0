import { useCallback, useEffect, useRef, useState } from 'react';
import { api, type IncidentListParams } from '../api/client.ts';
import type { IncidentView, OpenIncidentCounts, Severity } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { IncidentFiltersForm } from '../components/IncidentFiltersForm.tsx';
import { IncidentRow } from '../components/IncidentRow.tsx';
import { SEVERITY_LEVELS, SEVERITY_NAMES } from '../lib/config-data.ts';
import { apiParams, byAttention, filtersUrl, hasFilters, OPEN_STATES, readFilters, type IncidentFilters } from '../lib/incident-filters.ts';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { useAsync } from '../lib/use-async.ts';
import { useLiveReload } from '../live/live.ts';

/** The most open incidents one request brings (the API's page limit). */
const OPEN_LIMIT = 200;
const CLOSED_PAGE = 25;

/**
 * Open incidents sorted by what needs attention, counts per severity at the top, and the resolved
 * and closed ones below, a page at a time: never everything (there may be 10,000).
 */
export function IncidentList() {
  const { user } = useSession();
  const { query } = useLocation();
  const filters = readFilters(query);
  const key = filtersUrl(filters);
  useEffect(() => {
    document.title = 'Incidents · Firebreak';
  }, []);

  const open = useAsync(() => api.incidents({ ...apiParams(filters), open: true, limit: OPEN_LIMIT }), key);
  // The counts are of every open incident, whatever the filters, counted by the server exactly.
  const counts = useAsync(() => api.incidentCounts(), key);
  const closed = useClosedList(filters, key);

  // Delivery attempts do not change any row of the list; everything else may.
  useLiveReload(
    () => {
      open.reload();
      counts.reload();
      closed.refresh();
    },
    (e) => e.topic !== 'incident.notification',
    400,
  );

  const sorted = open.data ? [...open.data.data].sort(byAttention) : [];
  const wantsOpen = !filters.state.length || filters.state.some((s) => OPEN_STATES.includes(s));
  const wantsClosed = !filters.state.length || filters.state.some((s) => s === 'resolved' || s === 'closed');

  return (
    <>
      <div className="page-head">
        <h1>Incidents</h1>
        {hasRole(user, 'responder') && (
          <Link to="/incidents/new" className="button primary">
            Declare an incident
          </Link>
        )}
      </div>
      <SeverityCounts counts={counts.data ?? undefined} filters={filters} />
      <IncidentFiltersForm filters={filters} />

      {wantsOpen && (
        <section aria-labelledby="open-h" className="section">
          <h2 id="open-h">
            Open{open.data ? ` (${open.data.data.length}${open.data.next_cursor ? '+' : ''})` : ''} <span className="muted small-text">· needs attention first</span>
          </h2>
          <ErrorNote error={open.error} prefix="Could not load open incidents" />
          {open.data && !sorted.length && <p className="empty">No open incidents{hasFilters(filters) ? ' match these filters' : ''}.</p>}
          {!open.data && open.loading && <p role="status">Loading…</p>}
          {!!sorted.length && (
            <ul className="inc-list" aria-label="Open incidents">
              {sorted.map((i) => (
                <IncidentRow key={i.id} incident={i} />
              ))}
            </ul>
          )}
          {open.data?.next_cursor && <p className="notice">Showing the newest {OPEN_LIMIT} open incidents; narrow the filters to see the others.</p>}
        </section>
      )}

      {wantsClosed && (
        <section aria-labelledby="closed-h" className="section">
          <h2 id="closed-h">Resolved and closed</h2>
          <ErrorNote error={closed.error} prefix="Could not load resolved incidents" />
          {closed.items && !closed.items.length && <p className="empty">No resolved or closed incidents{hasFilters(filters) ? ' match these filters' : ''}.</p>}
          {!closed.items && closed.loading && <p role="status">Loading…</p>}
          {!!closed.items?.length && (
            <ul className="inc-list" aria-label="Resolved and closed incidents">
              {closed.items.map((i) => (
                <IncidentRow key={i.id} incident={i} />
              ))}
            </ul>
          )}
          {closed.cursor && (
            <button type="button" className="more" onClick={closed.loadMore} disabled={closed.loading}>
              {closed.loading ? 'Loading…' : 'Load more'}
            </button>
          )}
        </section>
      )}
    </>
  );
}

/** Open incidents per severity; each count filters the list to that severity. */
function SeverityCounts({ counts, filters }: { counts: OpenIncidentCounts | undefined; filters: IncidentFilters }) {
  const count = (s: Severity) => counts?.by_severity[s] ?? 0;
  return (
    <section aria-label="Open incidents by severity" className="counts">
      <ul>
        {SEVERITY_LEVELS.map((s) => {
          const only = filters.severity.length === 1 && filters.severity[0] === s;
          return (
            <li key={s}>
              <button
                type="button"
                className={`count sev-${s.toLowerCase()}${count(s) ? '' : ' zero'}`}
                aria-pressed={only}
                data-severity={s}
                onClick={() => navigate(filtersUrl({ ...filters, severity: only ? [] : [s] }))}
              >
                <span className="count-n">{counts ? count(s) : '–'}</span>
                <span className="count-label">
                  {s} {SEVERITY_NAMES[s]} open
                </span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** Resolved and closed incidents, newest first, a page at a time ("load more" follows the cursor). */
function useClosedList(filters: IncidentFilters, key: string) {
  const [items, setItems] = useState<IncidentView[] | undefined>(undefined);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  const seq = useRef(0);
  const params = useRef<IncidentListParams>({});
  params.current = { ...apiParams(filters), open: false };
  const itemsRef = useRef(items);
  itemsRef.current = items;

  /** Reads the first pages again (as many as are shown, up to the API's limit) after a change. */
  const fetchHead = useCallback((limit: number, keepTail: boolean) => {
    const mine = ++seq.current;
    setLoading(true);
    api.incidents({ ...params.current, limit }).then(
      (page) => {
        if (mine !== seq.current) return;
        const shown = itemsRef.current ?? [];
        // Beyond what one request can re-read, keep what was loaded (minus anything now in the head).
        const tail = keepTail && shown.length > limit ? shown.slice(limit).filter((x) => !page.data.some((y) => y.id === x.id)) : [];
        setItems([...page.data, ...tail]);
        if (!tail.length) setCursor(page.next_cursor);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        setError(err);
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    setItems(undefined);
    setCursor(null);
    fetchHead(CLOSED_PAGE, false);
  }, [key, fetchHead]);

  const refresh = useCallback(() => {
    const n = itemsRef.current?.length ?? 0;
    fetchHead(Math.min(OPEN_LIMIT, Math.max(CLOSED_PAGE, n)), true);
  }, [fetchHead]);

  const loadMore = useCallback(() => {
    if (!cursor) return;
    const mine = ++seq.current;
    setLoading(true);
    api.incidents({ ...params.current, limit: CLOSED_PAGE, cursor }).then(
      (page) => {
        if (mine !== seq.current) return;
        setItems((old) => [...(old ?? []), ...page.data.filter((x) => !old?.some((y) => y.id === x.id))]);
        setCursor(page.next_cursor);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (mine !== seq.current) return;
        setError(err);
        setLoading(false);
      },
    );
  }, [cursor]);

  return { items, cursor, loading, error, refresh, loadMore };
}
