import type { IncidentView } from '../api/types.ts';
import { Link } from '../lib/router.tsx';
import { SeverityBadge, StateBadge } from './Badges.tsx';
import { Ago } from './Time.tsx';

/** One incident in a list: what it is, how bad, where it stands, and how long it has waited. */
export function IncidentRow({ incident: i }: { incident: IncidentView }) {
  return (
    <li className={`inc-row${i.state === 'triggered' ? ' unacked' : ''}`} data-ref={i.ref}>
      <div className="inc-badges">
        <SeverityBadge severity={i.severity} />
        <StateBadge state={i.state} />
      </div>
      <Link to={`/incidents/${i.ref}`} className="inc-title">
        <span className="ref">{i.ref}</span> {i.title}
      </Link>
      <p className="inc-meta">
        {i.services.length ? <span>{i.services.join(', ')}</span> : <span className="muted">no service</span>}
        <span>
          triggered <Ago iso={i.triggered_at} />
        </span>
        <span>
          updated <Ago iso={i.updated_at} />
        </span>
        {i.roles.commander && <span>commander {i.roles.commander}</span>}
      </p>
    </li>
  );
}
