/**
 * Status-page benchmark: `npm run bench:statuspage` (add `-- --help` for knobs; about 1.5 minutes).
 *
 * 1. The real server (`firebreak serve`, child process, the example organisation) with an outage
 *    on it: two internal incidents opened through the API (P1 on the API, P0 on file storage), and
 *    a public incident with an update when the status-page management API answers.
 * 2. The page (`GET /status`) and `GET /api/v2/summary.json` are saved as Firebreak sends them
 *    (gzipped when it gzips) and served by nginx (Debian package nginx-light) from a generated
 *    configuration: once with `worker_processes 1` (Firebreak is one Node process) and once with
 *    `auto` (one worker per core), both with gzip_static, sendfile and no access log.
 * 3. wrk (Debian package wrk) loads each document from each server in turn: a warm-up run, then
 *    `--duration` seconds at `--connections` keep-alive connections, `Accept-Encoding: gzip`.
 * Targets for Firebreak, per document: ≥ 5,000 requests/s, p99 < 20 ms, ≥ 0.5 × nginx's rate
 * (one worker, same document, same run).
 */
import { Agent, request } from 'node:http';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { startFirebreakServer, type ChildServer } from '../test/helpers/processes.ts';
import { apiCall, benchApiToken } from './lib/api-client.ts';
import { treeCpuTime, type CpuTime } from './lib/statuspage-cpu.ts';
import { startNginx } from './lib/statuspage-nginx.ts';
import { runWrk, stopWrk, type WrkResult } from './lib/statuspage-wrk.ts';
import { BENCH_ADMIN_PASSWORD, BENCH_OUTPUT_LIMIT, intOption, log, logMachine, markdownTable } from './support.ts';

