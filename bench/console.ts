/**
 * `npm run bench:console`: how fast the web console's incident list is ready to use with 10,000
 * incidents stored. Seeds a SQLite data directory through the verbs (most incidents resolved, a
 * few open, as in real life), starts the real server on it, and loads `/` in Debian's headless
 * Chromium with a signed-in session, cold (empty browser cache) and warm, timing navigation →
 * first incident row visible and clickable. Also prints the bundle's size, raw and gzipped.
 *
 *   npm run bench:console -- [--incidents N] [--open N] [--runs N]
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { EXAMPLE_CONFIG_PATH, loadConfigFile } from '../src/config/load.ts';
import { ConfigStore } from '../src/config/store.ts';
import { createDatabase } from '../src/db/create-db.ts';
import { migrateToLatest } from '../src/db/migrate.ts';
import { systemClock } from '../src/lib/clock.ts';
import { systemActor, type Ctx } from '../src/modules/context.ts';
import { createIncident, transitionIncident } from '../src/modules/incidents/index.ts';
import { BENCH_ADMIN_PASSWORD, intOption, log, logMachine, markdownTable, median, percentile, startBenchServer } from './support.ts';

const CHROMIUM = '/usr/bin/chromium';
const SEVERITIES = ['P0', 'P1', 'P2', 'P3'] as const;
const SERVICES = ['web', 'api', 'database', 'checkout', 'work-orders', 'reporting', 'storage', 'auth'];

const { values } = parseArgs({ options: { incidents: { type: 'string', default: '10000' }, open: { type: 'string', default: '25' }, runs: { type: 'string', default: '7' } } });
const total = intOption('incidents', values.incidents, 100, 1_000_000);
const openCount = intOption('open', values.open, 0, total);
const runs = intOption('runs', values.runs, 1, 50);

/** The bundle as the server sends it: every file under web/dist/assets, raw and gzipped. */
function bundleSizes(): { raw: number; gzip: number; files: number } {
  const dir = 'web/dist/assets';
  let raw = 0;
  let gzip = 0;
  const names = readdirSync(dir);
  for (const name of names) {
    const body = readFileSync(join(dir, name));
    raw += statSync(join(dir, name)).size;
    gzip += gzipSync(body, { level: 9 }).length;
  }
  return { raw, gzip, files: names.length };
}

async function seed(dataDir: string): Promise<void> {
  const db = createDatabase({ databaseUrl: null, dataDir, poolSize: 5 });
  await migrateToLatest(db);
  const loaded = loadConfigFile(EXAMPLE_CONFIG_PATH, {});
  if (!loaded.ok) throw new Error('example config is invalid');
  const ctx: Ctx = { db, config: new ConfigStore(loaded.config, EXAMPLE_CONFIG_PATH, {}), clock: systemClock, actor: systemActor('bench'), requestId: 'bench' };
  const started = performance.now();
  const BATCH = 100;
  for (let i = 0; i < total; i += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, total - i) }, async (_, j) => {
        const n = i + j;
        const inc = await createIncident(ctx, { title: `Seeded incident ${n}: ${SERVICES[n % SERVICES.length]} errors`, severity: SEVERITIES[n % 4], services: [SERVICES[n % SERVICES.length]] });
        if (n < total - openCount) await transitionIncident(ctx, inc.id, 'resolve');
      }),
    );
    if (process.stdout.isTTY) process.stdout.write(`\r  seeding ${Math.min(total, i + BATCH).toLocaleString('en-US')} / ${total.toLocaleString('en-US')} incidents…`);
  }
  if (process.stdout.isTTY) process.stdout.write('\n');
  // History, not news: the paging engine is not to spend the measurement reacting to 10,000 old incidents.
  await db.kysely.updateTable('outbox').set({ reacted_at: Date.now() }).where('reacted_at', 'is', null).execute();
  await db.kysely.deleteFrom('timers').execute();
  log(`  seeded ${total.toLocaleString('en-US')} incidents (${openCount} open) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  await db.close();
}

async function main(): Promise<void> {
  await logMachine('bench:console');
  const dataDir = mkdtempSync(join(tmpdir(), 'firebreak-bench-console-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'] }).catch((e: Error) => {
    throw new Error(`Chromium is needed at ${CHROMIUM} (apt-get install -y chromium): ${e.message.split('\n')[0]}`);
  });
  let server: Awaited<ReturnType<typeof startBenchServer>> | null = null;
  try {
    await seed(dataDir);
    server = await startBenchServer({ dataDir, databaseUrl: null });
    const base = server.url;
    const timings: { cold: number[]; warm: number[]; api: number[] } = { cold: [], warm: [], api: [] };
    for (let r = 0; r < runs; r++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const login = await context.request.post(`${base}/api/v1/auth/login`, { data: { handle: 'admin', password: BENCH_ADMIN_PASSWORD }, headers: { origin: base } });
      if (!login.ok()) throw new Error(`sign-in failed: ${login.status()} ${await login.text()}`);
      const page = await context.newPage();
      for (const kind of ['cold', 'warm'] as const) {
        const t0 = Date.now();
        await page.goto(`${base}/`, { waitUntil: 'commit' });
        const row = page.locator('.inc-row a.inc-title').first();
        await row.waitFor({ state: 'visible', timeout: 30_000 });
        // Interactive: the row's link responds to the keyboard (React has attached its handlers).
        await row.focus();
        timings[kind].push(Date.now() - t0);
      }
      const a0 = performance.now();
      await context.request.get(`${base}/api/v1/incidents?open=true&limit=200`);
      timings.api.push(performance.now() - a0);
      await context.close();
      if (process.stdout.isTTY) process.stdout.write(`\r  run ${r + 1}/${runs}…`);
    }
    if (process.stdout.isTTY) process.stdout.write('\n');
    const bundle = bundleSizes();
    const row = (name: string, xs: number[]) => {
      const s = [...xs].sort((a, b) => a - b);
      return [name, `${Math.round(median(s))}`, `${Math.round(percentile(s, 95))}`, `${Math.round(s[s.length - 1])}`, median(s) < 1000 ? 'met' : 'MISSED'];
    };
    log('');
    log(`${total.toLocaleString('en-US')} incidents stored (${openCount} open); ${runs} runs; bundle ${bundle.files} files, ${(bundle.raw / 1024).toFixed(0)} KB raw, ${(bundle.gzip / 1024).toFixed(0)} KB gzipped`);
    log(
      markdownTable(
        ['load', 'median ms', 'p95 ms', 'max ms', '< 1 s'],
        [row('incident list interactive, cold cache', timings.cold), row('incident list interactive, warm cache', timings.warm), [...row('API: open incidents (limit 200)', timings.api).slice(0, 4), '']],
        1,
      ),
    );
    log('Interactive: from navigation to the first incident row visible and focusable (React attached), signed in, loopback, headless Chromium.');
  } finally {
    await browser.close();
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:console failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
