import { useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError, api, postmortemMarkdownUrl } from '../api/client.ts';
import type { BlamelessHint, PostmortemContent, PostmortemStatus, PostmortemView, UpdatePostmortemInput, UserView } from '../api/types.ts';
import { ActionItemsPanel } from '../components/ActionItemsPanel.tsx';
import { SeverityBadge } from '../components/Badges.tsx';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { OverdueBadge, POSTMORTEM_STATUS_WORDS, PostmortemStatusBadge } from '../components/PostmortemBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import {
  changedSections,
  draftOf,
  FACTOR_KEYS,
  FACTOR_NAMES,
  LESSON_KEYS,
  LESSON_NAMES,
  patchOf,
  SECTION_NAMES,
  sectionText,
  type Draft,
  type SectionKey,
} from '../lib/postmortem-draft.ts';
import { Link } from '../lib/router.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { formatDuration } from '../lib/time.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';
import { useLiveReload } from '../live/live.ts';

/** Where a postmortem may go from each status (the server's rules), with the button's words. */
const MOVES: Record<PostmortemStatus, { to: PostmortemStatus; label: string }[]> = {
  draft: [
    { to: 'in_review', label: 'Send for review' },
    { to: 'completed', label: 'Mark completed' },
  ],
  in_review: [
    { to: 'draft', label: 'Back to draft' },
    { to: 'completed', label: 'Mark completed' },
  ],
  completed: [{ to: 'in_review', label: 'Reopen for edits' }],
};

/** The form's starting point: the revision it was loaded from and its sections then. */
interface Base {
  revision: number;
  draft: Draft;
}

/**
 * One postmortem: the facts Firebreak recorded, the sections people write (saved against the
 * revision they were loaded from, so concurrent edits never overwrite each other), its status,
 * action items, export, publication and revisions.
 */
