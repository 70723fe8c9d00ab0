/**
 * Escalation benchmark: `npm run bench:escalation` (add `-- --help` for knobs; about a minute).
 *
 * The real server (`firebreak serve`, child process) with a policy of three levels whose people
 * and channel are webhooks on a receiver in this process. `--incidents` incidents are declared at
 * once through the API (32 at a time); nobody acknowledges, so each escalates.
 *
 * 1. First notification: from each incident's created_at to the moment the receiver has its level-1
 *    page. p50/p99/max, and deliveries per second over the burst.
 * 2. Step lateness: each automatic step's fired_at minus its due time (from escalation_steps), for
 *    level 2 (all due at once, `--timeout` after creation).
 * 3. Right after a restart: the server is stopped after level 2 and started again before level 3
 *    is due; level 3's lateness is measured on the restarted server.
 * 4. Due during downtime: stopped again (SIGKILL with `--kill`) until past round 2's level 1; those
 *    steps fire on start: how long after the server was ready, p50/p99.
 * Targets: first notification p99 < 1 s; steps p99 < 1 s late, right after a restart too.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { EXAMPLE_CONFIG_PATH, formatIssues, loadConfigFile } from '../src/config/load.ts';
import { apiCall, benchApiToken } from './lib/api-client.ts';
import { createBenchDatabase, intOption, log, logMachine, markdownTable, percentile, startBenchServer, type BenchChild } from './support.ts';

const { values: args } = parseArgs({
  options: {
    incidents: { type: 'string', default: '1000' },
    timeout: { type: 'string', default: '15' },
    db: { type: 'string', default: 'sqlite' },
    kill: { type: 'boolean', default: false },
    profile: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  log('npm run bench:escalation -- [--incidents 1000] [--timeout 15 (seconds per level)] [--db sqlite|postgres] [--kill (SIGKILL for the downtime phase)] [--profile DIR (CPU profiles of the server)]');
  process.exit(0);
}
const INCIDENTS = intOption('incidents', args.incidents, 1, 20_000);
const TIMEOUT_S = intOption('timeout', args.timeout, 5, 600);

// ─── The receiver: every webhook delivery, by incident, level and round ───────────────────────

interface Delivery {
  at: number;
  ref: string;
  event: string;
  level: number | null;
  round: number | null;
  to: string;
}
const received: Delivery[] = [];
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const at = Date.now();
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      received.push({ at, ref: body.incident.ref, event: body.event, level: body.escalation?.level ?? null, round: body.escalation?.round ?? null, to: (req.url ?? '').slice(1) });
    } catch {
      // A malformed delivery would show as missing below.
    }
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
const hook = (name: string) => `http://127.0.0.1:${(receiver.address() as { port: number }).port}/${name}`;

// ─── The organisation: the example, with bench people and a three-level policy ────────────────

const dir = mkdtempSync(join(tmpdir(), 'firebreak-bench-escalation-'));
const doc = YAML.parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
const person = (handle: string) => ({ handle, name: handle, email: `${handle}@example.com`, contact_methods: [{ id: 'hook', type: 'webhook', url: hook(handle) }] });
doc.users = ['first', 'second'].map(person);
doc.channels = [{ id: 'bench', type: 'webhook', url: hook('channel'), rate_limit: { per_minute: 100_000 } }];
doc.stakeholder_groups = [];
doc.schedules = [];
doc.escalation_policies = [
  {
    id: 'default',
    name: 'Bench',
    repeat: 1,
    levels: [
      { notify: [{ user: 'first' }], timeout: `${TIMEOUT_S}s` },
      { notify: [{ user: 'second' }], timeout: `${TIMEOUT_S}s` },
      { notify: [{ channel: 'bench' }], timeout: `${TIMEOUT_S}s` },
    ],
  },
];
doc.notifications = { rate_limit: { per_minute: 100_000 } };
const configFile = join(dir, 'firebreak.yaml');
writeFileSync(configFile, YAML.stringify(doc));
const check = loadConfigFile(configFile, process.env);
if (!check.ok) throw new Error(formatIssues(configFile, check.issues));

await logMachine('bench:escalation');
let databaseUrl: string | null = null;
let dropDb: (() => Promise<void>) | null = null;
if (args.db === 'postgres') {
  const made = await createBenchDatabase('fb_bench_escalation');
  if ('skip' in made) {
    log(`PostgreSQL skipped: ${made.skip}`);
    process.exit(0);
  }
  databaseUrl = made.url;
  dropDb = made.drop;
}
log(`${INCIDENTS} incidents at once on ${args.db}; levels every ${TIMEOUT_S} s; nobody acknowledges`);

const agent = new Agent({ keepAlive: true, maxSockets: 32 });
const start = async (): Promise<{ server: BenchChild; readyAt: number }> => {
  const server = await startBenchServer({ dataDir: dir, databaseUrl, configFile, ...(args.profile ? { profileDir: args.profile } : {}) });
  return { server, readyAt: Date.now() };
};

let { server } = await start();
const token = await benchApiToken(agent, server.url);
const auth = { authorization: `Bearer ${token}` };

// 1. Declare every incident at once (32 requests in flight).
const created = new Map<string, number>();
const t0 = Date.now();
let next = 0;
await Promise.all(
  Array.from({ length: 32 }, async () => {
    while (next < INCIDENTS) {
      const i = next++;
      const r = await apiCall(agent, server.url, 'POST', '/api/v1/incidents', auth, { title: `Bench incident ${i}`, severity: 'P2', services: ['docs'] });
      if (r.status !== 201) throw new Error(`create failed: ${r.status} ${r.body}`);
      const body = JSON.parse(r.body);
      created.set(body.ref, Date.parse(body.created_at));
    }
  }),
);
const declaredIn = Date.now() - t0;
const pages = (level: number, round = 1) => received.filter((d) => d.event === 'page' && d.level === level && d.round === round);
await waitUntil(() => pages(1).length >= INCIDENTS, 60_000, 'level-1 pages');
const firstLatency = pages(1).map((d) => d.at - created.get(d.ref)!).sort((a, b) => a - b);
const burst = pages(1).map((d) => d.at).sort((a, b) => a - b);
const deliveriesPerSecond = INCIDENTS / Math.max(0.001, (burst[burst.length - 1] - Math.min(...created.values())) / 1000);

// 2. Level 2 comes due for everyone at about the same moment.
await waitUntil(() => pages(2).length >= INCIDENTS, (TIMEOUT_S + 60) * 1000, 'level-2 pages');
const level2 = await stepLateness(2, 1);

// 3. Restart before level 3 is due; level 3 fires on the restarted server.
const firstDue3 = Math.min(...created.values()) + 2 * TIMEOUT_S * 1000;
await server.stop();
const restartedBefore = firstDue3 - Date.now();
({ server } = await start());
await waitUntil(() => pages(3).length >= INCIDENTS, (TIMEOUT_S + 60) * 1000, 'level-3 pages');
const level3 = await stepLateness(3, 1);

// 4. Down across round 2's level 1 (due TIMEOUT after level 3): those steps fire on start.
const due4 = Math.max(...created.values()) + 3 * TIMEOUT_S * 1000;
if (args.kill) server.child.kill('SIGKILL');
await server.stop();
await sleep(Math.max(0, due4 - Date.now()) + 2000);
const restarted = await start();
server = restarted.server;
await waitUntil(() => pages(1, 2).length >= INCIDENTS, 60_000, 'round-2 level-1 pages');
const backlog = await firedAfter(1, 2, restarted.readyAt);
const duplicates = received.length - new Set(received.map((d) => `${d.ref}/${d.event}/${d.level}/${d.round}/${d.to}`)).size;
await server.stop();

const ms = (v: number) => `${Math.round(v)} ms`;
log('');
log(
  markdownTable(
    ['measure', 'n', 'p50', 'p99', 'max', 'target'],
    [
      ['incident created → first page received', String(firstLatency.length), ms(percentile(firstLatency, 50)), ms(percentile(firstLatency, 99)), ms(firstLatency.at(-1)!), 'p99 < 1 s'],
      ['level 2: fired − due (all due together)', String(level2.length), ms(percentile(level2, 50)), ms(percentile(level2, 99)), ms(level2.at(-1)!), 'p99 < 1 s'],
      [`level 3 right after a restart (${Math.round(restartedBefore / 1000)} s before due)`, String(level3.length), ms(percentile(level3, 50)), ms(percentile(level3, 99)), ms(level3.at(-1)!), 'p99 < 1 s'],
      [`due while down${args.kill ? ' (SIGKILL)' : ''}: fired − server ready`, String(backlog.length), ms(percentile(backlog, 50)), ms(percentile(backlog, 99)), ms(backlog.at(-1)!), 'each once'],
    ],
    1,
  ),
);
log('');
log(`declared ${INCIDENTS} incidents in ${declaredIn} ms; first pages at ${deliveriesPerSecond.toFixed(0)} deliveries/s (creation to last page); ${received.length} deliveries in all, ${duplicates} repeated`);
if (args.kill && duplicates > 0) {
  // Sent, then killed before the attempt was written: sent again after the restart, with the same
  // Idempotency-Key (at-least-once; receivers drop repeats). A graceful stop must repeat nothing.
  log(`(the ${duplicates} repeats were in flight when the server was killed, re-sent with the same idempotency key)`);
}

agent.destroy();
receiver.close();
await dropDb?.();
rmSync(dir, { recursive: true, force: true });
if (duplicates > 0 && !args.kill) process.exitCode = 1;

async function waitUntil(cond: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Rows of escalation_steps for a level and round, read straight from the database. */
async function steps(level: number, round: number): Promise<{ due_at: number; fired_at: number }[]> {
  if (databaseUrl) {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const r = await client.query('select due_at, fired_at from escalation_steps where level = $1 and round = $2 and step_key like $3', [level, round, 'L%']);
      return r.rows.map((x) => ({ due_at: Number(x.due_at), fired_at: Number(x.fired_at) }));
    } finally {
      await client.end();
    }
  }
  const db = new BetterSqlite3(join(dir, 'firebreak.db'), { readonly: true });
  try {
    return db.prepare('select due_at, fired_at from escalation_steps where level = ? and round = ? and step_key like ?').all(level, round, 'L%') as { due_at: number; fired_at: number }[];
  } finally {
    db.close();
  }
}

async function stepLateness(level: number, round: number): Promise<number[]> {
  return (await steps(level, round)).map((s) => s.fired_at - s.due_at).sort((a, b) => a - b);
}

async function firedAfter(level: number, round: number, readyAt: number): Promise<number[]> {
  return (await steps(level, round)).map((s) => s.fired_at - readyAt).sort((a, b) => a - b);
}
