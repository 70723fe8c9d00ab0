import { useEffect, useRef } from 'react';
import { api } from '../api/client.ts';
import type { IncidentView } from '../api/types.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './Feedback.tsx';
import { Ago, Time } from './Time.tsx';

/** Whether and how this incident is on the public status page. */
export function StatusPagePanel({ incident }: { incident: IncidentView }) {
  const pub = useAsync(() => api.publication(incident.ref), incident.ref);
  // Read again whenever the incident changes (its page reloads it on every live event).
  const seen = useRef(incident.updated_at);
  useEffect(() => {
    if (seen.current === incident.updated_at) return;
    seen.current = incident.updated_at;
    pub.reload();
  }, [incident.updated_at, pub.reload]);
  const p = pub.data;
  return (
    <section className="section" aria-labelledby="sp-h">
      <h2 id="sp-h">Public status page</h2>
      <ErrorNote error={pub.error} prefix="Could not load the publication" />
      {p && (
        <div className="card">
          {p.public_incident ? (
            <p>
              Posted as “{p.public_incident.name}”, now <strong>{p.public_incident.status.replace(/_/g, ' ')}</strong> (impact {p.public_incident.impact}), last updated{' '}
              <Ago iso={p.public_incident.updated_at} />.{' '}
              <a href={`/status/incidents/${p.public_incident.id}`}>See it on the status page</a>
              {p.time_to_first_post_s !== null && <> · first post {Math.round(p.time_to_first_post_s / 60)} min after detection</>}
            </p>
          ) : (
            <p>Not posted.</p>
          )}
          <p className="muted">
            {p.eligible ? 'Qualifies for an automatic post' : 'Not posted automatically'}: {p.reason}
            {p.auto_post_due_at && (
              <>
                {' '}
                · automatic post due <Time iso={p.auto_post_due_at} />
              </>
            )}
            {p.opted_out && (
              <>
                {' '}
                · opted out by {p.opted_out.by}: {p.opted_out.reason}
              </>
            )}
          </p>
        </div>
      )}
    </section>
  );
}
