/**
 * Monitors benchmark: HTTP health checks at 1,000 / 10,000 / 50,000 monitors, a heartbeat ping
 * burst against the real server, and Prometheus's blackbox exporter probing the same targets.
 * `npm run bench:monitors` (add `-- --help` for knobs). With the defaults it takes about 6.5 minutes
 * (three tiers of 35 s warm-up + 75 s measured, the burst, three 10-s blackbox steps).
 *
 * 1. Targets: node:http servers on loopback in their own process (worker threads, several ports),
 *    answering 200 "ok"; monitors are spread over their ports and over distinct paths.
 * 2. Tiers: for each monitor count, a child process loads a bench config (the example
 *    organisation plus N HTTP monitors at `--interval`) from a YAML file as the server does,
 *    migrates a fresh database and runs a MonitorRunner. After a warm-up (one interval plus 5 s: every
 *    monitor has been checked once and gone new → up) it measures `--duration` seconds:
 *    checks recorded per second against N / interval, the scheduler's lag (read and reset every
 *    5 s, since the scheduler keeps only its last 20,000 samples), CPU of the process, resident
 *    memory and database growth, extrapolated to an hour.
 * 3. Heartbeat burst: the real server (`firebreak serve`, child process) with `--heartbeats`
 *    heartbeat monitors; every check's ping fired at once over keep-alive connections, twice
 *    (first pings: new → up; then steady state). The server is then killed with SIGKILL and the
 *    database counted: every 2xx must have left its heartbeat_pings row and its last_ping_at.
 * 4. The blackbox exporter (`/usr/bin/prometheus-blackbox-exporter`, Debian package
 *    prometheus-blackbox-exporter) with an `http_2xx` module, driven closed-loop at its best rate
 *    on the same targets; probes per CPU-second compared with Firebreak's checks per CPU-second.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import YAML from 'yaml';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../src/config/load.ts';
import { freePort, startChildServer } from '../test/helpers/processes.ts';
import { closedLoop, getRequest, type LoopResult } from './lib/http-load.ts';
import type { TierResult, TierRun } from './lib/monitor-tier.ts';
import { BENCH_OUTPUT_LIMIT, benchChild, createBenchDatabase, intOption, log, logMachine, markdownTable, median, processCpuSeconds, startBenchServer } from './support.ts';

const { values: opt } = parseArgs({
  options: {
    /** Monitor counts, one tier each. */
    monitors: { type: 'string', default: '1000,10000,50000' },
    /** Check interval of every monitor, seconds. */
    interval: { type: 'string', default: '30' },
    /** Seconds before the measured window of each tier; default one interval plus 5 s. */
    warmup: { type: 'string' },
    /** Measured seconds per tier. */
    duration: { type: 'string', default: '75' },
    db: { type: 'string', default: 'sqlite' },
    /** Heartbeat monitors for the burst; 0 skips it. */
    heartbeats: { type: 'string', default: '10000' },
    'burst-connections': { type: 'string', default: '256' },
    blackbox: { type: 'string', default: '/usr/bin/prometheus-blackbox-exporter' },
    'blackbox-seconds': { type: 'string', default: '10' },
    'blackbox-concurrency': { type: 'string', default: '16,64,256' },
    'target-threads': { type: 'string', default: '2' },
    'target-ports': { type: 'string', default: '4' },
    /** Write a CPU profile of each tier's runner process (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  process.stdout.write(
    'npm run bench:monitors -- [--monitors=1000,10000,50000] [--interval=30] [--warmup=SECONDS] [--duration=75] [--db=sqlite|postgres|sqlite,postgres]\n' +
      '                          [--heartbeats=10000] [--burst-connections=256] [--blackbox=/usr/bin/prometheus-blackbox-exporter|none]\n' +
      '                          [--blackbox-seconds=10] [--blackbox-concurrency=16,64,256] [--target-threads=2] [--target-ports=4] [--profile=DIR]\n',
  );
  process.exit(0);
}
const TIERS = opt.monitors!.split(',').filter(Boolean).map((n) => intOption('monitors', n.trim(), 1, 200_000));
const INTERVAL_S = intOption('interval', opt.interval, 1, 3600);
const WARMUP_S = opt.warmup === undefined ? INTERVAL_S + 5 : intOption('warmup', opt.warmup, 0, 3600);
const DURATION_S = intOption('duration', opt.duration, 5, 3600);
const HEARTBEATS = intOption('heartbeats', opt.heartbeats, 0, 200_000);
const BURST_CONNECTIONS = intOption('burst-connections', opt['burst-connections'], 1, 5000);
const BB_SECONDS = intOption('blackbox-seconds', opt['blackbox-seconds'], 1, 600);
const BB_LEVELS = opt['blackbox-concurrency']!.split(',').map((c) => intOption('blackbox-concurrency', c.trim(), 1, 4096));
const TARGET_THREADS = intOption('target-threads', opt['target-threads'], 1, 16);
const TARGET_PORTS = intOption('target-ports', opt['target-ports'], 1, 64);
const ENGINES = opt.db!.split(',').map((e) => e.trim()).filter(Boolean);
for (const e of ENGINES) if (e !== 'sqlite' && e !== 'postgres') throw new Error(`--db: unknown engine ${e}`);
const BUCKET_MS = 5000;

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const mb = (bytes: number) => bytes / (1024 * 1024);
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const benchStart = performance.now();
const elapsed = () => `${((performance.now() - benchStart) / 1000).toFixed(0)} s`;

const SERVICES = (YAML.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as { services: { id: string }[] }).services.map((s) => s.id);
const pad = (i: number, n: number) => String(i).padStart(String(n - 1).length, '0');

/**
 * The example organisation with `monitors` (spread round-robin over its services), written as YAML.
 * Validated here only when small: the runner child and the server load it themselves and say what is wrong.
 */
