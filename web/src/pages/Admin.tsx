import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api } from '../api/client.ts';
import type { CreatedToken, Role, TokenScope, TokenView, UserView } from '../api/types.ts';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';

const ROLES: Role[] = ['viewer', 'responder', 'admin'];
const SCOPES: { value: TokenScope; label: string }[] = [
  { value: 'read', label: 'read (look)' },
  { value: 'write', label: 'write (act on incidents)' },
  { value: 'admin', label: 'admin (users, tokens)' },
];

/** Users and API tokens, for admins (the server refuses everyone else). */
export function Admin() {
  const { user } = useSession();
  useEffect(() => {
    document.title = 'Admin · Firebreak';
  }, []);
  if (!hasRole(user, 'admin')) {
    return (
      <>
        <h1>Admin</h1>
        <p className="error" role="alert">
          Not allowed: managing users and tokens needs the admin role.
        </p>
      </>
    );
  }
  return (
    <>
      <h1>Admin</h1>
      <Users me={user.handle} />
      <Tokens />
    </>
  );
}

/** A secret the server shows once: in text, selectable, with a copy button; gone when dismissed. */
function OneTime({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState<string | null>(null);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Could not copy: select the text and copy it yourself.');
    }
  };
  return (
    <div className="notice secret" role="region" aria-label={label} tabIndex={-1} ref={box}>
      <p>
        <strong>{label}</strong> — shown this once only; Firebreak keeps no copy it can show again.
      </p>
      <p>
        <code className="secret-value" data-secret>
          {value}
        </code>
      </p>
      <div className="button-row">
        <button type="button" className="small" onClick={() => void copy()}>
          Copy
        </button>
        <button type="button" className="small" onClick={onDone}>
          Done, hide it
        </button>
      </div>
      {copied && (
        <p role="status" className="small-text">
          {copied}
        </p>
      )}
    </div>
  );
}

function Users({ me }: { me: string }) {
  const users = useAsync(() => api.users(), 'admin-users');
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const update = (u: UserView) => users.replace((old) => old && { data: old.data.map((x) => (x.handle === u.handle ? u : x)) });
  return (
    <section className="section" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      <ErrorNote error={users.error} prefix="Could not load the users" />
      {secret && <OneTime label={secret.label} value={secret.value} onDone={() => setSecret(null)} />}
      <ul className="admin-list" aria-label="Users">
        {users.data?.data.map((u) => (
          <UserRow key={u.id} user={u} me={u.handle === me} onChanged={update} onSecret={setSecret} />
        ))}
      </ul>
      <CreateUser
        onCreated={(u, password) => {
          users.replace((old) => old && { data: [...old.data, u] });
          if (password) setSecret({ label: `One-time password for ${u.handle}`, value: password });
        }}
      />
    </section>
  );
}

function UserRow({ user, me, onChanged, onSecret }: { user: UserView; me: boolean; onChanged: (u: UserView) => void; onSecret: (s: { label: string; value: string }) => void }) {
  const [role, setRole] = useState<Role>(user.role);
  const action = useAction();
  const id = `role-${user.handle}`;
  return (
    <li className="admin-row" data-handle={user.handle}>
      <div className="admin-row-head">
        <strong>{user.handle}</strong> <span>{user.name}</span> <span className="muted small-text">{user.email}</span>
        <span className="badge muted-badge">{user.role}</span>
        {user.disabled && <span className="badge tone-bad">Disabled</span>}
        {user.must_change_password && <span className="badge tone-wait">Must set a new password</span>}
        {me && <span className="muted small-text">(you)</span>}
      </div>
      <form
        className="admin-row-actions"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => onChanged(await api.updateUser(user.handle, { role })), `${user.handle} is now ${role}.`);
        }}
      >
        <label htmlFor={id} className="inline-label">
          Role for {user.handle}
        </label>
        <select id={id} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
        <button type="submit" className="small" disabled={action.busy || role === user.role}>
          Change role
        </button>
        <button
          type="button"
          className="small"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => onChanged(await api.updateUser(user.handle, { disabled: !user.disabled })), `${user.handle} is ${user.disabled ? 'enabled' : 'disabled'}.`)
          }
        >
          {user.disabled ? `Enable ${user.handle}` : `Disable ${user.handle}`}
        </button>
        <button
          type="button"
          className="small"
          disabled={action.busy}
          onClick={() =>
            void action.run(async () => {
              const r = await api.resetPassword(user.handle);
              onChanged(r.user);
              onSecret({ label: `New one-time password for ${user.handle}`, value: r.generated_password });
            }, `${user.handle}'s password was reset; they are signed out everywhere.`)
          }
        >
          Reset password for {user.handle}
        </button>
      </form>
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
    </li>
  );
}

