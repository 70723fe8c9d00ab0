/**
 * Analytics benchmark: every KPI query over a million incidents, on SQLite and PostgreSQL.
 * `npm run bench:analytics` (add `-- --help` for knobs).
 *
 * Each engine gets a fresh database migrated with the project's migrator, then a bulk load of
 * incidents spread over two years with their services, timelines (~5 rows each), alerts,
 * postmortems, action items and monitor roll-ups, written with multi-row INSERTs in transactions.
 * Then each KPI query runs over the last 30 days and over the whole two years, several times,
 * through the same functions the HTTP routes call; the table shows the median per query.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Insertable, type Kysely } from 'kysely';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../src/config/load.ts';
import { ConfigStore } from '../src/config/store.ts';
import type { FirebreakConfig } from '../src/config/schema.ts';
import { createDatabase, type Database } from '../src/db/create-db.ts';
import type { DialectName } from '../src/db/dialect.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import type { DB } from '../src/db/schema.ts';
import { ManualClock } from '../src/lib/clock.ts';
import { systemActor, type Ctx } from '../src/modules/context.ts';
import { availabilityReport, patternsReport, postmortemsReport, qualityReport, responseReport } from '../src/modules/analytics/index.ts';
import { createBenchDatabase, intOption, log, logMachine, markdownTable, median } from './support.ts';

const { values: opt } = parseArgs({
  options: {
    engines: { type: 'string', default: 'sqlite,postgres' },
    incidents: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '5' },
    /** Reuse a database loaded by an earlier run with --keep (sqlite:<file> or postgres://…). */
    reuse: { type: 'string', multiple: true },
    /** Keep the loaded databases and print where they are. */
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write('npm run bench:analytics -- [--engines sqlite,postgres] [--incidents 1000000] [--rounds 5] [--keep] [--reuse sqlite:FILE --reuse postgres://…]\n');
  process.exit(0);
}
const INCIDENTS = intOption('incidents', opt.incidents, 1000, 5_000_000);
const ROUNDS = intOption('rounds', opt.rounds, 1, 50);
const ENGINES = opt.engines!.split(',').map((e) => e.trim()) as DialectName[];
const TARGET_MS = 500;
const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** The data ends here and "now" is here, so every run sees the same rows. */
const NOW = Date.UTC(2026, 10, 30, 12, 0);
const SPAN = 730 * DAY;

const fmt = (n: number) => n.toLocaleString('en-US');

