/**
 * Core benchmark: incident creates and list pages over real HTTP against the real server, on
 * SQLite and PostgreSQL. `npm run bench:core` (add `-- --help` for knobs).
 *
 * The server runs as a child process (so client and server do not share a core), is seeded with
 * 100,000 incidents through the real verbs, then measured over keep-alive HTTP at a fixed
 * concurrency. Each measurement runs 3 times and the median of each figure is reported.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent } from 'node:http';
import { apiCall, benchApiToken } from './lib/api-client.ts';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { EXAMPLE_CONFIG_PATH, loadConfigFile } from '../src/config/load.ts';
import { ConfigStore } from '../src/config/store.ts';
import { createDatabase } from '../src/db/create-db.ts';
import type { DialectName } from '../src/db/dialect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { withTransaction } from '../src/db/transaction.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { systemActor, type Ctx } from '../src/modules/context.ts';
import { createIncident, transitionIncident, type LifecycleVerb } from '../src/modules/incidents/index.ts';
import { createBenchDatabase, intOption, log, logMachine, markdownTable, median, percentile, processCpuSeconds, startBenchServer, type BenchChild } from './support.ts';

const { values: opt } = parseArgs({
  options: {
    engines: { type: 'string', default: 'sqlite,postgres' },
    seed: { type: 'string', default: '100000' },
    creates: { type: 'string', default: '5000' },
    lists: { type: 'string', default: '600' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '16' },
    /** Write a CPU profile of the server (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write('npm run bench:core -- [--engines sqlite,postgres] [--seed 100000] [--creates 5000] [--lists 600] [--rounds 3] [--concurrency 16] [--profile DIR]\n');
  process.exit(0);
}
const int = (name: 'seed' | 'creates' | 'lists' | 'rounds' | 'concurrency', min: number, max: number) => intOption(name, opt[name], min, max);
const SEED = int('seed', 0, 2_000_000);
const CREATES = int('creates', 1, 1_000_000);
const LISTS = int('lists', 1, 1_000_000);
const ROUNDS = int('rounds', 1, 25);
const CONCURRENCY = int('concurrency', 1, 256);
const ENGINES = opt.engines!.split(',').map((e) => e.trim()) as DialectName[];

const fmt = (n: number) => n.toLocaleString('en-US');
const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
const SERVICES = ['web', 'api', 'database', 'auth', 'cache', 'storage', 'checkout', 'work-orders', 'reporting', 'notifications', 'docs'];

/** A tiny deterministic PRNG so every run seeds the same data. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ─── database: seed through the real verbs ─────────────────────────────

/**
 * Seeds `count` incidents into a SQLite template with createIncident and transitionIncident, so
 * every row, timeline entry, audit row, outbox event and the counter are exactly what the API
 * writes; several hundred per transaction so seeding is not bound by one commit per incident.
 * Triggered times spread over the past 180 days; most incidents end resolved or closed.
 */
async function seedTemplate(dataDir: string, count: number): Promise<void> {
  const loaded = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
  if (!loaded.ok) throw new Error('example config is invalid');
  const config = new ConfigStore(loaded.config, EXAMPLE_CONFIG_PATH, {});
  const db = createDatabase({ databaseUrl: null, dataDir });
  try {
    await migrateToLatest(db);
    const start = Date.now() - 180 * 86_400_000;
    const step = Math.floor((180 * 86_400_000 - 3_600_000) / Math.max(1, count));
    const clock = new ManualClock(start);
    const ctx: Ctx = { db, config, clock, actor: systemActor('bench-seed'), requestId: 'bench-seed' };
    const rand = rng(42);
    const BATCH = 500;
    const t0 = performance.now();
    let nextReport = 10_000;
    for (let done = 0; done < count; ) {
      const n = Math.min(BATCH, count - done);
      await withTransaction(ctx, async (tx) => {
        for (let i = 0; i < n; i++) {
          clock.set(start + (done + i) * step);
          const r = rand();
          const services = [SERVICES[Math.floor(rand() * SERVICES.length)], ...(r < 0.3 ? [SERVICES[Math.floor(rand() * SERVICES.length)]] : [])];
          const severity = SEVERITIES[Math.min(3, Math.floor(rand() * rand() * 5 + (r < 0.05 ? 0 : 1)))];
          const inc = await createIncident(tx, { title: `Seeded incident ${done + i + 1}: ${services.join(' and ')} degraded`, severity, services, description: 'Seeded by bench/core.ts' });
          // 60% closed, 25% resolved, 5% each acknowledged and investigating, 5% left triggered.
          const fate = rand();
          const path: LifecycleVerb[] = fate < 0.6 ? ['acknowledge', 'resolve', 'close'] : fate < 0.85 ? ['acknowledge', 'resolve'] : fate < 0.9 ? ['acknowledge'] : fate < 0.95 ? ['acknowledge', 'investigate'] : [];
          for (const verb of path) {
            clock.advance(60_000 + Math.floor(rand() * 600_000));
            await transitionIncident(tx, inc.id, verb);
          }
        }
      });
      done += n;
      if (done >= nextReport || done === count) {
        const s = (performance.now() - t0) / 1000;
        log(`  seeded ${fmt(done).padStart(9)} / ${fmt(count)} incidents  (${fmt(Math.round(done / s))}/s, ${s.toFixed(0)}s)`);
        nextReport += 10_000;
      }
    }
  } finally {
    await db.close();
  }
}

