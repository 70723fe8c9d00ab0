import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, api, errorMessage, setUnauthenticatedHandler } from './api/client.ts';
import type { UserView } from './api/types.ts';
import { ConnectionIndicator } from './components/ConnectionIndicator.tsx';
import { forgetConfigData } from './lib/config-data.ts';
import { Link, useLocation } from './lib/router.tsx';
import { hasRole, SessionContext, type Session } from './lib/session.ts';
import { live } from './live/live.ts';
import { ChangePassword } from './pages/ChangePassword.tsx';
import { Declare } from './pages/Declare.tsx';
import { IncidentList } from './pages/IncidentList.tsx';
import { IncidentPage } from './pages/IncidentPage.tsx';
import { NotFound } from './pages/NotFound.tsx';
import { OnCall } from './pages/OnCall.tsx';
import { Services } from './pages/Services.tsx';
import { Monitors } from './pages/Monitors.tsx';
import { Admin } from './pages/Admin.tsx';
import { ActionItems } from './pages/ActionItems.tsx';
import { Analytics } from './pages/Analytics.tsx';
import { PostmortemPage } from './pages/PostmortemPage.tsx';
import { Postmortems } from './pages/Postmortems.tsx';
import { SignIn } from './pages/SignIn.tsx';
import { Runbooks } from './pages/Runbooks.tsx';
import { RunbookPage } from './pages/RunbookPage.tsx';
import { RunbookRunPage } from './pages/RunbookRunPage.tsx';
import { Drills } from './pages/Drills.tsx';
import { DrillPage } from './pages/DrillPage.tsx';
import { DrillRunPage } from './pages/DrillRunPage.tsx';
import { Recovery } from './pages/Recovery.tsx';

