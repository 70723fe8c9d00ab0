import { useEffect } from 'react';
import { api } from '../api/client.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { RtoTrend } from '../components/RtoTrend.tsx';
import { StartDrillButton } from '../components/StartDrillButton.tsx';
import { Link } from '../lib/router.tsx';
import { formatDuration } from '../lib/time.ts';
import { useAsync } from '../lib/use-async.ts';
import { usePoll } from '../lib/use-poll.ts';

/** One drill's history: the RTO trend (picture and table) and a link to every report. */
export function DrillPage({ drillId }: { drillId: string }) {
  const drills = useAsync(() => api.drills(), 'drills');
  const runs = useAsync(() => api.drillRuns({ drill: drillId, limit: 30 }), `drill-runs|${drillId}`);
  usePoll(runs.reload, !!runs.data?.data.some((r) => r.status === 'running'), 2000);
  const d = drills.data?.data.find((x) => x.id === drillId);
  useEffect(() => {
    document.title = `${d?.name ?? drillId} · Drills · Firebreak`;
  }, [d, drillId]);
  return (
    <>
      <p className="crumbs small-text">
        <Link to="/drills">Drills</Link>
      </p>
      <div className="page-head">
        <h1>{d?.name ?? drillId}</h1>
        {d && <StartDrillButton drillId={d.id} name={d.name} />}
      </div>
      <ErrorNote error={drills.error} prefix="Could not load the drill" />
      {drills.data && !d && <p className="notice">No drill {drillId} in the config now; its past runs are below.</p>}
      {d && (
        <p className="small-text">
          Runbook <Link to={`/runbooks/${d.runbook}`}>{d.runbook}</Link> · service {d.service} · target {d.target} · recovered when <code>{d.recovered_step}</code> succeeds · cleanup {d.cleanup.join(', ')} ·{' '}
          {d.every_ms ? `every ${formatDuration(d.every_ms)}` : 'on demand'}
        </p>
      )}
      <section className="section" aria-labelledby="drill-trend-h">
        <h2 id="drill-trend-h">RTO trend</h2>
        <ErrorNote error={runs.error} prefix="Could not load the drill runs" />
        {runs.data ? <RtoTrend runs={runs.data.data} /> : !runs.error && <p role="status">Loading…</p>}
      </section>
    </>
  );
}
