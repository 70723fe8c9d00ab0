import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { BackupStatusMonitorConfig, ProbeMonitorConfig, ReplicationLagMonitorConfig } from '../../src/config/monitors-schema.ts';
import { ConnectivityGuard } from '../../src/modules/monitors/connectivity-guard.ts';
import { probeBackupStatus, probeReplicationLag } from '../../src/modules/monitors/probes/index.ts';
import { parseRestorableAt, parseSizeBytes } from '../../src/modules/recovery/index.ts';
import { DIALECTS, PG_ADMIN_URL } from '../helpers/dialects.ts';
import { configWithMonitors, monitorConfigIssues } from '../monitors/monitor-kit.ts';

const node = process.execPath;
/** A backup_status monitor whose command is `node -e <script>`, as the config would give it. */
function backupMonitor(script: string, extra: Record<string, unknown> = {}): BackupStatusMonitorConfig {
  const cfg = configWithMonitors([{ id: 'b', service: 'database', type: 'backup_status', command: [node, '-e', script], format: 'restic', timeout: '5s', ...extra }]);
  return cfg.monitors[0] as BackupStatusMonitorConfig;
}
function lagMonitor(extra: Record<string, unknown>): ReplicationLagMonitorConfig {
  const cfg = configWithMonitors([{ id: 'r', service: 'database', type: 'replication_lag', timeout: '5s', ...extra }]);
  return cfg.monitors[0] as ReplicationLagMonitorConfig;
}
const print = (doc: unknown) => `process.stdout.write(${JSON.stringify(JSON.stringify(doc))})`;

describe('backup_status: a backup tool\'s JSON status read by a command', () => {
  test('restic snapshots --json: the newest snapshot time and its size', async () => {
    const newest = Date.now() - 3_600_000;
    const snapshots = [
      { time: new Date(newest - 86_400_000).toISOString(), id: 'aaaaaaaa11111111', short_id: 'aaaaaaaa', hostname: 'db1' },
      // restic prints nanoseconds and a local offset.
      { time: new Date(newest).toISOString().replace('Z', '123456+00:00'), id: 'bbbbbbbb22222222', short_id: 'bbbbbbbb', hostname: 'db1', summary: { total_bytes_processed: 73_400_320 } },
    ];
    const r = await probeBackupStatus(backupMonitor(print(snapshots)));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(r.restorableAt, newest);
    assert.equal(r.sizeBytes, 73_400_320);
    assert.deepEqual(r.pointDetail, { snapshot: 'bbbbbbbb', hostname: 'db1' });
  });

  test('pgbackrest info --output=json: the newest backup stop of the stanza', async () => {
    const stop = Math.floor(Date.now() / 1000) - 600;
    const info = [
      { name: 'main', status: { code: 0, message: 'ok' }, backup: [
        { label: '20260601-010000F', type: 'full', timestamp: { start: stop - 90_000, stop: stop - 86_400 }, info: { size: 1000 } },
        { label: '20260602-010000F_20260602-020000I', type: 'incr', timestamp: { start: stop - 60, stop }, info: { size: 2000 } },
        { label: 'broken', type: 'incr', error: true, timestamp: { start: stop, stop: stop + 60 }, info: { size: 1 } },
      ] },
      { name: 'other', status: { code: 0, message: 'ok' }, backup: [{ label: 'x', type: 'full', timestamp: { start: stop, stop: stop + 300 }, info: { size: 5 } }] },
    ];
    const r = await probeBackupStatus(backupMonitor(print(info), { format: 'pgbackrest', stanza: 'main' }));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(r.restorableAt, stop * 1000);
    assert.equal(r.sizeBytes, 2000);
    assert.deepEqual(r.pointDetail, { stanza: 'main', label: '20260602-010000F_20260602-020000I', backup_type: 'incr' });
    const any = await probeBackupStatus(backupMonitor(print(info), { format: 'pgbackrest' }));
    assert.equal(any.restorableAt, (stop + 300) * 1000, 'without a stanza, the newest of all');
    const empty = await probeBackupStatus(backupMonitor(print([{ name: 'main', status: { code: 2, message: 'no valid backups' }, backup: [] }]), { format: 'pgbackrest' }));
    assert.equal(empty.status, 'down');
    assert.equal(empty.reason, 'json');
    assert.match(empty.message ?? '', /no backups \(main: no valid backups\)/);
  });

  test('generic JSON: json_path and size_path', async () => {
    const at = new Date(Date.now() - 5000).toISOString();
    const r = await probeBackupStatus(backupMonitor(print({ last: { finished_at: at, bytes: '42' } }), { format: 'json', json_path: '$.last.finished_at', size_path: 'last.bytes' }));
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(r.restorableAt, Date.parse(at));
    assert.equal(r.sizeBytes, 42);
    const missing = await probeBackupStatus(backupMonitor(print({ last: {} }), { format: 'json', json_path: 'last.finished_at' }));
    assert.equal(missing.status, 'down');
    assert.match(missing.message ?? '', /last\.finished_at: not ISO 8601 or epoch seconds/);
  });

  test('down when the command fails, prints no JSON, lists nothing, cannot start or outlives its timeout (its group killed)', async () => {
    const failed = await probeBackupStatus(backupMonitor('console.error("repository locked"); process.exit(3)'));
    assert.equal(failed.status, 'down');
    assert.equal(failed.reason, 'error');
    assert.match(failed.message ?? '', /exited with code 3: repository locked/);
    assert.equal(failed.restorableAt, undefined);
    const text = await probeBackupStatus(backupMonitor('console.log("hello")'));
    assert.equal(text.reason, 'json');
    const none = await probeBackupStatus(backupMonitor(print([])));
    assert.match(none.message ?? '', /restic lists no snapshots/);
    const missing = await probeBackupStatus({ ...backupMonitor('0'), command: ['/nonexistent/restic', 'snapshots'] });
    assert.match(missing.message ?? '', /cannot start \/nonexistent\/restic: ENOENT/);
    // The command starts a grandchild that would outlive it; the timeout kills the whole group.
    const pidFile = join(mkdtempSync(join(tmpdir(), 'firebreak-rpo-')), 'pid');
    const script = `const c = require('child_process').spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' }); require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(c.pid)); setInterval(() => {}, 1000);`;
    const started = Date.now();
    const slow = await probeBackupStatus({ ...backupMonitor(script), timeout: 1500 });
    assert.equal(slow.status, 'down');
    assert.equal(slow.reason, 'timeout');
    assert.ok(Date.now() - started < 4000);
    const grandchild = Number(readFileSync(pidFile, 'utf8'));
    let alive = true;
    for (let i = 0; i < 50 && alive; i++) {
      try {
        process.kill(grandchild, 0);
        // A killed process nobody has reaped yet (a container without an init) is a zombie: dead.
        if (/\) Z /.test(readFileSync(`/proc/${grandchild}/stat`, 'utf8'))) alive = false;
        else await new Promise((r) => setTimeout(r, 20));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the command\'s own child was killed with it');
  });
});

