import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import { CHUNK_BYTES, HEADER_BYTES, OpenStream, SealStream, type Codec } from '../../src/modules/backups/crypto-stream.ts';
import { parseKey } from '../../src/modules/backups/keys.ts';
import { MANIFEST_FORMAT, openManifest, signManifest, type Manifest } from '../../src/modules/backups/manifest.ts';
import { openFile, sealFile } from '../../src/modules/backups/sealed-files.ts';
import { planRetention, type RetentionCandidate } from '../../src/modules/backups/retention.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const policy = { keep_last: 4, daily: 7, weekly: 5, monthly: 0, max_age: 35 * DAY };

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const seal = async (plain: Buffer, key: Buffer, level = 1, codec: Codec = 'brotli') => {
  const s = new SealStream(key, level, codec);
  const [bytes] = await Promise.all([collect(s), pipeline(Readable.from([plain.subarray(0, 1000), plain.subarray(1000)]), s)]);
  return { bytes, stats: s.stats() };
};
const open = async (bytes: Buffer, key: Buffer) => {
  const o = new OpenStream(key);
  // Small pieces: frames arrive split across reads, as from a socket.
  const pieces = [];
  for (let i = 0; i < bytes.length; i += 65_536) pieces.push(bytes.subarray(i, i + 65_536));
  const [plain] = await Promise.all([collect(o), pipeline(Readable.from(pieces), o)]);
  return { plain, stats: o.stats() };
};
const reasonIs = (r: string) => (e: unknown) => (e as { details?: { reason?: string } }).details?.reason === r;

describe('backup file format', () => {
  const key = randomBytes(32);
  // Over two chunks, half compressible text, half random: both paths through deflate.
  const plain = Buffer.concat([Buffer.from('incident timeline entry '.repeat(200_000)), randomBytes(CHUNK_BYTES)]);

  test('seals and opens across several chunks, with matching hashes', async () => {
    const sealed = await seal(plain, key);
    assert.ok(sealed.stats.chunks >= 3);
    assert.equal(sealed.stats.ciphertextBytes, sealed.bytes.length);
    const opened = await open(sealed.bytes, key);
    assert.ok(opened.plain.equals(plain));
    assert.equal(opened.stats.plaintextSha256, sealed.stats.plaintextSha256);
    const stored = await seal(plain, key, 0);
    assert.ok((await open(stored.bytes, key)).plain.equals(plain), 'level 0 stores without deflate');
  });

  test('backups written with deflate (manifest format 1) still open', async () => {
    const sealed = await seal(plain, key, 1, 'deflate-raw');
    const opened = await open(sealed.bytes, key);
    assert.ok(opened.plain.equals(plain));
    assert.equal(opened.stats.plaintextSha256, sealed.stats.plaintextSha256);
    const master = parseKey(randomBytes(32), 'k');
    const id = 'fbk-20261205T121500123Z-1a2b3c';
    const old = { format: 'firebreak-backup/1', id, encryption: { key_id: master.id }, compression: { algorithm: 'deflate-raw', level: 1 } } as unknown as Manifest;
    assert.equal(openManifest(master, signManifest(master, old), id).format, 'firebreak-backup/1');
    const unknown = { ...old, format: 'firebreak-backup/9' } as unknown as Manifest;
    assert.throws(() => openManifest(master, signManifest(master, unknown), id), reasonIs('BACKUP_UNREADABLE'));
    assert.equal(MANIFEST_FORMAT, 'firebreak-backup/2');
  });

  test('files seal and open in a worker thread; a refusal there keeps its reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-sealed-files-'));
    try {
      writeFileSync(join(dir, 'plain'), plain);
      let progressed = 0;
      const stats = await sealFile(join(dir, 'plain'), join(dir, 'sealed'), key, 1, (n) => (progressed += n));
      assert.equal(progressed, plain.length);
      const opened = await openFile(join(dir, 'sealed'), join(dir, 'opened'), key);
      assert.ok(readFileSync(join(dir, 'opened')).equals(plain));
      assert.deepEqual(opened, { ciphertextSha256: stats.ciphertextSha256, plaintextBytes: stats.plaintextBytes, plaintextSha256: stats.plaintextSha256 });
      // Written by the stream in this thread, read by the worker: one format.
      assert.ok((await open(readFileSync(join(dir, 'sealed')), key)).plain.equals(plain));
      await assert.rejects(openFile(join(dir, 'sealed'), join(dir, 'opened'), randomBytes(32)), reasonIs('BACKUP_CORRUPT'));
      await assert.rejects(sealFile(join(dir, 'missing'), join(dir, 'sealed2'), key, 1), /ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a wrong key, a flipped bit, a dropped end and swapped frames are refused', async () => {
    const { bytes } = await seal(plain, key);
    await assert.rejects(open(bytes, randomBytes(32)), reasonIs('BACKUP_CORRUPT'));
    const flipped = Buffer.from(bytes);
    flipped[bytes.length - 40] ^= 0x80;
    await assert.rejects(open(flipped, key), reasonIs('BACKUP_CORRUPT'));
    // The final frame is 5 + 16 bytes (empty body, tag): without it the file is truncated.
    await assert.rejects(open(bytes.subarray(0, bytes.length - 21), key), reasonIs('BACKUP_TRUNCATED'));
    await assert.rejects(open(bytes.subarray(0, bytes.length - 1000), key), reasonIs('BACKUP_TRUNCATED'));
    await assert.rejects(open(Buffer.concat([bytes, Buffer.alloc(10)]), key), reasonIs('BACKUP_CORRUPT'));
    const notOurs = Buffer.from(bytes);
    notOurs.write('NOTABACK', 0);
    await assert.rejects(open(notOurs, key), reasonIs('BACKUP_UNREADABLE'));
    // Swap the first two frames: each is authentic, but not at that position.
    const frame = (at: number) => bytes.subarray(at, at + 5 + bytes.readUInt32BE(at));
    const f0 = frame(HEADER_BYTES);
    const f1 = frame(HEADER_BYTES + f0.length);
    const swapped = Buffer.concat([bytes.subarray(0, HEADER_BYTES), f1, f0, bytes.subarray(HEADER_BYTES + f0.length + f1.length)]);
    await assert.rejects(open(swapped, key), reasonIs('BACKUP_CORRUPT'));
  });

  test('keys: hex, base64 or 32 raw bytes; anything else is refused without echoing it', () => {
    const raw = randomBytes(32);
    const id = parseKey(raw, 'k').id;
    assert.equal(parseKey(Buffer.from(`${raw.toString('hex')}\n`), 'k').id, id);
    assert.equal(parseKey(Buffer.from(raw.toString('base64')), 'k').id, id);
    assert.throws(() => parseKey(Buffer.from('too short secret'), 'the key file /k'), (e: Error) => reasonIs('BACKUP_KEY_MISSING')(e) && !e.message.includes('too short secret'));
  });
});

