import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { DrillKpis } from '../api/types.ts';
import { Bar } from '../components/Bar.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { PassBadge } from '../components/RecoveryBadges.tsx';
import { StartDrillButton } from '../components/StartDrillButton.tsx';
import { Ago } from '../components/Time.tsx';
import { Link } from '../lib/router.tsx';
import { formatDuration, formatMeasured } from '../lib/time.ts';
import { useAsync } from '../lib/use-async.ts';
import { usePoll } from '../lib/use-poll.ts';

const pct = (share: number | null) => (share === null ? 'no data' : `${Math.round(share * 100)}%`);

/** The DR KPIs, then every drill in the config with its newest run. */
export function Drills() {
  const kpis = useAsync(() => api.drillKpis(), 'drill-kpis');
  const drills = useAsync(() => api.drills(), 'drills');
  usePoll(drills.reload, !!drills.data?.data.some((d) => d.last_run?.status === 'running'), 2000);
  useEffect(() => {
    document.title = 'Drills · Firebreak';
  }, []);
  return (
    <>
      <h1>Drills</h1>
      <section className="section" aria-labelledby="dr-kpi-h">
        <h2 id="dr-kpi-h">DR KPIs</h2>
        <ErrorNote error={kpis.error} prefix="Could not load the KPIs" />
        {kpis.data ? <Kpis k={kpis.data} /> : !kpis.error && <p role="status">Loading…</p>}
      </section>
      <section className="section" aria-labelledby="dr-list-h">
        <h2 id="dr-list-h">Drills</h2>
        <ErrorNote error={drills.error} prefix="Could not load the drills" />
        {drills.data && !drills.data.data.length && <p className="empty">No drills are declared in the config.</p>}
        {!!drills.data?.data.length && (
          <ul className="cards" aria-label="Drills">
            {drills.data.data.map((d) => {
              const last = d.last_run;
              return (
                <li key={d.id} className="card" data-drill={d.id}>
                  <h3 className="h3">
                    <Link to={`/drills/${d.id}`}>{d.name}</Link> {d.production && <span className="badge tone-bad">Production</span>}
                  </h3>
                  <p className="small-text">
                    Runbook <Link to={`/runbooks/${d.runbook}`}>{d.runbook}</Link> · service {d.service} · target {d.target} · {d.every_ms ? `every ${formatDuration(d.every_ms)}` : 'on demand'}
                    {d.measures_rpo ? ' · measures RPO' : ''}
                  </p>
                  <p className="small-text" data-last-run>
                    {last ? (
                      <>
                        Last run <Ago iso={last.started_at} />: <PassBadge passed={last.passed} /> RTO {last.rto_ms === null ? 'not measured' : formatMeasured(last.rto_ms)} (objective {formatMeasured(last.rto_objective_ms)}) · <Link to={`/drill-runs/${last.id}`}>report</Link>
                      </>
                    ) : (
                      'Never run.'
                    )}
                  </p>
                  <StartDrillButton drillId={d.id} name={d.name} />
                </li>
              );
            })}
          </ul>
        )}
      </section>
    </>
  );
}

function Kpis({ k }: { k: DrillKpis }) {
  const months = k.monthly_drills.months.length;
  const r = k.restore_tests;
  const a = k.automation_coverage;
  return (
    <ul className="cards an-kpi-cards" aria-label="DR KPIs">
      <li className="card an-kpi" data-kpi="monthly-drills">
        <h3 className="h3">Monthly drills</h3>
        <p className="small-text muted">
          Months with at least {k.monthly_drills.target_per_month} drill, last {months} months ({k.monthly_drills.months[0]} to {k.monthly_drills.months.at(-1)})
        </p>
        {!k.monthly_drills.services.length && <p className="empty">No service has a drill.</p>}
        <ul className="plain">
          {k.monthly_drills.services.map((s) => (
            <li key={s.service} data-service={s.service}>
              <span className="small-text">
                <strong>{s.service}</strong>: {s.months_met} of {months} months · {s.drills.reduce((x, y) => x + y, 0)} drills, {s.passed.reduce((x, y) => x + y, 0)} passed
              </span>
              <Bar value={s.months_met} max={months} tone={s.months_met === months ? 'ok' : s.months_met > 0 ? 'warn' : 'bad'} />
            </li>
          ))}
        </ul>
      </li>
      <li className="card an-kpi" data-kpi="restore-tests">
        <h3 className="h3">Restore tests passing</h3>
        <p className="an-big">{pct(r.share_passing)}</p>
        <Bar value={r.share_passing ?? 0} max={1} tone={r.met === null ? 'light' : r.met ? 'ok' : 'bad'} marker={r.target} />
        <p className="small-text">
          {r.passed} of {r.verified} backup verifications passed in the last four weeks · target {pct(r.target)}
        </p>
      </li>
      <li className="card an-kpi" data-kpi="automation">
        <h3 className="h3">Automation coverage</h3>
        <p className="an-big">{pct(a.share)}</p>
        <Bar value={a.share ?? 0} max={1} />
        <p className="small-text">
          {a.automated} of {a.steps} runbook steps run by Firebreak (the rest wait for a person)
        </p>
      </li>
    </ul>
  );
}
