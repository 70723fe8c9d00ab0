/**
 * Backups of Firebreak's own data, against the native tools on the same data: builds a database of
 * realistic rows (incidents, their timelines, alerts, audit) of about --mb megabytes per engine,
 * then times `firebreak backup create`, `backup verify` and `restore` (the verbs the CLI runs)
 * beside `sqlite3 .backup`/`.restore` and `pg_dump -Fc`/`pg_restore`, one run each. MB/s is the
 * database's size over the time, so the ratio is simply native time ÷ Firebreak time.
 *
 *   npm run bench:backup [-- --mb 1024] [-- --engines sqlite,postgres] [-- --level 1]
 *
 * --level is backups.compression_level (0 stores without compressing, 1 is brotli's fastest quality).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { createDatabase, type Database } from '../src/db/create-db.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { systemClock } from '../src/lib/clock.ts';
import { systemActor, type Ctx } from '../src/modules/context.ts';
import { createIncident } from '../src/modules/incidents/index.ts';
import { createBackup, restoreBackup, storeLocation, verifyBackup, type BackupEnv } from '../src/modules/backups/index.ts';
import { configWith } from '../test/backups/helpers.ts';
import { createBenchDatabase, intOption, log, logMachine, markdownTable } from './support.ts';

const { values } = parseArgs({ options: { mb: { type: 'string', default: '1024' }, engines: { type: 'string', default: 'sqlite,postgres' }, level: { type: 'string', default: '1' } } });
const targetMb = intOption('mb', values.mb, 10, 100_000);
const level = intOption('level', values.level, 0, 9);
const engines = values.engines!.split(',');
const KEY = randomBytes(32).toString('hex');

const WORDS = 'replica lag primary failover checkout latency p99 timeout connection pool exhausted disk pressure node drained rollback deploy canary error budget burn rate upstream 502 gateway queue backlog consumer stalled certificate expiry dns resolution cache miss storm retry'.split(' ');
const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi'];
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)];
const sentence = (n: number) => Array.from({ length: n }, () => (Math.random() < 0.15 ? String(Math.floor(Math.random() * 10_000)) : pick(WORDS))).join(' ');

function time<T>(fn: () => T): Promise<{ value: Awaited<T>; s: number }> {
  const t = process.hrtime.bigint();
  return Promise.resolve(fn()).then((value) => ({ value, s: Number(process.hrtime.bigint() - t) / 1e9 }));
}

function tool(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
}

async function databaseBytes(db: Database, file: string | null): Promise<number> {
  if (file) return statSync(file).size;
  return Number((await sql<{ n: string }>`select pg_database_size(current_database()) as n`.execute(db.kysely)).rows[0].n);
}

/** Fills the database with ~targetMb of rows shaped like Firebreak's own, printing progress. */
async function build(db: Database, ctx: Ctx, file: string | null): Promise<void> {
  const incidents: string[] = [];
  for (let i = 0; i < 500; i++) incidents.push((await createIncident(ctx, { title: `${pick(WORDS)} ${sentence(5)}`, severity: pick(['P0', 'P1', 'P2', 'P3']), services: [pick(['api', 'database', 'web'])] })).id);
  let batch = 0;
  const t0 = Date.now();
  for (;;) {
    const now = Date.now();
    await db.kysely.transaction().execute(async (trx) => {
      for (let k = 0; k < 10; k++) {
        const timeline = Array.from({ length: 500 }, () => {
          const who = pick(PEOPLE);
          return { incident_id: pick(incidents), at: now - Math.floor(Math.random() * 1e10), kind: pick(['note', 'state_changed', 'alert_added', 'severity_changed']), actor_type: 'user', actor_id: null, actor_name: who, body: `${who}: ${sentence(40 + Math.floor(Math.random() * 60))}`, data: JSON.stringify({ figures: { lag_s: Math.random() * 500, error_rate: Math.random() }, note: sentence(10) }) };
        });
        await trx.insertInto('incident_timeline').values(timeline).execute();
        const alerts = Array.from({ length: 150 }, () => ({
          id: `alr_${randomBytes(10).toString('hex')}`,
          integration_id: 'database-monitoring',
          dedup_key: `db/${pick(WORDS)}/${randomBytes(4).toString('hex')}`,
          status: pick(['triggered', 'resolved', 'acknowledged']),
          summary: sentence(12),
          source: `db-replica-${Math.floor(Math.random() * 9)}`,
          severity: pick(['critical', 'error', 'warning']),
          service_id: 'database',
          incident_id: pick(incidents),
          first_seen_at: now,
          last_seen_at: now,
          detected_at: now,
          acknowledged_at: null,
          resolved_at: null,
          event_count: 1 + Math.floor(Math.random() * 50),
          details: JSON.stringify({ custom_details: { query: sentence(20), host: `db-${Math.floor(Math.random() * 99)}` } }),
          labels: JSON.stringify({ service: 'database', severity: 'critical', instance: `10.0.${Math.floor(Math.random() * 255)}.${Math.floor(Math.random() * 255)}:9187` }),
          suppressed_by: null,
          flapping_since: null,
        }));
        await trx.insertInto('alerts').values(alerts).execute();
        const audit = Array.from({ length: 200 }, () => ({ at: now, actor_type: 'user', actor_id: null, actor_name: pick(PEOPLE), action: pick(['incident.acknowledged', 'incident.note_added', 'incident.resolved']), entity_type: 'incident', entity_id: pick(incidents), request_id: randomBytes(8).toString('hex'), data: JSON.stringify({ note: sentence(15) }) }));
        await trx.insertInto('audit_log').values(audit).execute();
      }
    });
    if (++batch % 10 === 0) {
      const mb = (await databaseBytes(db, file)) / 1e6;
      process.stdout.write(`\r  building: ${mb.toFixed(0)} / ${targetMb} MB (${((Date.now() - t0) / 1000).toFixed(0)} s)   `);
      if (mb >= targetMb) break;
    }
  }
  process.stdout.write('\n');
  if (!file) await sql`vacuum analyze`.execute(db.kysely);
}

