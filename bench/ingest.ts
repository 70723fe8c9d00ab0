/**
 * Ingest benchmark: alert events over real HTTP against the real server, on SQLite and
 * PostgreSQL, beside a real Prometheus Alertmanager taking the same alerts on the same machine.
 * `npm run bench:ingest` (add `-- --help` for knobs).
 *
 * Closed loop at increasing concurrency (8, 32, 128 clients by default): each step sends up to
 * `--events` trigger events over `--keys` distinct dedup keys (keys never seen before, so every
 * event opens an alert), spread over every configured service, and stops early after `--seconds`
 * so a slow receiver does not stretch the run. Reported per step: accepted events
 * per second, p50/p99 latency to the 202, and p99 time from the 202 to the alert being part of an
 * incident. Each step runs `--rounds` times and the median of each figure is reported.
 *
 * The server runs as a child process (so the client does not take its core) with a bench config:
 * one events_v2 integration per service and the limiter out of the way. Alertmanager gets the
 * same alerts, one per request to `/api/v2/alerts`, from the same client at the same concurrency,
 * so the Firebreak/Alertmanager ratio comes from one run on one machine. With `--batch N` (50 by
 * default) both also get N alerts per request (with `--batch-concurrency` clients, 8 by default): Firebreak through its Alertmanager webhook
 * receiver, Alertmanager through `/api/v2/alerts`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import YAML from 'yaml';
import { Connection } from './lib/http-load.ts';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../src/config/load.ts';
import { startAlertmanager } from '../test/helpers/processes.ts';
import { BENCH_OUTPUT_LIMIT, benchChild, createBenchDatabase, intOption, log, logMachine, markdownTable, median, percentile, processCpuSeconds, startBenchServer, type BenchChild } from './support.ts';

const { values: opt } = parseArgs({
  options: {
    engines: { type: 'string', default: 'sqlite,postgres' },
    /** Events (trigger requests) per step. */
    events: { type: 'string', default: '10000' },
    /** Distinct dedup keys per step; with fewer keys than events the rest are repeats of open alerts. */
    keys: { type: 'string', default: '10000' },
    /** A step also ends after this many seconds, so slow receivers keep the run short. */
    seconds: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8,32,128' },
    /** Alerts per request for the batched rows; 0 leaves them out. */
    batch: { type: 'string', default: '50' },
    /**
     * Clients for the batched rows. One level by default: at 128 clients × 50 alerts a slow
     * receiver has more queued than it takes in a step, and the step measures the queue instead.
     */
    'batch-concurrency': { type: 'string', default: '8' },
    alertmanager: { type: 'string', default: '/usr/bin/prometheus-alertmanager' },
    /** Write a CPU profile of the Firebreak server (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(
    'npm run bench:ingest -- [--engines sqlite,postgres] [--events 10000] [--keys 10000] [--seconds 5] [--rounds 3] [--concurrency 8,32,128]\n' +
      '                        [--batch 50] [--batch-concurrency 8] [--alertmanager /usr/bin/prometheus-alertmanager | none] [--profile DIR]\n',
  );
  process.exit(0);
}
const EVENTS = intOption('events', opt.events, 1, 1_000_000);
const KEYS = intOption('keys', opt.keys, 1, 1_000_000);
const SECONDS = intOption('seconds', opt.seconds, 1, 3600);
const ROUNDS = intOption('rounds', opt.rounds, 1, 25);
const BATCH = intOption('batch', opt.batch, 0, 1000);
const LEVELS = opt.concurrency!.split(',').map((c) => intOption('concurrency', c.trim(), 1, 1024));
const BATCH_LEVELS = opt['batch-concurrency']!.split(',').map((c) => intOption('batch-concurrency', c.trim(), 1, 1024));
const ENGINES = opt.engines!.split(',').map((e) => e.trim()).filter(Boolean);
for (const e of ENGINES) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`--engines: unknown engine ${e}`);

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const ms1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
/** Wall-clock time in fractional epoch ms: comparable with the server's Date.now() stamps (same host clock). */
const wallNow = () => performance.timeOrigin + performance.now();

