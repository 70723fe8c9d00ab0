import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { Severity } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { SEVERITY_LEVELS, SEVERITY_NAMES, useServices, useSeverities } from '../lib/config-data.ts';
import { formatDuration } from '../lib/time.ts';
import { Link, navigate } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { useAction } from '../lib/use-action.ts';

/** Declare an incident in seconds: a title, the services, a severity with its definition beside it. */
export function Declare() {
  const { user } = useSession();
  const severities = useSeverities();
  const services = useServices();
  const [title, setTitle] = useState('');
  const [chosen, setChosen] = useState<string[]>([]);
  const [severity, setSeverity] = useState<Severity | ''>('');
  const [description, setDescription] = useState('');
  const [filter, setFilter] = useState('');
  const action = useAction();
  const titleRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Declare an incident · Firebreak';
    titleRef.current?.focus();
  }, []);

  if (!hasRole(user, 'responder')) {
    return (
      <>
        <h1>Declare an incident</h1>
        <p className="notice">Declaring incidents needs the responder role; you are a {user.role}.</p>
      </>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!severity) return;
    let ref = '';
    const ok = await action.run(async () => {
      ref = (await api.declare({ title: title.trim(), severity, services: chosen, description: description.trim() })).ref;
    }, 'Declared.');
    if (ok) navigate(`/incidents/${ref}`);
  };
  const toggle = (id: string, on: boolean) => setChosen((c) => (on ? [...c, id] : c.filter((x) => x !== id)));
  const shownServices = (services.data ?? []).filter((s) => !filter || `${s.id} ${s.name}`.toLowerCase().includes(filter.toLowerCase()) || chosen.includes(s.id));

  return (
    <>
      <p className="crumbs">
        <Link to="/incidents">← Incidents</Link>
      </p>
      <h1>Declare an incident</h1>
      <form className="declare" onSubmit={submit}>
        <label htmlFor="d-title">What is wrong?</label>
        <input id="d-title" ref={titleRef} required maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} placeholder="e.g. Checkout returns 500 for card payments" />

        <fieldset>
          <legend>Severity</legend>
          <ErrorNote error={severities.error} prefix="Could not load the severity definitions" />
          <div className="sev-choices">
            {SEVERITY_LEVELS.map((level) => {
              const def = severities.data?.find((d) => d.level === level);
              return (
                <label key={level} className={`sev-choice sev-border-${level.toLowerCase()}${severity === level ? ' chosen' : ''}`}>
                  <input type="radio" name="severity" value={level} required checked={severity === level} onChange={() => setSeverity(level)} />
                  <span className="sev-choice-text">
                    <strong>
                      {level} {def?.name ?? SEVERITY_NAMES[level]}
                    </strong>
                    {def && (
                      <>
                        <span className="sev-def">{def.definition}</span>
                        <span className="muted small-text">
                          e.g. {def.examples.slice(0, 2).join('; ')} · respond within {formatDuration(def.response_target_seconds * 1000)}, update every {formatDuration(def.update_cadence_seconds * 1000)}
                          {def.public ? ' · posted publicly' : ''}
                        </span>
                      </>
                    )}
                  </span>
                </label>
              );
            })}
          </div>
        </fieldset>

        <fieldset>
          <legend>Affected services {chosen.length > 0 && <span className="muted">({chosen.length} chosen: {chosen.join(', ')})</span>}</legend>
          <ErrorNote error={services.error} prefix="Could not load the services" />
          {(services.data?.length ?? 0) > 8 && (
            <>
              <label htmlFor="d-svc-filter" className="small-text">
                Find a service
              </label>
              <input id="d-svc-filter" type="search" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="Type to narrow the list" />
            </>
          )}
          <div className="svc-choices">
            {shownServices.map((s) => (
              <label key={s.id} className="check svc-choice">
                <input type="checkbox" value={s.id} checked={chosen.includes(s.id)} onChange={(e) => toggle(s.id, e.target.checked)} />
                <span>
                  {s.name} <span className="muted">({s.id}, tier {s.tier})</span>
                </span>
              </label>
            ))}
          </div>
        </fieldset>

        <label htmlFor="d-desc">Description (optional)</label>
        <textarea id="d-desc" rows={3} maxLength={20_000} value={description} onChange={(e) => setDescription(e.target.value)} />

        <ErrorNote error={action.error} />
        <button type="submit" className="primary big-button" disabled={action.busy}>
          {action.busy ? 'Declaring…' : 'Declare incident'}
        </button>
      </form>
    </>
  );
}