export function PostmortemPage({ postmortemId }: { postmortemId: string }) {
  const { user } = useSession();
  const canAct = hasRole(user, 'responder');
  const pm = useAsync(() => api.postmortem(postmortemId), postmortemId);
  const p = pm.data;
  const [base, setBase] = useState<Base | null>(null);
  const [draft, setDraft] = useState<Draft | null>(null);
  /** Someone's own text from before they loaded a newer revision, kept to copy or take back. */
  const [kept, setKept] = useState<{ revision: number; draft: Draft; sections: SectionKey[] } | null>(null);
  const [note, setNote] = useState('');
  const save = useAction();
  const latest = useAction();
  const [conflict, setConflict] = useState<number | null>(null);
  /** Which control the last write came from: its result is shown there. */
  const [from, setFrom] = useState<'form' | 'status'>('form');
  const dirty = !!(draft && base && changedSections(draft, base.draft).length);
  const dirtyRef = useRef(dirty);
  dirtyRef.current = dirty;

  useLiveReload(pm.reload, (e) => e.incident_id === p?.incident.id, 500);
  useEffect(() => {
    if (p) document.title = `Postmortem ${p.incident.ref} · Firebreak`;
  }, [p?.incident.ref]);
  // A fresh read replaces the form only while nothing is typed in it; typed text is never dropped.
  useEffect(() => {
    if (!p) return;
    if (!base || (!dirtyRef.current && p.revision !== base.revision)) {
      const d = draftOf(p.content);
      setBase({ revision: p.revision, draft: d });
      setDraft(d);
    }
  }, [p]);

  if (!p || !draft || !base) {
    const missing = pm.error instanceof ApiError && pm.error.code === 'NOT_FOUND';
    return (
      <>
        <p className="crumbs">
          <Link to="/postmortems">← Postmortems</Link>
        </p>
        {missing ? <h1>No such postmortem</h1> : <ErrorNote error={pm.error} prefix="Could not load the postmortem" />}
        {pm.loading && <p role="status">Loading the postmortem…</p>}
      </>
    );
  }

  const completed = p.status === 'completed';
  const editable = canAct && !completed;

  /** Every write is one PATCH on the loaded revision, carrying the typed sections with it. */
  const write = async (extra: Partial<UpdatePostmortemInput>, success: string, where: 'form' | 'status' = 'form') => {
    setFrom(where);
    const sections = editable ? changedSections(draft, base.draft) : [];
    setConflict(null);
    const ok = await save.run(async () => {
      try {
        const saved = await api.updatePostmortem(p.id, { revision: base.revision, ...patchOf(draft, sections), ...(note.trim() ? { note: note.trim() } : {}), ...extra });
        const d = draftOf(saved.content);
        setBase({ revision: saved.revision, draft: d });
        setDraft(d);
        pm.replace(() => saved);
      } catch (err) {
        if (err instanceof ApiError && err.code === 'CONFLICT' && typeof err.details.current_revision === 'number') setConflict(err.details.current_revision);
        throw err;
      }
    }, success);
    if (ok) setNote('');
  };

  /** After a conflict: the newest revision in the form, and the user's own text kept beside it. */
  const loadLatest = () =>
    void latest.run(async () => {
      const mine = draft;
      const sections = changedSections(mine, base.draft);
      const fresh = await api.postmortem(p.id);
      const d = draftOf(fresh.content);
      setKept(sections.length ? { revision: base.revision, draft: mine, sections } : null);
      setBase({ revision: fresh.revision, draft: d });
      setDraft(d);
      setConflict(null);
      pm.replace(() => fresh);
    }, 'Loaded the latest version.');
  const takeBack = (key: SectionKey) => {
    if (!kept) return;
    setDraft((d) => d && { ...d, [key]: kept.draft[key] });
    const rest = kept.sections.filter((s) => s !== key);
    setKept(rest.length ? { ...kept, sections: rest } : null);
  };

  const set = <K extends SectionKey>(key: K, value: Draft[K]) => setDraft((d) => d && { ...d, [key]: value });
  const hintsFor = (prefix: string) => p.hints.filter((h) => h.section === prefix || h.section.startsWith(`${prefix}[`) || h.section.startsWith(`${prefix}.`));

  return (
    <article className="postmortem" aria-labelledby="pm-title">
      <p className="crumbs">
        <Link to="/postmortems">← Postmortems</Link> · <Link to={`/incidents/${p.incident.ref}`}>{p.incident.ref}</Link>
      </p>
      <h1 id="pm-title">
        Postmortem: <span className="ref">{p.incident.ref}</span> {p.incident.title}
      </h1>
      <div className="inc-badges big">
        <SeverityBadge severity={p.incident.severity} />
        <PostmortemStatusBadge status={p.status} />
        <OverdueBadge overdue={p.overdue} />
      </div>
      <p className="small-text">
        Revision {p.revision} · {p.status === 'completed' && p.completed_at ? <>completed <Time iso={p.completed_at} /></> : <>due <Time iso={p.due_at} /> (<Ago iso={p.due_at} />)</>} · owner {p.owner ?? 'none'} ·{' '}
        {p.source === 'auto' ? 'made automatically when the incident resolved' : `asked for by ${p.created_by}`}
        {p.published_at && (
          <>
            {' '}
            · published <Time iso={p.published_at} />
          </>
        )}
      </p>
      <ErrorNote error={pm.error} prefix="Could not refresh" />
      <div className="button-row">
        <a className="button" href={postmortemMarkdownUrl(p.id)} target="_blank" rel="noopener">
          Export Markdown
        </a>
      </div>

      <Facts content={p.content} />

      <section className="section" aria-labelledby="pm-write-h">
        <h2 id="pm-write-h">The review</h2>
        {completed && <p className="notice">Completed: this is the record. Reopen it for edits to change it.</p>}
        {!canAct && <p className="notice">You can read this postmortem; editing it needs the responder role.</p>}
        {dirty && p.revision !== base.revision && (
          <p className="notice" role="status">
            Someone saved revision {p.revision} since you started editing revision {base.revision}. Saving will say so; your text stays here.
          </p>
        )}
        {kept && (
          <KeptText kept={kept} onTakeBack={takeBack} onDismiss={() => setKept(null)} />
        )}
        <form
          className="pm-form"
          onSubmit={(e) => {
            e.preventDefault();
            void write({}, `Saved.`);
          }}
          aria-label="Postmortem sections"
        >
          <fieldset disabled={!editable} className="pm-sections">
            <legend className="sr-only">Sections</legend>
            <Prose id="pm-summary" label="Summary" value={draft.summary} onChange={(v) => set('summary', v)} rows={4} hint="What happened and its impact, in a few sentences." />
            <Prose id="pm-root" label="Root cause" value={draft.root_cause} onChange={(v) => set('root_cause', v)} rows={4} hints={hintsFor('root_cause')} hint="The system's failure, not a person's." />
            <Prose id="pm-resolution" label="Resolution" value={draft.resolution} onChange={(v) => set('resolution', v)} rows={4} />
            <Prose id="pm-prevention" label="Prevention (one measure per line)" value={draft.prevention} onChange={(v) => set('prevention', v)} rows={3} />
            <fieldset>
              <legend>Contributing factors (one per line)</legend>
              <div className="pm-grid">
                {FACTOR_KEYS.map((k) => (
                  <Prose key={k} id={`pm-factor-${k}`} label={FACTOR_NAMES[k]} value={draft.factors[k]} onChange={(v) => set('factors', { ...draft.factors, [k]: v })} rows={3} hints={hintsFor(`factors.${k}`)} />
                ))}
              </div>
            </fieldset>
            <fieldset>
              <legend>Lessons (one per line)</legend>
              <div className="pm-grid">
                {LESSON_KEYS.map((k) => (
                  <Prose key={k} id={`pm-lesson-${k}`} label={LESSON_NAMES[k]} value={draft.lessons[k]} onChange={(v) => set('lessons', { ...draft.lessons, [k]: v })} rows={3} />
                ))}
              </div>
            </fieldset>
            <fieldset>
              <legend>Five whys</legend>
              <ol className="pm-whys">
                {draft.five_whys.map((w, i) => (
                  <li key={i}>
                    <label htmlFor={`pm-why-q-${i}`}>Why {i + 1}: question</label>
                    <input id={`pm-why-q-${i}`} value={w.question} maxLength={2000} onChange={(e) => set('five_whys', draft.five_whys.map((x, j) => (j === i ? { ...x, question: e.target.value } : x)))} />
                    <label htmlFor={`pm-why-a-${i}`}>Why {i + 1}: answer</label>
                    <textarea id={`pm-why-a-${i}`} rows={2} value={w.answer} maxLength={2000} onChange={(e) => set('five_whys', draft.five_whys.map((x, j) => (j === i ? { ...x, answer: e.target.value } : x)))} />
                    <Hints hints={hintsFor(`five_whys[${i}]`).filter((h) => h.section === `five_whys[${i}]`)} />
                  </li>
                ))}
              </ol>
            </fieldset>
            <label htmlFor="pm-note">What changed (optional, for the revision list)</label>
            <input id="pm-note" value={note} onChange={(e) => setNote(e.target.value)} maxLength={500} />
          </fieldset>
          {editable && (
            <div className="button-row pm-save">
              <button type="submit" className="primary" disabled={save.busy || !dirty}>
                {save.busy ? 'Saving…' : dirty ? 'Save' : 'Saved'}
              </button>
              <span className="muted small-text">{dirty ? `Unsaved: ${changedSections(draft, base.draft).map((k) => SECTION_NAMES[k].toLowerCase()).join(', ')}.` : `Revision ${base.revision}, nothing unsaved.`}</span>
            </div>
          )}
          {conflict !== null ? (
            <div className="error" role="alert">
              <p>
                Not saved: someone else saved revision {conflict} while you were editing revision {base.revision}. Your text is still in the form. Load the latest version to see theirs; your
                text will be kept beside it to copy or take back.
              </p>
              <button type="button" onClick={loadLatest} disabled={latest.busy}>
                Load the latest version
              </button>
              <ErrorNote error={latest.error} />
            </div>
          ) : (
            from === 'form' && <ErrorNote error={save.error} />
          )}
          {from === 'form' && <DoneNote text={save.done} />}
        </form>
      </section>

      {canAct && (
        <StatusAndOwner p={p} busy={save.busy} dirty={dirty} onWrite={(extra, success) => write(extra, success, 'status')}>
          {from === 'status' && conflict === null && <ErrorNote error={save.error} />}
          {from === 'status' && <DoneNote text={save.done} />}
        </StatusAndOwner>
      )}

      <ActionItemsPanel incidentRef={p.incident.ref} items={p.action_items} canAct={canAct} onChanged={pm.reload} />

      {canAct && <Publish p={p} onPublished={(v) => pm.replace(() => v)} />}

      <Revisions id={p.id} revision={p.revision} />
    </article>
  );
}