const { values: opt } = parseArgs({
  options: {
    /** Measured seconds per server and document. */
    duration: { type: 'string', default: '10' },
    /** Keep-alive connections wrk holds open (concurrent clients). */
    connections: { type: 'string', default: '50' },
    /** wrk threads: one leaves the other core to the server. */
    threads: { type: 'string', default: '1' },
    /** Unmeasured seconds before each measured run (JIT, caches, connection set-up). */
    warmup: { type: 'string', default: '2' },
    nginx: { type: 'string', default: '/usr/sbin/nginx' },
    wrk: { type: 'string', default: '/usr/bin/wrk' },
    /** Keep the temporary directory (data, saved copies, nginx.conf, logs) and print where it is. */
    keep: { type: 'boolean', default: false },
    /** Write a CPU profile of the Firebreak server (node --cpu-prof) into this directory. */
    profile: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  log('npm run bench:statuspage -- [--duration 10] [--connections 50] [--threads 1] [--warmup 2] [--nginx /usr/sbin/nginx|none] [--wrk /usr/bin/wrk] [--keep] [--profile DIR]');
  process.exit(0);
}
const DURATION_S = intOption('duration', opt.duration, 1, 3600);
const CONNECTIONS = intOption('connections', opt.connections, 1, 10_000);
const THREADS = intOption('threads', opt.threads, 1, 64);
const WARMUP_S = intOption('warmup', opt.warmup, 0, 600);
if (THREADS > CONNECTIONS) throw new Error('--threads must not exceed --connections (wrk gives each thread at least one connection)');

const TARGET_RPS = 5000;
const TARGET_P99_MS = 20;
const TARGET_RATIO = 0.5;

if (!existsSync(opt.wrk!)) {
  log(`wrk not found at ${opt.wrk}: it drives the load. Install it with \`apt-get install wrk\` (or pass --wrk PATH).`);
  process.exit(1);
}
const nginxBinary = opt.nginx === 'none' ? null : opt.nginx!;
const nginxMissing = nginxBinary !== null && !existsSync(nginxBinary);
if (nginxMissing) log(`nginx SKIPPED: ${nginxBinary} not found. Install it with \`apt-get install nginx-light\` (or pass --nginx PATH) for the comparison with a static server.`);

// ─── clean-up: every child process, on success, error and Ctrl-C ───────────────────────────────

const work = mkdtempSync(join(tmpdir(), 'firebreak-bench-statuspage-'));
// nginx running as root serves as `nobody`, which must be able to walk to the saved copies.
chmodSync(work, 0o755);
const dataDir = join(work, 'data');
mkdirSync(dataDir, { mode: 0o700 });
const site = join(work, 'site');
mkdirSync(site);
let firebreak: ChildServer | null = null;
const nginxes: ChildServer[] = [];
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

let cleaning: Promise<void> | null = null;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    stopWrk();
    await Promise.all(nginxes.map((n) => n.stop(5000)));
    if (firebreak) {
      await firebreak.stop(15_000);
      reportServerErrors(firebreak.output());
    }
    agent.destroy();
    if (opt.keep) log(`kept ${work} (data/, site/, nginx-*/nginx.conf and error.log)`);
    else rmSync(work, { recursive: true, force: true });
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stdout.write('\n');
    log(`${signal}: stopping wrk, nginx and the server…`);
    void cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}
// A crash skips the awaited clean-up: never leave a server or nginx behind on loopback.
process.once('exit', () => {
  stopWrk();
  for (const child of [firebreak?.child, ...nginxes.map((n) => n.child)]) if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  if (!opt.keep) rmSync(work, { recursive: true, force: true });
});

/**
 * The server's logged errors, which would make its figures suspect. Email pages for the two
 * incidents fail by design (the example organisation has no SMTP server): counted, not printed.
 */
function reportServerErrors(output: string): void {
  let undeliverableEmail = 0;
  const unexpected: string[] = [];
  for (const line of output.split('\n')) {
    if (!/"level":(50|60)/.test(line)) continue;
    if (/"destination":"[^"]*:email"/.test(line) && line.includes('message undeliverable')) undeliverableEmail++;
    else unexpected.push(line);
  }
  if (undeliverableEmail) log(`  firebreak: ${undeliverableEmail} email page(s) undeliverable, as expected (the example organisation sets no SMTP server)`);
  if (unexpected.length) log(`  firebreak logged ${unexpected.length} error(s):\n${unexpected.join('\n').slice(0, 3000)}`);
}

// ─── the documents and what serves them ────────────────────────────────────────────────────────

interface Doc {
  /** Firebreak's path; nginx serves the saved copy at `staticPath`. */
  path: string;
  staticPath: string;
  label: string;
}
const DOCS: Doc[] = [
  { path: '/status', staticPath: '/status.html', label: '/status (HTML)' },
  { path: '/api/v2/summary.json', staticPath: '/api/v2/summary.json', label: '/api/v2/summary.json' },
];

interface Target {
  name: string;
  /** nginx with one worker is the reference the ratio is taken against. */
  kind: 'firebreak' | 'nginx-1' | 'nginx-auto';
  base: string;
  pid: number | undefined;
}

interface Row {
  target: Target;
  doc: Doc;
  res: WrkResult;
  /** The server's CPU over the measured run (its processes only, not wrk's). */
  cpu: CpuTime;
}

const fmt = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '—');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '—');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '—');
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const cpuPerRequest = (r: Row) => {
  const us = (s: number) => (s * 1e6) / Math.max(1, r.res.requests);
  return `${f1(us(r.cpu.user + r.cpu.system))} (${f1(us(r.cpu.user))} / ${f1(us(r.cpu.system))})`;
};