describe('retention plan', () => {
  const now = Date.UTC(2026, 11, 5, 12);
  /** A backup every 6 hours for `days` days before now. */
  const sixHourly = (days: number, verifiedEvery = 0): RetentionCandidate[] =>
    Array.from({ length: days * 4 }, (_, i) => ({ id: `b${String(i).padStart(4, '0')}`, createdAt: now - i * 6 * HOUR - 1000, verified: verifiedEvery > 0 && i % verifiedEvery === 0 }));

  test('six-hourly backups over 60 days: last 4, one a day for 7 days, one a week for 5 weeks, nothing past 35 days', () => {
    const plan = planRetention(sixHourly(60), policy, now);
    const kept = plan.keep.map((k) => k.id);
    for (const id of ['b0000', 'b0001', 'b0002', 'b0003']) assert.ok(kept.includes(id), id);
    const ages = plan.keep.map((k) => (now - sixHourly(60).find((c) => c.id === k.id)!.createdAt) / DAY);
    assert.ok(Math.max(...ages) <= 35, `oldest kept ${Math.max(...ages)} days`);
    // 4 last (on the newest day, which daily also keeps) + 6 more days + weeks not already covered.
    assert.ok(plan.keep.length >= 10 && plan.keep.length <= 16, String(plan.keep.length));
    assert.equal(plan.keep.length + plan.delete.length, 240);
    assert.ok(plan.delete.every((d) => !kept.includes(d.id)));
  });

  test('the newest verified backup is kept even when every rule would delete it', () => {
    const list = sixHourly(60).map((c) => ({ ...c, verified: c.id === 'b0200' }));
    const plan = planRetention(list, policy, now);
    assert.deepEqual(plan.keep.find((k) => k.id === 'b0200')?.reasons, ['newest verified']);
    // Only the newest verified one: an older verified backup is not protected.
    const two = sixHourly(60).map((c) => ({ ...c, verified: c.id === 'b0200' || c.id === 'b0210' }));
    assert.ok(planRetention(two, policy, now).delete.some((d) => d.id === 'b0210'));
  });

  test('when backups stopped long ago, keep_last still holds the last ones', () => {
    const old = sixHourly(10).map((c) => ({ ...c, createdAt: c.createdAt - 90 * DAY }));
    const plan = planRetention(old, policy, now);
    assert.deepEqual(plan.keep.map((k) => k.id), ['b0000', 'b0001', 'b0002', 'b0003']);
  });

  test('many random histories: never deletes the newest verified, never keeps more than the rules allow', () => {
    for (let run = 0; run < 300; run++) {
      const n = Math.floor(Math.random() * 80);
      const list: RetentionCandidate[] = Array.from({ length: n }, (_, i) => ({ id: `r${run}-${i}`, createdAt: now - Math.floor(Math.random() * 120 * DAY), verified: Math.random() < 0.2 }));
      const p = { keep_last: 1 + Math.floor(Math.random() * 5), daily: Math.floor(Math.random() * 10), weekly: Math.floor(Math.random() * 6), monthly: Math.floor(Math.random() * 4), max_age: 35 * DAY };
      const plan = planRetention(list, p, now);
      assert.equal(plan.keep.length + plan.delete.length, n);
      const newestVerified = [...list].filter((c) => c.verified).sort((a, b) => b.createdAt - a.createdAt)[0];
      if (newestVerified) assert.ok(plan.keep.some((k) => k.id === newestVerified.id));
      assert.ok(plan.keep.length <= p.keep_last + p.daily + p.weekly + p.monthly + 1);
      const newest = [...list].sort((a, b) => b.createdAt - a.createdAt)[0];
      if (newest) assert.ok(plan.keep.some((k) => k.id === newest.id), 'the newest backup is always kept');
    }
  });
});

