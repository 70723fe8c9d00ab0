import { useEffect } from 'react';
import { api } from '../api/client.ts';
import type { BackupEntryView, BackupListing, RpoView } from '../api/types.ts';
import { Bar } from '../components/Bar.tsx';
import { Fact } from '../components/Fact.tsx';
import { DoneNote, ErrorNote } from '../components/Feedback.tsx';
import { objectiveTone, RpoStatusBadge } from '../components/RecoveryBadges.tsx';
import { Ago, Time } from '../components/Time.tsx';
import { hasRole, useSession } from '../lib/session.ts';
import { formatMeasured } from '../lib/time.ts';
import { useAction } from '../lib/use-action.ts';
import { useAsync } from '../lib/use-async.ts';

const secs = (s: number | null) => (s === null ? 'unknown' : formatMeasured(s * 1000));
/** Sizes in the unit that reads best: a fresh install's backup is kilobytes, a busy one's gigabytes. */
const size = (n: number) => (n < 1e3 ? `${n} B` : n < 1e6 ? `${(n / 1e3).toFixed(1)} kB` : n < 1e9 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e9).toFixed(2)} GB`);

/** Recovery objectives per service, each service's RPO exposure against its objective, and (admins) Firebreak's own backups. */
export function Recovery() {
  const { user } = useSession();
  const objectives = useAsync(() => api.objectives(), 'objectives');
  const rpo = useAsync(() => api.rpo(), 'rpo');
  useEffect(() => {
    document.title = 'Recovery · Firebreak';
  }, []);
  return (
    <>
      <h1>Recovery</h1>
      <section className="section" aria-labelledby="rec-rpo-h">
        <div className="page-head">
          <h2 id="rec-rpo-h">RPO exposure</h2>
          <button type="button" className="small" onClick={rpo.reload} disabled={rpo.loading}>
            {rpo.loading ? 'Loading…' : 'Refresh'}
          </button>
        </div>
        <p className="small-text muted">Now minus each service's newest restorable point (backups, heartbeats of backup jobs, replicas' lag), against its RPO objective. Line: the objective; amber from 80% of it, red over it.</p>
        <ErrorNote error={rpo.error} prefix="Could not load the RPO exposure" />
        {rpo.data && !rpo.data.data.length && <p className="empty">No monitor reports recovery points (monitors with recovery_point: true).</p>}
        {!!rpo.data?.data.length && (
          <ul className="plain an-ranked" aria-label="RPO exposure per service">
            {rpo.data.data.map((r) => (
              <RpoRow key={r.service} r={r} />
            ))}
          </ul>
        )}
      </section>
      <section className="section" aria-labelledby="rec-obj-h">
        <h2 id="rec-obj-h">Objectives</h2>
        <ErrorNote error={objectives.error} prefix="Could not load the objectives" />
        {objectives.data && (
          <div className="dr-table-wrap">
            <table className="dr-table" aria-label="Recovery objectives">
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Tier</th>
                  <th scope="col">Data class</th>
                  <th scope="col">RTO</th>
                  <th scope="col">RPO</th>
                </tr>
              </thead>
              <tbody>
                {objectives.data.data.map((o) => (
                  <tr key={o.service} data-service={o.service}>
                    <th scope="row">{o.service}</th>
                    <td>{o.tier}</td>
                    <td>{o.data_class}</td>
                    <td className="num">
                      {secs(o.rto_seconds)} <span className="muted small-text">({o.rto_source === 'service' ? 'the service' : 'its tier'})</span>
                    </td>
                    <td className="num">
                      {secs(o.rpo_seconds)} <span className="muted small-text">({o.rpo_source === 'service' ? 'the service' : 'its data class'})</span>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {hasRole(user, 'admin') && <Backups />}
    </>
  );
}

function RpoRow({ r }: { r: RpoView }) {
  const objective = r.rpo_seconds ?? 0;
  const exposure = r.exposure_seconds;
  const max = Math.max(exposure ?? 0, objective) * 1.1;
  return (
    <li className="card dr-attempt" data-service={r.service} data-status={r.status}>
      <span className="an-ranked-label">
        <strong>{r.service}</strong>: exposure {secs(exposure)} of {secs(objective)} allowed ({exposure === null || !objective ? 'no point yet' : `${Math.round((exposure / objective) * 100)}%`}) <RpoStatusBadge status={r.status} />
      </span>
      <Bar value={exposure ?? 0} max={max} tone={objectiveTone(exposure, objective)} marker={objective} />
      <p className="small-text muted">
        {r.newest_restorable_at ? (
          <>
            Newest restorable point <Time iso={r.newest_restorable_at} /> (<Ago iso={r.newest_restorable_at} />)
          </>
        ) : (
          'No restorable point reported yet'
        )}{' '}
        · sources: {r.sources.map((s) => `${s.monitor_id} (${s.type})`).join(', ')}
      </p>
    </li>
  );
}

/** Firebreak's own backups per target with their last verification (admins only, like the API). */
function Backups() {
  const list = useAsync(() => api.backups(), 'backups');
  const start = useAction();
  const b = list.data;
  return (
    <section className="section" aria-labelledby="rec-bk-h">
      <div className="page-head">
        <h2 id="rec-bk-h">Firebreak's backups</h2>
        <div className="button-row">
          <button type="button" className="small" onClick={list.reload} disabled={list.loading}>
            {list.loading ? 'Loading…' : 'Refresh'}
          </button>
          {b?.scheduled && (
            <button type="button" className="small" disabled={start.busy} onClick={() => void start.run(() => api.startBackup(), 'Backup queued: it runs in the background; refresh to see it.')}>
              Back up now
            </button>
          )}
          {b?.scheduled && (
            <button type="button" className="small" disabled={start.busy} onClick={() => void start.run(() => api.startRestoreTest(), 'Restore test queued: the newest backup of each target is restored into scratch and checked; refresh to see the result.')}>
              Test a restore now
            </button>
          )}
        </div>
      </div>
      <ErrorNote error={list.error} prefix="Could not load the backups" />
      <ErrorNote error={start.error} prefix="Not started" />
      <DoneNote text={start.done} />
      {b && <BackupSummary b={b} />}
      {b?.targets.map((t) => (
        <div key={t.id} className="section" data-target={t.id}>
          <h3 className="h3">
            Target {t.id} <span className="muted small-text">{t.kind ?? 'no longer configured'}{t.location ? ` · ${t.location}` : ''}</span>
          </h3>
          {t.error && (
            <p className="error">
              {t.error.reason}: {t.error.message}
            </p>
          )}
          {!t.backups.length ? (
            <p className="empty">No backups in this target.</p>
          ) : (
            <div className="dr-table-wrap">
              <table className="dr-table" aria-label={`Backups in ${t.id}`}>
                <thead>
                  <tr>
                    <th scope="col">Backup</th>
                    <th scope="col">Status</th>
                    <th scope="col">Schema</th>
                    <th scope="col">Size (plain / stored)</th>
                    <th scope="col">Manifest</th>
                    <th scope="col">Last verification</th>
                  </tr>
                </thead>
                <tbody>
                  {t.backups.map((e) => (
                    <BackupRow key={e.id} e={e} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      ))}
    </section>
  );
}

function BackupSummary({ b }: { b: BackupListing }) {
  if (!b.configured) return <p className="notice">Backups are not configured: add a backups section with an encryption key to the config.</p>;
  const s = b.status;
  return (
    <dl className="facts" aria-label="Backup status">
      <Fact label="Last backup">{s.last_backup_at ? <Ago iso={s.last_backup_at} /> : 'none yet'}</Fact>
      <Fact label="RPO exposure of Firebreak's data">
        {secs(s.rpo_exposure_seconds)}
        {b.every_seconds ? ` (a backup every ${secs(b.every_seconds)})` : ''}
      </Fact>
      <Fact label="Last verification">
        {s.last_verification_at ? (
          <>
            <span className={s.last_verification_ok ? 'ok-text' : 'bad-text'}>{s.last_verification_ok ? 'passed' : 'FAILED'}</span> <Ago iso={s.last_verification_at} />
          </>
        ) : (
          'never'
        )}
      </Fact>
      <Fact label="Schedule">{b.scheduled ? 'backups and restore tests run in the server' : 'off: backups run from the CLI only'}</Fact>
      <Fact label="Key">{b.key_id ? <code>{b.key_id}</code> : <span className="bad-text">{b.key_error?.message ?? 'not available'}</span>}</Fact>
    </dl>
  );
}

function BackupRow({ e }: { e: BackupEntryView }) {
  const m = e.manifest;
  const v = e.verification;
  return (
    <tr data-backup={e.id} data-status={e.status}>
      <td>
        <code>{e.id}</code>
        <div className="small-text">
          <Time iso={e.created_at} />
        </div>
      </td>
      <td>
        <span className={`badge tone-${e.status === 'complete' ? 'ok' : e.status === 'failed' ? 'bad' : 'muted'}`}>{e.status}</span>
        {e.in_target === false && e.status === 'complete' && <div className="small-text bad-text">missing from the target</div>}
        {e.error && <div className="small-text bad-text">{e.error}</div>}
      </td>
      <td>{e.schema_version || '—'}</td>
      <td className="num">
        {size(e.plaintext_bytes)} / {size(e.stored_bytes)}
      </td>
      <td>
        {m ? (
          <span className="small-text">
            <span className={m.integrity.ok ? 'ok-text' : 'bad-text'}>{m.integrity.check} {m.integrity.ok ? 'ok' : 'failed'}</span> · key <code>{m.encryption.key_id}</code> · {m.rows} rows in {m.tables} tables
            <br />
            plain sha256 <span className="dr-sha" title={m.plaintext.sha256}>{m.plaintext.sha256.slice(0, 12)}…</span> · stored sha256 <span className="dr-sha" title={m.ciphertext.sha256}>{m.ciphertext.sha256.slice(0, 12)}…</span>
          </span>
        ) : e.manifest_error ? (
          <span className="small-text bad-text">
            {e.manifest_error.reason}: {e.manifest_error.message}
          </span>
        ) : (
          <span className="muted small-text">not read</span>
        )}
      </td>
      <td>
        {v ? (
          <span className="small-text" data-verified={v.ok ? 'ok' : 'failed'}>
            <span className={v.ok ? 'ok-text' : 'bad-text'}>{v.ok ? 'restored and checked' : 'FAILED'}</span> <Time iso={v.at} />
            {v.restore_ms !== null && ` · restore took ${formatMeasured(v.restore_ms)}`}
            {v.error && <div className="bad-text">{v.error}</div>}
          </span>
        ) : (
          <span className="muted small-text">never verified</span>
        )}
      </td>
    </tr>
  );
}
