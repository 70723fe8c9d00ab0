import { useState, type FormEvent, type RefObject } from 'react';
import { api } from '../api/client.ts';
import type { IncidentView, TimelineEntryView } from '../api/types.ts';
import { useShortcut } from '../lib/shortcuts.ts';
import { useAction } from '../lib/use-action.ts';
import { DoneNote, ErrorNote } from './Feedback.tsx';

/** A note on the timeline; `n` puts the cursor here. */
export function NoteForm({ incident, onChanged, boxRef }: { incident: IncidentView; onChanged: (view?: IncidentView, entry?: TimelineEntryView) => void; boxRef: RefObject<HTMLTextAreaElement | null> }) {
  const [body, setBody] = useState('');
  const action = useAction();
  useShortcut('n', () => boxRef.current?.focus());
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) return;
    if (await action.run(async () => onChanged(undefined, await api.addNote(incident.ref, { body: text })), 'Note added to the timeline.')) setBody('');
  };
  return (
    <form className="card panel" onSubmit={submit} aria-labelledby="note-h">
      <h3 id="note-h">Add a note</h3>
      <label htmlFor="note-body">Note (for the timeline)</label>
      <textarea id="note-body" ref={boxRef} rows={3} maxLength={10_000} value={body} onChange={(e) => setBody(e.target.value)} aria-keyshortcuts="n" onKeyDown={(e) => {
        // Ctrl/Cmd+Enter sends, as in most chat and ticket tools.
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) void submit(e);
      }} />
      <button type="submit" disabled={action.busy || !body.trim()}>
        {action.busy ? 'Adding…' : 'Add note'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}

/** An update to the stakeholders told about this incident (restarts the update-cadence reminder). */
export function StakeholderUpdateForm({ incident, onChanged }: { incident: IncidentView; onChanged: (view?: IncidentView, entry?: TimelineEntryView) => void }) {
  const [body, setBody] = useState('');
  const action = useAction();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) return;
    if (await action.run(async () => onChanged(undefined, await api.postUpdate(incident.ref, { body: text })), 'Stakeholder update sent.')) setBody('');
  };
  return (
    <form className="card panel" onSubmit={submit} aria-labelledby="upd-h">
      <h3 id="upd-h">Stakeholder update</h3>
      <label htmlFor="upd-body">Update (sent to the stakeholder groups told about this incident)</label>
      <textarea id="upd-body" rows={3} maxLength={5000} value={body} onChange={(e) => setBody(e.target.value)} />
      <button type="submit" disabled={action.busy || !body.trim()}>
        {action.busy ? 'Sending…' : 'Post update'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}

/** A workaround or a rollback: a timeline entry of its own kind, for the postmortem and the analytics. */
export function MitigationForm({ incident, onChanged }: { incident: IncidentView; onChanged: (view?: IncidentView, entry?: TimelineEntryView) => void }) {
  const [kind, setKind] = useState<'workaround' | 'rollback'>('workaround');
  const [body, setBody] = useState('');
  const [change, setChange] = useState('');
  const action = useAction();
  const closed = incident.state === 'closed';
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) return;
    const input = { kind, body: text, ...(change.trim() ? { change: change.trim() } : {}) };
    if (await action.run(async () => onChanged(undefined, await api.recordMitigation(incident.ref, input)), kind === 'rollback' ? 'Rollback recorded.' : 'Workaround recorded.')) {
      setBody('');
      setChange('');
    }
  };
  return (
    <form className="card panel" onSubmit={submit} aria-labelledby="mit-h">
      <h3 id="mit-h">Workaround or rollback</h3>
      <fieldset disabled={closed}>
        <legend>What was done</legend>
        <label className="check">
          <input type="radio" name="mit-kind" checked={kind === 'workaround'} onChange={() => setKind('workaround')} /> A workaround
        </label>
        <label className="check">
          <input type="radio" name="mit-kind" checked={kind === 'rollback'} onChange={() => setKind('rollback')} /> A rollback
        </label>
      </fieldset>
      <label htmlFor="mit-body">What it did</label>
      <textarea id="mit-body" rows={2} maxLength={10_000} value={body} onChange={(e) => setBody(e.target.value)} disabled={closed} />
      <label htmlFor="mit-change">What it changed (optional: a deploy, a commit, a link)</label>
      <input id="mit-change" maxLength={500} value={change} onChange={(e) => setChange(e.target.value)} disabled={closed} />
      <button type="submit" disabled={action.busy || closed || !body.trim()}>
        {action.busy ? 'Recording…' : kind === 'rollback' ? 'Record rollback' : 'Record workaround'}
      </button>
      <DoneNote text={action.done} />
      <ErrorNote error={action.error} />
    </form>
  );
}
