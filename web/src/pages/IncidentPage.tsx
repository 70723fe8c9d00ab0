import { useEffect, useRef } from 'react';
import { ApiError, api } from '../api/client.ts';
import type { IncidentDetail, IncidentView, TimelineEntryView } from '../api/types.ts';
import { SeverityBadge, StateBadge } from '../components/Badges.tsx';
import { ErrorNote } from '../components/Feedback.tsx';
import { LifecycleActions, RolesPanel, SeverityForm } from '../components/IncidentActions.tsx';
import { MitigationForm, NoteForm, StakeholderUpdateForm } from '../components/IncidentWrite.tsx';
import { PostmortemPanel } from '../components/PostmortemPanel.tsx';
import { StatusPagePanel } from '../components/StatusPagePanel.tsx';
import { Timeline } from '../components/Timeline.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { formatDuration } from '../lib/time.ts';
import { Link } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { useAsync } from '../lib/use-async.ts';
import { useLiveReload } from '../live/live.ts';

/** One incident: where it stands, who has it, what happened, and what a responder can do next. */
export function IncidentPage({ incidentRef }: { incidentRef: string }) {
  const { user } = useSession();
  const incident = useAsync(() => api.incident(incidentRef), incidentRef);
  const i = incident.data;
  const noteBox = useRef<HTMLTextAreaElement>(null);
  // Events name the incident by ref and id; the page may have been opened by either (or "42").
  useLiveReload(incident.reload, (e) => e.ref === i?.ref || e.incident_id === i?.id || e.ref === incidentRef);
  useEffect(() => {
    if (i) document.title = `${i.ref} ${i.title} · Firebreak`;
  }, [i]);

  if (!i) {
    const missing = incident.error instanceof ApiError && incident.error.code === 'NOT_FOUND';
    return (
      <>
        <p>
          <Link to="/incidents">← Incidents</Link>
        </p>
        {missing ? <h1>No incident {incidentRef}</h1> : <ErrorNote error={incident.error} prefix={`Could not load ${incidentRef}`} />}
        {incident.loading && <p role="status">Loading {incidentRef}…</p>}
      </>
    );
  }

  const canAct = hasRole(user, 'responder');
  /** After a write: show what the server answered at once (the incident, or the new entry), then read it all again. */
  const changed = (view?: IncidentView, entry?: TimelineEntryView) => {
    if (view) incident.replace((old) => old && { ...old, ...view });
    if (entry) incident.replace((old) => old && (old.timeline.some((e) => e.id === entry.id) ? old : { ...old, timeline: [...old.timeline, entry] }));
    incident.reload();
  };
  return (
    <article className="incident" aria-labelledby="inc-h">
      <p className="crumbs">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <h1 id="inc-h">
        <span className="ref">{i.ref}</span> {i.title}
      </h1>
      <div className="inc-badges big">
        <SeverityBadge severity={i.severity} />
        <StateBadge state={i.state} />
        {i.reopen_count > 0 && <span className="badge muted-badge">Reopened {i.reopen_count}×</span>}
      </div>
      {/* A failed refresh keeps the last good view on screen, and says so. */}
      <ErrorNote error={incident.error} prefix="Could not refresh" />
      <Facts i={i} />
      <div className="inc-layout">
        {canAct ? (
          <section className="inc-side actions" aria-labelledby="actions-h">
            <h2 id="actions-h">Actions</h2>
            <p className="muted small-text">
              Shortcuts: <kbd>a</kbd> acknowledge, <kbd>n</kbd> write a note.
            </p>
            <LifecycleActions incident={i} onChanged={changed} />
            <div className="panels">
              <NoteForm incident={i} onChanged={changed} boxRef={noteBox} />
              <StakeholderUpdateForm incident={i} onChanged={changed} />
              <MitigationForm incident={i} onChanged={changed} />
              <SeverityForm incident={i} onChanged={changed} />
              <RolesPanel incident={i} onChanged={changed} />
            </div>
          </section>
        ) : (
          <p className="inc-side notice">You can read this incident; acting on it needs the responder role.</p>
        )}
        <div className="inc-main">
          {i.description && (
            <section className="section" aria-labelledby="desc-h">
              <h2 id="desc-h">Description</h2>
              <p className="prewrap">{i.description}</p>
            </section>
          )}
          <PostmortemPanel incident={i} canAct={canAct} />
          <Timeline entries={i.timeline} />
          <StatusPagePanel incident={i} />
        </div>
      </div>
    </article>
  );
}

function Facts({ i }: { i: IncidentDetail }) {
  const roles = i.roles;
  const open = !i.resolved_at;
  return (
    <dl className="facts card">
      <div>
        <dt>Detected</dt>
        <dd>
          <Ago iso={i.detected_at} /> · <Time iso={i.detected_at} />
        </dd>
      </div>
      <div>
        <dt>Last update</dt>
        <dd>
          <Ago iso={i.updated_at} />
        </dd>
      </div>
      {i.acknowledged_at && (
        <div>
          <dt>Acknowledged</dt>
          <dd>
            <Time iso={i.acknowledged_at} /> ({formatDuration(Date.parse(i.acknowledged_at) - Date.parse(i.triggered_at))} after it was triggered)
          </dd>
        </div>
      )}
      {!open && i.resolved_at && (
        <div>
          <dt>Resolved</dt>
          <dd>
            <Time iso={i.resolved_at} /> (after {formatDuration(Date.parse(i.resolved_at) - Date.parse(i.detected_at))})
          </dd>
        </div>
      )}
      <div>
        <dt>Services</dt>
        <dd>{i.services.length ? i.services.join(', ') : 'none named'}</dd>
      </div>
      <div>
        <dt>Impact</dt>
        <dd>
          {i.impact.customer_facing ? 'Customer-facing' : 'Internal'} · {Math.round(i.impact.user_share * 100)}% of users
          {i.impact.highest_tier && <> · tier {i.impact.highest_tier}</>}
          {i.impact.impacted_services.length > 0 && <> · reaches {i.impact.impacted_services.join(', ')}</>}
        </dd>
      </div>
      <div>
        <dt>Roles</dt>
        <dd>
          Commander: {roles.commander ?? 'none'} · Communications: {roles.communications_lead ?? 'none'} · Scribe: {roles.scribe ?? 'none'}
          {roles.responders.length > 0 && <> · Responders: {roles.responders.join(', ')}</>}
        </dd>
      </div>
      <div>
        <dt>Source</dt>
        <dd>
          {i.source.replace('_', ' ')}
          {i.created_by && <> · declared by {i.created_by}</>}
        </dd>
      </div>
      {i.war_room_url && (
        <div>
          <dt>War room</dt>
          <dd>
            <a href={i.war_room_url} rel="noopener noreferrer" target="_blank">
              {i.war_room_url}
            </a>
          </dd>
        </div>
      )}
      {i.recent_changes.length > 0 && (
        <div>
          <dt>Changed just before</dt>
          <dd>
            <ul className="plain">
              {i.recent_changes.slice(0, 5).map((c) => (
                <li key={c.id}>
                  <Time iso={c.happened_at} /> · {c.service}: {c.summary}
                </li>
              ))}
            </ul>
          </dd>
        </div>
      )}
    </dl>
  );
}
