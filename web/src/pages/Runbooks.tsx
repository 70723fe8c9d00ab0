import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { RunbookView, RunStatus } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { ACTIVE_RUN, RUN_STATUS_WORDS } from '../components/RecoveryBadges.tsx';
import { RunsTable } from '../components/RunsTable.tsx';
import { Link, navigate, useLocation } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { usePoll } from '../lib/use-poll.ts';

/** Leaf steps (a parallel group's steps one by one), as the automation KPI counts them. */
export const stepCount = (steps: RunbookView['steps']): number => steps.reduce((n, s) => n + (s.steps ? s.steps.length : 1), 0);

/** The runbooks in the config, and their runs newest first (filtered by status in the URL). */
export function Runbooks() {
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const runbooks = useAsync(() => api.runbooks(), 'runbooks');
  const runs = useAsync(() => api.runs({ status: status || undefined, limit: 50 }), `runs|${status}`);
  usePoll(runs.reload, !!runs.data?.data.some((r) => ACTIVE_RUN.has(r.status)), 2000);
  useEffect(() => {
    document.title = 'Runbooks · Firebreak';
  }, []);
  return (
    <>
      <h1>Runbooks</h1>
      <section className="section" aria-labelledby="rb-list-h">
        <h2 id="rb-list-h">Runbooks</h2>
        <ErrorNote error={runbooks.error} prefix="Could not load the runbooks" />
        {!runbooks.data && !runbooks.error && <p role="status">Loading…</p>}
        {runbooks.data && !runbooks.data.data.length && <p className="empty">No runbooks are declared in the config.</p>}
        {!!runbooks.data?.data.length && (
          <ul className="cards" aria-label="Runbooks">
            {runbooks.data.data.map((r) => (
              <li key={r.id} className="card" data-runbook={r.id}>
                <h3 className="h3">
                  <Link to={`/runbooks/${r.id}`}>{r.name}</Link>
                </h3>
                <p className="small-text">
                  <code>{r.id}</code> · version <code>{r.version}</code> · {stepCount(r.steps)} step{stepCount(r.steps) === 1 ? '' : 's'}
                  {r.rollback.length > 0 && ` · ${r.rollback.length} rollback step${r.rollback.length === 1 ? '' : 's'}`}
                  {r.variables.length > 0 && ` · ${r.variables.length} variable${r.variables.length === 1 ? '' : 's'}`}
                </p>
                {r.description && <p className="small-text muted">{r.description}</p>}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="section" aria-labelledby="rb-runs-h">
        <div className="page-head">
          <h2 id="rb-runs-h">Runs</h2>
          <div className="field">
            <label htmlFor="rb-status" className="inline-label">
              Status
            </label>
            <select id="rb-status" value={status} onChange={(e) => navigate(e.target.value ? `/runbooks?status=${e.target.value}` : '/runbooks', { replace: true })}>
              <option value="">Any</option>
              {(Object.keys(RUN_STATUS_WORDS) as RunStatus[]).map((s) => (
                <option key={s} value={s}>
                  {RUN_STATUS_WORDS[s]}
                </option>
              ))}
            </select>
          </div>
        </div>
        <ErrorNote error={runs.error} prefix="Could not load the runs" />
        {runs.data && <RunsTable runs={runs.data.data} caption="Runbook runs" />}
      </section>
    </>
  );
}