// ─── the alerts: one shape, three wire formats ──────────────────────────────────────────────

const SERVICES = ['web', 'api', 'database', 'auth', 'cache', 'storage', 'checkout', 'work-orders', 'reporting', 'notifications', 'docs'];
const PD_SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
const eventsKey = (service: string) => `bench-events-key-${service}-0123456789`;
const ALERTMANAGER_KEY = 'bench-alertmanager-key-0123456789';

interface BenchAlert {
  key: string;
  service: string;
  severity: string;
  summary: string;
  source: string;
}

/**
 * The alerts of one step: `count` alerts over `keys` distinct keys under `prefix`, round-robin over
 * the services. With `perRequest` > 1, each request's alerts share one service, as an
 * Alertmanager notification grouped by service would.
 */
function stepAlerts(prefix: string, count: number, keys: number, perRequest: number): BenchAlert[] {
  const width = String(keys - 1).length;
  return Array.from({ length: count }, (_, i) => {
    const k = i % keys;
    const service = SERVICES[Math.floor(k / perRequest) % SERVICES.length];
    return {
      key: `${prefix}${String(k).padStart(width, '0')}`,
      service,
      severity: PD_SEVERITIES[k % PD_SEVERITIES.length],
      summary: `Bench alert ${k}: ${service} error rate above threshold`,
      source: `${service}-host-${k % 97}`,
    };
  });
}

/** One HTTP request of a step, serialised to its bytes on the wire before the clock starts. */
interface Req {
  path: string;
  wire: Buffer;
  keys: string[];
}

const jsonReq = (path: string, body: unknown, keys: string[], extra: Record<string, string> = {}): Req => {
  const json = Buffer.from(JSON.stringify(body));
  const headers = { host: '127.0.0.1', 'content-type': 'application/json', 'content-length': String(json.length), ...extra };
  const head = `POST ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return { path, wire: Buffer.concat([Buffer.from(head, 'latin1'), json]), keys };
};

/** PagerDuty Events API v2 triggers, one per request. */
const pdRequests = (alerts: BenchAlert[]) =>
  alerts.map((a) =>
    jsonReq('/v2/enqueue', { routing_key: eventsKey(a.service), event_action: 'trigger', dedup_key: a.key, payload: { summary: a.summary, source: a.source, severity: a.severity } }, [a.key]),
  );

const amAlert = (a: BenchAlert, startsAt: string) => ({
  labels: { alertname: 'FirebreakBench', service: a.service, severity: a.severity, dedup: a.key, instance: a.source },
  annotations: { summary: a.summary },
  startsAt,
  generatorURL: `http://prometheus.bench.invalid/graph?g0.expr=bench_errors%7Bdedup%3D%22${a.key}%22%7D`,
});

const chunks = <T>(xs: T[], n: number) => Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** Alertmanager's own API (what Prometheus posts to): a JSON array of alerts per request. */
const amRequests = (alerts: BenchAlert[], perRequest: number) => {
  const startsAt = new Date().toISOString();
  return chunks(alerts, perRequest).map((group) => jsonReq('/api/v2/alerts', group.map((a) => amAlert(a, startsAt)), group.map((a) => a.key)));
};

/** Firebreak's Alertmanager webhook receiver: a version 4 notification of `perRequest` alerts. */
const webhookRequests = (alerts: BenchAlert[], perRequest: number) => {
  const startsAt = new Date().toISOString();
  return chunks(alerts, perRequest).map((group) =>
    jsonReq(
      '/api/v1/integrations/prometheus/alertmanager',
      {
        version: '4',
        groupKey: `{}:{alertname="FirebreakBench", service="${group[0].service}"}`,
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'firebreak',
        groupLabels: { alertname: 'FirebreakBench', service: group[0].service },
        commonLabels: { alertname: 'FirebreakBench', service: group[0].service },
        commonAnnotations: {},
        externalURL: 'http://alertmanager.bench.invalid:9093',
        alerts: group.map((a) => ({ status: 'firing', ...amAlert(a, startsAt), endsAt: '0001-01-01T00:00:00Z', fingerprint: a.key })),
      },
      group.map((a) => a.key),
      { authorization: `Bearer ${ALERTMANAGER_KEY}` },
    ),
  );
};