describe('replication_lag: a replica\'s lag from SQL or HTTP, against thresholds or the RPO', () => {
  const pg = DIALECTS.find((d) => d.name === 'postgres');
  test('PostgreSQL: the first column of the query is the lag (seconds); the RPO sets default thresholds', { skip: pg?.skip ?? 'PostgreSQL not wanted' }, async () => {
    const url = PG_ADMIN_URL;
    const at = (query: string, rpoMs?: number, extra: Record<string, unknown> = {}) => probeReplicationLag(lagMonitor({ url, query, ...extra }), { rpoMs });
    let r = await at('select 42', 60_000);
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(r.lagMs, 42_000);
    r = await at('select 50::numeric', 60_000);
    assert.equal(r.status, 'degraded');
    assert.equal(r.reason, 'lag');
    r = await at("select '61.5'", 60_000);
    assert.equal(r.status, 'down');
    assert.equal(r.lagMs, 61_500);
    assert.match(r.message ?? '', /replication lag 61\.5 s is over 60 s/);
    r = await at('select 900', undefined, { unit: 'milliseconds', degraded_after: '500ms', down_after: '2s' });
    assert.equal(r.status, 'degraded');
    assert.equal(r.lagMs, 900);
    // On a primary pg_last_xact_replay_timestamp() is null.
    r = await at('select extract(epoch from now() - pg_last_xact_replay_timestamp())', 60_000);
    assert.equal(r.status, 'down');
    assert.equal(r.reason, 'expect');
    assert.match(r.message ?? '', /null: is this a replica\?/);
    r = await at('select * from no_such_table', 60_000);
    assert.equal(r.status, 'down');
    assert.match(r.message ?? '', /no_such_table/);
  });

  let server: Server;
  let base = '';
  let answer: { status: number; body: string } = { status: 200, body: '' };
  before(async () => {
    server = createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('HTTP: a number at json_path, or the whole body', async () => {
    answer = { status: 200, body: JSON.stringify({ replica: { lag_seconds: 3.25 } }) };
    let r = await probeReplicationLag(lagMonitor({ url: `${base}/status`, json_path: 'replica.lag_seconds' }), { rpoMs: 60_000 });
    assert.equal(r.status, 'up', r.message ?? '');
    assert.equal(r.lagMs, 3250);
    answer = { status: 200, body: '75\n' };
    r = await probeReplicationLag(lagMonitor({ url: `${base}/lag` }), { rpoMs: 60_000 });
    assert.equal(r.status, 'down');
    assert.equal(r.lagMs, 75_000);
    answer = { status: 503, body: '{}' };
    r = await probeReplicationLag(lagMonitor({ url: `${base}/lag` }), { rpoMs: 60_000 });
    assert.equal(r.reason, 'status');
    assert.equal(r.lagMs, undefined);
    answer = { status: 200, body: '{"replica": {}}' };
    r = await probeReplicationLag(lagMonitor({ url: `${base}/lag`, json_path: 'replica.lag_seconds' }));
    assert.equal(r.reason, 'expect');
  });
});

describe('recovery-point values and config', () => {
  test('restorable points: ISO 8601 with a zone, epoch seconds; sizes: whole bytes', () => {
    const now = Date.UTC(2026, 5, 1, 12);
    assert.deepEqual(parseRestorableAt('2026-06-01T11:00:00Z', now), { ok: true, value: Date.UTC(2026, 5, 1, 11) });
    assert.deepEqual(parseRestorableAt('2026-06-01T13:00:00+02:00', now), { ok: true, value: Date.UTC(2026, 5, 1, 11) });
    assert.deepEqual(parseRestorableAt(String(Date.UTC(2026, 5, 1, 11) / 1000), now), { ok: true, value: Date.UTC(2026, 5, 1, 11) });
    assert.deepEqual(parseRestorableAt(Date.UTC(2026, 5, 1, 11) / 1000, now), { ok: true, value: Date.UTC(2026, 5, 1, 11) });
    assert.deepEqual(parseRestorableAt(now / 1000 + 60, now), { ok: true, value: now }, 'a little clock skew is now');
    assert.equal(parseRestorableAt(now, now).ok, false, 'milliseconds are far in the future');
    assert.equal(parseRestorableAt('2026-06-01T11:00:00', now).ok, false);
    assert.equal(parseRestorableAt(null, now).ok, false);
    assert.equal(parseRestorableAt('2026-13-45T00:00:00Z', now).ok, false);
    assert.deepEqual(parseSizeBytes('1024'), { ok: true, value: 1024 });
    assert.equal(parseSizeBytes(1.5).ok, false);
    assert.equal(parseSizeBytes('1e3').ok, false);
  });

  test('backup_status and replication_lag options are checked together', () => {
    const issues = (m: Record<string, unknown>) => monitorConfigIssues([{ id: 'x', service: 'database', ...m }]).map((i) => `${String(i.path)}: ${i.message}`);
    assert.deepEqual(issues({ type: 'backup_status', command: ['restic', 'snapshots', '--json'], format: 'restic' }), []);
    assert.match(issues({ type: 'backup_status', command: ['x'], format: 'json' }).join(), /json_path.*needs json_path/);
    assert.match(issues({ type: 'backup_status', command: ['x'], format: 'restic', stanza: 'main' }).join(), /only for format "pgbackrest"/);
    assert.match(issues({ type: 'backup_status', command: 'restic snapshots', format: 'restic' }).join(), /command/);
    assert.match(issues({ type: 'backup_status', command: ['x'], format: 'json', json_path: 'a..b' }).join(), /invalid JSON path/);
    assert.match(issues({ type: 'backup_status', command: ['x'], format: 'borg' }).join(), /format/);
    assert.deepEqual(issues({ type: 'backup_status', command: ['x'], format: 'restic', timeout: '5m' }), [], 'the 15-minute default interval allows a long timeout');
    assert.deepEqual(issues({ type: 'replication_lag', url: 'postgres://replica:5432/app', query: 'select 1' }), []);
    assert.match(issues({ type: 'replication_lag', url: 'postgres://replica:5432/app' }).join(), /needs query/);
    assert.match(issues({ type: 'replication_lag', url: 'https://replica/lag', query: 'select 1' }).join(), /only for a postgres/);
    assert.match(issues({ type: 'replication_lag', url: 'ftp://replica/lag' }).join(), /url/);
    assert.match(issues({ type: 'replication_lag', url: 'https://replica/lag', degraded_after: '2m', down_after: '1m' }).join(), /must not be more than down_after/);
    assert.match(issues({ type: 'heartbeat', key: 'k'.repeat(20), period: '1h', recovery_point: 'yes' }).join(), /recovery_point/);
    const cfg = configWithMonitors([{ id: 'x', service: 'database', type: 'backup_status', command: ['restic', 'snapshots', '--json'], format: 'restic' }]);
    const m = cfg.monitors[0] as BackupStatusMonitorConfig;
    assert.equal(m.interval, 15 * 60_000);
    assert.equal(m.timeout, 60_000);
    assert.equal(m.recovery_point, true);
  });
});

describe('the connectivity guard', () => {
  test('failing backup_status commands do not make Firebreak suspect its own network', () => {
    const cfg = configWithMonitors(
      Array.from({ length: 4 }, (_, i) => ({ id: `b${i}`, service: 'database', type: 'backup_status', command: ['restic', 'snapshots', '--json'], format: 'restic' })),
      { guard: { failing_share: 0.5, min_monitors: 2 } },
    );
    const guard = new ConnectivityGuard();
    const now = Date.now();
    for (const m of cfg.monitors) guard.note(m.id, 'down', now);
    const verdict = guard.evaluate(cfg.monitors as ProbeMonitorConfig[], cfg.monitoring.guard, now);
    assert.equal(verdict.active, false);
    assert.equal(verdict.total, 0);
  });
});