const rows: string[][] = [];
const fmt = (mb: number, s: number) => [s.toFixed(2), (mb / s).toFixed(0)];

async function benchEngine(engine: string) {
  const dir = mkdtempSync(join(tmpdir(), `firebreak-bench-backup-${engine}-`));
  const drops: (() => Promise<void>)[] = [];
  try {
    let url: string;
    if (engine === 'sqlite') url = `sqlite:${join(dir, 'live', 'firebreak.db')}`;
    else {
      const made = await createBenchDatabase('fb_bench_backup');
      if ('skip' in made) return log(`PostgreSQL skipped: ${made.skip}`);
      url = made.url;
      drops.push(made.drop);
    }
    const file = engine === 'sqlite' ? url.slice('sqlite:'.length) : null;
    const db = createDatabase({ databaseUrl: url, dataDir: dir, poolSize: 4 });
    await migrateToLatest(db);
    const config = configWith(`  encryption: { key_env: KEY }\n  targets:\n    - { id: local, type: local, path: ${JSON.stringify(join(dir, 'backups'))} }\n  compression_level: ${level}\n`, { KEY });
    const ctx: Ctx = { db, config, clock: systemClock, actor: systemActor('bench'), requestId: 'bench' };
    log(`${engine}: building ~${targetMb} MB`);
    await build(db, ctx, file);
    if (file) await sql`pragma wal_checkpoint(truncate)`.execute(db.kysely);
    const mb = (await databaseBytes(db, file)) / 1e6;
    log(`${engine}: ${mb.toFixed(0)} MB`);
    // Where the time goes: when each phase first reports progress.
    let phases: [string, number][] = [];
    const env: BackupEnv = {
      store: storeLocation({ databaseUrl: url, dataDir: dir }),
      dataDir: dir,
      env: { KEY },
      version: 'bench',
      progress: (p) => {
        if (phases.at(-1)?.[0] !== p.phase) phases.push([p.phase, Date.now()]);
      },
    };
    const timed = async <T>(what: string, fn: () => Promise<T>) => {
      phases = [];
      // CPU of every thread of this process (workers, zlib's pool): on a shared machine it moves
      // less than the elapsed time does.
      const cpu = process.cpuUsage();
      const r = await time(fn);
      const end = Date.now();
      const used = process.cpuUsage(cpu);
      log(`${engine}: ${what} ${r.s.toFixed(2)} s (CPU ${((used.user + used.system) / 1e6).toFixed(2)} s): ${phases.map(([p, t], i) => `${p} ${(((phases[i + 1]?.[1] ?? end) - t) / 1000).toFixed(2)} s`).join(', ')}`);
      return r;
    };

    const created = await timed('backup create', () => createBackup(ctx, env));
    const verified = await timed('backup verify', () => verifyBackup(ctx, env));
    const restoreUrl = file ? `sqlite:${join(dir, 'restored', 'firebreak.db')}` : await (async () => {
      const made = await createBenchDatabase('fb_bench_restore');
      if ('skip' in made) throw new Error(made.skip);
      drops.push(made.drop);
      return made.url;
    })();
    const restored = await timed('restore', () => restoreBackup(config, { ...env, store: storeLocation({ databaseUrl: restoreUrl, dataDir: dir }) }));
    const m = created.value.manifest;
    log(`${engine}: snapshot ${(m.plaintext.bytes / 1e6).toFixed(0)} MB → stored ${(m.ciphertext.bytes / 1e6).toFixed(0)} MB (${((100 * m.ciphertext.bytes) / m.plaintext.bytes).toFixed(0)}%)`);

    let nativeBackup: { s: number };
    let nativeRestore: { s: number };
    if (file) {
      const out = join(dir, 'native.db');
      nativeBackup = await time(() => tool('sqlite3', [file, `.backup '${out}'`]));
      mkdirSync(join(dir, 'native-restore'));
      nativeRestore = await time(() => tool('sqlite3', [join(dir, 'native-restore', 'firebreak.db'), `.restore '${out}'`]));
    } else {
      const out = join(dir, 'native.dump');
      const u = new URL(url);
      nativeBackup = await time(() => tool('pg_dump', ['--format=custom', `--file=${out}`, `--dbname=${u}`]));
      const made = await createBenchDatabase('fb_bench_native');
      if ('skip' in made) throw new Error(made.skip);
      drops.push(made.drop);
      nativeRestore = await time(() => tool('pg_restore', ['--no-owner', '--single-transaction', `--dbname=${made.url}`, out]));
    }
    const [nb, nr] = engine === 'sqlite' ? ['sqlite3 .backup', 'sqlite3 .restore'] : ['pg_dump -Fc', 'pg_restore'];
    rows.push([engine, 'backup create', ...fmt(mb, created.s), nb, ...fmt(mb, nativeBackup.s), `${(nativeBackup.s / created.s).toFixed(2)}`]);
    rows.push([engine, 'backup verify', ...fmt(mb, verified.s), nr, ...fmt(mb, nativeRestore.s), `${(nativeRestore.s / verified.s).toFixed(2)}`]);
    rows.push([engine, 'restore', ...fmt(mb, restored.s), nr, ...fmt(mb, nativeRestore.s), `${(nativeRestore.s / restored.s).toFixed(2)}`]);
    await db.close();
  } finally {
    for (const d of drops) await d().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

await logMachine('bench:backup');
for (const engine of engines) await benchEngine(engine);
log('');
log(markdownTable(['engine', 'firebreak', 's', 'MB/s', 'native', 's', 'MB/s', 'ratio'], rows, 2));
log(`\nratio = native time ÷ Firebreak time (1.00 = as fast; the target is ≥ 0.80). Firebreak compresses (brotli, compression_level ${level}) and encrypts (AES-256-GCM); verify also restores into scratch and runs the full integrity check.`);