// ─── processes: Firebreak and Alertmanager ──────────────────────────────────────────────────

/**
 * The example organisation with its integrations replaced: one events_v2 integration per
 * service (an events_v2 integration targets one fixed service, and a real fleet pages many) and
 * the `prometheus` Alertmanager receiver, all with the limiter far above what the bench sends.
 */
function writeBenchConfig(dir: string): string {
  const doc = YAML.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { services: { id: string }[]; integrations: unknown[] };
  const configured = new Set(doc.services.map((s) => s.id));
  for (const s of SERVICES) if (!configured.has(s)) throw new Error(`the example config has no service ${s}`);
  const rateLimit = { per_minute: 1_000_000 };
  doc.integrations = [
    ...SERVICES.map((s) => ({ id: `bench-${s}`, name: `Bench monitoring (${s})`, type: 'events_v2', key: eventsKey(s), service: s, rate_limit: rateLimit, severity: { critical: 'P1' } })),
    { id: 'prometheus', name: 'Prometheus Alertmanager', type: 'alertmanager', key: ALERTMANAGER_KEY, service: 'api', rate_limit: rateLimit, severity: { critical: 'P1' } },
  ];
  const file = join(dir, 'firebreak-bench.yaml');
  writeFileSync(file, YAML.stringify(doc));
  const loaded = loadConfigFile(file, {});
  if (!loaded.ok) throw new Error(`the bench config is invalid:\n${formatIssues(file, loaded.issues)}`);
  return file;
}

/**
 * Alertmanager on loopback with clustering off and one receiver that sends nothing: the cost
 * measured is taking alerts in (validation, the in-memory store, routing into groups), which is
 * what Firebreak's ingestion is compared with.
 */
async function startBlackholeAlertmanager(dir: string): Promise<BenchChild> {
  const config = join(dir, 'alertmanager.yml');
  writeFileSync(config, ['route:', '  receiver: blackhole', "  group_by: ['alertname', 'service']", 'receivers:', '  - name: blackhole', ''].join('\n'));
  return benchChild('alertmanager', await startAlertmanager({ binary: opt.alertmanager!, configFile: config, storageDir: join(dir, 'am-data'), outputLimit: BENCH_OUTPUT_LIMIT }));
}

// ─── HTTP client: keep-alive sockets, requests serialised beforehand ────────────────────────

interface Step {
  /** Accepted (2xx) alerts per second of wall time. */
  eventsPerSec: number;
  p50: number;
  p99: number;
  /** p99 of (alert part of an incident) − (its 202); NaN where there are no incidents (Alertmanager). */
  incidentP99: number;
  incidentP50: number;
  /** Share of alerts whose incident link was stamped after the client had its 202. */
  pendingAtAccept: number;
  /** From the last 2xx until every accepted alert was seen in an incident, by polling the database. */
  drainMs: number;
  serverCpuMsPerEvent: number;
  clientCpuMsPerEvent: number;
  /** Alerts accepted in the step (fewer than --events when the time cap ended it). */
  events: number;
  refused: number;
}

/**
 * Sends the requests in order with `concurrency` clients (closed loop: each sends its next request
 * when the last is answered) until all are sent or `seconds` have passed; returns per-request
 * latencies and, per key, the wall time of its first 2xx. Connections are opened before the clock starts.
 */
