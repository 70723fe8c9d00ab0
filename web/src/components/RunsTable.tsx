import type { RunView } from '../api/types.ts';
import { Link } from '../lib/router.tsx';
import { formatMeasured, useNow } from '../lib/time.ts';
import { RunStatusBadge } from './RecoveryBadges.tsx';
import { Time } from './Time.tsx';

/** How long a run took, or has taken so far. */
export function runDuration(run: Pick<RunView, 'started_at' | 'finished_at'>, now: number): string {
  if (!run.started_at) return 'not started';
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  return `${formatMeasured(Math.max(0, end - Date.parse(run.started_at)))}${run.finished_at ? '' : ' so far'}`;
}

/** Runbook runs as a table: status, runbook, incident, who started it, when, how long. */
export function RunsTable({ runs, caption, showRunbook = true }: { runs: RunView[]; caption: string; showRunbook?: boolean }) {
  const now = useNow();
  if (!runs.length) return <p className="empty">No runs yet.</p>;
  return (
    <div className="dr-table-wrap">
      <table className="dr-table" aria-label={caption}>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            {showRunbook && <th scope="col">Runbook</th>}
            <th scope="col">Incident</th>
            <th scope="col">Started by</th>
            <th scope="col">Created</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run={r.id}>
              <td>
                <Link to={`/runbook-runs/${r.id}`}>
                  <code>{r.id}</code>
                </Link>
                {r.mode !== 'run' && <span className="muted small-text"> ({r.mode === 'dry_run' ? 'dry run' : 'drill'})</span>}
              </td>
              <td>
                <RunStatusBadge status={r.status} />
              </td>
              {showRunbook && (
                <td>
                  <Link to={`/runbooks/${r.runbook_id}`}>{r.runbook_id}</Link>
                </td>
              )}
              <td>{r.incident ? <Link to={`/incidents/${r.incident}`}>{r.incident}</Link> : <span className="muted">none</span>}</td>
              <td>{r.started_by}</td>
              <td>
                <Time iso={r.created_at} />
              </td>
              <td className="num">{r.mode === 'dry_run' ? 'nothing ran' : runDuration(r, now)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