/** mulberry32: every run loads the same data. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** The example organisation with one HTTP monitor per service, so availability has roll-ups to read. */
function benchConfig(): FirebreakConfig {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { services: { id: string }[]; monitors: unknown[] };
  doc.monitors = doc.services.map((s) => ({ id: `${s.id}-http`, service: s.id, type: 'http', url: `https://${s.id}.example.com/health`, interval: '30s' }));
  const result = parseConfigText(stringify(doc), {});
  if (!result.ok) throw new Error(`bench config invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

// ─── data ───────────────────────────────────────────────────────────────────────────────────────

const SEVERITY_WEIGHTS: [string, number][] = [
  ['P0', 0.02],
  ['P1', 0.08],
  ['P2', 0.3],
  ['P3', 0.6],
];
/** Per-severity scale of response times (ms): acknowledge and resolve around the plan's targets. */
const SCALE: Record<string, { ack: number; resolve: number }> = {
  P0: { ack: 70_000, resolve: 11 * MINUTE },
  P1: { ack: 150_000, resolve: 40 * MINUTE },
  P2: { ack: 8 * MINUTE, resolve: 3 * HOUR },
  P3: { ack: 50 * MINUTE, resolve: 16 * HOUR },
};
const INTEGRATIONS = ['database-monitoring', 'prometheus', 'grafana', 'datadog'];
/** Keys per integration: a few fire often (Zipf-like), most rarely. */
const KEYS_PER_INTEGRATION = 3000;

function pick<T>(rand: () => number, weighted: [T, number][]): T {
  let r = rand();
  for (const [v, w] of weighted) if ((r -= w) < 0) return v;
  return weighted[weighted.length - 1][0];
}
/** Log-normal around `median` with spread `sigma` (natural log). */
function lognormal(rand: () => number, median: number, sigma: number): number {
  const u = Math.max(1e-12, rand());
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  return Math.max(1000, Math.round(median * Math.exp(sigma * z)));
}

interface Batch {
  incidents: Insertable<DB['incidents']>[];
  services: Insertable<DB['incident_services']>[];
  timeline: Insertable<DB['incident_timeline']>[];
  alerts: Insertable<DB['alerts']>[];
  postmortems: Insertable<DB['postmortems']>[];
  actionItems: Insertable<DB['action_items']>[];
}

/**
 * Incidents `first`..`first + count - 1` (numbers are 1-based), triggered evenly over the two years
 * with more in working hours, their severities, services, times and follow-ups drawn per incident.
 */
function makeBatch(config: FirebreakConfig, start: number, count: number): Batch {
  const services = config.services;
  const serviceWeights: [(typeof services)[number], number][] = services.map((s, i) => [s, 1 / (i + 2)]);
  const totalW = serviceWeights.reduce((a, [, w]) => a + w, 0);
  for (const sw of serviceWeights) sw[1] /= totalW;
  const out: Batch = { incidents: [], services: [], timeline: [], alerts: [], postmortems: [], actionItems: [] };
  for (let n = start; n < start + count; n++) {
    const rand = rng(n * 7919);
    let triggered = NOW - SPAN + Math.floor(((n - 0.5) / INCIDENTS) * SPAN);
    // Nights see fewer incidents: a third of those drawn at night move into the afternoon.
    const hourUtc = Math.floor((triggered % DAY) / HOUR);
    if ((hourUtc < 6 || hourUtc > 20) && rand() < 0.33) triggered = triggered - (triggered % DAY) + 13 * HOUR + Math.floor(rand() * 3 * HOUR);
    const severity = pick(rand, SEVERITY_WEIGHTS);
    const first = pick(rand, serviceWeights);
    const affected = rand() < 0.2 ? [...new Set([first, pick(rand, serviceWeights)])] : [first];
    const src = rand();
    const source = src < 0.93 ? 'automated' : src < 0.96 ? 'user_report' : 'manual';
    const ttd = source === 'automated' ? lognormal(rand, 45_000, 0.8) : lognormal(rand, 6 * MINUTE, 0.9);
    const detected = triggered - ttd;
    const scale = SCALE[severity];
    const open = triggered > NOW - 2 * HOUR && rand() < 0.5;
    const ack = open && rand() < 0.3 ? null : triggered + lognormal(rand, scale.ack, 0.7);
    const responded = ack === null ? null : ack + lognormal(rand, 40_000, 1);
    const resolved = open ? null : Math.max(responded ?? triggered, triggered + lognormal(rand, scale.resolve, 0.9));
    const closed = resolved !== null && rand() < 0.7 ? resolved + lognormal(rand, 2 * HOUR, 1) : null;
    const customerFacing = affected.some((s) => s.customer_facing);
    const integration = INTEGRATIONS[Math.floor(rand() * INTEGRATIONS.length)];
    const keyRank = Math.floor(KEYS_PER_INTEGRATION ** rand()) - 1;
    const fingerprint = source === 'automated' ? `${integration}/${first.id}/${keyRank}` : source === 'user_report' ? `user_reports/${first.id}` : null;
    const id = `inc_${String(n).padStart(10, '0')}`;
    const serious = severity === 'P0' || severity === 'P1';
    const bump = rand();
    out.incidents.push({
      id,
      number: n,
      title: `${first.name} degraded (${severity})`,
      description: `Generated by bench/analytics.ts: ${affected.map((s) => s.id).join(', ')} affected.`,
      severity,
      severity_source: 'rule',
      state: resolved === null ? (ack === null ? 'triggered' : 'investigating') : closed !== null ? 'closed' : 'resolved',
      source,
      customer_facing: customerFacing ? 1 : 0,
      user_share: Math.max(...affected.map((s) => s.user_share)),
      impact: JSON.stringify({ customer_facing: customerFacing, services: affected.map((s) => s.id) }),
      war_room_url: null,
      created_by: source === 'manual' ? 'usr_bench' : null,
      reopen_count: resolved !== null && rand() < 0.02 ? 1 : 0,
      detected_at: detected,
      triggered_at: triggered,
      acknowledged_at: ack,
      resolved_at: resolved,
      closed_at: closed,
      created_at: triggered,
      updated_at: closed ?? resolved ?? ack ?? triggered,
      merged_into: n > 1 && rand() < 0.01 ? `inc_${String(n - 1).padStart(10, '0')}` : null,
      responded_at: responded,
      severity_changed_at: bump < 0.06 ? triggered + lognormal(rand, 5 * MINUTE, 0.5) : bump < 0.1 ? triggered + lognormal(rand, 40 * MINUTE, 0.8) : null,
      resolution: resolved === null ? null : rand() < 0.04 ? 'not_an_incident' : 'fixed',
      fingerprint,
      stakeholders_notified_at: serious ? triggered + lognormal(rand, 3 * MINUTE, 0.8) : null,
      status_posted_at: serious && customerFacing && rand() < 0.9 ? detected + lognormal(rand, 3 * MINUTE, 0.6) : null,
    });
    for (const s of affected) out.services.push({ incident_id: id, incident_number: n, service_id: s.id, added_at: triggered });
    const entry = (at: number, kind: string, body: string) =>
      out.timeline.push({ incident_id: id, at, kind, actor_type: 'system', actor_id: null, actor_name: 'firebreak', body, data: '{}' });
    entry(triggered, 'created', `Incident opened (${severity})`);
    if (ack !== null) entry(ack, 'acknowledged', 'Acknowledged by on-call');
    if (responded !== null) entry(responded, 'note', 'Looking at the dashboards');
    if (resolved !== null) entry(resolved, 'resolved', 'Resolved');
    if (closed !== null) entry(closed, 'closed', 'Closed');
    if (fingerprint && source === 'automated') {
      // The opening alert, and now and then a noisy one that joined without paging.
      const [integ, ...rest] = fingerprint.split('/');
      const alert = (key: string, extra: number, incidentId: string | null, suppressed: string | null) =>
        out.alerts.push({
          id: `alr_${String(n).padStart(10, '0')}_${extra}`,
          integration_id: integ,
          dedup_key: key,
          status: 'resolved',
          summary: `${key} firing`,
          source: 'bench',
          severity: 'critical',
          service_id: first.id,
          incident_id: incidentId,
          first_seen_at: detected + extra * 1000,
          last_seen_at: (resolved ?? triggered) + extra * 1000,
          detected_at: detected + extra * 1000,
          acknowledged_at: null,
          resolved_at: resolved ?? triggered,
          event_count: 1 + Math.floor(rand() * rand() * 40),
          details: '{}',
          labels: '{}',
          suppressed_by: suppressed,
          flapping_since: null,
        });
      alert(rest.join('/'), 0, id, null);
      if (rand() < 0.3) alert(`${first.id}/${Math.floor(KEYS_PER_INTEGRATION ** rand()) - 1}`, 1, id, null);
      if (rand() < 0.05) alert(`${first.id}/noise`, 2, null, 'sil_bench');
    }
    if (serious && resolved !== null) {
      const pmId = `pm_${String(n).padStart(10, '0')}`;
      const due = resolved + 48 * HOUR;
      const done = rand();
      const completed = done < 0.8 ? resolved + lognormal(rand, 30 * HOUR, 0.4) : null;
      out.postmortems.push({
        id: pmId,
        incident_id: id,
        status: completed !== null ? 'completed' : done < 0.9 ? 'in_review' : 'draft',
        owner_id: null,
        due_at: due,
        content: '{}',
        revision: 1,
        created_at: resolved,
        updated_at: completed ?? resolved,
        completed_at: completed,
        published_at: null,
        reminded_at: null,
        source: 'auto',
        created_by: 'firebreak',
      });
      const items = 1 + Math.floor(rand() * 3);
      for (let k = 0; k < items; k++) {
        const state = rand();
        const created = completed ?? resolved + HOUR;
        const status = state < 0.6 ? 'done' : state < 0.7 ? 'wont_do' : state < 0.85 ? 'in_progress' : 'open';
        out.actionItems.push({
          id: `ai_${String(n).padStart(10, '0')}_${k}`,
          incident_id: id,
          postmortem_id: pmId,
          title: 'Add an alert for the leading indicator',
          description: '',
          owner_id: null,
          due_at: created + 14 * DAY,
          priority: 'medium',
          tracker_url: null,
          status,
          created_at: created,
          updated_at: created,
          closed_at: status === 'done' || status === 'wont_do' ? created + lognormal(rand, 10 * DAY, 0.6) : null,
          reminded_at: null,
          created_by: 'firebreak',
        });
      }
    }
  }
  return out;
}

/** Inserts rows in statements of at most `perStatement` parameters (SQLite allows 32,766). */
async function insertAll<T extends keyof DB>(db: Kysely<DB>, table: T, rows: Insertable<DB[T]>[]): Promise<void> {
  if (!rows.length) return;
  const per = Math.max(1, Math.floor(30_000 / Object.keys(rows[0] as object).length));
  for (let i = 0; i < rows.length; i += per) await db.insertInto(table).values(rows.slice(i, i + per) as never).execute();
}

/** Roll-ups per monitor: days over the two years, hours over 90 days, minutes over two days, a few bad patches. */
async function loadRollups(db: Kysely<DB>, config: FirebreakConfig): Promise<number> {
  let rows = 0;
  for (const [mi, m] of config.monitors.entries()) {
    const rand = rng(1000 + mi);
    const batch: Insertable<DB['monitor_rollups']>[] = [];
    const add = (size: number, start: number, checks: number) => {
      const bad = rand() < 0.02 ? Math.floor(checks * rand() * 0.2) : rand() < 0.2 ? 1 : 0;
      batch.push({ monitor_id: m.id, size, start, checks, failures: bad, degraded: 0, duration_sum: checks * 80, duration_max: 900, p50: 70, p95: 200, hist: '[]' });
    };
    const dayStart = Math.floor((NOW - SPAN) / DAY) * DAY;
    for (let t = dayStart; t + DAY <= Math.floor(NOW / DAY) * DAY; t += DAY) add(DAY, t, 2880);
    for (let t = Math.floor((NOW - 90 * DAY) / HOUR) * HOUR; t + HOUR <= Math.floor(NOW / HOUR) * HOUR; t += HOUR) add(HOUR, t, 120);
    for (let t = Math.floor((NOW - 2 * DAY) / MINUTE) * MINUTE; t + MINUTE <= Math.floor(NOW / MINUTE) * MINUTE; t += MINUTE) add(MINUTE, t, 2);
    await db.transaction().execute((trx) => insertAll(trx, 'monitor_rollups', batch));
    rows += batch.length;
  }
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('monitor_rollup_marks').execute();
    await trx
      .insertInto('monitor_rollup_marks')
      .values([
        { size: MINUTE, through: Math.floor(NOW / MINUTE) * MINUTE },
        { size: HOUR, through: Math.floor(NOW / HOUR) * HOUR },
        { size: DAY, through: Math.floor(NOW / DAY) * DAY },
      ])
      .execute();
  });
  return rows;
}

/** Loads everything into a migrated database, with progress; returns the row counts. */
async function load(db: Database, config: FirebreakConfig): Promise<Record<string, number>> {
  const counts: Record<string, number> = { incidents: 0, incident_services: 0, incident_timeline: 0, alerts: 0, postmortems: 0, action_items: 0, monitor_rollups: 0 };
  const t0 = performance.now();
  const BATCH = 5000;
  let nextReport = 50_000;
  for (let done = 0; done < INCIDENTS; done += BATCH) {
    const b = makeBatch(config, done + 1, Math.min(BATCH, INCIDENTS - done));
    await db.kysely.transaction().execute(async (trx) => {
      await insertAll(trx, 'incidents', b.incidents);
      await insertAll(trx, 'incident_services', b.services);
      await insertAll(trx, 'incident_timeline', b.timeline);
      await insertAll(trx, 'alerts', b.alerts);
      await insertAll(trx, 'postmortems', b.postmortems);
      await insertAll(trx, 'action_items', b.actionItems);
    });
    counts.incidents += b.incidents.length;
    counts.incident_services += b.services.length;
    counts.incident_timeline += b.timeline.length;
    counts.alerts += b.alerts.length;
    counts.postmortems += b.postmortems.length;
    counts.action_items += b.actionItems.length;
    if (counts.incidents >= nextReport || counts.incidents === INCIDENTS) {
      const s = (performance.now() - t0) / 1000;
      log(`  loaded ${fmt(counts.incidents).padStart(9)} / ${fmt(INCIDENTS)} incidents, ${fmt(counts.incident_timeline)} timeline rows, ${fmt(counts.alerts)} alerts  (${fmt(Math.round(counts.incidents / s))}/s, ${s.toFixed(0)}s)`);
      nextReport += 50_000;
    }
  }
  counts.monitor_rollups = await loadRollups(db.kysely, config);
  await sql`update counters set value = ${INCIDENTS} where name = 'incident_number'`.execute(db.kysely);
  return counts;
}

/** Planner statistics as in production: autovacuum keeps PostgreSQL's; Firebreak never runs ANALYZE on SQLite, so its planner works without statistics here too. (The KPI indexes come from the migrations: 0012, rebuilt by 0017.) */
async function createAnalyticsIndexes(db: Database): Promise<void> {
  if (db.dialect.name === 'postgres') await sql`vacuum analyze`.execute(db.kysely);
}

// ─── queries ───────────────────────────────────────────────────────────────────────────────────

type Query = { name: string; run(ctx: Ctx, from: string, to: string): Promise<unknown> };
const QUERIES: Query[] = [
  { name: 'response (MTTD/MTTA/MTTR, p90)', run: (ctx, from, to) => responseReport(ctx, { from, to }) },
  { name: 'response, service=api', run: (ctx, from, to) => responseReport(ctx, { from, to, service: 'api' }) },
  { name: 'quality', run: (ctx, from, to) => qualityReport(ctx, { from, to }) },
  { name: 'availability', run: (ctx, from, to) => availabilityReport(ctx, { from, to }) },
  { name: 'postmortems', run: (ctx, from, to) => postmortemsReport(ctx, { from, to }) },
  { name: 'patterns', run: (ctx, from, to) => patternsReport(ctx, { from, to }) },
];
const PERIODS = [
  { name: '30 days', from: NOW - 30 * DAY },
  { name: '2 years', from: NOW - SPAN },
];

async function measure(db: Database, config: FirebreakConfig): Promise<Map<string, number>> {
  const ctx: Ctx = { db, config: new ConfigStore(config, null, {}), clock: new ManualClock(NOW), actor: systemActor('bench'), requestId: 'bench' };
  const out = new Map<string, number>();
  for (const period of PERIODS) {
    const from = new Date(period.from).toISOString();
    const to = new Date(NOW).toISOString();
    for (const q of QUERIES) {
      await q.run(ctx, from, to); // warm the cache and the statement
      const times: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        const s = performance.now();
        await q.run(ctx, from, to);
        times.push(performance.now() - s);
      }
      out.set(`${q.name}\u0000${period.name}`, median(times));
      log(`  ${db.dialect.name.padEnd(8)} ${period.name.padEnd(8)} ${q.name.padEnd(32)} ${median(times).toFixed(1).padStart(8)} ms`);
    }
  }
  return out;
}

// ─── main ──────────────────────────────────────────────────────────────────────────────────────

await logMachine('bench:analytics');
const config = benchConfig();
const results = new Map<DialectName, Map<string, number> | string>();
for (const engine of ENGINES) {
  const reuse = opt.reuse?.find((u) => (engine === 'sqlite' ? u.startsWith('sqlite:') : /^postgres(ql)?:/.test(u)));
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-analytics-'));
  let url: string;
  let drop = async () => {};
  if (reuse) url = reuse;
  else if (engine === 'sqlite') url = `sqlite:${join(dir, 'analytics.db')}`;
  else {
    const created = await createBenchDatabase('fb_bench_analytics');
    if ('skip' in created) {
      log(`PostgreSQL skipped: ${created.skip}`);
      results.set(engine, 'skipped');
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    url = created.url;
    drop = created.drop;
  }
  const db = createDatabase({ databaseUrl: url, dataDir: dir, poolSize: 4 });
  try {
    if (!reuse) {
      log(`\n${engine}: migrating and loading ${fmt(INCIDENTS)} incidents`);
      await migrateToLatest(db);
      // A bulk load, not the server: the durability of each commit does not matter here.
      if (engine === 'sqlite') await sql`pragma synchronous = off`.execute(db.kysely);
      const t0 = performance.now();
      const counts = await load(db, config);
      log(`  loaded in ${((performance.now() - t0) / 1000).toFixed(0)}s: ${Object.entries(counts).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
      const t1 = performance.now();
      await createAnalyticsIndexes(db);
      log(`  analytics indexes${engine === 'postgres' ? ' and VACUUM ANALYZE' : ''} in ${((performance.now() - t1) / 1000).toFixed(0)}s`);
    } else {
      log(`\n${engine}: reusing ${reuse.replace(/:[^:@/]*@/, ':***@')}`);
      await createAnalyticsIndexes(db);
    }
    log(`${engine}: ${ROUNDS} rounds per query`);
    results.set(engine, await measure(db, config));
  } finally {
    await db.close();
    const keep = opt.keep && !reuse;
    if (keep) log(`  kept: --reuse ${url}`);
    else await drop();
    // The directory holds the SQLite file (kept with it) and nothing for PostgreSQL.
    if (!keep || engine !== 'sqlite') rmSync(dir, { recursive: true, force: true });
  }
}

const header = ['query', 'period', ...ENGINES.map((e) => `${e} (ms)`), 'target'];
const rows: string[][] = [];
for (const period of PERIODS) {
  for (const q of QUERIES) {
    const cells = ENGINES.map((e) => {
      const r = results.get(e);
      if (!r || typeof r === 'string') return 'skipped';
      const ms = r.get(`${q.name}\u0000${period.name}`)!;
      return `${ms.toFixed(1)}${ms > TARGET_MS ? ' ✗' : ''}`;
    });
    rows.push([q.name, period.name, ...cells, `< ${TARGET_MS}`]);
  }
}
log(`\nMedian of ${ROUNDS} runs per query, ${fmt(INCIDENTS)} incidents over two years:\n`);
log(markdownTable(header, rows, 2));
