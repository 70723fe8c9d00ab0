import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { UserView } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { useAction } from '../lib/use-action.ts';

const MIN = 12;

/**
 * The first-run admin (and anyone whose password was reset) sets their own password before
 * anything else. The password they signed in with is kept in memory only for this form.
 */
export function ChangePassword({ user, knownPassword, onDone, onSignOut }: { user: UserView; knownPassword: string | null; onDone: (u: UserView) => void; onSignOut: () => void }) {
  const [current, setCurrent] = useState(knownPassword ?? '');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const action = useAction();
  const [mismatch, setMismatch] = useState<Error | null>(null);
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Set a new password · Firebreak';
    first.current?.focus();
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (next.length < MIN) return setMismatch(new Error(`The new password must be at least ${MIN} characters.`));
    if (next !== again) return setMismatch(new Error('The two new passwords differ.'));
    setMismatch(null);
    void action.run(async () => {
      await api.changePassword({ current_password: current, new_password: next });
      onDone(await api.me());
    }, 'Password set.');
  };
  const busy = action.busy;
  const error = mismatch ?? action.error;

  return (
    <main id="main" className="auth">
      <h1>Firebreak</h1>
      <form className="card auth-card" onSubmit={submit} aria-labelledby="pw-h">
        <h2 id="pw-h">Set a new password</h2>
        <p>
          Signed in as <strong>{user.handle}</strong>. Choose your own password before you go on: the one you signed in with was{' '}
          {knownPassword ? 'generated or set for you' : 'set for you'}.
        </p>
        {knownPassword === null && (
          <>
            <label htmlFor="current">Current password</label>
            <input id="current" ref={first} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          </>
        )}
        <label htmlFor="new-password">New password (at least {MIN} characters)</label>
        <input id="new-password" ref={knownPassword === null ? undefined : first} type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />
        <label htmlFor="new-password-again">New password again</label>
        <input id="new-password-again" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : 'Set password and continue'}
        </button>
        <button type="button" className="link" onClick={onSignOut}>
          Sign out
        </button>
      </form>
    </main>
  );
}