function CreateUser({ onCreated }: { onCreated: (u: UserView, password: string | null) => void }) {
  const [handle, setHandle] = useState('');
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('responder');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void action.run(async () => {
      const r = await api.createUser({ handle: handle.trim(), name: name.trim(), email: email.trim(), role });
      onCreated(r.user, r.generated_password);
      setHandle('');
      setName('');
      setEmail('');
    }, `User ${handle.trim()} created.`);
  };
  return (
    <form className="card panel admin-form" onSubmit={submit} aria-labelledby="new-user-h">
      <h3 id="new-user-h">Add a user</h3>
      <p className="small-text muted">Firebreak generates a one-time password, shown once; they choose their own at first sign-in.</p>
      <label htmlFor="nu-handle">Handle</label>
      <input id="nu-handle" required autoComplete="off" value={handle} onChange={(e) => setHandle(e.target.value)} />
      <label htmlFor="nu-name">Name</label>
      <input id="nu-name" required value={name} onChange={(e) => setName(e.target.value)} />
      <label htmlFor="nu-email">Email</label>
      <input id="nu-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      <label htmlFor="nu-role">Role</label>
      <select id="nu-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
        {ROLES.map((r) => (
          <option key={r} value={r}>
            {r}
          </option>
        ))}
      </select>
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
      <button type="submit" className="primary" disabled={action.busy}>
        {action.busy ? 'Adding…' : 'Add user'}
      </button>
    </form>
  );
}

function Tokens() {
  const tokens = useAsync(() => api.tokens(), 'admin-tokens');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const revoke = useAction();
  const list = [...(tokens.data?.data ?? [])].sort((a, b) => Number(!!a.revoked_at) - Number(!!b.revoked_at) || b.created_at.localeCompare(a.created_at));
  return (
    <section className="section" aria-labelledby="tokens-h">
      <h2 id="tokens-h">API tokens</h2>
      <ErrorNote error={tokens.error} prefix="Could not load the tokens" />
      {created && <OneTime label={`Token ${created.name}`} value={created.token} onDone={() => setCreated(null)} />}
      <ErrorNote error={revoke.error} />
      <DoneNote text={revoke.done} />
      {tokens.data && !list.length && <p className="empty">No API tokens yet.</p>}
      <ul className="admin-list" aria-label="API tokens">
        {list.map((t) => (
          <li key={t.id} className="admin-row" data-token={t.name}>
            <div className="admin-row-head">
              <strong>{t.name}</strong> <code>{t.prefix}…</code> <span className="small-text">as {t.user}</span> <span className="small-text">· {t.scopes.join(', ')}</span>
              {t.revoked_at ? <span className="badge tone-bad">Revoked</span> : <span className="badge tone-ok">Active</span>}
            </div>
            <p className="small-text muted">
              Created <Time iso={t.created_at} />
              {t.expires_at && (
                <>
                  {' '}
                  · expires <Time iso={t.expires_at} />
                </>
              )}{' '}
              · {t.last_used_at ? <>last used <Ago iso={t.last_used_at} /></> : 'never used'}
              {t.revoked_at && (
                <>
                  {' '}
                  · revoked <Ago iso={t.revoked_at} />
                </>
              )}
            </p>
            {!t.revoked_at && (
              <button
                type="button"
                className="small"
                disabled={revoke.busy}
                onClick={() =>
                  void revoke.run(async () => {
                    await api.revokeToken(t.id);
                    tokens.reload();
                  }, `Token ${t.name} revoked.`)
                }
              >
                Revoke {t.name}
              </button>
            )}
          </li>
        ))}
      </ul>
      <CreateToken
        onCreated={(t) => {
          setCreated(t);
          const { token: _secret, ...view } = t;
          tokens.replace((old) => old && { data: [view satisfies TokenView, ...old.data] });
        }}
      />
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (t: CreatedToken) => void }) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<TokenScope[]>(['read', 'write']);
  const [user, setUser] = useState('');
  const [days, setDays] = useState('');
  const action = useAction();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!scopes.length) return;
    void action.run(async () => {
      const t = await api.createToken({ name: name.trim(), scopes, user: user.trim() || undefined, expires_in_days: days ? Number(days) : undefined });
      onCreated(t);
      setName('');
      setUser('');
      setDays('');
    }, `Token ${name.trim()} created.`);
  };
  return (
    <form className="card panel admin-form" onSubmit={submit} aria-labelledby="new-token-h">
      <h3 id="new-token-h">Create a token</h3>
      <label htmlFor="nt-name">Token name</label>
      <input id="nt-name" required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
      <fieldset>
        <legend>Scopes</legend>
        <div className="checks">
          {SCOPES.map((s) => (
            <label key={s.value} className="check">
              <input
                type="checkbox"
                checked={scopes.includes(s.value)}
                onChange={(e) => setScopes((old) => (e.target.checked ? [...old, s.value] : old.filter((x) => x !== s.value)))}
              />
              {s.label}
            </label>
          ))}
        </div>
      </fieldset>
      {!scopes.length && <p className="error">Choose at least one scope.</p>}
      <label htmlFor="nt-user">Acts as (handle; empty for you)</label>
      <input id="nt-user" autoComplete="off" value={user} onChange={(e) => setUser(e.target.value)} />
      <label htmlFor="nt-days">Expires after (days; empty for never)</label>
      <input id="nt-days" type="number" min={1} max={3650} inputMode="numeric" value={days} onChange={(e) => setDays(e.target.value)} />
      <ErrorNote error={action.error} />
      <DoneNote text={action.done} />
      <button type="submit" className="primary" disabled={action.busy || !scopes.length}>
        {action.busy ? 'Creating…' : 'Create token'}
      </button>
    </form>
  );
}