/** Session first: signed out → sign in; must change password → that, before anything else. */
export function App() {
  const [user, setUser] = useState<UserView | null | undefined>(undefined);
  const [bootError, setBootError] = useState<unknown>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [knownPassword, setKnownPassword] = useState<string | null>(null);

  const load = useCallback(() => {
    setBootError(null);
    api.me().then(setUser, (err: unknown) => (err instanceof ApiError && err.status === 401 ? setUser(null) : setBootError(err)));
  }, []);
  useEffect(load, [load]);
  useEffect(() => {
    setUnauthenticatedHandler(() => {
      setUser(null);
      setNotice('Your session ended; sign in again.');
    });
  }, []);
  const ready = !!user && !user.must_change_password;
  useEffect(() => {
    if (ready) live.start();
    else live.stop();
  }, [ready]);

  const signOut = useCallback(async () => {
    try {
      await api.logout();
    } catch {
      // Signed out already, or the server is away: the page forgets the session either way.
    }
    live.stop();
    forgetConfigData();
    setKnownPassword(null);
    setNotice('You are signed out.');
    setUser(null);
  }, []);
  const session = useMemo<Session | null>(() => (user ? { user, signOut } : null), [user, signOut]);

  if (user === undefined) {
    return (
      <main id="main" className="auth">
        <h1>Firebreak</h1>
        {bootError ? (
          <>
            <p className="error" role="alert">
              {errorMessage(bootError)}
            </p>
            <button type="button" onClick={load}>
              Try again
            </button>
          </>
        ) : (
          <p role="status">Loading…</p>
        )}
      </main>
    );
  }
  if (user === null) {
    return (
      <SignIn
        notice={notice}
        onSignedIn={(r, password) => {
          setNotice(null);
          setKnownPassword(r.password_change_required ? password : null);
          setUser(r.user);
        }}
      />
    );
  }
  if (user.must_change_password) {
    return (
      <ChangePassword
        user={user}
        knownPassword={knownPassword}
        onSignOut={() => void signOut()}
        onDone={(u) => {
          setKnownPassword(null);
          setUser(u);
        }}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <Shell user={user} signOut={signOut} />
    </SessionContext.Provider>
  );
}

function Shell({ user, signOut }: { user: UserView; signOut: () => Promise<void> }) {
  const { path } = useLocation();
  const [signingOut, setSigningOut] = useState(false);
  const firstPath = useRef(true);
  useEffect(() => {
    // After moving to another page, focus goes to its content (unless the page put it somewhere).
    if (firstPath.current) {
      firstPath.current = false;
      return;
    }
    if (!document.activeElement || document.activeElement === document.body) document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  const nav = [
    { to: '/incidents', label: 'Incidents', active: path === '/' || (path.startsWith('/incidents') && path !== '/incidents/new') },
    ...(hasRole(user, 'responder') ? [{ to: '/incidents/new', label: 'Declare', active: path === '/incidents/new' }] : []),
    { to: '/on-call', label: 'On call', active: path === '/on-call' },
    { to: '/services', label: 'Services', active: path === '/services' },
    { to: '/monitors', label: 'Monitors', active: path === '/monitors' },
    { to: '/postmortems', label: 'Postmortems', active: path.startsWith('/postmortems') },
    { to: '/action-items', label: 'Action items', active: path === '/action-items' },
    { to: '/analytics', label: 'Analytics', active: path === '/analytics' },
    { to: '/runbooks', label: 'Runbooks', active: path.startsWith('/runbook') },
    { to: '/drills', label: 'Drills', active: path.startsWith('/drill') },
    { to: '/recovery', label: 'Recovery', active: path === '/recovery' },
    ...(hasRole(user, 'admin') ? [{ to: '/admin', label: 'Admin', active: path === '/admin' }] : []),
  ];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <div className="top-row">
          <Link to="/incidents" className="brand">
            Firebreak
          </Link>
          <ConnectionIndicator />
          <div className="who">
            <span className="who-name" title={`${user.name} (${user.role})`}>
              {user.handle} <span className="muted">· {user.role}</span>
            </span>
            <button
              type="button"
              className="small"
              disabled={signingOut}
              onClick={() => {
                setSigningOut(true);
                void signOut();
              }}
            >
              Sign out
            </button>
          </div>
        </div>
        <nav aria-label="Main">
          <ul>
            {nav.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.active ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" tabIndex={-1}>
        <Route path={path} />
      </main>
    </>
  );
}

function Route({ path }: { path: string }) {
  if (path === '/' || path === '/incidents') return <IncidentList />;
  if (path === '/incidents/new' || path === '/declare') return <Declare />;
  const m = /^\/incidents\/([^/]+)$/.exec(path);
  if (m) return <IncidentPage key={m[1]} incidentRef={decodeURIComponent(m[1])} />;
  if (path === '/on-call') return <OnCall />;
  if (path === '/services') return <Services />;
  if (path === '/monitors') return <Monitors />;
  if (path === '/postmortems') return <Postmortems />;
  const pm = /^\/postmortems\/([^/]+)$/.exec(path);
  if (pm) return <PostmortemPage key={pm[1]} postmortemId={decodeURIComponent(pm[1])} />;
  if (path === '/action-items') return <ActionItems />;
  if (path === '/analytics') return <Analytics />;
  if (path === '/admin') return <Admin />;
  if (path === '/runbooks') return <Runbooks />;
  const rb = /^\/runbooks\/([^/]+)$/.exec(path);
  if (rb) return <RunbookPage key={rb[1]} runbookId={decodeURIComponent(rb[1])} />;
  const run = /^\/runbook-runs\/([^/]+)$/.exec(path);
  if (run) return <RunbookRunPage key={run[1]} runId={decodeURIComponent(run[1])} />;
  if (path === '/drills') return <Drills />;
  const drill = /^\/drills\/([^/]+)$/.exec(path);
  if (drill) return <DrillPage key={drill[1]} drillId={decodeURIComponent(drill[1])} />;
  const drillRun = /^\/drill-runs\/([^/]+)$/.exec(path);
  if (drillRun) return <DrillRunPage key={drillRun[1]} drillRunId={decodeURIComponent(drillRun[1])} />;
  if (path === '/recovery') return <Recovery />;
  return <NotFound />;
}