/** A GET with the body's bytes as sent (gzip stays gzip), for saving and comparing copies. */
function getRaw(url: string, headers: Record<string, string>): Promise<{ status: number; encoding: string | undefined; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, encoding: res.headers['content-encoding'], body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

const GZIP = { 'accept-encoding': 'gzip' };
const plain = (r: { encoding: string | undefined; body: Buffer }) => (r.encoding === 'gzip' ? gunzipSync(r.body) : r.body);

// ─── 1. the server, with an outage on it ───────────────────────────────────────────────────────

/**
 * Opens the incidents of a realistic outage. The public-incident API is optional (it may not
 * exist in this build): its absence is reported, not fatal. Returns notes for the report.
 */
async function seedOutage(base: string): Promise<string[]> {
  const notes: string[] = [];
  const token = await benchApiToken(agent, base);
  const auth = { authorization: `Bearer ${token}` };
  const internal = [
    { title: 'API error rate above 5% in eu-west', severity: 'P1', services: ['api'], description: 'Elevated 5xx from the API gateway since the last deploy.' },
    { title: 'File uploads failing: object storage unreachable', severity: 'P0', services: ['storage'], description: 'Uploads and downloads time out; the storage cluster does not answer.' },
  ];
  for (const body of internal) {
    const r = await apiCall(agent, base, 'POST', '/api/v1/incidents', auth, body);
    if (r.status !== 201) throw new Error(`POST /api/v1/incidents answered ${r.status}: ${r.body}`);
    log(`  opened ${JSON.parse(r.body).ref} (${body.severity}, ${body.services.join(', ')}): ${body.title}`);
  }
  const pub = await apiCall(agent, base, 'POST', '/api/v1/status-page/incidents', auth, {
    name: 'Elevated API error rates',
    body: 'We are investigating elevated error rates on the API. Some requests fail with a server error.',
    status: 'investigating',
    components: { api: 'partial_outage' },
  });
  if (pub.status === 404) {
    notes.push('No public incident: POST /api/v1/status-page/incidents answered 404 (the management API is not in this build); the page shows the component statuses of the internal incidents.');
    return notes;
  }
  if (pub.status !== 201 && pub.status !== 200) {
    notes.push(`No public incident: POST /api/v1/status-page/incidents answered ${pub.status}: ${pub.body.slice(0, 300)}`);
    return notes;
  }
  const id = String(JSON.parse(pub.body).id);
  log(`  posted public incident ${id}`);
  const update = await apiCall(agent, base, 'POST', `/api/v1/status-page/incidents/${encodeURIComponent(id)}/updates`, auth, {
    body: 'The cause is identified: a faulty configuration in the last deploy. A rollback is in progress.',
    status: 'identified',
  });
  if (update.status === 200 || update.status === 201) log(`  posted an update to ${id}`);
  else notes.push(`The public incident has no second update: POST …/status-page/incidents/${id}/updates answered ${update.status}: ${update.body.slice(0, 200)}`);
  return notes;
}

/** Waits until summary.json shows the outage (the page's refresh loop runs every second), then a little longer. */
async function waitForOutage(base: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const r = await getRaw(`${base}/api/v2/summary.json`, {});
    const summary = JSON.parse(r.body.toString('utf8')) as { status?: { indicator?: string; description?: string }; components?: { id: string; status: string }[]; incidents?: unknown[] };
    const affected = (summary.components ?? []).filter((c) => c.status !== 'operational').map((c) => `${c.id} ${c.status}`);
    if (summary.status?.indicator !== 'none' || Date.now() > deadline) {
      // The cache rebuilt once for this state; let any follow-up change (component history) settle.
      await sleep(2000);
      return `"${summary.status?.description ?? '?'}"; ${affected.length ? affected.join(', ') : 'no component affected (the page did not pick the incidents up within 15 s)'}; ${summary.incidents?.length ?? 0} public incident(s)`;
    }
    await sleep(250);
  }
}

/** Saves each document as Firebreak sends it with gzip accepted: the same bytes go on the wire from nginx. */
async function saveCopies(base: string): Promise<string[]> {
  const lines: string[] = [];
  for (const doc of DOCS) {
    const r = await getRaw(`${base}${doc.path}`, GZIP);
    if (r.status !== 200) throw new Error(`GET ${doc.path} answered ${r.status}: ${r.body.toString('utf8').slice(0, 300)}`);
    const file = join(site, doc.staticPath);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, plain(r));
    if (r.encoding === 'gzip') writeFileSync(`${file}.gz`, r.body);
    lines.push(`${doc.label}: ${fmt(plain(r).length)} B${r.encoding === 'gzip' ? `, ${fmt(r.body.length)} B gzipped` : ', sent uncompressed (Firebreak gzips bodies over 1 KB only)'}`);
  }
  return lines;
}

