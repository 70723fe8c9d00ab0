import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { MonitorView, Severity } from '../api/types.ts';
import { SeverityBadge, StateBadge } from '../components/Badges.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { ServiceGraph } from '../components/ServiceGraph.tsx';
import { Link } from '../lib/router.tsx';
import { useAsync } from '../lib/use-async.ts';
import { useLiveReload } from '../live/live.ts';

/** A service's monitors at a glance: how many are up, and the ones that are not, by name. */
function MonitorHealth({ monitors }: { monitors: MonitorView[] | undefined }) {
  if (!monitors?.length) return null;
  const up = monitors.filter((m) => m.status === 'up').length;
  const others = monitors.filter((m) => m.status !== 'up');
  return (
    <p className={`small-text ${others.some((m) => m.status === 'down') ? 'bad-text' : others.length ? 'warn-text' : 'ok-text'}`}>
      Monitors: {up} of {monitors.length} up{others.length > 0 && <> · {others.map((m) => `${m.name} ${m.status}`).join(', ')}</>}
    </p>
  );
}

/** Services with their tier, what they depend on, and their open incidents (live). */
export function Services() {
  const services = useAsync(() => api.services(), 'services-page');
  const monitors = useAsync(() => api.monitors(), 'services-page-monitors');
  useLiveReload(services.reload, (e) => e.topic !== 'incident.notification', 1000);
  useEffect(() => {
    document.title = 'Services · Firebreak';
  }, []);
  const tiers = [...new Set(services.data?.data.map((s) => s.tier))].sort();
  return (
    <>
      <h1>Services</h1>
      <ErrorNote error={services.error} prefix="Could not load the services" />
      {services.data && services.data.data.length > 0 && (
        <section className="section" aria-labelledby="graph-h">
          <h2 id="graph-h">Dependencies</h2>
          <ServiceGraph services={services.data.data} />
        </section>
      )}
      {tiers.map((tier) => (
        <section key={tier} className="section" aria-labelledby={`tier-${tier}`}>
          <h2 id={`tier-${tier}`}>Tier {tier}</h2>
          <ul className="cards">
            {services.data?.data
              .filter((s) => s.tier === tier)
              .map((s) => (
                <li key={s.id} className={`card${s.open_incidents.length ? ' has-open' : ''}`}>
                  <h3>
                    {s.name} <span className="muted small-text">({s.id})</span>
                  </h3>
                  <p className="small-text">
                    {s.customer_facing ? 'Customer-facing' : 'Internal'} · {Math.round(s.user_share * 100)}% of users · owners {s.owners.join(', ') || 'none'}
                    {s.depends_on.length > 0 && <> · depends on {s.depends_on.join(', ')}</>}
                  </p>
                  <MonitorHealth monitors={monitors.data?.data.filter((m) => m.service === s.id)} />
                  {s.open_incidents.length ? (
                    <ul className="plain">
                      {s.open_incidents.map((i) => (
                        <li key={i.ref} className="svc-inc">
                          <SeverityBadge severity={i.severity as Severity} /> <StateBadge state={i.state as never} />{' '}
                          <Link to={`/incidents/${i.ref}`}>
                            {i.ref} {i.title}
                          </Link>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <p className="ok-text">No open incidents</p>
                  )}
                </li>
              ))}
          </ul>
        </section>
      ))}
    </>
  );
}
