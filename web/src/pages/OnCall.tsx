import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { OnCallView } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { useAsync } from '../lib/use-async.ts';

/** Who is on call now and who is next, per schedule. */
export function OnCall() {
  const schedules = useAsync(() => api.schedules(), 'schedules');
  useEffect(() => {
    document.title = 'On call · Firebreak';
  }, []);
  return (
    <>
      <div className="page-head">
        <h1>On call</h1>
        <button type="button" className="small" onClick={schedules.reload} disabled={schedules.loading}>
          {schedules.loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <ErrorNote error={schedules.error} prefix="Could not load the schedules" />
      {schedules.data && !schedules.data.data.length && <p className="empty">No schedules are configured.</p>}
      <ul className="cards">
        {schedules.data?.data.map((s) => (
          <li key={s.id} className="card">
            <h2>{s.name}</h2>
            <p className="muted small-text">
              {s.id} · {s.time_zone} · {s.layers.length} layer{s.layers.length === 1 ? '' : 's'}
            </p>
            <dl className="facts compact">
              <div>
                <dt>Now</dt>
                <dd>
                  <Person p={s.on_call} until />
                </dd>
              </div>
              <div>
                <dt>Next</dt>
                <dd>
                  <Person p={s.next} />
                </dd>
              </div>
            </dl>
          </li>
        ))}
      </ul>
    </>
  );
}

function Person({ p, until }: { p: OnCallView | null; until?: boolean }) {
  if (!p) return <span className="muted">Nobody</span>;
  const why = p.source.type === 'override' ? `override: ${p.source.reason}` : `layer ${p.source.name ?? p.source.layer + 1}`;
  return (
    <>
      <strong>{p.name}</strong> ({p.handle}) ·{' '}
      {until ? (
        <>
          until <Time iso={p.until} />
        </>
      ) : (
        <>
          from <Time iso={p.since} /> (<Ago iso={p.since} />)
        </>
      )}{' '}
      <span className="muted">· {why}</span>
    </>
  );
}
