import { useEffect, useMemo, type ReactNode } from 'react';
import { analyticsCsvUrl, api, type AnalyticsParams } from '../api/client.ts';
import type { AvailabilityReport, PatternsReport, PostmortemsReport, QualityReport, ResponseReport } from '../api/types.ts';
import { SeverityBadge } from '../components/Badges.tsx';
import { Bar } from '../components/Bar.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { Time } from '../components/Time.tsx';
import { navigate, useLocation } from '../lib/router.tsx';
import { formatDuration } from '../lib/time.ts';
import { useAsync } from '../lib/use-async.ts';

const PERIODS = [7, 30, 90];
const DAY = 86_400_000;
type Kpi = 'detect' | 'acknowledge' | 'respond' | 'resolve';
const KPIS: { key: Kpi; label: string; short: string }[] = [
  { key: 'detect', label: 'Time to detect (MTTD)', short: 'Detect' },
  { key: 'acknowledge', label: 'Time to acknowledge (MTTA)', short: 'Acknowledge' },
  { key: 'respond', label: 'Time to respond', short: 'Respond' },
  { key: 'resolve', label: 'Time to resolve (MTTR)', short: 'Resolve' },
];

const pct = (share: number | null, digits = 0) => (share === null ? 'no data' : `${(share * 100).toFixed(digits)}%`);
const dur = (ms: number | null) => (ms === null ? 'no data' : formatDuration(ms));
const hour = (h: number) => `${String(h).padStart(2, '0')}:00`;