function writeConfig(file: string, monitors: Record<string, unknown>[]): string {
  const doc = YAML.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  doc.monitors = monitors;
  writeFileSync(file, YAML.stringify(doc));
  if (monitors.length <= 2000) {
    const loaded = loadConfigFile(file, {});
    if (!loaded.ok) throw new Error(`the bench config is invalid:\n${formatIssues(file, loaded.issues.slice(0, 10))}`);
  }
  return file;
}

const targetUrl = (ports: number[], i: number) => `http://127.0.0.1:${ports[i % ports.length]}/m/${i}`;

/**
 * N HTTP monitors on the targets. `confirm.up: 1` so that a monitor is up after its first check:
 * the warm-up interval then holds every new → up change, and the window is steady state.
 */
const httpMonitors = (n: number, ports: number[]) =>
  Array.from({ length: n }, (_, i) => ({ id: `bench-http-${pad(i, n)}`, type: 'http', service: SERVICES[i % SERVICES.length], url: targetUrl(ports, i), interval: `${INTERVAL_S}s`, confirm: { down: 3, up: 1 } }));

const heartbeatKey = (i: number) => `bench-heartbeat-key-${pad(i, HEARTBEATS)}`;
/** Heartbeats of cron jobs that run every minute (so they all ping at the top of the minute). */
const heartbeatMonitors = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `bench-hb-${pad(i, n)}`, type: 'heartbeat', service: SERVICES[i % SERVICES.length], key: heartbeatKey(i), cron: '* * * * *', grace: '1h' }));

