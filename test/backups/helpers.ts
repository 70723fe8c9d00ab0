import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { createRequire } from 'node:module';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import { ConfigStore } from '../../src/config/store.ts';
import type { Database } from '../../src/db/create-db.ts';
import { freePort } from '../helpers/processes.ts';
import * as m0001 from '../../src/db/migrations/0001-core.ts';
import * as m0002 from '../../src/db/migrations/0002-signals.ts';
import * as m0003 from '../../src/db/migrations/0003-reports.ts';
import * as m0004 from '../../src/db/migrations/0004-silences.ts';
import * as m0005 from '../../src/db/migrations/0005-pipeline.ts';
import * as m0006 from '../../src/db/migrations/0006-signal-queue.ts';
import * as m0007 from '../../src/db/migrations/0007-failed-signals.ts';
import * as m0008 from '../../src/db/migrations/0008-monitors.ts';
import * as m0009 from '../../src/db/migrations/0009-monitor-state-fillfactor.ts';
import * as m0010 from '../../src/db/migrations/0010-oncall.ts';
import * as m0011 from '../../src/db/migrations/0011-status-page.ts';
import * as m0012 from '../../src/db/migrations/0012-learning.ts';

// s3rver ships no types; this is the part of it the tests use.
const S3rver = createRequire(import.meta.url)('s3rver') as new (opts: Record<string, unknown>) => { run(): Promise<unknown>; close(): Promise<void> };

export const KEY_HEX = randomBytes(32).toString('hex');
export const OTHER_KEY_HEX = randomBytes(32).toString('hex');

/** The example organisation plus a backups section (YAML, indented under `backups:`). */
export function configWith(backupsYaml: string, env: Record<string, string> = {}): ConfigStore {
  const text = `${readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')}\nbackups:\n${backupsYaml}`;
  const r = parseConfigText(text, env);
  if (!r.ok) throw new Error(`config invalid: ${JSON.stringify(r.issues)}`);
  return new ConfigStore(r.config, null, env);
}

/** A real S3-compatible server on loopback, with one bucket. */
export async function startS3(dir: string, bucket = 'firebreak-backups'): Promise<{ endpoint: string; close(): Promise<void> }> {
  const port = await freePort();
  const server = new S3rver({ port, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: bucket, configs: [] }] });
  await server.run();
  return { endpoint: `http://127.0.0.1:${port}`, close: () => server.close() };
}

/** Every row of the tables that matter, in a stable order, for comparing two databases. */
export async function contents(db: Database): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of ['users', 'incidents', 'incident_timeline', 'audit_log'] as const) {
    const { rows } = await sql<Record<string, unknown>>`select * from ${sql.table(t)} order by 1`.execute(db.kysely);
    out[t] = rows.map((r) => JSON.parse(JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))));
  }
  return out;
}

/** The release before backups existed: migrations 0001–0012, applied as the migrator would. */
export const BEFORE_BACKUPS = [m0001, m0002, m0003, m0004, m0005, m0006, m0007, m0008, m0009, m0010, m0011, m0012];
export const BEFORE_BACKUPS_NAMES = ['0001-core', '0002-signals', '0003-reports', '0004-silences', '0005-pipeline', '0006-signal-queue', '0007-failed-signals', '0008-monitors', '0009-monitor-state-fillfactor', '0010-oncall', '0011-status-page', '0012-learning'];

export async function migrateBeforeBackups(db: Database): Promise<void> {
  await db.kysely.transaction().execute(async (trx) => {
    await trx.schema.createTable('kysely_migration').addColumn('name', 'varchar(255)', (c) => c.primaryKey()).addColumn('timestamp', 'varchar(255)', (c) => c.notNull()).execute();
    for (const [i, mod] of BEFORE_BACKUPS.entries()) {
      await mod.up(trx as never, db.dialect);
      await sql`insert into kysely_migration (name, timestamp) values (${BEFORE_BACKUPS_NAMES[i]}, ${new Date().toISOString()})`.execute(trx);
    }
  });
}
