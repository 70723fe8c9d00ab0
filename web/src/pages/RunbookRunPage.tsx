import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import type { RunDetailView, StepRunView } from '../api/types.ts';
import { Fact } from '../components/Fact.tsx';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { ACTIVE_RUN, RunStatusBadge, StepStatusBadge } from '../components/RecoveryBadges.tsx';
import { runDuration } from '../components/RunsTable.tsx';
import { StepTimeline } from '../components/StepTimeline.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { Link } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { formatMeasured, useNow } from '../lib/time.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { usePoll } from '../lib/use-poll.ts';

/** Values recorded as JSON, shown as text (secrets are already *** on the server). */
const asText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v, null, 2));

/**
 * One run: its status and every attempt of every step (times, outputs, errors), the run as a
 * picture on one time axis, and what a responder can do now: approve or reject the step it waits
 * on, resume it after a failure, cancel it while active. Read again every second while active.
 */
export function RunbookRunPage({ runId }: { runId: string }) {
  const { user } = useSession();
  const run = useAsync(() => api.run(runId), runId);
  const r = run.data;
  const active = !!r && ACTIVE_RUN.has(r.status);
  usePoll(run.reload, active, 1000);
  const now = useNow();
  useEffect(() => {
    document.title = `${runId} · Runbooks · Firebreak`;
  }, [runId]);
  const name = r ? String((r.definition as { name?: unknown }).name ?? r.runbook_id) : runId;
  return (
    <>
      <p className="crumbs small-text">
        <Link to="/runbooks">Runbooks</Link>
        {r && (
          <>
            {' › '}
            <Link to={`/runbooks/${r.runbook_id}`}>{name}</Link>
          </>
        )}
      </p>
      <ErrorNote error={run.error} prefix="Could not load the run" />
      {!r && !run.error && <p role="status">Loading…</p>}
      {r && (
        <>
          <div className="page-head">
            <h1>
              {name} <span className="muted small-text">{r.id}</span>
            </h1>
          </div>
          <p className="inc-badges big">
            <RunStatusBadge status={r.status} />
            {r.mode !== 'run' && <span className="badge muted-badge">{r.mode === 'dry_run' ? 'Dry run: nothing ran' : 'Drill'}</span>}
            {active && <span className="small-text muted"> Updating while the run is active.</span>}
          </p>
          <dl className="facts">
            <Fact label="Runbook">
              <Link to={`/runbooks/${r.runbook_id}`}>{r.runbook_id}</Link> version <code>{r.version}</code>
            </Fact>
            <Fact label="Incident">{r.incident ? <Link to={`/incidents/${r.incident}`}>{r.incident}</Link> : 'none'}</Fact>
            <Fact label="Started by">{r.started_by}</Fact>
            <Fact label="Created">
              <Time iso={r.created_at} /> (<Ago iso={r.created_at} />)
            </Fact>
            <Fact label="Duration">{r.mode === 'dry_run' ? 'nothing ran' : runDuration(r, now)}</Fact>
            {r.current_step && <Fact label="Current step">{r.current_step}</Fact>}
            {Object.keys(r.variables).length > 0 && (
              <Fact label="Variables">
                {Object.entries(r.variables).map(([k, v]) => (
                  <div key={k}>
                    <code>{k}</code> = <code>{asText(v)}</code>
                  </div>
                ))}
              </Fact>
            )}
          </dl>
          {r.error && (
            <p className="error" data-run-error>
              {r.error}
            </p>
          )}
          {hasRole(user, 'responder') && <RunActions run={r} onChanged={(next) => run.replace(() => next)} />}
          <section className="section" aria-labelledby="run-pic-h">
            <h2 id="run-pic-h">Steps on one time axis</h2>
            <StepTimeline
              label="The run"
              items={r.steps.map((s) => ({ key: `${s.path}#${s.attempt}`, label: s.attempt > 1 ? `${s.path} (${s.attempt})` : s.path, status: s.status, started_at: s.started_at, finished_at: s.finished_at, note: s.approved_by ? `by ${s.approved_by}` : undefined }))}
            />
          </section>
          <section className="section" aria-labelledby="run-steps-h">
            <h2 id="run-steps-h">Steps</h2>
            {!r.steps.length && <p className="empty">{r.mode === 'dry_run' ? 'A dry run executes nothing.' : 'No step has started yet.'}</p>}
            <ol className="plain" aria-label="Step attempts">
              {r.steps.map((s) => (
                <Attempt key={`${s.path}#${s.attempt}`} s={s} />
              ))}
            </ol>
          </section>
        </>
      )}
    </>
  );
}