async function send(base: URL, reqs: Req[], concurrency: number, seconds: number) {
  const conns = await Promise.all(Array.from({ length: Math.min(concurrency, reqs.length) }, () => Connection.open(Number(base.port), base.hostname)));
  const latencies = new Float64Array(reqs.length);
  const acceptedAt = new Map<string, number>();
  let next = 0;
  let ok = 0;
  let events = 0;
  let requests = 0;
  let refused = 0;
  let lastAccept = 0;
  const refusals = new Map<string, number>();
  const t0 = performance.now();
  const stopAt = t0 + seconds * 1000;
  try {
    await Promise.all(
      conns.map(async (conn) => {
        while (next < reqs.length && performance.now() < stopAt) {
          const i = next++;
          const s = performance.now();
          const res = await conn.send(reqs[i].wire);
          const e = performance.now();
          requests++;
          if (res.status >= 200 && res.status < 300) {
            latencies[ok++] = e - s;
            events += reqs[i].keys.length;
            lastAccept = performance.timeOrigin + e;
            for (const k of reqs[i].keys) if (!acceptedAt.has(k)) acceptedAt.set(k, lastAccept);
          } else {
            refused += reqs[i].keys.length;
            const why = `${res.status} ${res.body.slice(0, 200)}`;
            refusals.set(why, (refusals.get(why) ?? 0) + 1);
          }
        }
      }),
    );
  } finally {
    for (const c of conns) c.close();
  }
  const wallMs = performance.now() - t0;
  for (const [why, n] of refusals) log(`    refused ${n}×: ${why}`);
  return { latencies: latencies.subarray(0, ok).sort(), events, requests, refused, wallMs, acceptedAt, lastAccept };
}

// ─── accept → incident, read from the database the server writes ────────────────────────────

