import { useEffect, useState } from 'react';
import { api } from '../api/client.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { MonitorHistory } from '../components/MonitorHistory.tsx';
import { Ago } from '../components/Time.tsx';
import { useAsync } from '../lib/use-async.ts';

const STATUS_WORDS: Record<string, string> = { new: 'Not checked yet', up: 'Up', degraded: 'Degraded', down: 'Down', grace: 'Late (grace period)', paused: 'Paused' };
const ORDER = ['down', 'degraded', 'grace', 'new', 'paused', 'up'];

/** Every monitor with its status in words, the worst first. */
export function Monitors() {
  const monitors = useAsync(() => api.monitors(), 'monitors');
  // Uptime and response times change slowly: read again on Refresh and every 5 minutes.
  const [version, setVersion] = useState(0);
  useEffect(() => {
    document.title = 'Monitors · Firebreak';
    const t = window.setInterval(monitors.reload, 30_000);
    const h = window.setInterval(() => setVersion((v) => v + 1), 300_000);
    return () => {
      clearInterval(t);
      clearInterval(h);
    };
  }, [monitors.reload]);
  const list = [...(monitors.data?.data ?? [])].sort((a, b) => ORDER.indexOf(a.status) - ORDER.indexOf(b.status) || a.name.localeCompare(b.name));
  return (
    <>
      <div className="page-head">
        <h1>Monitors</h1>
        <button
          type="button"
          className="small"
          onClick={() => {
            monitors.reload();
            setVersion((v) => v + 1);
          }}
          disabled={monitors.loading}
        >
          {monitors.loading ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <ErrorNote error={monitors.error} prefix="Could not load the monitors" />
      {monitors.data && !list.length && <p className="empty">No monitors are configured.</p>}
      <ul className="cards">
        {list.map((m) => (
          <li key={m.id} className="card" data-monitor={m.id}>
            <h2 className="h3">
              <span className={`badge mon mon-${m.status}`}>{STATUS_WORDS[m.status] ?? m.status}</span> {m.name}
            </h2>
            <p className="small-text">
              {m.type} · service {m.service}
              {m.interval_seconds !== null && <> · every {m.interval_seconds} s</>}
              {m.changed_at && (
                <>
                  {' '}
                  · {STATUS_WORDS[m.status]?.toLowerCase() ?? m.status} since <Ago iso={m.changed_at} />
                </>
              )}
            </p>
            {m.last_check && (
              <p className="small-text muted">
                Last check <Ago iso={m.last_check.at!} />: {m.last_check.status}
                {m.last_check.message ? ` · ${m.last_check.message}` : ''}
              </p>
            )}
            {m.held && <p className="small-text notice">Not paged: {typeof m.held === 'string' ? m.held : JSON.stringify(m.held)}</p>}
            <MonitorHistory monitor={m} version={version} />
          </li>
        ))}
      </ul>
    </>
  );
}
