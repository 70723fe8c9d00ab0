import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { LoginResult } from '../api/types.ts';
import { ErrorNote } from '../components/Feedback.tsx';
import { useAction } from '../lib/use-action.ts';

/** Sign in with handle and password; the session is an HttpOnly cookie the page never sees. */
export function SignIn({ onSignedIn, notice }: { onSignedIn: (r: LoginResult, password: string) => void; notice: string | null }) {
  const [handle, setHandle] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction();
  const handleRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    document.title = 'Sign in · Firebreak';
    handleRef.current?.focus();
  }, []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => onSignedIn(await api.login({ handle: handle.trim(), password }), password), 'Signed in.');
  };
  const { busy, error } = action;

  return (
    <main id="main" className="auth">
      <h1>Firebreak</h1>
      <form className="card auth-card" onSubmit={submit} aria-labelledby="signin-h">
        <h2 id="signin-h">Sign in</h2>
        {notice && !error && <p className="notice" role="status">{notice}</p>}
        <label htmlFor="handle">Handle</label>
        <input id="handle" ref={handleRef} name="username" autoComplete="username" autoCapitalize="none" spellCheck={false} required value={handle} onChange={(e) => setHandle(e.target.value)} />
        <label htmlFor="password">Password</label>
        <input id="password" type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        <ErrorNote error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
      <p className="muted">
        The public status page is at <a href="/status">/status</a>.
      </p>
    </main>
  );
}
