/**
 * One tier of the monitors benchmark, in its own process (so its CPU and resident memory are its
 * own): loads the bench config the way the server does (a YAML file), migrates a fresh database,
 * runs a MonitorRunner as the server would, lets it warm up, then measures a window and reports
 * over IPC. Started by bench/monitors.ts with fork(); waits for `{ type: 'run', ... }`.
 *
 * Messages to the parent: `started` (setup done), `window-start`, `window-end`, `result`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { loadConfigFile, formatIssues } from '../../src/config/load.ts';
import { ConfigStore } from '../../src/config/store.ts';
import { createDatabase } from '../../src/db/create-db.ts';
import { migrateToLatest } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { MonitorRunner } from '../../src/modules/monitors/index.ts';

export interface TierRun {
  type: 'run';
  configFile: string;
  dataDir: string;
  databaseUrl: string | null;
  warmupMs: number;
  durationMs: number;
  /** Lag figures are read (and reset) this often: the scheduler keeps its last 20,000 samples. */
  bucketMs: number;
}

export interface LagBucket {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  started: number;
}

export interface TierResult {
  type: 'result';
  monitors: number;
  configLoadMs: number;
  setupMs: number;
  windowMs: number;
  /** Scheduler: checks started in the window, and its lag per bucket. */
  started: number;
  buckets: LagBucket[];
  /** Results stored with a time inside the window, by status; failures by reason (with an example). */
  recorded: { up: number; degraded: number; down: number };
  failures: { reason: string | null; count: number; example: string | null }[];
  cpuUserMs: number;
  cpuSystemMs: number;
  /** Resident memory sampled every 200 ms in the window, and the process's high-water mark (VmHWM, startup included). */
  rssPeakWindowMb: number;
  rssEndMb: number;
  rssHighWaterMb: number;
  heapUsedEndMb: number;
  /** Event-loop delay in the window (perf_hooks, 10 ms resolution). */
  loopP99Ms: number;
  loopMaxMs: number;
  /** Storage growth over the window: files on disk (SQLite: db + wal + shm), and the logical size (pages in use / pg_database_size). */
  storage: { engine: string; filesBefore: number; filesAfter: number; logicalBefore: number; logicalAfter: number; walAfter: number };
  inFlightAtEnd: number;
}

const MB = 1024 * 1024;
const send = (m: object) => process.send!(m);

function vmHwmMb(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

process.once('message', async (run: TierRun) => {
  try {
    await main(run);
    process.exit(0);
  } catch (e) {
    send({ type: 'error', message: (e as Error).stack ?? String(e) });
    process.exit(1);
  }
});

async function main(run: TierRun) {
  const t0 = performance.now();
  const loaded = loadConfigFile(run.configFile, {});
  if (!loaded.ok) throw new Error(`bench config invalid:\n${formatIssues(run.configFile, loaded.issues.slice(0, 10))}`);
  const configLoadMs = performance.now() - t0;
  const db = createDatabase({ databaseUrl: run.databaseUrl, dataDir: run.dataDir });
  await migrateToLatest(db);
  const logger = createLogger({ level: 'warn' });
  const config = new ConfigStore(loaded.config, run.configFile, {});
  const runner = new MonitorRunner({ db, config, clock: systemClock, logger });
  await runner.start();
  const setupMs = performance.now() - t0;
  send({ type: 'started', setupMs, rssMb: process.memoryUsage.rss() / MB });

  const sqliteFile = join(run.dataDir, 'firebreak.db');
  const reader = db.dialect.name === 'sqlite' ? new BetterSqlite3(sqliteFile, { readonly: true, fileMustExist: true }) : null;
  const fileSize = (f: string) => (existsSync(f) ? statSync(f).size : 0);
  const storage = async () => {
    if (reader) {
      const pages = (reader.pragma('page_count', { simple: true }) as number) - (reader.pragma('freelist_count', { simple: true }) as number);
      const files = fileSize(sqliteFile) + fileSize(`${sqliteFile}-wal`) + fileSize(`${sqliteFile}-shm`);
      return { files, logical: pages * (reader.pragma('page_size', { simple: true }) as number), wal: fileSize(`${sqliteFile}-wal`) };
    }
    const r = await sql<{ size: string }>`select pg_database_size(current_database()) as size`.execute(db.kysely);
    const size = Number(r.rows[0].size);
    return { files: size, logical: size, wal: 0 };
  };

  await sleep(run.warmupMs);

  // ── the measured window ──
  const loop = monitorEventLoopDelay({ resolution: 10 });
  const before = await storage();
  runner.resetLagStats();
  const cpu0 = process.cpuUsage();
  const start = Date.now();
  const startPerf = performance.now();
  loop.enable();
  send({ type: 'window-start' });
  let rssPeak = process.memoryUsage.rss();
  const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage.rss())), 200);
  const buckets: LagBucket[] = [];
  const takeBucket = () => {
    const { lag_ms } = runner.status();
    runner.resetLagStats();
    buckets.push({ p50: lag_ms.p50, p99: lag_ms.p99, max: lag_ms.max, samples: lag_ms.samples, started: lag_ms.started });
  };
  const bucketTimer = setInterval(takeBucket, run.bucketMs);
  await sleep(run.durationMs);
  clearInterval(bucketTimer);
  takeBucket();
  const end = Date.now();
  const windowMs = performance.now() - startPerf;
  const cpu = process.cpuUsage(cpu0);
  loop.disable();
  clearInterval(rssTimer);
  rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  const inFlightAtEnd = runner.status().in_flight;
  send({ type: 'window-end' });
  // Results of checks finished in the window that still wait for their batch.
  await runner.flush();
  const after = await storage();

  const counts = await db.kysely
    .selectFrom('monitor_results')
    .select(['status', sql<number>`count(*)`.as('n')])
    .where('at', '>=', start)
    .where('at', '<', end)
    .groupBy('status')
    .execute();
  const byStatus = (s: number) => Number(counts.find((c) => Number(c.status) === s)?.n ?? 0);
  const failures = await db.kysely
    .selectFrom('monitor_results')
    .select(['reason', sql<number>`count(*)`.as('n'), sql<string | null>`max(message)`.as('example')])
    .where('at', '>=', start)
    .where('at', '<', end)
    .where('status', '!=', 0)
    .groupBy('reason')
    .execute();

  const result: TierResult = {
    type: 'result',
    monitors: loaded.config.monitors.length,
    configLoadMs,
    setupMs,
    windowMs,
    started: buckets.reduce((a, b) => a + b.started, 0),
    buckets,
    recorded: { up: byStatus(0), degraded: byStatus(1), down: byStatus(2) },
    failures: failures.map((f) => ({ reason: f.reason, count: Number(f.n), example: f.example })),
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    rssPeakWindowMb: rssPeak / MB,
    rssEndMb: process.memoryUsage.rss() / MB,
    rssHighWaterMb: vmHwmMb(),
    heapUsedEndMb: process.memoryUsage().heapUsed / MB,
    loopP99Ms: loop.percentile(99) / 1e6,
    loopMaxMs: loop.max / 1e6,
    storage: { engine: db.dialect.name, filesBefore: before.files, filesAfter: after.files, logicalBefore: before.logical, logicalAfter: after.logical, walAfter: after.wal },
    inFlightAtEnd,
  };
  send(result);
  await runner.stop();
  reader?.close();
  await db.close();
}