function Prose({ id, label, value, onChange, rows, hint, hints = [] }: { id: string; label: string; value: string; onChange: (v: string) => void; rows: number; hint?: string; hints?: BlamelessHint[] }) {
  return (
    <div className="pm-field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="muted small-text" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <textarea id={id} rows={rows} value={value} onChange={(e) => onChange(e.target.value)} maxLength={20_000} aria-describedby={[hint ? `${id}-hint` : '', hints.length ? `${id}-blameless` : ''].filter(Boolean).join(' ') || undefined} />
      <Hints hints={hints} id={`${id}-blameless`} />
    </div>
  );
}

/** Names found in text meant to be blameless: advice next to the text, never a refusal. */
function Hints({ hints, id }: { hints: BlamelessHint[]; id?: string }) {
  if (!hints.length) return null;
  return (
    <ul className="plain pm-hints" id={id}>
      {hints.map((h) => (
        <li key={`${h.section}:${h.match}`} className="notice small-text" data-section={h.section}>
          <strong>Blameless language:</strong> {h.message}
        </li>
      ))}
    </ul>
  );
}

function KeptText({ kept, onTakeBack, onDismiss }: { kept: { revision: number; draft: Draft; sections: SectionKey[] }; onTakeBack: (k: SectionKey) => void; onDismiss: () => void }) {
  return (
    <section className="card pm-kept" aria-labelledby="pm-kept-h">
      <h3 id="pm-kept-h">Your unsaved text (written on revision {kept.revision})</h3>
      <p className="small-text">The form now shows the latest version. Copy from here, or take a section back into the form, then save.</p>
      {kept.sections.map((k) => (
        <div key={k} className="pm-field">
          <label htmlFor={`kept-${k}`}>Your {SECTION_NAMES[k].toLowerCase()}</label>
          <textarea id={`kept-${k}`} readOnly rows={3} value={sectionText(kept.draft, k)} />
          <button type="button" className="small" onClick={() => onTakeBack(k)}>
            Use my {SECTION_NAMES[k].toLowerCase()}
          </button>
        </div>
      ))}
      <button type="button" className="small" onClick={onDismiss}>
        Done with my old text
      </button>
    </section>
  );
}