function Attempt({ s }: { s: StepRunView }) {
  return (
    <li className="card dr-attempt" data-step={s.path} data-status={s.status}>
      <div className="admin-row-head">
        <strong>
          <code>{s.path}</code>
        </strong>
        <span className="badge muted-badge">{s.type}</span>
        <StepStatusBadge status={s.status} />
        <span className="small-text muted">attempt {s.attempt}</span>
      </div>
      <p className="small-text">
        Started <Time iso={s.started_at} />
        {s.finished_at && (
          <>
            {' '}
            · finished <Time iso={s.finished_at} />
          </>
        )}
        {s.duration_ms !== null && ` · took ${formatMeasured(s.duration_ms)}`}
        {s.approved_by && ` · decided by ${s.approved_by}`}
        {s.comment && ` (“${s.comment}”)`}
      </p>
      {s.error && (
        <>
          <p className="small-text bad-text">Error</p>
          <pre data-error>{s.error}</pre>
        </>
      )}
      {s.outputs !== null && s.outputs !== undefined && (
        <details open={s.status !== 'succeeded'}>
          <summary>Output</summary>
          <pre data-output>{asText(s.outputs)}</pre>
        </details>
      )}
      <details>
        <summary>Inputs</summary>
        <pre>{asText(s.inputs)}</pre>
      </details>
    </li>
  );
}

/** What can be done with the run in its state; the server decides who may (not the person who started it, for an approval). */
function RunActions({ run, onChanged }: { run: RunDetailView; onChanged: (r: RunDetailView) => void }) {
  const [comment, setComment] = useState('');
  const action = useAction();
  const act = (fn: () => Promise<RunDetailView>, done: string) =>
    void action.run(async () => {
      onChanged(await fn());
      setComment('');
    }, done);
  const waiting = run.status === 'waiting_approval' ? run.waiting_for : null;
  const canResume = run.status === 'failed' || run.status === 'interrupted';
  const canCancel = ACTIVE_RUN.has(run.status);
  // Kept while it has something to say about the last action, even when nothing more can be done.
  if (!waiting && !canResume && !canCancel && !action.done && !action.error) return null;
  return (
    <section className="section card" aria-labelledby="run-act-h">
      <h2 id="run-act-h">Actions</h2>
      {waiting && (
        <form aria-label="Approval" onSubmit={(e) => e.preventDefault()}>
          <p className="notice" data-waiting={waiting.step}>
            Waiting on step <code>{waiting.step}</code>: {waiting.message || 'approve to go on'}
            {waiting.deadline_at && (
              <>
                {' '}
                (times out <Ago iso={waiting.deadline_at} />)
              </>
            )}
          </p>
          <label htmlFor="run-comment">Comment (optional)</label>
          <textarea id="run-comment" rows={2} maxLength={2000} value={comment} onChange={(e) => setComment(e.target.value)} />
          <div className="button-row">
            <button type="button" className="primary" disabled={action.busy} onClick={() => act(() => api.decideRun(run.id, 'approve', { step: waiting.step, ...(comment.trim() && { comment: comment.trim() }) }), `Approved ${waiting.step}.`)}>
              Approve
            </button>
            <button type="button" disabled={action.busy} onClick={() => act(() => api.decideRun(run.id, 'reject', { step: waiting.step, ...(comment.trim() && { comment: comment.trim() }) }), `Rejected ${waiting.step}.`)}>
              Reject
            </button>
          </div>
        </form>
      )}
      <div className="button-row">
        {canResume && (
          <button type="button" className="primary" disabled={action.busy} onClick={() => act(() => api.controlRun(run.id, 'resume'), 'Resumed: the run goes on from the step it stopped at.')}>
            Resume
          </button>
        )}
        {canCancel && (
          <button type="button" disabled={action.busy} onClick={() => act(() => api.controlRun(run.id, 'cancel'), 'Cancelled.')}>
            Cancel run
          </button>
        )}
      </div>
      <ErrorNote error={action.error} prefix="Not done" />
      <DoneNote text={action.done} />
    </section>
  );
}
