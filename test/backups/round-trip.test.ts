import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync, truncateSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { after, before, describe, test } from 'node:test';
import { createDatabase } from '../../src/db/create-db.ts';
import { KNOWN_MIGRATIONS, migrateToLatest } from '../../src/db/migrate.ts';
import { systemClock } from '../../src/lib/clock.ts';
import { systemActor, type Ctx } from '../../src/modules/context.ts';
import { createIncident } from '../../src/modules/incidents/index.ts';
import { backupMetricsText, createBackup, restoreBackup, scheduledVerify, storeLocation, verifyBackup, VERIFY_ALERT_KEY, type BackupEnv } from '../../src/modules/backups/index.ts';
import { OpenStream, SealStream } from '../../src/modules/backups/crypto-stream.ts';
import { parseKey, unwrapDataKey } from '../../src/modules/backups/keys.ts';
import { signManifest, type Manifest } from '../../src/modules/backups/manifest.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { configWith, contents, KEY_HEX, OTHER_KEY_HEX, startS3 } from './helpers.ts';

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const reason = (re: string) => (e: unknown) => {
  assert.equal((e as { details?: { reason?: string } }).details?.reason, re, (e as Error).message);
  return true;
};

for (const { name: dialect, skip } of DIALECTS) describe(`backups: create, verify, restore [${dialect}]`, { skip }, () => {
  let dir: string;
  let s3: Awaited<ReturnType<typeof startS3>>;
  let drops: (() => Promise<void>)[] = [];
  let ctx: Ctx;
  let env: BackupEnv;
  let source: { url: string };
  const yaml = (key: string, endpoint: string) =>
    `  encryption: { key_env: BACKUP_KEY }\n  targets:\n    - { id: local, type: local, path: ${JSON.stringify(join(dir, 'backups'))} }\n` +
    `    - { id: offsite, type: s3, endpoint: ${endpoint}, bucket: firebreak-backups, prefix: test/, force_path_style: true, access_key_id: S3RVER, secret_access_key: S3RVER }\n` +
    `  compression_level: 1\n${key ? '' : ''}`;
  const envFor = (store: BackupEnv['store'], key = KEY_HEX): BackupEnv => ({ store, dataDir: join(dir, 'data'), env: { BACKUP_KEY: key }, version: 'test' });
  const fresh = async () => {
    const f = await freshDatabaseUrl(dialect, import.meta.url, dir);
    drops.push(f.drop);
    return f.url;
  };
  const emptyStore = async (): Promise<BackupEnv['store']> => (dialect === 'sqlite' ? { engine: 'sqlite', file: join(mkdtempSync(join(dir, 'restore-')), 'firebreak.db') } : storeLocation({ databaseUrl: await fresh(), dataDir: dir }));

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-backups-'));
    s3 = await startS3(join(dir, 's3'));
    source = { url: await fresh() };
    const db = createDatabase({ databaseUrl: source.url, dataDir: dir, poolSize: 3 });
    await migrateToLatest(db);
    const config = configWith(yaml(KEY_HEX, s3.endpoint), { BACKUP_KEY: KEY_HEX });
    ctx = { db, config, clock: systemClock, actor: systemActor('test'), requestId: 'test' };
    for (let i = 0; i < 25; i++) await createIncident(ctx, { title: `Incident ${i} ${'x'.repeat(i * 4)}`, severity: 'P2', services: ['database'] });
    env = envFor(storeLocation({ databaseUrl: source.url, dataDir: dir }));
  });

  after(async () => {
    await ctx?.db.close();
    await s3?.close();
    for (const d of drops) await d();
    rmSync(dir, { recursive: true, force: true });
  });

  let backupId: string;

  test('create stores one snapshot in every target with a signed manifest', async () => {
    const r = await createBackup(ctx, env);
    backupId = r.manifest.id;
    assert.deepEqual(r.targets.map((t) => [t.id, t.ok]), [['local', true], ['offsite', true]]);
    const m = r.manifest;
    assert.equal(m.engine, dialect);
    assert.equal(m.schema_version, KNOWN_MIGRATIONS.at(-1));
    assert.ok(m.row_counts.incidents === 25, JSON.stringify(m.row_counts));
    assert.match(m.plaintext.sha256, /^[0-9a-f]{64}$/);
    assert.match(m.ciphertext.sha256, /^[0-9a-f]{64}$/);
    assert.ok(m.plaintext.bytes > m.ciphertext.bytes, 'compressed');
    assert.equal(m.integrity.ok, true);
    assert.equal(m.encryption.algorithm, 'AES-256-GCM');
    assert.deepEqual([m.format, m.compression], ['firebreak-backup/2', { algorithm: 'brotli', level: 1 }]);
    assert.match(m.encryption.key_id, /^[0-9a-f]{16}$/);
    const stored = JSON.parse(readFileSync(join(dir, 'backups', `${m.id}.manifest.json`), 'utf8'));
    assert.match(stored.mac, /^[0-9a-f]{64}$/);
    assert.ok(!JSON.stringify(stored).includes(KEY_HEX), 'the key is never in the manifest');
    const rows = await ctx.db.kysely.selectFrom('backups').selectAll().where('id', '=', m.id).execute();
    assert.deepEqual(rows.map((r) => r.status).sort(), ['complete', 'complete']);
  });

  test('verify restores each target into scratch and records the restore time', async () => {
    for (const target of ['local', 'offsite']) {
      const v = await verifyBackup(ctx, env, { target });
      assert.equal(v.id, backupId);
      assert.ok(v.checks.every((c) => c.ok), JSON.stringify(v.checks));
      const row = await ctx.db.kysely.selectFrom('backups').selectAll().where('id', '=', backupId).where('target_id', '=', target).executeTakeFirstOrThrow();
      assert.equal(row.verify_ok, 1);
      assert.ok(Number(row.verify_ms) >= 0);
    }
    const text = await backupMetricsText(ctx);
    assert.match(text, /firebreak_backup_last_success_timestamp_seconds\{target="offsite"\} \d+/);
    assert.match(text, /firebreak_backup_last_verification_success\{target="local"\} 1/);
    assert.match(text, /firebreak_backup_rpo_exposure_seconds \d/);
  });

  test('restore from S3 into an empty store gives the same rows; a non-empty store needs --force', async () => {
    const store = await emptyStore();
    const r = await restoreBackup(ctx.config, { ...envFor(store) }, { target: 'offsite' });
    assert.equal(r.id, backupId);
    assert.deepEqual(r.migrated, []);
    const restored = createDatabase({ databaseUrl: store.engine === 'sqlite' ? `sqlite:${store.file}` : store.url, dataDir: dir });
    try {
      const [a, b] = [await contents(ctx.db), await contents(restored)];
      assert.deepEqual(b.incidents, a.incidents);
      assert.deepEqual(b.users, a.users);
      assert.equal(b.incident_timeline.length, a.incident_timeline.length);
    } finally {
      await restored.close();
    }
    await assert.rejects(restoreBackup(ctx.config, envFor(store), { target: 'local' }), reason('RESTORE_TARGET_NOT_EMPTY'));
    const forced = await restoreBackup(ctx.config, envFor(store), { target: 'local', force: true });
    assert.equal(forced.id, backupId);
  });

  test('a wrong key, a changed byte and a truncated file are refused, and nothing is written', async () => {
    const wrong = configWith(yaml(OTHER_KEY_HEX, s3.endpoint), { BACKUP_KEY: OTHER_KEY_HEX });
    const store = await emptyStore();
    const untouched = async () => {
      if (store.engine === 'sqlite') assert.ok(!existsSync(store.file) && readdirSync(join(store.file, '..')).length === 0, 'nothing written');
      else {
        const db = createDatabase({ databaseUrl: store.url, dataDir: dir });
        const { applied } = { applied: await db.kysely.introspection.getTables() };
        await db.close();
        assert.equal(applied.length, 0, 'no tables created');
      }
    };
    await assert.rejects(verifyBackup({ ...ctx, config: wrong }, envFor(env.store, OTHER_KEY_HEX), { target: 'local' }), reason('BACKUP_WRONG_KEY'));
    await assert.rejects(restoreBackup(wrong, envFor(store, OTHER_KEY_HEX), { target: 'local' }), reason('BACKUP_WRONG_KEY'));
    await untouched();

    const file = join(dir, 'backups', `${backupId}.fbk`);
    const saved = join(dir, 'saved.fbk');
    copyFileSync(file, saved);
    const bytes = readFileSync(file);
    bytes[Math.floor(bytes.length / 2)] ^= 0x01;
    writeFileSync(file, bytes);
    await assert.rejects(verifyBackup(ctx, env, { target: 'local' }), reason('BACKUP_CORRUPT'));
    await assert.rejects(restoreBackup(ctx.config, envFor(store), { target: 'local' }), reason('BACKUP_CORRUPT'));
    await untouched();

    // The scheduled restore test raises an incident through Firebreak's own integration.
    await scheduledVerify(ctx, env);
    const signal = await ctx.db.kysely.selectFrom('signals').select(['dedup_key', 'event_action']).where('integration_id', '=', 'firebreak').where('dedup_key', '=', VERIFY_ALERT_KEY).executeTakeFirst();
    assert.deepEqual(signal, { dedup_key: VERIFY_ALERT_KEY, event_action: 'trigger' });
    assert.match(await backupMetricsText(ctx), /firebreak_backup_last_verification_success\{target="local"\} 0/);

    copyFileSync(saved, file);
    truncateSync(file, bytes.length - 100);
    await assert.rejects(verifyBackup(ctx, env, { target: 'local' }), reason('BACKUP_TRUNCATED'));
    await assert.rejects(restoreBackup(ctx.config, envFor(store), { target: 'local' }), reason('BACKUP_TRUNCATED'));
    await untouched();
    copyFileSync(saved, file);
    await verifyBackup(ctx, env, { target: 'local' });
  });

  test('a backup written by the previous format (manifest 1, deflate frames) still verifies and restores', async () => {
    const master = parseKey(Buffer.from(KEY_HEX), 'test key');
    const manifestFile = join(dir, 'backups', `${backupId}.manifest.json`);
    const dataFile = join(dir, 'backups', `${backupId}.fbk`);
    const { mac: _mac, ...current } = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest & { mac: string };
    const dataKey = unwrapDataKey(master, current.encryption.wrapped_data_key, backupId);
    const plain = await collect(Readable.from([readFileSync(dataFile)]).pipe(new OpenStream(dataKey)));
    const reseal = new SealStream(dataKey, 1, 'deflate-raw');
    const [sealed] = await Promise.all([collect(reseal), pipeline(Readable.from([plain]), reseal)]);
    const s = reseal.stats();
    const old = { ...current, format: 'firebreak-backup/1', compression: { algorithm: 'deflate-raw', level: 1 }, ciphertext: { bytes: s.ciphertextBytes, sha256: s.ciphertextSha256, chunks: s.chunks } } as Manifest;
    assert.equal(s.plaintextSha256, current.plaintext.sha256);
    writeFileSync(dataFile, sealed);
    writeFileSync(manifestFile, signManifest(master, old));
    const v = await verifyBackup(ctx, env, { target: 'local', id: backupId });
    assert.equal(v.manifest.format, 'firebreak-backup/1');
    const store = await emptyStore();
    assert.equal((await restoreBackup(ctx.config, envFor(store), { target: 'local', id: backupId })).id, backupId);
  });

  test('two backups at once: one runs, the other is refused with BACKUP_LOCKED', async () => {
    const results = await Promise.allSettled([createBackup(ctx, env, { target: 'local' }), createBackup(ctx, env, { target: 'local' })]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, results.map((r) => (r.status === 'rejected' ? String(r.reason) : 'ok')).join('; '));
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.ok(reason('BACKUP_LOCKED')(refused.reason));
  });
});