/** Checks that a server sends each document with the same encoding and the same content as Firebreak. */
async function checkCopies(target: Target, reference: Target): Promise<void> {
  for (const doc of DOCS) {
    const [ours, theirs] = await Promise.all([getRaw(`${target.base}${doc.staticPath}`, GZIP), getRaw(`${reference.base}${doc.path}`, GZIP)]);
    if (ours.status !== 200) throw new Error(`${target.name} ${doc.staticPath} answered ${ours.status}:\n${ours.body.toString('utf8').slice(0, 500)}`);
    if (ours.encoding !== theirs.encoding || !plain(ours).equals(plain(theirs))) {
      throw new Error(`${target.name} does not send ${doc.staticPath} as Firebreak sends ${doc.path} (encoding ${ours.encoding ?? 'none'} vs ${theirs.encoding ?? 'none'}): did the page change after it was saved?`);
    }
  }
}

// ─── 2. measure ────────────────────────────────────────────────────────────────────────────────

async function measure(targets: Target[]): Promise<Row[]> {
  const rows: Row[] = [];
  const run = (target: Target, doc: Doc, seconds: number, label: string) =>
    runWrk(opt.wrk!, { url: `${target.base}${target.kind === 'firebreak' ? doc.path : doc.staticPath}`, threads: THREADS, connections: CONNECTIONS, seconds, headers: { 'Accept-Encoding': 'gzip' } }, label);
  // Document by document, the servers one after the other: a slow drift of the machine's load
  // then touches a ratio's two sides about equally.
  for (const doc of DOCS) {
    for (const target of targets) {
      // Interrupted: the clean-up is stopping the servers; start no further run.
      if (cleaning) throw new Error('interrupted');
      const label = `${target.name} ${doc.label}`;
      if (WARMUP_S > 0) await run(target, doc, WARMUP_S, `${label} (warm-up)`);
      const cpu0 = treeCpuTime(target.pid);
      const res = await run(target, doc, DURATION_S, label);
      const cpu1 = treeCpuTime(target.pid);
      const row: Row = { target, doc, res, cpu: { user: cpu1.user - cpu0.user, system: cpu1.system - cpu0.system } };
      rows.push(row);
      log(
        `  ${label.padEnd(46)} ${fmt(res.requestsPerSecond).padStart(7)} req/s  p50 ${f2(res.p50)} ms  p99 ${f2(res.p99)} ms  ` +
          `CPU ${cpuPerRequest(row)} µs/request (user / kernel)` +
          (res.non2xx ? `  ${fmt(res.non2xx)} non-2xx/3xx` : '') +
          (res.socketErrors ? `  ${fmt(res.socketErrors)} socket errors` : ''),
      );
    }
  }
  return rows;
}

function report(rows: Row[], notes: string[]): void {
  const reference = (doc: Doc) => rows.find((r) => r.doc === doc && r.target.kind === 'nginx-1');
  const table = rows.map((r) => {
    const ref = reference(r.doc);
    const ratio = ref ? r.res.requestsPerSecond / ref.res.requestsPerSecond : Number.NaN;
    const ours = r.target.kind === 'firebreak';
    return [
      r.target.name,
      r.doc.label,
      fmt(r.res.requestsPerSecond),
      f2(r.res.p50),
      f2(r.res.p99),
      fmt(r.res.bytesPerResponse),
      cpuPerRequest(r),
      ref ? `${f2(ratio)}×` : '—',
      ours ? verdict(r.res.requestsPerSecond >= TARGET_RPS) : '',
      ours ? verdict(r.res.p99 < TARGET_P99_MS) : '',
      ours ? (ref ? verdict(ratio >= TARGET_RATIO) : 'not measured') : '',
    ];
  });
  log('');
  log(
    markdownTable(
      ['server', 'document', 'requests/s', 'p50 ms', 'p99 ms', 'B/response', 'CPU µs/request (user / kernel)', '÷ nginx (1 worker)', `≥ ${fmt(TARGET_RPS)}/s`, `p99 < ${TARGET_P99_MS} ms`, `≥ ${TARGET_RATIO}× nginx`],
      table,
      2,
    ),
  );
  log('');
  for (const doc of DOCS) {
    const ours = rows.find((r) => r.doc === doc && r.target.kind === 'firebreak');
    const auto = rows.find((r) => r.doc === doc && r.target.kind === 'nginx-auto');
    if (ours && auto) log(`Firebreak ÷ nginx with worker_processes auto, ${doc.label}: ${f2(ours.res.requestsPerSecond / auto.res.requestsPerSecond)}×`);
  }
  log(
    `wrk -t${THREADS} -c${CONNECTIONS} -d${DURATION_S}s --latency -H 'Accept-Encoding: gzip' after a ${WARMUP_S} s warm-up, keep-alive. The ratio is taken against nginx with ` +
      'worker_processes 1, because Firebreak serves from one Node process; the auto row (one worker per core) is for reference. ' +
      'wrk, the server measured and the idle others share this machine\'s cores. CPU µs/request: the server\'s processes only (from /proc; nginx: master and workers), not wrk\'s.',
  );
  for (const n of notes) log(n);
  const broken = rows.filter((r) => r.res.non2xx > 0 || r.res.socketErrors > 0);
  for (const r of broken) log(`WARNING: ${r.target.name} ${r.doc.label}: ${r.res.non2xx} non-2xx/3xx answers and ${r.res.socketErrors} socket errors; its figures are suspect.\n${r.res.raw}`);
  if (broken.length) process.exitCode = 1;
}

