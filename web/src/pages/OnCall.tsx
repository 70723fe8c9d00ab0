import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { OnCallView, OverrideView, ScheduleView, ShiftsView, ShiftView } from '../api/types.ts';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { formatLocal } from '../lib/time.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';

const DAYS = 14;
const DAY_MS = 86_400_000;
/** Colours for people in the calendar (white text on each meets AA); each also has the handle in text. */
const PALETTE = 8;

/** Who is on call now and who is next, per schedule; the coming two weeks as a calendar; overrides. */
export function OnCall() {
  const { user } = useSession();
  const schedules = useAsync(() => api.schedules(), 'schedules');
  const list = schedules.data?.data ?? [];
  const ids = list.map((s) => s.id).join(',');
  // Local midnight today, for the whole visit (the calendar starts there).
  const from = useMemo(() => {
    const d = new Date();
    return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  }, []);
  const to = from + DAYS * DAY_MS;
  const calendar = useAsync(() => Promise.all(ids ? ids.split(',').map((id) => api.shifts(id, new Date(from).toISOString(), new Date(to).toISOString())) : []), `shifts:${ids}`);
  const overrides = useAsync(
    () => Promise.all(ids ? ids.split(',').map((id) => api.overrides(id)) : []).then((rs) => rs.flatMap((r) => r.data).sort((a, b) => a.start.localeCompare(b.start))),
    `overrides:${ids}`,
  );
  const reloadAll = () => {
    schedules.reload();
    calendar.reload();
    overrides.reload();
  };
  const afterOverride = reloadAll;
  useEffect(() => {
    document.title = 'On call · Firebreak';
  }, []);
  const busy = schedules.loading || calendar.loading || overrides.loading;
  return (
    <>
      <div className="page-head">
        <h1>On call</h1>
        <button type="button" className="small" onClick={reloadAll} disabled={busy}>
          {busy ? 'Loading…' : 'Refresh'}
        </button>
      </div>
      <ErrorNote error={schedules.error} prefix="Could not load the schedules" />
      {schedules.data && !list.length && <p className="empty">No schedules are configured.</p>}
      <ul className="cards">
        {list.map((s) => (
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
      {list.length > 0 && (
        <section className="section" aria-labelledby="cal-h">
          <h2 id="cal-h">The next two weeks</h2>
          <ErrorNote error={calendar.error} prefix="Could not load the shifts" />
          {calendar.data && <Calendar views={calendar.data} from={from} to={to} />}
        </section>
      )}
      {list.length > 0 && (
        <section className="section" aria-labelledby="ovr-h">
          <h2 id="ovr-h">Overrides</h2>
          <ErrorNote error={overrides.error} prefix="Could not load the overrides" />
          {overrides.data && <OverrideList overrides={overrides.data} schedules={list} canAct={hasRole(user, 'responder')} onChanged={afterOverride} />}
          {hasRole(user, 'responder') ? (
            <NewOverride schedules={list} onCreated={afterOverride} />
          ) : (
            <p className="muted small-text">Adding or cancelling an override needs the responder role.</p>
          )}
        </section>
      )}
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

const weekday = new Intl.DateTimeFormat(undefined, { weekday: 'short' });
const why = (s: ShiftView) => (s.source.type === 'override' ? `override by ${s.source.created_by}: ${s.source.reason}` : `layer ${s.source.name ?? s.source.layer + 1}`);

/** A row per schedule over [from, to): a coloured block per shift, with the person's handle in it. */
function Calendar({ views, from, to }: { views: ShiftsView[]; from: number; to: number }) {
  const span = to - from;
  const handles = [...new Set(views.flatMap((v) => v.shifts.map((s) => s.handle)))].sort();
  const colour = (h: string) => `pal-${handles.indexOf(h) % PALETTE}`;
  const names = new Map(views.flatMap((v) => v.shifts.map((s) => [s.handle, s.name] as const)));
  const days = Array.from({ length: DAYS }, (_, i) => new Date(from + i * DAY_MS));
  const pct = (ms: number) => `${(Math.min(Math.max(ms - from, 0), span) / span) * 100}%`;
  const now = Date.now();
  return (
    <figure className="cal" aria-label="On-call calendar, the next two weeks">
      <div className="cal-row cal-head" aria-hidden="true">
        <div className="cal-label" />
        <div className="cal-track">
          {days.map((d, i) => (
            <span key={i} className={`cal-day${d.getDay() === 0 || d.getDay() === 6 ? ' weekend' : ''}`} style={{ left: pct(d.getTime()), width: `${100 / DAYS}%` }}>
              <span className="cal-wd">{weekday.format(d)} </span>
              {d.getDate()}
            </span>
          ))}
        </div>
      </div>
      {views.map((v) => (
        <div key={v.schedule.id} className="cal-row" data-schedule={v.schedule.id}>
          <div className="cal-label" id={`cal-${v.schedule.id}`}>
            {v.schedule.name}
          </div>
          <ul className="cal-track" aria-labelledby={`cal-${v.schedule.id}`}>
            {days.map((d, i) => (
              <li key={`d${i}`} aria-hidden="true" className="cal-gridline" style={{ left: pct(d.getTime()) }} />
            ))}
            {now > from && now < to && <li aria-hidden="true" className="cal-now" style={{ left: pct(now) }} title="now" />}
            {!v.shifts.length && <li className="cal-empty">Nobody on call</li>}
            {v.shifts.map((s) => {
              const start = Date.parse(s.start);
              const end = Date.parse(s.end);
              const label = `${s.handle} (${s.name}): ${formatLocal(s.start)} to ${formatLocal(s.end)}, ${why(s)}`;
              return (
                <li
                  key={`${s.start}-${s.handle}`}
                  className={`cal-shift ${colour(s.handle)}${s.source.type === 'override' ? ' override' : ''}`}
                  style={{ left: pct(start), width: `calc(${pct(end)} - ${pct(start)})` }}
                  title={label}
                  data-handle={s.handle}
                >
                  <span aria-hidden="true">{s.handle}</span>
                  <span className="sr-only">{label}</span>
                </li>
              );
            })}
          </ul>
        </div>
      ))}
      <figcaption>
        <ul className="cal-legend" aria-label="Who is who">
          {handles.map((h) => (
            <li key={h}>
              <span className={`cal-swatch ${colour(h)}`} aria-hidden="true" /> {h} <span className="muted">({names.get(h)})</span>
            </li>
          ))}
          <li>
            <span className="cal-swatch override" aria-hidden="true" /> dashed outline: an override
          </li>
        </ul>
        <p className="small-text muted">Times in your time zone; hover a block for its times.</p>
      </figcaption>
    </figure>
  );
}

function OverrideList({ overrides, schedules, canAct, onChanged }: { overrides: OverrideView[]; schedules: ScheduleView[]; canAct: boolean; onChanged: () => void }) {
  const action = useAction();
  const name = (id: string) => schedules.find((s) => s.id === id)?.name ?? id;
  return (
    <>
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
      {!overrides.length && <p className="empty">No overrides in the coming weeks.</p>}
      <ul className="admin-list" aria-label="Overrides">
        {overrides.map((o) => (
          <li key={o.id} className="admin-row" data-override={o.id}>
            <div className="admin-row-head">
              <strong>{o.user}</strong> <span>on {name(o.schedule)}</span>
              {o.replaces && <span className="small-text">instead of {o.replaces}</span>}
            </div>
            <p className="small-text">
              <Time iso={o.start} /> to <Time iso={o.end} /> · {o.reason} <span className="muted">· by {o.created_by}</span>
            </p>
            {canAct && (
              <button
                type="button"
                className="small"
                disabled={action.busy}
                aria-label={`Cancel override: ${o.user} on ${name(o.schedule)} from ${formatLocal(o.start)}`}
                onClick={() =>
                  void action.run(async () => {
                    await api.cancelOverride(o.schedule, o.id);
                    onChanged();
                  }, `Override for ${o.user} cancelled.`)
                }
              >
                Cancel override
              </button>
            )}
          </li>
        ))}
      </ul>
    </>
  );
}

/** "YYYY-MM-DDTHH:mm" in local time, for a datetime-local field. */
const localInput = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
};

function NewOverride({ schedules, onCreated }: { schedules: ScheduleView[]; onCreated: () => void }) {
  const users = useAsync(() => api.users(), 'override-users');
  const [schedule, setSchedule] = useState(schedules[0]?.id ?? '');
  const [who, setWho] = useState('');
  const [start, setStart] = useState(() => localInput(Math.ceil(Date.now() / 3_600_000) * 3_600_000));
  const [end, setEnd] = useState(() => localInput(Math.ceil(Date.now() / 3_600_000) * 3_600_000 + 8 * 3_600_000));
  const [reason, setReason] = useState('');
  const action = useAction();
  const people = (users.data?.data ?? []).filter((u) => !u.disabled);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const s = new Date(start);
    const en = new Date(end);
    void action.run(async () => {
      if (Number.isNaN(s.getTime()) || Number.isNaN(en.getTime())) throw new Error('Give a start and an end.');
      await api.createOverride(schedule, { user: who, start: s.toISOString(), end: en.toISOString(), reason: reason.trim() });
      setReason('');
      onCreated();
    }, `${who} is on call for ${schedules.find((x) => x.id === schedule)?.name ?? schedule} from ${formatLocal(s.toISOString())}.`);
  };
  return (
    <form className="card panel admin-form" onSubmit={submit} aria-labelledby="new-ovr-h">
      <h3 id="new-ovr-h">Add an override</h3>
      <label htmlFor="ovr-schedule">Schedule</label>
      <select id="ovr-schedule" value={schedule} onChange={(e) => setSchedule(e.target.value)}>
        {schedules.map((s) => (
          <option key={s.id} value={s.id}>
            {s.name}
          </option>
        ))}
      </select>
      <label htmlFor="ovr-user">Who is on call</label>
      <ErrorNote error={users.error} prefix="Could not load the people" />
      <select id="ovr-user" required value={who} onChange={(e) => setWho(e.target.value)}>
        <option value="">Choose a person…</option>
        {people.map((u) => (
          <option key={u.handle} value={u.handle}>
            {u.handle} ({u.name})
          </option>
        ))}
      </select>
      <div className="dates-row">
        <div>
          <label htmlFor="ovr-start">From (your time)</label>
          <input id="ovr-start" type="datetime-local" required value={start} onChange={(e) => setStart(e.target.value)} />
        </div>
        <div>
          <label htmlFor="ovr-end">Until (your time)</label>
          <input id="ovr-end" type="datetime-local" required value={end} onChange={(e) => setEnd(e.target.value)} />
        </div>
      </div>
      <label htmlFor="ovr-reason">Reason</label>
      <input id="ovr-reason" required maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} />
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Adding…' : 'Add override'}
      </button>
    </form>
  );
}