describe('backups config', () => {
  const example = readFileSync(EXAMPLE_CONFIG_PATH, 'utf8');
  const parse = (yaml: string, env: Record<string, string> = {}) => parseConfigText(`${example}\nbackups:\n${yaml}`, env);

  test("defaults: the plan's 6 hours, weekly verification, 35 days, one local target", () => {
    const r = parse('  encryption: { key_env: FIREBREAK_BACKUP_KEY }\n');
    assert.ok(r.ok);
    const b = r.config.backups;
    assert.ok(b.configured);
    assert.equal(b.every, 6 * HOUR);
    assert.equal(b.verify_every, 7 * DAY);
    assert.equal(b.retention.max_age, 35 * DAY);
    assert.deepEqual(b.targets, [{ id: 'local', type: 'local' }]);
    const none = parseConfigText(example, {});
    assert.ok(none.ok && !none.config.backups.configured && !none.config.backups.enabled);
  });

  test('errors name their YAML paths; S3 credentials come from the environment', () => {
    const bad = parse('  encryption: { key_env: "not a name" }\n  every: soon\n  targets:\n    - { id: a, type: local }\n    - { id: a, type: s3, bucket: b }\n  retention: { keep_last: 0 }\n');
    assert.ok(!bad.ok);
    const paths = bad.issues.map((i) => i.path);
    for (const p of ['backups.every', 'backups.targets[1].bucket', 'backups.retention.keep_last']) assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    assert.ok(paths.some((p) => p.startsWith('backups.encryption')), paths.join(', '));
    const missing = parse('  encryption: { key_file: /k }\n  targets:\n    - { id: s, type: s3, bucket: bkt, access_key_id: "${S3_KEY}" }\n');
    assert.ok(!missing.ok && missing.issues.some((i) => i.path === 'backups.targets[0].access_key_id' && /S3_KEY is not set/.test(i.message)));
    const dup = parse('  encryption: { key_file: /k }\n  targets:\n    - { id: a, type: local }\n    - { id: a, type: local }\n');
    assert.ok(!dup.ok && dup.issues.some((i) => i.path === 'backups.targets[1].id' && /duplicate/.test(i.message)));
  });
});
