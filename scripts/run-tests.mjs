#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's test runner through tsx (Node 20 has no --test globs),
// and says at the end, plainly, when the PostgreSQL half of the suite was skipped.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const walk = (dir) =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.test.ts') ? [join(dir, e.name)] : []));
// The browser tests drive the built console: build it first (about a second).
const build = spawnSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn'], { stdio: 'inherit' });
if (build.status !== 0) {
  console.error('the web console did not build');
  process.exit(build.status ?? 1);
}
const files = process.argv.length > 2 ? process.argv.slice(2) : walk('test').sort();
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], { stdio: 'inherit' });

const pgUrl = process.env.FIREBREAK_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const wanted = (process.env.DIALECTS ?? 'sqlite,postgres').split(',');
if (wanted.includes('postgres')) {
  const client = new pg.Client({ connectionString: pgUrl, connectionTimeoutMillis: 2000 });
  const reachable = await client.connect().then(() => true, () => false);
  await client.end().catch(() => {});
  if (!reachable) console.log(`\nNOTE: the PostgreSQL suite was SKIPPED (${pgUrl} unreachable); only SQLite was tested.`);
}
process.exit(result.status ?? 1);