// ─── child processes: the targets and the tiers ─────────────────────────────────────────────

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/** fork() a TypeScript file of bench/lib with tsx; its output is kept (the tail) and shown on failure. */
function forkTs(script: string, args: string[], nodeArgs: string[] = []): { child: ChildProcess; output: () => string } {
  const child = fork(here(script), args, { execArgv: ['--import', 'tsx', ...nodeArgs], stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  let output = '';
  const collect = (d: Buffer) => {
    output += d;
    if (output.length > BENCH_OUTPUT_LIMIT) output = output.slice(-BENCH_OUTPUT_LIMIT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  return { child, output: () => output };
}

/** The next IPC message of `type` from `child` (rejects if it exits or sends `error` first). */
function nextMessage<T>(child: ChildProcess, type: string, output: () => string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no "${type}" from the child within ${timeoutMs / 1000} s:\n${output().slice(-3000)}`)), timeoutMs);
    const onMessage = (m: { type: string; message?: string }) => {
      if (m.type === type) done(null, m as T);
      else if (m.type === 'error') done(new Error(`the child failed: ${m.message}`));
    };
    const onExit = (code: number | null) => done(new Error(`the child exited (${code}) before "${type}":\n${output().slice(-3000)}`));
    const done = (err: Error | null, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

interface Targets {
  ports: number[];
  pid: number;
  requests(): Promise<number>;
  stop(): void;
}

async function startTargets(): Promise<Targets> {
  const { child, output } = forkTs('./lib/monitor-targets.ts', [String(TARGET_THREADS), String(TARGET_PORTS)]);
  const ready = await nextMessage<{ ports: number[] }>(child, 'ready', output, 30_000);
  return {
    ports: ready.ports,
    pid: child.pid!,
    requests: async () => {
      const p = nextMessage<{ requests: number }>(child, 'stats', output, 10_000);
      child.send({ type: 'stats' });
      return (await p).requests;
    },
    stop: () => child.kill('SIGTERM'),
  };
}

interface Tier {
  engine: string;
  monitors: number;
  r: TierResult;
  /** CPU seconds the targets process used in the window. */
  targetsCpuS: number;
  targetsRequests: number;
}

async function runTier(engine: string, n: number, targets: Targets, workDir: string): Promise<Tier | null> {
  const dir = mkdtempSync(join(workDir, `tier-${engine}-${n}-`));
  let pgDb: { url: string; drop(): Promise<void> } | null = null;
  if (engine === 'postgres') {
    const created = await createBenchDatabase('fbbench_monitors');
    if ('skip' in created) {
      log(`  PostgreSQL SKIPPED: ${created.skip}`);
      return null;
    }
    pgDb = created;
  }
  const t = performance.now();
  const configFile = writeConfig(join(dir, 'firebreak-bench.yaml'), httpMonitors(n, targets.ports));
  log(`  ${fmt(n)} monitors on ${engine}: config written (${((performance.now() - t) / 1000).toFixed(1)} s); starting the runner…`);
  // A directory per tier: tsx's loader hooks run on a thread of their own, which writes a profile too
  // (the runner's is the one with thread id 0: CPU.<date>.<time>.<pid>.0.<seq>.cpuprofile).
  const profileDir = opt.profile ? join(opt.profile, `monitors-${engine}-${n}`) : null;
  const profileArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const { child, output } = forkTs('./lib/monitor-tier.ts', [], profileArgs);
  try {
    const run: TierRun = { type: 'run', configFile, dataDir: join(dir, 'data'), databaseUrl: pgDb?.url ?? null, warmupMs: WARMUP_S * 1000, durationMs: DURATION_S * 1000, bucketMs: BUCKET_MS };
    child.send(run);
    const started = await nextMessage<{ setupMs: number; rssMb: number }>(child, 'started', output, 300_000);
    log(`    runner pid ${child.pid} up after ${(started.setupMs / 1000).toFixed(1)} s (config load, migrations, state rows; RSS ${fmt(started.rssMb)} MB); warm-up ${WARMUP_S} s`);
    await nextMessage(child, 'window-start', output, (WARMUP_S + 60) * 1000);
    const cpu0 = processCpuSeconds(targets.pid);
    const req0 = await targets.requests();
    log(`    measuring ${DURATION_S} s…`);
    await nextMessage(child, 'window-end', output, (DURATION_S + 60) * 1000);
    const targetsCpuS = processCpuSeconds(targets.pid) - cpu0;
    const targetsRequests = (await targets.requests()) - req0;
    const r = await nextMessage<TierResult>(child, 'result', output, 300_000);
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    if (/"level":(50|60)/.test(output())) log(`    the runner logged errors:\n${output().slice(0, 3000)}`);
    const tier: Tier = { engine, monitors: n, r, targetsCpuS, targetsRequests };
    logTier(tier);
    return tier;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await pgDb?.drop().catch((e) => log(`  could not drop the bench database: ${(e as Error).message}`));
    rmSync(dir, { recursive: true, force: true });
  }
}

const tierFigures = (t: Tier) => {
  const { r } = t;
  const s = r.windowMs / 1000;
  const recorded = r.recorded.up + r.recorded.degraded + r.recorded.down;
  const cpuS = (r.cpuUserMs + r.cpuSystemMs) / 1000;
  const p99s = r.buckets.filter((b) => b.samples > 0).map((b) => b.p99);
  const fileGrowth = r.storage.filesAfter - r.storage.filesBefore;
  const logicalGrowth = r.storage.logicalAfter - r.storage.logicalBefore;
  return {
    expected: t.monitors / INTERVAL_S,
    startedPerS: r.started / s,
    recordedPerS: recorded / s,
    recorded,
    failed: r.recorded.down + r.recorded.degraded,
    p50: median(r.buckets.filter((b) => b.samples > 0).map((b) => b.p50)),
    p99Worst: p99s.length ? Math.max(...p99s) : Number.NaN,
    p99Median: p99s.length ? median(p99s) : Number.NaN,
    maxLag: Math.max(0, ...r.buckets.map((b) => b.max)),
    cpuPct: (cpuS / s) * 100,
    cpuMsPerCheck: (cpuS * 1000) / Math.max(1, recorded),
    checksPerCpuS: r.recorded.up / cpuS,
    fileGrowthPerHour: (fileGrowth / s) * 3600,
    logicalGrowthPerHour: (logicalGrowth / s) * 3600,
    bytesPerCheck: logicalGrowth / Math.max(1, recorded),
    targetsCpuPct: (t.targetsCpuS / s) * 100,
  };
};

function logTier(t: Tier) {
  const f = tierFigures(t);
  const { r } = t;
  log(
    `    ${fmt(f.recordedPerS)} checks/s recorded (expected ${fmt(f.expected)}; ${fmt(f.startedPerS)}/s started), ${fmt(f.failed)} failed; ` +
      `lag p50 ${fmt(f.p50)} ms, p99 ${fmt(f.p99Worst)} ms (worst 5 s; median 5 s ${fmt(f.p99Median)}), max ${fmt(f.maxLag)} ms; ` +
      `CPU ${f1(f.cpuPct)}% of a core (user ${f1((r.cpuUserMs / r.windowMs) * 100)}%, system ${f1((r.cpuSystemMs / r.windowMs) * 100)}%; ${f2(f.cpuMsPerCheck)} ms/check); RSS peak ${fmt(r.rssPeakWindowMb)} MB (high-water ${fmt(r.rssHighWaterMb)} MB, at the end ${fmt(r.rssEndMb)} MB with ${fmt(r.heapUsedEndMb)} MB of JS heap in use); ` +
      `event loop p99 ${f1(r.loopP99Ms)} ms, max ${f1(r.loopMaxMs)} ms; DB +${f1(mb(f.fileGrowthPerHour))} MB/h on disk (${f1(mb(f.logicalGrowthPerHour))} MB/h in pages, ${fmt(f.bytesPerCheck)} B/check; files ${f1(mb(r.storage.filesBefore))} → ${f1(mb(r.storage.filesAfter))} MB, WAL ${f1(mb(r.storage.walAfter))} MB); ` +
      `targets CPU ${f1(f.targetsCpuPct)}%; in flight at the end ${r.inFlightAtEnd}  [${elapsed()}]`,
  );
  for (const x of r.failures) log(`      failures: ${fmt(x.count)} × ${x.reason}: ${x.example ?? ''}`);
}

// ─── heartbeat burst ────────────────────────────────────────────────────────────────────────

interface BurstRound {
  label: string;
  res: LoopResult;
  serverCpuS: number;
}

interface Burst {
  rounds: BurstRound[];
  pingRows: number;
  lastPingSet: number;
  upRows: number;
  accepted: number;
}

async function runBurst(workDir: string): Promise<Burst> {
  const dir = mkdtempSync(join(workDir, 'burst-'));
  const configFile = writeConfig(join(dir, 'firebreak-bench.yaml'), heartbeatMonitors(HEARTBEATS));
  const dataDir = join(dir, 'data');
  const server = await startBenchServer({ dataDir, databaseUrl: null, configFile, profileDir: opt.profile });
  const port = Number(new URL(server.url).port);
  log(`  server pid ${server.child.pid} at ${server.url} with ${fmt(HEARTBEATS)} heartbeats; ${BURST_CONNECTIONS} keep-alive connections`);
  const rounds: BurstRound[] = [];
  try {
    await sleep(2000);
    for (const label of ['first pings (new → up)', 'steady state (up → up)']) {
      const reqs = Array.from({ length: HEARTBEATS }, (_, i) => getRequest(`/ping/${heartbeatKey(i)}`));
      let next = 0;
      const cpu0 = processCpuSeconds(server.child.pid);
      const res = await closedLoop({ port, connections: BURST_CONNECTIONS, next: () => (next < reqs.length ? reqs[next++] : null) });
      const serverCpuS = processCpuSeconds(server.child.pid) - cpu0;
      rounds.push({ label, res, serverCpuS });
      log(
        `    ${label.padEnd(26)} ${fmt(res.ok)} of ${fmt(res.sent)} accepted in ${fmt(res.wallMs)} ms: ${fmt(res.ok / (res.wallMs / 1000))} pings/s; ` +
          `p50 ${f1(res.p50)} ms, p99 ${f1(res.p99)} ms; server CPU ${f2((serverCpuS * 1000) / Math.max(1, res.sent))} ms/ping` +
          (res.errors ? `; ${res.errors} socket errors` : '') +
          [...res.refused].map(([s, e]) => `; ${fmt(e.count)} × ${s} ${e.example}`).join(''),
      );
      await sleep(1000);
    }
  } finally {
    // Durability: the server dies without a chance to flush anything; what it acknowledged must be on disk.
    server.child.kill('SIGKILL');
    await new Promise((resolve) => (server.child.exitCode !== null || server.child.signalCode !== null ? resolve(null) : server.child.once('exit', resolve)));
  }
  const db = new BetterSqlite3(join(dataDir, 'firebreak.db'));
  try {
    const one = (q: string) => Number((db.prepare(q).get() as { n: number }).n);
    const burst: Burst = {
      rounds,
      pingRows: one(`select count(*) as n from heartbeat_pings where monitor_id like 'bench-hb-%'`),
      lastPingSet: one(`select count(*) as n from monitor_state where monitor_id like 'bench-hb-%' and last_ping_at is not null`),
      upRows: one(`select count(*) as n from monitor_state where monitor_id like 'bench-hb-%' and status = 'up'`),
      accepted: rounds.reduce((a, r) => a + r.res.ok, 0),
    };
    log(
      `    after SIGKILL: ${fmt(burst.pingRows)} heartbeat_pings rows for ${fmt(burst.accepted)} accepted pings; ` +
        `${fmt(burst.lastPingSet)} of ${fmt(HEARTBEATS)} heartbeats with last_ping_at (${fmt(burst.upRows)} up)  [${elapsed()}]`,
    );
    return burst;
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ─── blackbox exporter ──────────────────────────────────────────────────────────────────────

interface BlackboxStep {
  connections: number;
  res: LoopResult;
  cpuS: number;
  targetsCpuS: number;
  clientCpuS: number;
}

async function runBlackbox(workDir: string, targets: Targets): Promise<{ version: string; steps: BlackboxStep[] } | null> {
  const dir = mkdtempSync(join(workDir, 'blackbox-'));
  const config = join(dir, 'blackbox.yml');
  writeFileSync(config, ['modules:', '  http_2xx:', '    prober: http', '    timeout: 5s', '    http:', '      preferred_ip_protocol: ip4', ''].join('\n'));
  const port = await freePort();
  const server = benchChild(
    'blackbox',
    await startChildServer({
      name: 'blackbox_exporter',
      command: opt.blackbox!,
      args: [`--config.file=${config}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      port,
      readyPath: '/metrics',
      outputLimit: BENCH_OUTPUT_LIMIT,
    }),
  );
  const version = /version="([^"]+)"/.exec(await fetch(`${server.url}/metrics`).then((r) => r.text()))?.[1] ?? '?';
  log(`  blackbox_exporter ${version} pid ${server.child.pid} at ${server.url}`);
  const steps: BlackboxStep[] = [];
  try {
    let i = 0;
    const next = () => getRequest(`/probe?module=http_2xx&target=${encodeURIComponent(targetUrl(targets.ports, i++ % 100_000))}`);
    const check = (r: { body: string }) => /\nprobe_success 1\b/.test(r.body);
    await closedLoop({ port, connections: BB_LEVELS[0], next, deadline: performance.now() + 2000, wantBody: true, check });
    for (const connections of BB_LEVELS) {
      const cpu0 = processCpuSeconds(server.child.pid);
      const t0 = processCpuSeconds(targets.pid);
      const c0 = process.cpuUsage();
      const res = await closedLoop({ port, connections, next, deadline: performance.now() + BB_SECONDS * 1000, wantBody: true, check });
      const c = process.cpuUsage(c0);
      const step = { connections, res, cpuS: processCpuSeconds(server.child.pid) - cpu0, targetsCpuS: processCpuSeconds(targets.pid) - t0, clientCpuS: (c.user + c.system) / 1e6 };
      steps.push(step);
      const s = res.wallMs / 1000;
      log(
        `    ${String(connections).padStart(4)} connections: ${fmt(res.ok / s)} probes/s (${fmt(res.ok)} succeeded of ${fmt(res.sent)}), p50 ${f1(res.p50)} ms, p99 ${f1(res.p99)} ms; ` +
          `exporter CPU ${f1((step.cpuS / s) * 100)}% (${fmt(res.ok / step.cpuS)} probes per CPU-second); targets CPU ${f1((step.targetsCpuS / s) * 100)}%, client ${f1((step.clientCpuS / s) * 100)}%` +
          (res.errors ? `; ${res.errors} socket errors` : '') +
          [...res.refused].map(([st, e]) => `; ${fmt(e.count)} × ${st} ${e.example.replace(/\s+/g, ' ').slice(0, 200)}`).join(''),
      );
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { version, steps };
}

// ─── main ───────────────────────────────────────────────────────────────────────────────────

await logMachine('bench:monitors');
log(
  `tiers ${TIERS.map(fmt).join(', ')} HTTP monitors at ${INTERVAL_S} s on ${ENGINES.join(', ')}; warm-up ${WARMUP_S} s, measured ${DURATION_S} s each; ` +
    `heartbeat burst ${HEARTBEATS ? fmt(HEARTBEATS) : 'skipped'}; blackbox ${opt.blackbox}; targets ${TARGET_THREADS} threads × ${TARGET_PORTS} ports`,
);
const workDir = mkdtempSync(join(tmpdir(), 'firebreak-bench-monitors-'));
const tiers: Tier[] = [];
let burst: Burst | null = null;
let blackbox: Awaited<ReturnType<typeof runBlackbox>> = null;
const notes: string[] = [];
const targets = await startTargets();
log(`targets pid ${targets.pid} on 127.0.0.1 ports ${targets.ports.join(', ')}`);
try {
  for (const engine of ENGINES) {
    log(`\n== HTTP monitors on ${engine} ==`);
    for (const n of TIERS) {
      const t = await runTier(engine, n, targets, workDir);
      if (t) tiers.push(t);
      await sleep(2000);
    }
  }

  if (HEARTBEATS > 0) {
    log('\n== Heartbeat burst (SQLite) ==');
    burst = await runBurst(workDir);
  }

  log('\n== Prometheus blackbox exporter ==');
  if (opt.blackbox === 'none') {
    log('  blackbox exporter SKIPPED (--blackbox none)');
    notes.push('Blackbox exporter skipped (--blackbox none): no per-core ratio.');
  } else if (!existsSync(opt.blackbox!)) {
    log(`  blackbox exporter SKIPPED: ${opt.blackbox} not found. Install it with \`apt-get install prometheus-blackbox-exporter\` (or pass --blackbox PATH) for the per-core ratio.`);
    notes.push(`Blackbox exporter skipped: ${opt.blackbox} not found (apt-get install prometheus-blackbox-exporter); no per-core ratio.`);
  } else {
    blackbox = await runBlackbox(workDir, targets);
  }
} finally {
  targets.stop();
  rmSync(workDir, { recursive: true, force: true });
}
if (opt.profile) {
  const runners = readdirSync(opt.profile, { recursive: true, encoding: 'utf8' }).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  log(`\nCPU profiles of the runners (main thread): ${runners.map((f) => join(opt.profile!, f)).join(', ')}`);
}

// ─── tables ─────────────────────────────────────────────────────────────────────────────────

const out: string[] = [];
if (tiers.length) {
  const header = ['store', 'monitors', 'expected checks/s', 'checks/s', 'failed', 'lag p50 ms', 'lag p99 ms', 'lag max ms', 'CPU % of a core', 'CPU ms/check', 'peak RSS MB', 'RSS high-water MB', 'DB files MB/h', 'DB pages MB/h', 'B/check'];
  const rows = tiers.map((t) => {
    const f = tierFigures(t);
    return [t.engine, fmt(t.monitors), fmt(f.expected), fmt(f.recordedPerS), fmt(f.failed), fmt(f.p50), fmt(f.p99Worst), fmt(f.maxLag), f1(f.cpuPct), f2(f.cpuMsPerCheck), fmt(t.r.rssPeakWindowMb), fmt(t.r.rssHighWaterMb), f1(mb(f.fileGrowthPerHour)), f1(mb(f.logicalGrowthPerHour)), fmt(f.bytesPerCheck)];
  });
  out.push(markdownTable(header, rows, 1));
}
if (burst) {
  const header = ['heartbeat burst', 'pings', 'accepted (2xx)', 'pings/s', 'p50 ms', 'p99 ms', 'server CPU ms/ping'];
  const rows = burst.rounds.map((r) => [r.label, fmt(r.res.sent), fmt(r.res.ok), fmt(r.res.ok / (r.res.wallMs / 1000)), f1(r.res.p50), f1(r.res.p99), f2((r.serverCpuS * 1000) / Math.max(1, r.res.sent))]);
  out.push(markdownTable(header, rows, 1));
}
let ratioLine: string | null = null;
if (blackbox && blackbox.steps.length) {
  const best = blackbox.steps.reduce((a, s) => (s.res.ok / s.res.wallMs > a.res.ok / a.res.wallMs ? s : a));
  const bbPerCpu = best.res.ok / best.cpuS;
  const header = ['prober', 'load', 'probes/s', 'CPU % of a core', 'probes per CPU-second', 'Firebreak ÷ blackbox per core'];
  const rows: string[][] = blackbox.steps.map((s) => {
    const sec = s.res.wallMs / 1000;
    return [`blackbox_exporter ${blackbox!.version}`, `${s.connections} connections${s === best ? ' (best)' : ''}`, fmt(s.res.ok / sec), f1((s.cpuS / sec) * 100), fmt(s.res.ok / s.cpuS), ''];
  });
  for (const t of tiers) {
    const f = tierFigures(t);
    rows.push([`Firebreak (${t.engine})`, `${fmt(t.monitors)} monitors / ${INTERVAL_S} s`, fmt(f.recordedPerS), f1(f.cpuPct), fmt(f.checksPerCpuS), f2(f.checksPerCpuS / bbPerCpu)]);
  }
  out.push(markdownTable(header, rows, 2));
  const ref = tiers.find((t) => t.engine === 'sqlite' && t.monitors === 10_000) ?? tiers[tiers.length - 1];
  if (ref) ratioLine = `Firebreak probes per core ÷ blackbox probes per core: ${f2(tierFigures(ref).checksPerCpuS / bbPerCpu)} (Firebreak ${fmt(tierFigures(ref).checksPerCpuS)} checks per CPU-second at ${fmt(ref.monitors)} monitors, blackbox ${fmt(bbPerCpu)} probes per CPU-second at its best rate, ${best.connections} connections)`;
}
log(`\n${out.join('\n\n')}`);
log(
  `\nchecks/s: results stored with a time inside the measured window ÷ its length (expected: monitors ÷ interval). lag: scheduler start − due time, read and reset every 5 s;\n` +
    `p99 is the worst 5-second p99 of the window, max the largest lag seen. CPU: the runner process (process.cpuUsage, all threads) over the window, % of one core.\n` +
    `peak RSS: sampled every 200 ms in the window; high-water: VmHWM, startup (config load of N monitors, state rows) included.\n` +
    `DB files: SQLite files (db + wal + shm) at the end of the window − at its start, per hour (includes the WAL file growing to its working size);\n` +
    `DB pages: pages in use (page_count − freelist_count), per hour; B/check from the same. Raw results are kept 24 h, so this is the first day's growth.\n` +
    `Firebreak's CPU includes storing every result; the blackbox exporter stores nothing.`,
);
for (const n of notes) log(n);

// ─── summary ────────────────────────────────────────────────────────────────────────────────

const summary: string[] = [];
const t10k = tiers.find((t) => t.engine === 'sqlite' && t.monitors === 10_000);
if (t10k) {
  const f = tierFigures(t10k);
  summary.push(
    `10,000 monitors at ${INTERVAL_S} s on SQLite: ${fmt(f.recordedPerS)} checks/s of ${fmt(f.expected)} expected; p99 lag ${fmt(f.p99Worst)} ms (target < 1,000 ms) — **${verdict(f.p99Worst < 1000)}**; ` +
      `peak RSS ${fmt(t10k.r.rssPeakWindowMb)} MB (target < 300 MB) — **${verdict(t10k.r.rssPeakWindowMb < 300)}** (high-water incl. startup ${fmt(t10k.r.rssHighWaterMb)} MB); ` +
      `kept up: ${verdict(f.recordedPerS >= 0.97 * f.expected)}.`,
  );
}
for (const t of tiers.filter((x) => x !== t10k)) {
  const f = tierFigures(t);
  summary.push(`${fmt(t.monitors)} monitors (${t.engine}): ${fmt(f.recordedPerS)} checks/s of ${fmt(f.expected)} expected, p99 lag ${fmt(f.p99Worst)} ms, max ${fmt(f.maxLag)} ms, CPU ${f1(f.cpuPct)}%, peak RSS ${fmt(t.r.rssPeakWindowMb)} MB, DB +${f1(mb(f.fileGrowthPerHour))} MB/h on disk (${f1(mb(f.logicalGrowthPerHour))} MB/h in pages).`);
}
if (burst) {
  const worst = burst.rounds.reduce((a, r) => (r.res.ok / r.res.wallMs < a.res.ok / a.res.wallMs ? r : a));
  const rate = worst.res.ok / (worst.res.wallMs / 1000);
  const lost = burst.accepted - burst.pingRows;
  summary.push(
    `Heartbeat burst, ${fmt(HEARTBEATS)} pings at once (${BURST_CONNECTIONS} connections): ${burst.rounds.map((r) => `${r.label} ${fmt(r.res.ok / (r.res.wallMs / 1000))}/s`).join(', ')}; ` +
      `${fmt(burst.pingRows)} rows for ${fmt(burst.accepted)} accepted after SIGKILL (lost: ${fmt(lost)}), ${fmt(burst.lastPingSet)}/${fmt(HEARTBEATS)} last_ping_at set. ` +
      `Target ≥ 5,000 pings/s durable — **${verdict(rate >= 5000 && lost === 0 && burst.lastPingSet === HEARTBEATS)}**.`,
  );
}
if (ratioLine) summary.push(ratioLine + '.');
summary.push(`Total runtime ${elapsed()}.`);
log(`\n--- summary (for docs/benchmarks.md) ---\n${summary.map((s) => `- ${s}`).join('\n')}`);
