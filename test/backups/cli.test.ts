import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/load.ts';
import { FIREBREAK_BIN, isolatedEnv, REPO_ROOT } from '../helpers/processes.ts';
import { KEY_HEX, OTHER_KEY_HEX } from './helpers.ts';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// The real binary on SQLite: what an operator types during an outage.
describe('firebreak backup / restore (real binary)', () => {
  let dir: string;
  let configPath: string;
  const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, [FIREBREAK_BIN, ...args], { cwd: REPO_ROOT, env: isolatedEnv({ FIREBREAK_CONFIG: configPath, FIREBREAK_BACKUP_KEY: KEY_HEX, ...env }), timeout: 60_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
      });
    });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-backup-cli-'));
    configPath = join(dir, 'firebreak.yaml');
    writeFileSync(
      configPath,
      `${readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')}\nbackups:\n  encryption: { key_env: FIREBREAK_BACKUP_KEY }\n  targets:\n    - { id: local, type: local, path: ${JSON.stringify(join(dir, 'backups'))} }\n`,
    );
    const m = await run(['migrate', '--data-dir', join(dir, 'live')]);
    assert.equal(m.code, 0, m.stderr);
    const u = await run(['user', 'create', 'alice', '--name', 'Alice', '--email', 'alice@example.com', '--data-dir', join(dir, 'live')]);
    assert.equal(u.code, 0, u.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('create, list, verify, prune --dry-run; restore refuses live data and fills an empty data dir', async () => {
    const live = ['--data-dir', join(dir, 'live')];
    const created = await run(['backup', 'create', ...live, '--json']);
    assert.equal(created.code, 0, created.stderr);
    const { manifest } = JSON.parse(created.stdout);
    assert.match(manifest.id, /^fbk-/);
    assert.ok(!created.stdout.includes(KEY_HEX) && !created.stderr.includes(KEY_HEX), 'the key is never printed');

    const text = await run(['backup', 'create', ...live]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^Backup fbk-\S+ \(sqlite, schema \d{4}-[a-z-]+\)$/m);
    assert.match(text.stdout, /stored in local/);

    const verified = await run(['backup', 'verify', manifest.id, ...live]);
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, new RegExp(`Backup ${manifest.id} in local: verified, restored in [\\d.]+ s`));
    assert.match(verified.stdout, /ok {3}integrity_check: ok/);

    const list = await run(['backup', 'list', ...live]);
    assert.match(list.stdout, new RegExp(`${manifest.id}\\s+local\\s+complete .* verified`));

    const prune = await run(['backup', 'prune', '--dry-run', ...live]);
    assert.equal(prune.code, 0, prune.stderr);
    assert.match(prune.stdout, /local: keep 2, delete 0 \(dry run: nothing deleted\)/);

    const refused = await run(['restore', ...live]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /RESTORE_TARGET_NOT_EMPTY: .*firebreak\.db already holds data.*--force/);

    const wrongKey = await run(['restore', '--data-dir', join(dir, 'other')], { FIREBREAK_BACKUP_KEY: OTHER_KEY_HEX });
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /BACKUP_WRONG_KEY: backup fbk-\S+ was encrypted with key [0-9a-f]{16}, but the configured key is [0-9a-f]{16}/);

    const restored = await run(['restore', manifest.id, '--data-dir', join(dir, 'empty')]);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, new RegExp(`Restored ${manifest.id} from local into .*empty/firebreak\\.db`));
    const users = await run(['user', 'list', '--data-dir', join(dir, 'empty'), '--json']);
    assert.equal(users.code, 0, users.stderr);
    assert.ok(users.stdout.includes('alice'));
  });

  test('a missing key is a clear error for the CLI, and the server refuses to start with scheduled backups', async () => {
    const noKey = await run(['backup', 'create', '--data-dir', join(dir, 'live')], { FIREBREAK_BACKUP_KEY: '' });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /BACKUP_KEY_MISSING: the environment variable FIREBREAK_BACKUP_KEY \(backups\.encryption\.key_env\) is not set/);
    const serve = await run(['serve', '--port', '0', '--data-dir', join(dir, 'live')], { FIREBREAK_BACKUP_KEY: '' });
    assert.notEqual(serve.code, 0);
    assert.match(serve.stderr + serve.stdout, /FIREBREAK_BACKUP_KEY \(backups\.encryption\.key_env\) is not set/);
  });
});