/** Incident KPIs over 7, 30 or 90 days, as pictures with every number also in words. */
export function Analytics() {
  const { query } = useLocation();
  const days = PERIODS.find((d) => String(d) === query.get('days')) ?? 30;
  // One period for every report (and the CSV links), fixed when the choice is made.
  const params = useMemo<AnalyticsParams>(() => {
    const to = Date.now();
    return { from: new Date(to - days * DAY).toISOString(), to: new Date(to).toISOString() };
  }, [days]);
  const key = `${params.from}|${params.to}`;
  const response = useAsync(() => api.analyticsResponse(params), key);
  const quality = useAsync(() => api.analyticsQuality(params), key);
  const availability = useAsync(() => api.analyticsAvailability(params), key);
  const postmortems = useAsync(() => api.analyticsPostmortems(params), key);
  const patterns = useAsync(() => api.analyticsPatterns(params), key);
  useEffect(() => {
    document.title = 'Analytics · Firebreak';
  }, []);
  const reload = () => [response, quality, availability, postmortems, patterns].forEach((r) => r.reload());
  const loading = [response, quality, availability, postmortems, patterns].some((r) => r.loading);

  return (
    <>
      <div className="page-head">
        <h1>Analytics</h1>
        <button type="button" className="small" onClick={reload} disabled={loading}>
          {loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <form className="filters card" aria-label="Report period" onSubmit={(e) => e.preventDefault()}>
        <div className="field">
          <label htmlFor="an-period">Period</label>
          <select id="an-period" value={days} onChange={(e) => navigate(`/analytics?days=${e.target.value}`, { replace: true })}>
            {PERIODS.map((d) => (
              <option key={d} value={d}>
                Last {d} days
              </option>
            ))}
          </select>
        </div>
        <p className="field small-text">
          Incidents triggered from <Time iso={params.from!} /> to <Time iso={params.to!} />.
        </p>
        <p className="field small-text">
          Download CSV:{' '}
          {(['response', 'quality', 'availability', 'postmortems', 'patterns'] as const).map((r, i) => (
            <span key={r}>
              {i > 0 && ' · '}
              <a href={analyticsCsvUrl(r, params)} download>
                {r}
              </a>
            </span>
          ))}
        </p>
      </form>

      <Section id="an-resp" title="Response times by severity" error={response.error}>
        {response.data && <ResponseTimes r={response.data} />}
      </Section>
      <Section id="an-targets" title="Share meeting the targets" error={response.error}>
        {response.data && <TargetShares r={response.data} />}
      </Section>
      <Section id="an-quality" title="Quality" error={quality.error ?? postmortems.error}>
        {quality.data && postmortems.data && <Quality q={quality.data} p={postmortems.data} />}
      </Section>
      <Section id="an-avail" title="Availability and error budget" error={availability.error}>
        {availability.data && <Availability a={availability.data} />}
      </Section>
      <Section id="an-heat" title="When incidents start" error={patterns.error}>
        {patterns.data && <HeatMap p={patterns.data} />}
      </Section>
      <Section id="an-minutes" title="Services with the most incident minutes" error={patterns.error}>
        {patterns.data && <IncidentMinutes p={patterns.data} />}
      </Section>
      <Section id="an-noisy" title="Noisy alerts" error={patterns.error}>
        {patterns.data && <NoisyAlerts p={patterns.data} />}
      </Section>
    </>
  );
}

function Section({ id, title, error, children }: { id: string; title: string; error: unknown; children: ReactNode }) {
  return (
    <section className="section" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      <ErrorNote error={error} prefix={`Could not load ${title.toLowerCase()}`} />
      {children ?? (!error && <p role="status">Loading…</p>)}
    </section>
  );
}

function ResponseTimes({ r }: { r: ResponseReport }) {
  const withIncidents = r.severities.filter((s) => s.incidents > 0);
  if (!withIncidents.length) return <p className="empty">No incidents in this period.</p>;
  return (
    <>
      <p className="muted small-text">Solid bar: mean. Light bar: 90th percentile. Line: the severity's target.</p>
      <div className="cards an-sev-cards">
        {withIncidents.map((s) => (
          <div key={s.severity} className="card" data-severity={s.severity}>
            <h3 className="h3">
              <SeverityBadge severity={s.severity} /> {s.incidents} incident{s.incidents === 1 ? '' : 's'}
            </h3>
            <dl className="an-kpis">
              {KPIS.map(({ key, label }) => {
                const k = s[key];
                const max = Math.max(k.mean_ms ?? 0, k.p90_ms ?? 0, k.target_ms) * 1.1;
                const late = k.mean_ms !== null && k.mean_ms > k.target_ms;
                return (
                  <div key={key} data-kpi={key}>
                    <dt>{label}</dt>
                    <dd>
                      <Bar value={k.mean_ms ?? 0} max={max} tone={late ? 'bad' : 'ok'} marker={k.target_ms} />
                      <Bar value={k.p90_ms ?? 0} max={max} tone="light" marker={k.target_ms} />
                      <span className="small-text">
                        Mean {dur(k.mean_ms)} · p90 {dur(k.p90_ms)} · target {formatDuration(k.target_ms)}
                        {k.count > 0 ? ` · ${k.within_target} of ${k.count} within target` : ' · none measured'}
                        {late && ' · mean over target'}
                      </span>
                    </dd>
                  </div>
                );
              })}
            </dl>
          </div>
        ))}
      </div>
    </>
  );
}

function TargetShares({ r }: { r: ResponseReport }) {
  const withIncidents = r.severities.filter((s) => s.incidents > 0);
  if (!withIncidents.length) return <p className="empty">No incidents in this period.</p>;
  return (
    <div className="an-table-wrap">
      <table className="an-table">
        <caption className="sr-only">Share of incidents within each target, by severity</caption>
        <thead>
          <tr>
            <th scope="col">Severity</th>
            {KPIS.map((k) => (
              <th key={k.key} scope="col">
                {k.short}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {withIncidents.map((s) => (
            <tr key={s.severity}>
              <th scope="row">{s.severity}</th>
              {KPIS.map(({ key }) => {
                const k = s[key];
                return (
                  <td key={key}>
                    {pct(k.share_within_target)}
                    {k.count > 0 && <span className="muted small-text"> ({k.within_target} of {k.count})</span>}
                    {k.share_within_target !== null && <Bar value={k.share_within_target} max={1} tone={k.share_within_target >= 0.9 ? 'ok' : k.share_within_target >= 0.5 ? 'warn' : 'bad'} />}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One KPI: its value against its target, and whether it meets it, in words. */
function Kpi({ label, share, target, lowerIsBetter = false, detail }: { label: string; share: number | null; target?: number; lowerIsBetter?: boolean; detail: string }) {
  // Without a configured target there is nothing to meet: the share is shown as it is.
  const meets = share === null || target === undefined ? null : lowerIsBetter ? share <= target : share >= target;
  return (
    <li className="card an-kpi" data-kpi={label}>
      <h3 className="h3">{label}</h3>
      <p className="an-big">{pct(share, 1)}</p>
      <Bar value={share ?? 0} max={1} tone={meets === null ? 'accent' : meets ? 'ok' : 'bad'} marker={target} />
      <p className="small-text">
        {target === undefined ? (
          detail
        ) : (
          <>
            <span className={meets === null ? 'muted' : meets ? 'ok-text' : 'bad-text'}>{meets === null ? 'No data' : meets ? 'Meets target' : 'Misses target'}</span> · target {lowerIsBetter ? 'at most' : 'at least'} {pct(target, 1)} · {detail}
          </>
        )}
      </p>
    </li>
  );
}

function Quality({ q, p }: { q: QualityReport; p: PostmortemsReport }) {
  const rate = (x: { count: number; of: number }) => `${x.count} of ${x.of}`;
  const time = (x: QualityReport['status_page_post']) => `${x.within_target} of ${x.eligible} within ${formatDuration(x.target_ms)} · mean ${dur(x.mean_ms)}, p90 ${dur(x.p90_ms)}`;
  return (
    <ul className="cards an-kpi-cards">
      <Kpi label="Escalation accuracy" share={q.escalation_accuracy.share} target={q.escalation_accuracy.target} detail={`${rate(q.escalation_accuracy)} with the right severity from the start`} />
      <Kpi label="False positives" share={q.false_positive_rate.share} target={q.false_positive_rate.target} lowerIsBetter detail={`${rate(q.false_positive_rate)} ended as not an incident`} />
      <Kpi label="Detected automatically" share={q.automatic_detection.share} target={q.automatic_detection.target} detail={`${rate(q.automatic_detection)} opened by monitoring`} />
      <Kpi label="Resolved without reopening" share={q.resolved_without_reopening.share} target={q.resolved_without_reopening.target} detail={rate(q.resolved_without_reopening)} />
      <Kpi label="Status page posted on time" share={q.status_page_post.share_within_target} detail={time(q.status_page_post)} />
      <Kpi label="Stakeholders told on time" share={q.stakeholder_notification.share_within_target} detail={time(q.stakeholder_notification)} />
      <Kpi label="Postmortems completed on time" share={p.postmortems.on_time_share} target={p.postmortems.target} detail={`${p.postmortems.completed_on_time} of ${p.postmortems.due} due · ${p.postmortems.overdue} overdue`} />
      <Kpi label="Action items closed" share={p.action_items.closure_rate} detail={`${p.action_items.closed} of ${p.action_items.total} · ${p.action_items.overdue_open} open and overdue`} />
    </ul>
  );
}

function Availability({ a }: { a: AvailabilityReport }) {
  const measured = a.services.filter((s) => s.availability !== null);
  const unmeasured = a.services.filter((s) => s.availability === null);
  return (
    <>
      {!measured.length && <p className="empty">No monitor results in this period.</p>}
      <ul className="plain an-avail">
        {measured.map((s) => {
          const left = s.error_budget_remaining;
          return (
            <li key={s.service} className="card" data-service={s.service}>
              <h3 className="h3">{s.service}</h3>
              <p>
                <strong>{s.availability!.toFixed(3)}%</strong> available · target {s.target}% ·{' '}
                <span className={s.meets_target ? 'ok-text' : 'bad-text'}>{s.meets_target ? 'meets target' : 'below target'}</span>
              </p>
              <Bar value={Math.max(0, left ?? 0)} max={1} tone={left === null ? 'light' : left > 0.5 ? 'ok' : left > 0 ? 'warn' : 'bad'} />
              <p className="small-text">
                Error budget {left === null ? 'not measurable' : left >= 0 ? `${pct(left, 1)} remaining` : `overspent by ${pct(-left, 1)}`}
                {s.burn_rate !== null && ` · burn rate ${s.burn_rate.toFixed(2)}`}
                {s.last_24h.burn_rate !== null && ` (last 24 h ${s.last_24h.burn_rate.toFixed(2)})`} · {s.failures} of {s.checks} checks failed
              </p>
            </li>
          );
        })}
      </ul>
      {unmeasured.length > 0 && <p className="muted small-text">No monitor results for {unmeasured.map((s) => s.service).join(', ')}.</p>}
    </>
  );
}

function HeatMap({ p }: { p: PatternsReport }) {
  const { days, counts } = p.heat_map;
  const max = Math.max(0, ...counts.flat());
  const total = counts.flat().reduce((a, b) => a + b, 0);
  if (!total) return <p className="empty">No incidents started in this period.</p>;
  let busiest = { d: 0, h: 0, n: -1 };
  counts.forEach((row, d) => row.forEach((n, h) => n > busiest.n && (busiest = { d, h, n })));
  const level = (n: number) => (n === 0 ? 0 : Math.max(1, Math.ceil((n / max) * 4)));
  return (
    <figure className="an-heat">
      <figcaption className="small-text">
        {total} incident start{total === 1 ? '' : 's'} by hour of the week ({p.time_zone}). Busiest: {days[busiest.d]} {hour(busiest.h)}–{hour((busiest.h + 1) % 24)} with {busiest.n}.
      </figcaption>
      <div className="an-heat-grid" aria-hidden="true">
        <span />
        {Array.from({ length: 24 }, (_, h) => (
          <span key={h} className="an-heat-hour">
            {h % 3 === 0 ? h : ''}
          </span>
        ))}
        {counts.map((row, d) => [
          <span key={`l${d}`} className="an-heat-day">
            {days[d].slice(0, 3)}
          </span>,
          ...row.map((n, h) => <span key={`${d}-${h}`} className={`an-heat-cell an-heat-${level(n)}`} title={`${days[d]} ${hour(h)}: ${n}`} data-count={n} />),
        ])}
      </div>
      <p className="an-legend small-text" aria-hidden="true">
        Fewer <span className="an-heat-cell an-heat-0" /> <span className="an-heat-cell an-heat-1" /> <span className="an-heat-cell an-heat-2" /> <span className="an-heat-cell an-heat-3" /> <span className="an-heat-cell an-heat-4" /> more (most in one hour: {max})
      </p>
      <details>
        <summary>The heat map as a table</summary>
        <div className="an-table-wrap">
          <table className="an-table an-heat-table">
            <caption className="sr-only">Incident starts per day of the week and hour</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {Array.from({ length: 24 }, (_, h) => (
                  <th key={h} scope="col">
                    {hour(h)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {counts.map((row, d) => (
                <tr key={d}>
                  <th scope="row">{days[d]}</th>
                  {row.map((n, h) => (
                    <td key={h}>{n}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}

function IncidentMinutes({ p }: { p: PatternsReport }) {
  if (!p.incident_minutes.length) return <p className="empty">No incident time in this period.</p>;
  const max = Math.max(...p.incident_minutes.map((m) => m.minutes));
  return (
    <ol className="plain an-ranked">
      {p.incident_minutes.map((m) => (
        <li key={m.service} data-service={m.service}>
          <span className="an-ranked-label">
            <strong>{m.service}</strong>: {formatDuration(m.minutes * 60_000)} over {m.incidents} incident{m.incidents === 1 ? '' : 's'}
          </span>
          <Bar value={m.minutes} max={max} />
        </li>
      ))}
    </ol>
  );
}

function NoisyAlerts({ p }: { p: PatternsReport }) {
  const firing = p.alerts_firing_most;
  const paging = p.alerts_paging_most;
  const fMax = Math.max(0, ...firing.map((a) => a.events));
  const pMax = Math.max(0, ...paging.map((a) => a.incidents));
  return (
    <div className="an-two">
      <div>
        <h3 className="h3">Firing most</h3>
        {firing.length ? (
          <ol className="plain an-ranked">
            {firing.map((a) => (
              <li key={`${a.integration}/${a.dedup_key}`}>
                <span className="an-ranked-label">
                  <code>
                    {a.integration}/{a.dedup_key}
                  </code>
                  : {a.events} event{a.events === 1 ? '' : 's'}, {a.alerts} alert{a.alerts === 1 ? '' : 's'}
                </span>
                <Bar value={a.events} max={fMax} />
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty">No alerts in this period.</p>
        )}
      </div>
      <div>
        <h3 className="h3">Opening the most incidents</h3>
        {paging.length ? (
          <ol className="plain an-ranked">
            {paging.map((a) => (
              <li key={a.fingerprint}>
                <span className="an-ranked-label">
                  <code>{a.fingerprint}</code>: {a.incidents} incident{a.incidents === 1 ? '' : 's'}
                </span>
                <Bar value={a.incidents} max={pMax} />
              </li>
            ))}
          </ol>
        ) : (
          <p className="empty">No incidents opened by alerts in this period.</p>
        )}
      </div>
      {p.recurring.length > 0 && (
        <div>
          <h3 className="h3">Recurring</h3>
          <ul className="plain">
            {p.recurring.map((r) => (
              <li key={`${r.service}/${r.fingerprint}`} className="small-text">
                {r.service}: <code>{r.fingerprint}</code> {r.incidents} times, last <Time iso={r.last_at} />
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