interface Reader {
  all(sql: string, params: unknown[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

/** SQLite read-only in this process (WAL lets it read beside the server's writer); PostgreSQL over its own connection. */
async function openReader(engine: string, dataDir: string, pgUrl: string | null): Promise<Reader> {
  if (engine === 'sqlite') {
    const db = new BetterSqlite3(join(dataDir, 'firebreak.db'), { readonly: true, fileMustExist: true });
    return { all: async (sql, params) => db.prepare(sql).all(...params) as Record<string, unknown>[], close: async () => void db.close() };
  }
  const client = new pg.Client({ connectionString: pgUrl! });
  await client.connect();
  return {
    all: async (sql, params) => {
      let n = 0;
      return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows;
    },
    close: () => client.end(),
  };
}

/**
 * When each accepted alert became part of an incident, relative to its 202. Written so that it
 * still holds if ingestion answers 202 before the incident work is done: it polls until every
 * accepted key's alert has an incident_id (giving the drain time), then takes the server's own
 * stamp of the alert (`first_seen_at`: the alert row is written, and joined to a new or open
 * incident, in one transaction; same host clock) and counts max(0, stamp − 202).
 */
async function incidentLag(reader: Reader, prefix: string, acceptedAt: Map<string, number>, lastAccept: number) {
  const stamps = new Map<string, number>();
  const deadline = Date.now() + 120_000;
  while (stamps.size < acceptedAt.size) {
    const rows = await reader.all(`select dedup_key, first_seen_at from alerts where dedup_key >= ? and dedup_key < ? and incident_id is not null`, [prefix, `${prefix}~`]);
    for (const r of rows) stamps.set(String(r.dedup_key), Number(r.first_seen_at));
    if (stamps.size >= acceptedAt.size) break;
    if (Date.now() > deadline) {
      log(`    ${acceptedAt.size - stamps.size} accepted alerts still without an incident after 120 s`);
      break;
    }
    await sleep(10);
  }
  const drainMs = Math.max(0, wallNow() - lastAccept);
  const lags: number[] = [];
  let pending = 0;
  for (const [key, accepted] of acceptedAt) {
    const stamp = stamps.get(key);
    if (stamp === undefined) continue;
    // The stamp is whole milliseconds (Date.now()), so "after the 202" needs a full millisecond.
    const lag = stamp + 1 - accepted;
    if (lag > 0) pending++;
    lags.push(Math.max(0, lag));
  }
  lags.sort((a, b) => a - b);
  return {
    p50: lags.length ? percentile(lags, 50) : Number.NaN,
    p99: lags.length ? percentile(lags, 99) : Number.NaN,
    pendingAtAccept: lags.length ? pending / lags.length : Number.NaN,
    drainMs,
  };
}

// ─── steps ──────────────────────────────────────────────────────────────────────────────────

type Mode = 'single' | 'batch';

interface Row {
  receiver: 'firebreak' | 'alertmanager';
  engine: string;
  mode: Mode;
  clients: number;
  steps: Step[];
}

let stepSerial = 0;

/** One measured step: fresh keys, requests built, sent, then (Firebreak) the incident times read back. */
async function runStep(target: { base: URL; pid: number | undefined; reader?: Reader }, build: (alerts: BenchAlert[]) => Req[], perRequest: number, clients: number, label: string): Promise<Step> {
  const prefix = `b${process.pid}-${++stepSerial}/`;
  const reqs = build(stepAlerts(prefix, EVENTS, KEYS, perRequest));
  const cpu0 = processCpuSeconds(target.pid);
  const client0 = process.cpuUsage();
  const sent = await send(target.base, reqs, clients, SECONDS);
  const cpu = processCpuSeconds(target.pid) - cpu0;
  const client = process.cpuUsage(client0);
  if (sent.events === 0) throw new Error(`${label}: every request was refused`);
  const lag = target.reader ? await incidentLag(target.reader, prefix, sent.acceptedAt, sent.lastAccept) : null;
  const step: Step = {
    eventsPerSec: sent.events / (sent.wallMs / 1000),
    p50: percentile(sent.latencies, 50),
    p99: percentile(sent.latencies, 99),
    incidentP50: lag?.p50 ?? Number.NaN,
    incidentP99: lag?.p99 ?? Number.NaN,
    pendingAtAccept: lag?.pendingAtAccept ?? Number.NaN,
    drainMs: lag?.drainMs ?? Number.NaN,
    serverCpuMsPerEvent: (cpu * 1000) / sent.events,
    clientCpuMsPerEvent: (client.user + client.system) / 1000 / sent.events,
    events: sent.events,
    refused: sent.refused,
  };
  log(
    `    ${label.padEnd(34)} ${fmt(step.events).padStart(6)} alerts, ${fmt(step.eventsPerSec).padStart(6)}/s  p50 ${ms1(step.p50).padStart(6)} ms  p99 ${ms1(step.p99).padStart(6)} ms` +
      (lag ? `  accept→incident p50 ${ms1(step.incidentP50)} p99 ${ms1(step.incidentP99)} ms (${(step.pendingAtAccept * 100).toFixed(0)}% after the 202; all in incidents ${ms1(step.drainMs)} ms after the last 202)` : '') +
      `  CPU/event: receiver ${step.serverCpuMsPerEvent.toFixed(3)} ms, client ${step.clientCpuMsPerEvent.toFixed(3)} ms` +
      (step.refused ? `  REFUSED ${fmt(step.refused)}` : '') +
      `  (load ${loadavg()[0].toFixed(2)})`,
  );
  return step;
}

/** Warm-up (connections, JIT, statement caches; on Firebreak also the first incident on each service), then every round × level × mode. */
async function measure(receiver: Row['receiver'], engine: string, target: { base: URL; pid: number | undefined; reader?: Reader }, single: (a: BenchAlert[]) => Req[], batched: ((a: BenchAlert[]) => Req[]) | null): Promise<Row[]> {
  const rows: Row[] = [];
  const row = (mode: Mode, clients: number) => {
    let r = rows.find((x) => x.mode === mode && x.clients === clients);
    if (!r) rows.push((r = { receiver, engine, mode, clients, steps: [] }));
    return r;
  };
  const warm = `w${process.pid}-${++stepSerial}/`;
  await send(target.base, single(stepAlerts(warm, 2000, 2000, 1)), LEVELS[0], 2);
  if (batched) await send(target.base, batched(stepAlerts(`${warm}b`, 2000, 2000, BATCH)), LEVELS[0], 2);
  for (let round = 1; round <= ROUNDS; round++) {
    log(`  round ${round}`);
    for (const clients of LEVELS) row('single', clients).steps.push(await runStep(target, single, 1, clients, `1 alert/request, ${clients} clients`));
    if (batched) for (const clients of BATCH_LEVELS) row('batch', clients).steps.push(await runStep(target, batched, BATCH, clients, `${BATCH} alerts/request, ${clients} clients`));
  }
  return rows;
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────

const rows: Row[] = [];
const notes: string[] = [];
const workDir = mkdtempSync(join(tmpdir(), 'firebreak-bench-ingest-'));

await logMachine('bench:ingest');
log(
  `per step: ${fmt(EVENTS)} alerts over ${fmt(KEYS)} new dedup keys, ${SERVICES.length} services; clients ${LEVELS.join(', ')}; ` +
    `${BATCH ? `batched rows: ${BATCH} alerts/request, clients ${BATCH_LEVELS.join(', ')}; ` : ''}rounds ${ROUNDS} (median reported)`,
);
try {
  const configFile = writeBenchConfig(workDir);

  log('\n== Alertmanager ==');
  if (opt.alertmanager === 'none') {
    log('  Alertmanager SKIPPED (--alertmanager none)');
    notes.push('Alertmanager skipped (--alertmanager none): no ratio.');
  } else if (!existsSync(opt.alertmanager!)) {
    log(`  Alertmanager SKIPPED: ${opt.alertmanager} not found. Install it with \`apt-get install prometheus-alertmanager\` (or pass --alertmanager PATH) for the Firebreak/Alertmanager ratio.`);
    notes.push(`Alertmanager skipped: ${opt.alertmanager} not found (apt-get install prometheus-alertmanager); no ratio.`);
  } else {
    const am = await startBlackholeAlertmanager(workDir);
    try {
      const version = await fetch(`${am.url}/api/v2/status`).then((r) => r.json() as Promise<{ versionInfo?: { version?: string } }>, () => ({}) as { versionInfo?: { version?: string } });
      log(`  alertmanager ${version.versionInfo?.version ?? '?'} pid ${am.child.pid} at ${am.url}`);
      rows.push(...(await measure('alertmanager', '(memory)', { base: new URL(am.url), pid: am.child.pid }, (a) => amRequests(a, 1), BATCH ? (a) => amRequests(a, BATCH) : null)));
    } finally {
      await am.stop();
    }
  }

  for (const engine of ENGINES) {
    log(`\n== Firebreak on ${engine} ==`);
    const dataDir = mkdtempSync(join(workDir, `${engine}-`));
    let pgDb: { url: string; drop(): Promise<void> } | null = null;
    let server: BenchChild | null = null;
    let reader: Reader | null = null;
    try {
      if (engine === 'postgres') {
        const created = await createBenchDatabase('fbbench_ingest');
        if ('skip' in created) {
          log(`  PostgreSQL SKIPPED: ${created.skip}`);
          notes.push(`PostgreSQL skipped: ${created.skip}`);
          continue;
        }
        pgDb = created;
      }
      server = await startBenchServer({ dataDir, databaseUrl: pgDb?.url ?? null, configFile, profileDir: opt.profile });
      reader = await openReader(engine, dataDir, pgDb?.url ?? null);
      log(`  server child pid ${server.child.pid} at ${server.url}`);
      rows.push(...(await measure('firebreak', engine, { base: new URL(server.url), pid: server.child.pid, reader }, pdRequests, BATCH ? (a) => webhookRequests(a, BATCH) : null)));
    } finally {
      await reader?.close();
      await server?.stop();
      await pgDb?.drop().catch((e) => log(`  could not drop the bench database: ${(e as Error).message}`));
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

// ─── the table ──────────────────────────────────────────────────────────────────────────────

const m = (r: Row, f: (s: Step) => number) => median(r.steps.map(f));
const reference = (r: Row) => rows.find((x) => x.receiver === 'alertmanager' && x.mode === r.mode && x.clients === r.clients);
const header = ['receiver', 'store', 'alerts/request', 'clients', 'events/s', 'p50 ms to 2xx', 'p99 ms to 2xx', 'p99 ms 2xx→incident', 'receiver CPU ms/event', 'Firebreak/Alertmanager'];
const cells = rows.map((r) => {
  const ref = reference(r);
  const ratio = r.receiver === 'firebreak' && ref ? (m(r, (s) => s.eventsPerSec) / m(ref, (s) => s.eventsPerSec)).toFixed(2) : '';
  return [
    r.receiver === 'firebreak' ? (r.mode === 'single' ? 'Firebreak /v2/enqueue' : 'Firebreak AM webhook') : 'Alertmanager /api/v2/alerts',
    r.engine,
    String(r.mode === 'single' ? 1 : BATCH),
    String(r.clients),
    fmt(m(r, (s) => s.eventsPerSec)),
    ms1(m(r, (s) => s.p50)),
    ms1(m(r, (s) => s.p99)),
    r.receiver === 'firebreak' ? ms1(m(r, (s) => s.incidentP99)) : '—',
    m(r, (s) => s.serverCpuMsPerEvent).toFixed(3),
    ratio,
  ];
});
if (cells.length) {
  log(`\n${markdownTable(header, cells, 2)}`);
}
log(
  `\nmedian of ${ROUNDS} rounds per figure. events/s: accepted alerts (2xx) per second of wall time, closed loop with the given number of keep-alive clients.\n` +
    `p50/p99 ms to 2xx: per request (202 from /v2/enqueue, 200 from the webhook and from Alertmanager).\n` +
    `p99 ms 2xx→incident: per alert, max(0, server's stamp of the alert joining a new or open incident − the client's receipt of the 2xx); 0 means the incident existed when the 2xx arrived.\n` +
    `receiver CPU: the Firebreak or Alertmanager process only (from /proc), not PostgreSQL's.`,
);
for (const n of notes) log(n);

// The targets: ≥ 10,000 events/s on SQLite with p99 < 50 ms at that load, and Firebreak ≥ Alertmanager.
const best = (receiver: Row['receiver'], engine: string | null, mode: Mode, p99Under = Infinity) =>
  rows.filter((r) => r.receiver === receiver && (engine === null || r.engine === engine) && r.mode === mode && m(r, (s) => s.p99) < p99Under).reduce<Row | null>((a, r) => (!a || m(r, (s) => s.eventsPerSec) > m(a, (s) => s.eventsPerSec) ? r : a), null);
log('');
const rateOf = (r: Row | null) => (r ? m(r, (s) => s.eventsPerSec) : 0);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
for (const engine of ENGINES) {
  // Per way of sending: one alert per request (Events API) and a batch per request (Alertmanager webhook).
  for (const [mode, label] of [['single', '1 alert/request'], ['batch', `${BATCH} alerts/request`]] as const) {
    const fb = best('firebreak', engine, mode);
    if (!fb) continue;
    const fbOk = best('firebreak', engine, mode, 50);
    const am = best('alertmanager', null, mode);
    const rate = rateOf(fb);
    const okRate = rateOf(fbOk);
    const ratio = am ? rate / rateOf(am) : null;
    log(
      `${engine}, ${label}: max ${fmt(rate)} events/s (${fb.clients} clients, p99 ${ms1(m(fb, (s) => s.p99))} ms); with p99 < 50 ms: ${fbOk ? `${fmt(okRate)} events/s (${fbOk.clients} clients)` : 'no step'}` +
        (am && ratio !== null ? `; Alertmanager's max ${fmt(rateOf(am))} events/s: ratio ${ratio.toFixed(2)}` : ''),
    );
    if (engine === 'sqlite') log(`  target ≥ 10,000 events/s with p99 < 50 ms on SQLite (${label}): ${verdict(okRate >= 10_000)}`);
    if (ratio !== null) log(`  target ratio ≥ 1.0 against Alertmanager (${engine}, ${label}): ${verdict(ratio >= 1)}`);
  }
}