/** Tables the seed writes, parents first. Serial ids are left to PostgreSQL, in the same order. */
const SEEDED_TABLES: { name: string; order: string; serialId: boolean }[] = [
  { name: 'incidents', order: 'number', serialId: false },
  { name: 'incident_services', order: 'rowid', serialId: false },
  { name: 'incident_roles', order: 'rowid', serialId: false },
  { name: 'incident_timeline', order: 'id', serialId: true },
  { name: 'audit_log', order: 'id', serialId: true },
  { name: 'outbox', order: 'id', serialId: true },
];

/**
 * Copies the verb-written rows of the SQLite template into a migrated PostgreSQL database with
 * multi-row INSERTs (the two engines share one schema: epoch-ms bigints, JSON as text), sets the
 * incident counter, and ANALYZEs so the planner has statistics as a long-running database would.
 */
async function copyTemplateToPostgres(templateDir: string, url: string): Promise<void> {
  const target = createDatabase({ databaseUrl: url, dataDir: templateDir });
  await migrateToLatest(target);
  await target.close();
  const source = new BetterSqlite3(join(templateDir, 'firebreak.db'), { readonly: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const t0 = performance.now();
    for (const table of SEEDED_TABLES) {
      const total = (source.prepare(`select count(*) as n from ${table.name}`).get() as { n: number }).n;
      let columns: string[] | null = null;
      let batch: unknown[][] = [];
      let copied = 0;
      const flush = async () => {
        if (!batch.length || !columns) return;
        const params: unknown[] = [];
        const tuples = batch.map((row) => `(${row.map((v) => (params.push(v), `$${params.length}`)).join(',')})`);
        await client.query(`insert into ${table.name} (${columns.join(',')}) values ${tuples.join(',')}`, params);
        copied += batch.length;
        batch = [];
      };
      await client.query('begin');
      for (const row of source.prepare(`select * from ${table.name} order by ${table.order}`).iterate() as Iterable<Record<string, unknown>>) {
        if (!columns) columns = Object.keys(row).filter((c) => !(table.serialId && c === 'id'));
        batch.push(columns.map((c) => row[c]));
        if (batch.length * columns.length >= 30_000) await flush();
      }
      await flush();
      await client.query('commit');
      log(`  copied ${table.name.padEnd(17)} ${fmt(copied).padStart(9)} / ${fmt(total)} rows  (${((performance.now() - t0) / 1000).toFixed(0)}s)`);
      if (copied !== total) throw new Error(`copied ${copied} of ${total} rows of ${table.name}`);
    }
    const counter = source.prepare(`select value from counters where name = 'incident_number'`).get() as { value: number };
    await client.query(`update counters set value = $1 where name = 'incident_number'`, [counter.value]);
    await client.query('analyze');
  } finally {
    source.close();
    await client.end();
  }
}

// ─── HTTP client: node:http with a keep-alive pool of CONCURRENCY sockets ─────────────────────

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
const call = (base: string, method: string, path: string, headers: Record<string, string>, body?: unknown) => apiCall(agent, base, method, path, headers, body);
const apiToken = (base: string) => benchApiToken(agent, base);

/** Runs `total` jobs with CONCURRENCY workers; returns per-job latencies (ms) and wall time. */
async function runPool(total: number, job: (i: number) => Promise<void>, concurrency = CONCURRENCY): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const s = performance.now();
        await job(i);
        latencies.push(performance.now() - s);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - t0 };
}

