import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { DrillReport, Measure } from '../api/types.ts';
import { Bar } from '../components/Bar.tsx';
import { Fact } from '../components/Fact.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { objectiveTone, PassBadge, RunStatusBadge } from '../components/RecoveryBadges.tsx';
import { StepTimeline } from '../components/StepTimeline.tsx';
import { Time } from '../components/Time.tsx';
import { Link } from '../lib/router.tsx';
import { formatMeasured } from '../lib/time.ts';
import { useAsync } from '../lib/use-async.ts';
import { usePoll } from '../lib/use-poll.ts';

type ReportStep = DrillReport['steps'][number];

/** A drill run's report: pass or fail and why, RTO and RPO against the objectives, every step on one time axis, cleanup, follow-ups. */
export function DrillRunPage({ drillRunId }: { drillRunId: string }) {
  const dr = useAsync(() => api.drillRun(drillRunId), drillRunId);
  const d = dr.data;
  // The report is written once the run has ended and been measured (within a second or so).
  usePoll(dr.reload, !!d && d.report === null, 1000);
  useEffect(() => {
    document.title = `${drillRunId} · Drills · Firebreak`;
  }, [drillRunId]);
  const r = d?.report ?? null;
  return (
    <>
      <p className="crumbs small-text">
        <Link to="/drills">Drills</Link>
        {d && (
          <>
            {' › '}
            <Link to={`/drills/${d.drill}`}>{d.drill}</Link>
          </>
        )}
      </p>
      <ErrorNote error={dr.error} prefix="Could not load the drill run" />
      {!d && !dr.error && <p role="status">Loading…</p>}
      {d && (
        <>
          <h1>
            {r?.name ?? d.drill} <span className="muted small-text">{d.id}</span>
          </h1>
          <p className="inc-badges big">
            <PassBadge passed={d.passed} />
            {r?.production && <span className="badge tone-bad">Production</span>}
          </p>
          <dl className="facts">
            <Fact label="Runbook run">
              <Link to={`/runbook-runs/${d.run}`}>{d.run}</Link>
              {r && (
                <>
                  {' '}
                  <RunStatusBadge status={r.run_status} />
                </>
              )}
            </Fact>
            <Fact label="Service">{d.service}</Fact>
            <Fact label="Started">
              <Time iso={d.started_at} /> {d.trigger === 'scheduled' ? '(scheduled)' : `by ${d.started_by}`}
            </Fact>
            {d.finished_at && (
              <Fact label="Finished">
                <Time iso={d.finished_at} />
              </Fact>
            )}
            {r?.incident && (
              <Fact label="Incident">
                <Link to={`/incidents/${r.incident}`}>{r.incident}</Link>
              </Fact>
            )}
          </dl>
          {!r && (
            <p className="notice" role="status">
              The drill is running; its report follows when its run has ended. Follow the steps on the <Link to={`/runbook-runs/${d.run}`}>run's page</Link>.
            </p>
          )}
          {r && <Report r={r} />}
        </>
      )}
    </>
  );
}

function Report({ r }: { r: DrillReport }) {
  const timeline = (steps: ReportStep[]) =>
    steps.map((s) => ({ key: s.path, label: s.path, status: s.status, started_at: s.started_at, finished_at: s.finished_at, note: s.attempts > 1 ? `${s.attempts} attempts` : undefined }));
  return (
    <>
      {r.run_error && <p className="error">{r.run_error}</p>}
      <section className="section" aria-labelledby="dr-verdict-h">
        <h2 id="dr-verdict-h">{r.passed ? 'Passed' : 'Failed'}</h2>
        {r.reasons.length > 0 && (
          <ul aria-label="Why it failed">
            {r.reasons.map((why) => (
              <li key={why}>{why}</li>
            ))}
          </ul>
        )}
        <ul className="cards" aria-label="Measurements">
          <MeasureCard name="RTO" m={r.rto} detail={`from the start of ${r.rto.from_step} to the success of ${r.rto.to_step}`} />
          {r.rpo ? (
            <MeasureCard name="RPO" m={r.rpo} detail={r.rpo.surviving_marker_at ? `newest surviving marker ${r.rpo.surviving_marker_at}` : 'no surviving marker'} />
          ) : (
            <li className="card" data-measure="RPO">
              <h3 className="h3">RPO</h3>
              <p className="muted small-text">Not measured: this drill writes no marker.</p>
            </li>
          )}
        </ul>
      </section>
      <section className="section" aria-labelledby="dr-steps-h">
        <h2 id="dr-steps-h">Steps</h2>
        <StepTimeline label="The drill" items={timeline(r.steps)} />
        {r.steps
          .filter((s) => s.error)
          .map((s) => (
            <p key={s.path} className="error small-text">
              <code>{s.path}</code>: {s.error}
            </p>
          ))}
      </section>
      <section className="section" aria-labelledby="dr-cleanup-h">
        <h2 id="dr-cleanup-h">Cleanup</h2>
        <p data-cleanup={r.cleanup.ok ? 'ok' : 'failed'}>{!r.cleanup.ran ? 'Cleanup did not run (the run was cancelled): clean up by hand.' : r.cleanup.ok ? 'Every cleanup step succeeded.' : 'A cleanup step failed: the system may not be as it was.'}</p>
        {r.cleanup.steps.length > 0 && <StepTimeline label="Cleanup" items={timeline(r.cleanup.steps)} />}
      </section>
      <section className="section" aria-labelledby="dr-items-h">
        <h2 id="dr-items-h">Action items</h2>
        {!r.action_items.length && <p className="empty">None: nothing to follow up.</p>}
        <ul className="plain" aria-label="Follow-ups">
          {r.action_items.map((a) => (
            <li key={a.title} className="card dr-attempt">
              <span className={`badge prio-${a.priority}`}>{a.priority}</span> <strong>{a.title}</strong>
              <p className="small-text">{a.description}</p>
              <p className="small-text muted">{a.id ? <>Filed on {r.incident ? <Link to={`/incidents/${r.incident}`}>{r.incident}</Link> : 'the incident'}.</> : 'Not filed: the drill had no incident.'}</p>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}

function MeasureCard({ name, m, detail }: { name: string; m: Measure; detail: string }) {
  const max = Math.max(m.measured_ms ?? 0, m.objective_ms) * 1.1;
  return (
    <li className="card" data-measure={name}>
      <h3 className="h3">{name}</h3>
      <p className="an-big">{m.measured_ms === null ? 'not measured' : formatMeasured(m.measured_ms)}</p>
      <Bar value={m.measured_ms ?? 0} max={max} tone={m.met === false ? 'bad' : objectiveTone(m.measured_ms, m.objective_ms)} marker={m.objective_ms} />
      <p className="small-text">
        <span className={m.met ? 'ok-text' : 'bad-text'}>{m.met === null ? 'Not measured' : m.met ? 'Within the objective' : 'Over the objective'}</span> of {formatMeasured(m.objective_ms)} · {detail}
      </p>
    </li>
  );
}
