import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { getDrillRun, settleDrills, startDrill } from '../../src/modules/drills/index.ts';
import { getIncident } from '../../src/modules/incidents/index.ts';
import { MonitorRunner } from '../../src/modules/monitors/index.ts';
import { SignalProcessor } from '../../src/modules/signals/index.ts';
import { getPublication } from '../../src/modules/statuspage/index.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { freePort } from '../helpers/processes.ts';
import { configWithMonitors } from '../monitors/monitor-kit.ts';
import { liveCtx, liveRunner, setDrills } from './kit.ts';

/**
 * The end-to-end failover drill: a real PostgreSQL primary and streaming replica on loopback, a
 * small app writing to the primary, and Firebreak monitoring the app as it would in production
 * (its monitor runner, signal pipeline and incident rules). The drill kills the primary; Firebreak's
 * monitor sees the app fail and the pipeline opens a P0 incident; the failover runbook, waiting
 * for that incident, promotes the replica, repoints the app, validates its health and posts the
 * status page update; the drill report states the measured RTO and RPO. The incident rule that
 * would start the failover in a real outage proposes it but leaves it to the drill.
 * FIREBREAK_DRILL_FIGURES=<file> writes the measured figures there.
 */
const BIN = process.env.FIREBREAK_PG_BIN ?? '/usr/lib/postgresql/15/bin';
const TOOLS = ['initdb', 'pg_ctl', 'pg_basebackup', 'postgres'];
const missing = TOOLS.filter((t) => !existsSync(join(BIN, t)));
const asRoot = process.getuid?.() === 0;
const hasPostgresUser = !asRoot || spawnSync('id', ['-u', 'postgres']).status === 0;
const reason = missing.length ? `PostgreSQL tools missing in ${BIN}: ${missing.join(', ')} (set FIREBREAK_PG_BIN)` : !hasPostgresUser ? 'running as root and there is no postgres user to run the clusters as (initdb refuses root)' : null;
if (reason && process.env.FIREBREAK_REQUIRE_PG_TOOLS === '1') throw new Error(`FIREBREAK_REQUIRE_PG_TOOLS=1 but ${reason}`);