// ─── the run ───────────────────────────────────────────────────────────────────────────────────

try {
  await logMachine('bench:statuspage');
  const notes: string[] = [];
  // The server as startBenchServer starts it, but with its own stop: see reportServerErrors.
  firebreak = await startFirebreakServer({
    dataDir,
    env: { ...process.env, LOG_LEVEL: 'warn', FIREBREAK_ADMIN_PASSWORD: BENCH_ADMIN_PASSWORD, FIREBREAK_CONFIG: undefined, DATABASE_URL: undefined },
    nodeArgs: opt.profile ? ['--cpu-prof', `--cpu-prof-dir=${opt.profile}`] : [],
    outputLimit: BENCH_OUTPUT_LIMIT,
  });
  log(`firebreak pid ${firebreak.child.pid} at ${firebreak.url} (example organisation, SQLite)`);
  notes.push(...(await seedOutage(firebreak.url)));
  log(`  page state: ${await waitForOutage(firebreak.url)}`);
  for (const line of await saveCopies(firebreak.url)) log(`  ${line}`);

  const fb: Target = { name: 'Firebreak', kind: 'firebreak', base: firebreak.url, pid: firebreak.child.pid };
  const targets: Target[] = [fb];
  if (nginxBinary && !nginxMissing) {
    for (const workers of ['1', 'auto']) {
      const n = await startNginx({ binary: nginxBinary, dir: join(work, `nginx-${workers}`), root: site, workers, readyPath: DOCS[0].staticPath, outputLimit: BENCH_OUTPUT_LIMIT });
      nginxes.push(n);
      const target: Target = { name: `nginx (${workers === '1' ? '1 worker' : 'auto workers'})`, kind: workers === '1' ? 'nginx-1' : 'nginx-auto', base: n.url, pid: n.child.pid };
      await checkCopies(target, fb);
      targets.push(target);
      log(`${target.name} pid ${n.child.pid} at ${n.url}, serving the saved copies`);
    }
  } else {
    notes.push(nginxMissing ? `nginx skipped: ${nginxBinary} not found (apt-get install nginx-light); no ratio.` : 'nginx skipped (--nginx none); no ratio.');
  }
  log(`measuring: ${DOCS.length} documents × ${targets.length} servers, ${WARMUP_S} + ${DURATION_S} s each`);
  const rows = await measure(targets);
  // Firebreak's output is checked for logged errors when it stops; the report comes after that.
  await cleanup();
  if (opt.profile) log(`CPU profile(s) of the server in ${opt.profile}: ${readdirSync(opt.profile).filter((f) => f.endsWith('.cpuprofile')).join(', ')}`);
  report(rows, notes);
} finally {
  await cleanup();
}
