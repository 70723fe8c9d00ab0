import { useEffect, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { PlanStepView, RunbookDetail, StartRunResult } from '../api/types.ts';
import { Fact } from '../components/Fact.tsx';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { RunsTable } from '../components/RunsTable.tsx';
import { Link, navigate } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { formatMeasured } from '../lib/time.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { stepCount } from './Runbooks.tsx';

type StepSummary = RunbookDetail['steps'][number];

/** One runbook: its variables and steps, a form to run it (or dry-run it), and its recent runs. */
export function RunbookPage({ runbookId }: { runbookId: string }) {
  const { user } = useSession();
  const rb = useAsync(() => api.runbook(runbookId), runbookId);
  const runs = useAsync(() => api.runs({ runbook: runbookId, limit: 20 }), `runs|${runbookId}`);
  const r = rb.data;
  useEffect(() => {
    document.title = `${r?.name ?? runbookId} · Runbooks · Firebreak`;
  }, [r, runbookId]);
  return (
    <>
      <p className="crumbs small-text">
        <Link to="/runbooks">Runbooks</Link>
      </p>
      <ErrorNote error={rb.error} prefix="Could not load the runbook" />
      {!r && !rb.error && <p role="status">Loading…</p>}
      {r && (
        <>
          <h1>{r.name}</h1>
          {r.description && <p>{r.description}</p>}
          <dl className="facts">
            <Fact label="Id">
              <code>{r.id}</code>
            </Fact>
            <Fact label="Version">
              <code>{r.version}</code>
            </Fact>
            <Fact label="Steps">{stepCount(r.steps)}</Fact>
            <Fact label="Declared in">{r.source ?? 'the config file'}</Fact>
          </dl>
          <section className="section" aria-labelledby="rb-steps-h">
            <h2 id="rb-steps-h">Steps</h2>
            <StepList steps={r.steps} label="Steps" />
            {r.rollback.length > 0 && (
              <>
                <h3 className="h3">Rollback</h3>
                <StepList steps={r.rollback} label="Rollback steps" />
              </>
            )}
          </section>
          {hasRole(user, 'responder') ? <RunForm runbook={r} onStarted={runs.reload} /> : <p className="muted">Running a runbook needs the responder role.</p>}
        </>
      )}
      <section className="section" aria-labelledby="rb-recent-h">
        <h2 id="rb-recent-h">Recent runs</h2>
        <ErrorNote error={runs.error} prefix="Could not load the runs" />
        {runs.data && <RunsTable runs={runs.data.data} caption={`Runs of ${runbookId}`} showRunbook={false} />}
      </section>
    </>
  );
}

function StepList({ steps, label }: { steps: StepSummary[]; label: string }) {
  return (
    <ol className="dr-steps" aria-label={label}>
      {steps.map((s) => (
        <li key={s.id} data-step={s.id}>
          <code>{s.id}</code> <span className="badge muted-badge">{s.type}</span> {s.name && <span>{s.name}</span>}
          {s.steps && <StepList steps={s.steps as StepSummary[]} label={`${s.id}: in parallel`} />}
        </li>
      ))}
    </ol>
  );
}

/** Variables (empty: the declared default), an optional incident, and dry run on by default: looking first is the safe choice. */
function RunForm({ runbook, onStarted }: { runbook: RunbookDetail; onStarted: () => void }) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [incident, setIncident] = useState('');
  const [dryRun, setDryRun] = useState(true);
  const [plan, setPlan] = useState<StartRunResult | null>(null);
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setPlan(null);
    const variables = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ''));
    await action.run(async () => {
      const started = await api.startRun(runbook.id, { variables, dry_run: dryRun, ...(incident.trim() && { incident: incident.trim() }) });
      onStarted();
      if (started.plan) setPlan(started);
      else navigate(`/runbook-runs/${started.run.id}`);
    }, dryRun ? 'Dry run: the plan below; nothing was executed.' : 'Run started.');
  };
  return (
    <section className="section" aria-labelledby="rb-run-h">
      <h2 id="rb-run-h">Run this runbook</h2>
      <form className="card admin-form" aria-label="Run the runbook" onSubmit={(e) => void submit(e)}>
        {runbook.variables.map((v) => (
          <div key={v.name} className="field">
            <label htmlFor={`rb-var-${v.name}`}>
              {v.name}
              {v.required ? ' (required)' : ''}
            </label>
            <input
              id={`rb-var-${v.name}`}
              value={values[v.name] ?? ''}
              placeholder={v.default !== null ? `default: ${String(v.default)}` : ''}
              required={v.required && v.default === null}
              aria-describedby={v.description ? `rb-var-${v.name}-d` : undefined}
              onChange={(e) => setValues((old) => ({ ...old, [v.name]: e.target.value }))}
            />
            {v.description && (
              <p id={`rb-var-${v.name}-d`} className="small-text muted">
                {v.description}
              </p>
            )}
          </div>
        ))}
        <div className="field">
          <label htmlFor="rb-incident">Incident (optional)</label>
          <input id="rb-incident" value={incident} placeholder="INC-12" onChange={(e) => setIncident(e.target.value)} aria-describedby="rb-incident-d" />
          <p id="rb-incident-d" className="small-text muted">
            The run records its steps on this incident's timeline.
          </p>
        </div>
        <label className="check">
          <input type="checkbox" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> Dry run: resolve the plan and run nothing
        </label>
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Starting…' : dryRun ? 'Dry run' : 'Run'}
        </button>
        <ErrorNote error={action.error} prefix="Not started" />
        <DoneNote text={action.done} />
      </form>
      {plan?.plan && <Plan result={plan} />}
    </section>
  );
}

function Plan({ result }: { result: StartRunResult }) {
  const steps = [...result.plan!.steps.map((s) => ({ ...s, rollback: false })), ...result.plan!.rollback.map((s) => ({ ...s, rollback: true }))];
  return (
    <section className="section dr-plan" aria-labelledby="rb-plan-h">
      <h3 className="h3" id="rb-plan-h">
        The plan (dry run <Link to={`/runbook-runs/${result.run.id}`}>{result.run.id}</Link>)
      </h3>
      <ol className="dr-steps" aria-label="Planned steps">
        {steps.map((s: PlanStepView & { rollback: boolean }) => (
          <li key={`${s.rollback}-${s.path}`} data-step={s.path}>
            <code>{s.path}</code> <span className="badge muted-badge">{s.type}</span> {s.name}
            {s.rollback && <span className="badge tone-wait">rollback</span>}
            <span className="small-text muted">
              {' '}
              · timeout {formatMeasured(s.timeout_ms)} · {s.retries} retr{s.retries === 1 ? 'y' : 'ies'} · on failure {s.on_failure}
            </span>
            <pre>{JSON.stringify(s.inputs, null, 2)}</pre>
          </li>
        ))}
      </ol>
    </section>
  );
}