/** A PostgreSQL tool as argv: as the postgres user when this process is root. */
const tool = (name: string, ...args: string[]) => (asRoot ? ['runuser', '-u', 'postgres', '--', join(BIN, name), ...args] : [join(BIN, name), ...args]);
function sh(argv: string[]): void {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} failed: ${r.stderr || r.stdout}`);
}

describe('end-to-end PostgreSQL failover drill', { skip: reason ?? false }, () => {
  let env: TestEnv;
  let dir: string;
  let primaryPort: number;
  let replicaPort: number;
  let app: Server;
  let appUrl: string;
  let target: { port: number; pool: pg.Pool };
  let writer: NodeJS.Timeout;
  let lastWriteOk = 0;
  let monitors: MonitorRunner;
  let signals: SignalProcessor;
  const url = (port: number) => `postgres://postgres@127.0.0.1:${port}/postgres`;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-pg-drill-'));
    if (asRoot) chownSync(dir, Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout.trim()), Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout.trim()));
    primaryPort = await freePort();
    replicaPort = await freePort();
    const primary = join(dir, 'primary');
    const replica = join(dir, 'replica');
    sh(tool('initdb', '-D', primary, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'));
    appendFileSync(join(primary, 'postgresql.conf'), `\nlisten_addresses='127.0.0.1'\nport=${primaryPort}\nunix_socket_directories='${dir}'\nwal_level=replica\nmax_wal_senders=5\nfsync=off\n`);
    appendFileSync(join(primary, 'pg_hba.conf'), '\nhost replication all 127.0.0.1/32 trust\n');
    sh(tool('pg_ctl', '-D', primary, '-l', join(dir, 'primary.log'), '-w', 'start'));
    // -R writes primary_conninfo and standby.signal: a streaming replica.
    sh(tool('pg_basebackup', '-h', '127.0.0.1', '-p', String(primaryPort), '-U', 'postgres', '-D', replica, '-R', '-X', 'stream'));
    appendFileSync(join(replica, 'postgresql.conf'), `\nport=${replicaPort}\n`);
    sh(tool('pg_ctl', '-D', replica, '-l', join(dir, 'replica.log'), '-w', 'start'));
    const setup = new pg.Client({ connectionString: url(primaryPort) });
    await setup.connect();
    await setup.query('create table app_writes (id bigserial primary key, at bigint not null); create table drill_markers (at bigint not null)');
    await setup.end();

    // The app: writes to its database every 50 ms; healthy while its last write is recent.
    target = { port: primaryPort, pool: new pg.Pool({ connectionString: url(primaryPort), max: 2, connectionTimeoutMillis: 500 }) };
    target.pool.on('error', () => {});
    writer = setInterval(() => {
      const { pool } = target;
      pool.query('insert into app_writes (at) values ($1)', [Date.now()]).then(() => (lastWriteOk = Date.now()), () => {});
    }, 50);
    app = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://app');
      if (u.pathname === '/health') {
        const ok = Date.now() - lastWriteOk < 500;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, database_port: target.port }));
      } else if (u.pathname === '/repoint' && req.method === 'POST') {
        const port = Number(u.searchParams.get('port'));
        const old = target.pool;
        target = { port, pool: new pg.Pool({ connectionString: url(port), max: 2, connectionTimeoutMillis: 500 }) };
        target.pool.on('error', () => {});
        void old.end().catch(() => {});
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ database_port: port }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((r) => app.listen(0, '127.0.0.1', r));
    appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;

    env = await createTestEnv('sqlite', import.meta.url);
    env.clock.set(Date.now());
    // Firebreak watches the app as it would in production: checked every second, down after two
    // failures, a P0 on the database service when it goes down.
    env.config.current = { ...env.config.current, monitors: configWithMonitors([{ id: 'database-writes', service: 'database', type: 'http', url: `${appUrl}/health`, interval: '1s', timeout: '500ms', severity: 'P0', confirm: { down: 2, up: 1 } }]).monitors };
    const ctl = (...args: string[]) => tool('pg_ctl', ...args);
    const variables = { app: appUrl, primary_dir: primary, replica_dir: replica, replica_port: String(replicaPort) };
    setDrills(
      env,
      [
        {
          id: 'database-failover',
          name: 'Fail the database over to its replica',
          variables: { app: { required: true }, primary_dir: { required: true }, replica_dir: { required: true }, replica_port: { required: true } },
          steps: [
            { id: 'kill-primary', type: 'command', command: ctl('-D', '${{ vars.primary_dir }}', '-m', 'immediate', 'stop') },
            // Detection is Firebreak's own: the monitor fails, the pipeline opens the P0, the run joins it.
            { id: 'detect', type: 'wait_for', incident: { service: 'database', min_severity: 'P0' }, interval: '50ms', timeout: '60s' },
            { id: 'promote', type: 'command', command: ctl('-D', '${{ vars.replica_dir }}', '-w', 'promote') },
            { id: 'repoint', type: 'http', method: 'POST', url: '${{ vars.app }}/repoint?port=${{ vars.replica_port }}' },
            { id: 'validate', type: 'wait_for', http: { url: '${{ vars.app }}/health', expect: { status: 200, body: ['$.ok == true'] } }, interval: '50ms', timeout: '30s' },
            { id: 'status-page', type: 'statuspage', status: 'monitoring', body: 'We failed the database over to its replica; writes work again.' },
          ],
        },
      ],
      [
        { id: 'primary', url: url(primaryPort) },
        { id: 'replica', url: url(replicaPort) },
      ],
      {
        targets: [{ id: 'local-pair', description: 'a primary and replica on loopback', addresses: ['127.0.0.1'] }],
        definitions: [
          {
            id: 'database-failover-drill',
            runbook: 'database-failover',
            service: 'database',
            target: 'local-pair',
            variables,
            marker: { connection: 'primary', read_connection: 'replica', write: 'insert into drill_markers (at) values ($1)', read: 'select max(at) as at from drill_markers' },
            failure_step: 'kill-primary',
            recovered_step: 'validate',
            // This drill exercises the public update too (the status page is the test's own).
            status_page: 'publish',
            cleanup: [{ id: 'note-cleanup', type: 'incident', action: 'note', body: 'Drill over: the promoted replica stays primary until the pair is rebuilt.' }],
          },
        ],
      },
    );
    // In a real outage this rule starts the failover at once; during the drill it only proposes.
    env.config.current = { ...env.config.current, incident_rules: [{ id: 'database-down-failover', runbook: 'database-failover', when: { monitor_down: { monitor: 'database-writes', for: 0 } }, variables, run: true }] };
    const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
    signals = new SignalProcessor({ db: env.db, config: env.config, clock: systemClock, logger });
    signals.start(50);
    monitors = new MonitorRunner({ db: env.db, config: env.config, clock: systemClock, logger });
    await monitors.start();
  });

  after(async () => {
    await monitors?.stop();
    await signals?.stop();
    clearInterval(writer);
    await target?.pool.end().catch(() => {});
    await new Promise<void>((r) => (app ? app.close(() => r()) : r()));
    for (const d of ['primary', 'replica']) if (existsSync(join(dir, d, 'postmaster.pid'))) spawnSync(tool('pg_ctl', '-D', join(dir, d), '-m', 'immediate', 'stop')[0], tool('pg_ctl', '-D', join(dir, d), '-m', 'immediate', 'stop').slice(1));
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('kill the primary: the monitor detects it, the pipeline opens a P0, the runbook fails over and posts the status page; RTO and RPO measured', async () => {
    const ctx = liveCtx(env, env.users.responder.actor);
    // The app is healthy on the primary, and Firebreak has seen it up, before the drill.
    for (let i = 0; i < 500; i++) {
      const state = await env.db.kysely.selectFrom('monitor_state').select('status').where('monitor_id', '=', 'database-writes').executeTakeFirst();
      if (state?.status === 'up' && Date.now() - lastWriteOk < 200) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const started = await startDrill(ctx, 'database-failover-drill');
    // The runner as a node runs it: polling for runs, evaluating incident rules as it goes.
    const runner = liveRunner(env, { rulesEveryMs: 50 });
    runner.start();
    try {
      for (let i = 0; i < 3000; i++) {
        if ((await settleDrills(liveCtx(env, env.users.admin.actor))) > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      await runner.stop();
    }
    const done = await getDrillRun(ctx, started.id);
    const report = done.report!;
    assert.ok(report, 'the drill settled');
    assert.equal(report.run_status, 'succeeded', `${report.run_error ?? ''} ${report.reasons.join('; ')}`);
    assert.equal(report.passed, true, report.reasons.join('; '));
    assert.deepEqual(report.steps.map((s) => s.path), ['drill-marker-write', 'kill-primary', 'detect', 'promote', 'repoint', 'validate', 'status-page', 'drill-marker-read']);

    // The incident is the one Firebreak's detection opened: a P0 from the monitor's alert.
    const incident = await getIncident(ctx, report.incident!);
    assert.equal(incident.severity, 'P0');
    const alerts = await env.db.kysely.selectFrom('alerts').select(['integration_id', 'dedup_key', 'severity']).where('incident_id', '=', incident.id).execute();
    assert.ok(alerts.some((a) => a.integration_id === 'monitors' && a.dedup_key === 'monitor/database-writes'), `the monitor's alert opened it: ${JSON.stringify(alerts)}`);
    assert.ok(Date.parse(incident.created_at) > Date.parse(report.started_at), 'opened after the drill began');
    // The status page update went out on it.
    const publication = await getPublication(ctx, incident.ref);
    assert.ok(publication.public_incident, 'the status page has a public incident for it');
    assert.equal(publication.public_incident.status, 'monitoring');
    // The incident rule proposed the failover on it, but left the run to the drill: one run only.
    const timeline = await env.db.kysely.selectFrom('incident_timeline').select(['kind', 'data']).where('incident_id', '=', incident.id).execute();
    const proposal = timeline.find((e) => e.kind === 'runbook_proposed');
    assert.ok(proposal, 'the rule proposed the failover runbook');
    const proposed = JSON.parse(proposal.data ?? '{}') as { run: string | null; drill?: string };
    assert.equal(proposed.run, null);
    assert.equal(proposed.drill, 'database-failover-drill');
    const runs = await env.db.kysely.selectFrom('runbook_runs').select(['id', 'mode']).execute();
    assert.deepEqual(runs.map((r) => r.mode), ['drill']);

    assert.ok(report.rto.measured_ms! > 0 && report.rto.met);
    assert.ok(report.rpo!.measured_ms !== null && report.rpo!.met, 'the marker written before the failure survived on the replica');
    assert.equal(report.rpo!.surviving_marker_at, report.rpo!.marker_at);
    // The app writes to the promoted replica now.
    const check = new pg.Client({ connectionString: url(replicaPort) });
    await check.connect();
    const { rows } = await check.query<{ recovery: boolean; n: string }>('select pg_is_in_recovery() as recovery, count(*) as n from app_writes where at > $1', [Date.parse(report.started_at)]);
    await check.end();
    assert.equal(rows[0].recovery, false);
    assert.ok(Number(rows[0].n) > 0);
    const figures = process.env.FIREBREAK_DRILL_FIGURES;
    if (figures) {
      const line = (s: string) => report.steps.find((x) => x.path === s)?.duration_ms;
      writeFileSync(figures, JSON.stringify({ rto_ms: report.rto.measured_ms, rto_objective_ms: report.rto.objective_ms, rpo_ms: report.rpo!.measured_ms, rpo_objective_ms: report.rpo!.objective_ms, steps: Object.fromEntries(report.steps.map((s) => [s.path, line(s.path)])) }, null, 2));
    }
  });
});