const METRICS: { key: keyof PostmortemContent['metrics']; label: string }[] = [
  { key: 'time_to_detect', label: 'Time to detect' },
  { key: 'time_to_acknowledge', label: 'Time to acknowledge' },
  { key: 'time_to_respond', label: 'Time to respond' },
  { key: 'time_to_resolve', label: 'Time to resolve' },
];

/** What Firebreak recorded when the postmortem was made: not editable. */
function Facts({ content: c }: { content: PostmortemContent }) {
  const inc = c.incident;
  const ms = (v: number | null) => (v === null ? 'not measured' : formatDuration(v));
  return (
    <section className="section" aria-labelledby="pm-facts-h">
      <h2 id="pm-facts-h">Facts</h2>
      <dl className="facts card">
        <div>
          <dt>Started (detected)</dt>
          <dd>
            <Time iso={inc.start} />
          </dd>
        </div>
        <div>
          <dt>Ended (resolved)</dt>
          <dd>{inc.end ? <Time iso={inc.end} /> : 'not resolved'}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{inc.duration_ms === null ? 'unknown' : formatDuration(inc.duration_ms)}</dd>
        </div>
        <div>
          <dt>Impact</dt>
          <dd>
            {inc.impact.customer_facing ? 'Customer-facing' : 'Internal'} · {Math.round(inc.impact.user_share * 100)}% of users · services {inc.impact.services.join(', ') || 'none'}
            {inc.impact.impacted_services.length > 0 && <> · reaches {inc.impact.impacted_services.join(', ')}</>}
            {inc.impact.highest_tier && <> · tier {inc.impact.highest_tier}</>}
          </dd>
        </div>
        <div>
          <dt>Detection</dt>
          <dd>
            {c.detection.method.replace(/_/g, ' ')}
            {c.detection.fingerprint && <> · alert {c.detection.fingerprint}</>} · detected <Time iso={c.detection.detected_at} />, triggered <Time iso={c.detection.triggered_at} />
          </dd>
        </div>
      </dl>
      <table className="pm-metrics">
        <caption>Response times against the targets</caption>
        <thead>
          <tr>
            <th scope="col">Measure</th>
            <th scope="col">Took</th>
            <th scope="col">Target</th>
            <th scope="col">Met the target</th>
          </tr>
        </thead>
        <tbody>
          {METRICS.map(({ key, label }) => {
            const m = c.metrics[key];
            return (
              <tr key={key} data-metric={key}>
                <th scope="row">{label}</th>
                <td>{ms(m.actual_ms)}</td>
                <td>{m.target_ms === null ? 'none' : formatDuration(m.target_ms)}</td>
                <td className={m.met === null ? 'muted' : m.met ? 'ok-text' : 'bad-text'}>{m.met === null ? 'Not measurable' : m.met ? 'Yes' : 'No, missed'}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <details className="pm-timeline">
        <summary>Incident timeline ({c.timeline.length} entries)</summary>
        <ol className="plain">
          {c.timeline.map((e, i) => (
            <li key={i}>
              <Time iso={e.at} /> · <strong>{e.kind.replace(/_/g, ' ')}</strong> · {e.actor}: <span className="prewrap">{e.body}</span>
            </li>
          ))}
        </ol>
      </details>
    </section>
  );
}

function StatusAndOwner({ p, busy, dirty, onWrite, children }: { p: PostmortemView; busy: boolean; dirty: boolean; onWrite: (extra: Partial<UpdatePostmortemInput>, success: string) => Promise<void>; children: ReactNode }) {
  const [owner, setOwner] = useState(p.owner ?? '');
  useEffect(() => setOwner(p.owner ?? ''), [p.owner]);
  const users = useAsync(() => api.users().then((r) => r.data.filter((u: UserView) => !u.disabled)), 'users');
  return (
    <section className="section" aria-labelledby="pm-status-h">
      <h2 id="pm-status-h">Status and owner</h2>
      <div className="card">
        <p>
          Now <PostmortemStatusBadge status={p.status} />. Draft, then in review, then completed; completing needs a summary and a root cause.
          {dirty && ' Your unsaved text is saved with the change.'}
        </p>
        <div className="button-row" role="group" aria-label="Change postmortem status">
          {MOVES[p.status].map((m) => (
            <button key={m.to} type="button" disabled={busy} className={m.to === 'completed' ? 'primary' : undefined} onClick={() => void onWrite({ status: m.to }, `Postmortem is now ${POSTMORTEM_STATUS_WORDS[m.to].toLowerCase()}.`)}>
              {m.label}
            </button>
          ))}
        </div>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            void onWrite({ owner: owner.trim() || null }, owner.trim() ? `${owner.trim()} owns the postmortem.` : 'The postmortem has no owner now.');
          }}
        >
          <label htmlFor="pm-owner">Owner (handle; empty for nobody)</label>
          <input id="pm-owner" list="pm-users" value={owner} onChange={(e) => setOwner(e.target.value)} autoCapitalize="none" spellCheck={false} />
          <datalist id="pm-users">
            {users.data?.map((u) => (
              <option key={u.handle} value={u.handle}>
                {u.name}
              </option>
            ))}
          </datalist>
          <button type="submit" disabled={busy || owner.trim() === (p.owner ?? '')}>
            Change owner
          </button>
        </form>
        {children}
      </div>
    </section>
  );
}

function Publish({ p, onPublished }: { p: PostmortemView; onPublished: (v: PostmortemView) => void }) {
  const [body, setBody] = useState('');
  const [notify, setNotify] = useState(false);
  const action = useAction();
  const publish = () =>
    void action.run(async () => {
      const r = await api.publishPostmortem(p.id, { body: body.trim() || undefined, deliver_notifications: notify });
      setBody(r.body);
      onPublished(r.postmortem);
    }, 'Published on the status page. The text below is what customers see; publishing again replaces it.');
  return (
    <section className="section" aria-labelledby="pm-pub-h">
      <h2 id="pm-pub-h">Publish to the status page</h2>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          publish();
        }}
      >
        <p className="small-text">
          {p.published_at ? (
            <>
              Last published <Time iso={p.published_at} />.
            </>
          ) : (
            'Not published yet.'
          )}{' '}
          It is attached to the incident's public status-page incident, which must exist and be resolved there. The internal timeline is never included.
        </p>
        <label htmlFor="pm-pub-body">Text for customers</label>
        <p className="muted small-text" id="pm-pub-body-hint">
          Leave it empty to build it from the summary, resolution and prevention, with people's names replaced by “our team”.
        </p>
        <textarea id="pm-pub-body" rows={6} value={body} onChange={(e) => setBody(e.target.value)} maxLength={100_000} aria-describedby="pm-pub-body-hint" />
        <label className="check">
          <input type="checkbox" checked={notify} onChange={(e) => setNotify(e.target.checked)} />
          Notify the status page's subscribers
        </label>
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Publishing…' : 'Publish'}
        </button>
        <DoneNote text={action.done} />
        <ErrorNote error={action.error} prefix="Not published" />
      </form>
    </section>
  );
}

function Revisions({ id, revision }: { id: string; revision: number }) {
  const revs = useAsync(() => api.postmortemRevisions(id), `${id}@${revision}`);
  const list = [...(revs.data?.data ?? [])].reverse();
  let body: ReactNode = null;
  if (list.length) {
    body = (
      <ol className="plain pm-revisions" aria-label="Revisions, newest first">
        {list.map((r) => (
          <li key={r.revision} data-revision={r.revision}>
            <strong>Revision {r.revision}</strong> · <Time iso={r.at} /> · by {r.actor.name} · {POSTMORTEM_STATUS_WORDS[r.status].toLowerCase()}
            {r.changed.length > 0 && <> · changed {r.changed.map((c) => c.replace(/_/g, ' ')).join(', ')}</>}
            {r.note && <> · “{r.note}”</>}
          </li>
        ))}
      </ol>
    );
  }
  return (
    <section className="section" aria-labelledby="pm-rev-h">
      <h2 id="pm-rev-h">Revisions</h2>
      <ErrorNote error={revs.error} prefix="Could not load the revisions" />
      {body}
    </section>
  );
}