interface Round {
  createsPerSec: number;
  createP50: number;
  createP99: number;
  listP50: number;
  listP99: number;
  /** The same list mix from one client at a time: the latency of a page, without queueing. */
  serialListP99: number;
  fewListP99: number;
  /** Server process CPU (user + system) per request, from /proc; NaN where /proc is missing. */
  serverCpuPerListMs: number;
  serverCpuPerCreateMs: number;
  storedAtList: number;
}

async function storedCount(base: string, auth: Record<string, string>): Promise<number> {
  const r = await call(base, 'GET', '/api/v1/incidents?limit=1', auth);
  return JSON.parse(r.body).data[0]?.number ?? 0;
}

/** One round: ≥LISTS list pages of mixed kinds, then CREATES creates, all over HTTP. */
async function measureRound(base: string, auth: Record<string, string>, round: number, serverPid: number | undefined): Promise<Round> {
  const storedAtList = await storedCount(base, auth);
  const rand = rng(1000 + round);
  // Cursors come from earlier pages, as a client paging through results would get them.
  const cursors: string[] = [];
  const kinds = ['unfiltered', 'state', 'severity', 'service', 'open', 'cursor'] as const;
  const listJob = async (i: number) => {
    const kind = kinds[i % kinds.length];
    const q = new URLSearchParams();
    if (kind === 'state') q.set('state', ['triggered', 'acknowledged', 'investigating', 'resolved', 'closed'][Math.floor(rand() * 5)]);
    if (kind === 'severity') q.set('severity', SEVERITIES[Math.floor(rand() * 4)]);
    if (kind === 'service') q.set('service', SERVICES[Math.floor(rand() * SERVICES.length)]);
    if (kind === 'open') q.set('open', 'true');
    if (kind === 'cursor' && cursors.length) q.set('cursor', cursors[Math.floor(rand() * cursors.length)]);
    const r = await call(base, 'GET', `/api/v1/incidents?${q}`, auth);
    if (r.status !== 200) throw new Error(`list ${q} → ${r.status} ${r.body.slice(0, 300)}`);
    const page = JSON.parse(r.body) as { next_cursor: string | null };
    if (page.next_cursor && cursors.length < 5000) cursors.push(page.next_cursor);
  };
  // Warm up (connections, statement caches, JIT) before timing.
  await runPool(Math.min(100, LISTS), listJob);
  const listCpu0 = processCpuSeconds(serverPid);
  const lists = await runPool(LISTS, listJob);
  const listCpu = processCpuSeconds(serverPid) - listCpu0;
  const serial = await runPool(Math.min(300, LISTS), listJob, 1);
  // A few consoles and scripts reading at once: the everyday load on a list page.
  const few = await runPool(Math.min(400, LISTS), listJob, 4);

  const createJob = async (i: number) => {
    const r = await call(base, 'POST', '/api/v1/incidents', auth, { title: `Bench round ${round} incident ${i}`, severity: SEVERITIES[i % 4], services: [SERVICES[i % SERVICES.length]] });
    if (r.status !== 201) throw new Error(`create → ${r.status} ${r.body.slice(0, 300)}`);
  };
  await runPool(Math.min(200, CREATES), createJob);
  const createCpu0 = processCpuSeconds(serverPid);
  const creates = await runPool(CREATES, createJob);
  const createCpu = processCpuSeconds(serverPid) - createCpu0;
  return {
    createsPerSec: CREATES / (creates.wallMs / 1000),
    createP50: percentile(creates.latencies, 50),
    createP99: percentile(creates.latencies, 99),
    listP50: percentile(lists.latencies, 50),
    listP99: percentile(lists.latencies, 99),
    serialListP99: percentile(serial.latencies, 99),
    fewListP99: percentile(few.latencies, 99),
    serverCpuPerListMs: (listCpu * 1000) / LISTS,
    serverCpuPerCreateMs: (createCpu * 1000) / CREATES,
    storedAtList,
  };
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────

interface Result {
  engine: string;
  rounds: Round[];
  skipped?: string;
}

async function benchEngine(engine: DialectName, templateDir: string): Promise<Result> {
  log(`\n== ${engine} ==`);
  const dataDir = mkdtempSync(join(tmpdir(), `firebreak-bench-${engine}-`));
  let pgDb: { url: string; drop(): Promise<void> } | null = null;
  let server: BenchChild | null = null;
  try {
    if (engine === 'postgres') {
      const created = await createBenchDatabase('fbbench');
      if ('skip' in created) {
        log(`  PostgreSQL SKIPPED: ${created.skip}`);
        return { engine, rounds: [], skipped: created.skip };
      }
      pgDb = created;
    }
    const databaseUrl = pgDb?.url ?? null;
    if (pgDb) {
      log(`  copying the seeded rows into PostgreSQL …`);
      await copyTemplateToPostgres(templateDir, pgDb.url);
    } else {
      cpSync(templateDir, dataDir, { recursive: true });
    }
    server = await startBenchServer({ dataDir, databaseUrl, profileDir: opt.profile });
    log(`  server child pid ${server.child.pid} at ${server.url}`);
    const auth = { authorization: `Bearer ${await apiToken(server.url)}` };
    const rounds: Round[] = [];
    for (let r = 1; r <= ROUNDS; r++) {
      const round = await measureRound(server.url, auth, r, server.child.pid);
      rounds.push(round);
      log(
        `  round ${r}: ${fmt(Math.round(round.createsPerSec))} creates/s, create p50 ${round.createP50.toFixed(1)} ms p99 ${round.createP99.toFixed(1)} ms; ` +
          `list p99 ${round.serialListP99.toFixed(1)} ms (1 client), ${round.fewListP99.toFixed(1)} ms (4 clients), ${round.listP99.toFixed(1)} ms (${CONCURRENCY} clients, p50 ${round.listP50.toFixed(1)}); ` +
          `server CPU ${round.serverCpuPerCreateMs.toFixed(2)} ms/create, ${round.serverCpuPerListMs.toFixed(2)} ms/list (${fmt(round.storedAtList)} stored; load ${loadavg()[0].toFixed(2)})`,
      );
    }
    return { engine, rounds };
  } finally {
    await server?.stop();
    await pgDb?.drop().catch((e) => log(`  could not drop the bench database: ${(e as Error).message}`));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
await logMachine('bench:core');
log(`seed ${fmt(SEED)}, creates ${fmt(CREATES)}, list requests ${fmt(LISTS)}, concurrency ${CONCURRENCY}, rounds ${ROUNDS} (median reported)`);
const templateDir = mkdtempSync(join(tmpdir(), 'firebreak-bench-template-'));
try {
  log(`\nseeding ${fmt(SEED)} incidents through createIncident/transitionIncident (SQLite template, reused by every engine) …`);
  await seedTemplate(templateDir, SEED);
  for (const engine of ENGINES) results.push(await benchEngine(engine, templateDir));
} finally {
  agent.destroy();
  rmSync(templateDir, { recursive: true, force: true });
}

const header = ['engine', 'creates/s', 'create p50 ms', 'create p99 ms', 'list p99 ms (1 client)', 'list p99 ms (4 clients)', `list p99 ms (${CONCURRENCY} clients)`, 'incidents stored'];
const rows = results.map((r) => {
  if (r.skipped) return [r.engine, 'skipped', '', '', '', '', '', ''];
  const m = (f: (x: Round) => number) => median(r.rounds.map(f));
  const stored = r.rounds.map((x) => x.storedAtList);
  return [r.engine, fmt(Math.round(m((x) => x.createsPerSec))), m((x) => x.createP50).toFixed(1), m((x) => x.createP99).toFixed(1), m((x) => x.serialListP99).toFixed(1), m((x) => x.fewListP99).toFixed(1), m((x) => x.listP99).toFixed(1), `${fmt(Math.min(...stored))}–${fmt(Math.max(...stored))}`];
});
log(`\n${markdownTable(header, rows, 1)}`);
for (const r of results) {
  if (r.skipped) continue;
  const m = (f: (x: Round) => number) => median(r.rounds.map(f)).toFixed(2);
  log(`${r.engine}: server CPU ${m((x) => x.serverCpuPerCreateMs)} ms per create, ${m((x) => x.serverCpuPerListMs)} ms per list page (with ${CONCURRENCY} clients a page waits behind the others: p99 ≈ ${CONCURRENCY} × CPU per page)`);
}
log(`\nmedian of ${ROUNDS} rounds per figure; "incidents stored" is the count when list pages were measured (each round adds ${fmt(CREATES)} creates plus warm-up).`);
for (const r of results) if (!r.skipped) {
  const sq = median(r.rounds.map((x) => x.createsPerSec));
  const lp = median(r.rounds.map((x) => x.fewListP99));
  if (r.engine === 'sqlite' && sq < 2000) log(`target missed: sqlite creates/s ${Math.round(sq)} < 2,000`);
  if (lp >= 20) log(`target missed: ${r.engine} list p99 (4 clients) ${lp.toFixed(1)} ms ≥ 20 ms`);
}
