import { useEffect, useRef } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { IncidentDetail } from '../api/types.ts';
import { navigate, Link } from '../lib/router.tsx';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { ErrorNote } from './Feedback.tsx';
import { OverdueBadge, PostmortemStatusBadge } from './PostmortemBadges.tsx';
import { Time } from './Time.tsx';

/** The incident's postmortem: a link to it, or (once resolved) a button to make one. */
export function PostmortemPanel({ incident, canAct }: { incident: IncidentDetail; canAct: boolean }) {
  // The detail says whether there is one, so an incident without one asks nothing. A 404 can
  // still come from a race with a deletion: it means "none", not an error.
  const known = incident.postmortem?.id ?? null;
  const pm = useAsync(() => (known === null ? Promise.resolve(null) : api.incidentPostmortem(incident.ref).catch((err: unknown) => (err instanceof ApiError && err.code === 'NOT_FOUND' ? null : Promise.reject(err)))), `${incident.ref}/${known ?? ''}`);
  const create = useAction();
  // Made automatically when some incidents resolve: read again whenever the incident changes.
  const seen = useRef(incident.updated_at);
  useEffect(() => {
    if (seen.current === incident.updated_at) return;
    seen.current = incident.updated_at;
    pm.reload();
  }, [incident.updated_at, pm.reload]);
  const p = pm.data;
  const resolved = incident.state === 'resolved' || incident.state === 'closed';
  const make = () =>
    void create.run(async () => {
      try {
        const made = await api.createPostmortem(incident.ref);
        navigate(`/postmortems/${made.id}`);
      } catch (err) {
        // Someone (or the automatic one) made it first: show that one.
        if (err instanceof ApiError && err.code === 'CONFLICT') pm.reload();
        throw err;
      }
    }, 'Postmortem created.');
  // While the incident is open there is nothing to show or do here yet: the page stays on the response.
  if (!resolved && !p && !pm.error) return null;
  return (
    <section className="section" aria-labelledby="pm-h">
      <h2 id="pm-h">Postmortem</h2>
      <ErrorNote error={pm.error} prefix="Could not load the postmortem" />
      {p ? (
        <div className="card">
          <p>
            <PostmortemStatusBadge status={p.status} /> <OverdueBadge overdue={p.overdue} /> Due <Time iso={p.due_at} />
            {p.owner ? <> · owner {p.owner}</> : <> · no owner</>} · {p.action_items.length} action item{p.action_items.length === 1 ? '' : 's'}
          </p>
          <p>
            <Link to={`/postmortems/${p.id}`}>Open the postmortem of {incident.ref}</Link>
          </p>
        </div>
      ) : p === null ? (
        <div className="card">
          <p>No postmortem yet.</p>
          {canAct && (
            <button type="button" className="primary" disabled={create.busy} onClick={make}>
              {create.busy ? 'Creating…' : 'Create postmortem'}
            </button>
          )}
          <ErrorNote error={create.error} />
        </div>
      ) : null}
    </section>
  );
}
