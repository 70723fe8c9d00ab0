import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { FIREBREAK_BIN, freePort, isolatedEnv, REPO_ROOT, waitFor } from '../helpers/processes.ts';

const PASSWORD = 'sighup-test-admin-password';

const config = (services: string[]) =>
  `organisation:\n  name: Reload Org\nservices:\n${services.map((id) => `  - id: ${id}\n    name: Service ${id}\n    tier: p1\n`).join('')}`;
const INVALID = `organisation:\n  name: Reload Org\nservices:\n  - id: alpha\n    name: Alpha\n    tier: p7\n  - id: beta\n    name: Beta\n    tier: p1\n    depends_on: [nowhere]\n`;

/** A reload shows in the log within milliseconds: poll often, and give up well before the default minute. */
const waitBriefly = <T>(what: string, probe: () => T | undefined | Promise<T | undefined>) => waitFor(what, probe, { timeoutMs: 15_000, intervalMs: 50 });

interface LogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

describe('SIGHUP reloads firebreak.yaml in the running server', () => {
  let dir: string;
  let configPath: string;
  let child: ChildProcess;
  let base: string;
  let stdout = '';
  let stderr = '';
  let cookie = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  const logs = (): LogLine[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const services = async (): Promise<string[]> => {
    const res = await fetch(`${base}/api/v1/services`, { headers: { cookie } });
    assert.equal(res.status, 200, await res.clone().text());
    return ((await res.json()) as { data: { id: string }[] }).data.map((s) => s.id);
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-sighup-'));
    configPath = join(dir, 'firebreak.yaml');
    writeFileSync(configPath, config(['alpha', 'beta']));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [FIREBREAK_BIN, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', join(dir, 'data'), '--config', configPath], {
      cwd: REPO_ROOT,
      env: isolatedEnv({ FIREBREAK_ADMIN_PASSWORD: PASSWORD, LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // 'close', not 'exit': it comes after the child's stdout has been read to the end, so the last log lines are in.
    exit = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    await waitBriefly('/healthz', async () => {
      if (child.exitCode !== null) throw new Error(`server exited early (${child.exitCode}):\n${stdout}\n${stderr}`);
      try {
        return (await fetch(`${base}/healthz`)).status === 200 || undefined;
      } catch {
        return undefined;
      }
    });
  });

  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the server started with the file and logs as JSON lines', async () => {
    const listening = await waitBriefly('listening log', () => logs().find((l) => l.msg === 'firebreak listening'));
    assert.equal(listening.config, configPath);
    assert.equal(listening.organisation, 'Reload Org');
    assert.equal(listening.database, 'sqlite');
  });

  test('the admin signs in with FIREBREAK_ADMIN_PASSWORD and sees the configured services', async () => {
    const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'admin', password: PASSWORD }) });
    assert.equal(res.status, 200, await res.clone().text());
    const setCookie = res.headers.get('set-cookie') ?? '';
    const m = /firebreak_session=([^;]+)/.exec(setCookie);
    assert.ok(m, `session cookie in ${setCookie}`);
    cookie = `firebreak_session=${m[1]}`;
    assert.deepEqual(await services(), ['alpha', 'beta']);
  });

  test('an invalid file on SIGHUP is refused: the old services stay and the log says why', async () => {
    writeFileSync(configPath, INVALID);
    const before = logs().length;
    child.kill('SIGHUP');
    const line = await waitBriefly('reload refusal in the log', () => logs().slice(before).find((l) => /NOT reloaded/.test(l.msg)));
    assert.equal(line.level, 50, 'logged as an error');
    assert.match(line.msg, /configuration NOT reloaded, keeping the last good one/);
    assert.match(line.msg, new RegExp(`${configPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:6:\\d+ services\\[0\\]\\.tier`));
    assert.match(line.msg, /unknown service "nowhere"/);
    const issues = line.issues as { path: string; line: number }[];
    assert.deepEqual(issues.map((i) => i.path).sort(), ['services[0].tier', 'services[1].depends_on[0]']);
    assert.ok(!logs().slice(before).some((l) => l.msg === 'configuration reloaded'));
    assert.equal(child.exitCode, null, 'still running');
    assert.deepEqual(await services(), ['alpha', 'beta']);
  });

  test('a valid changed file on SIGHUP is taken: the new service appears', async () => {
    writeFileSync(configPath, config(['alpha', 'beta', 'gamma']));
    const before = logs().length;
    child.kill('SIGHUP');
    const line = await waitBriefly('reload in the log', () => logs().slice(before).find((l) => l.msg === 'configuration reloaded'));
    assert.equal(line.level, 30);
    assert.equal(line.config, configPath);
    assert.deepEqual(await services(), ['alpha', 'beta', 'gamma']);
  });

  test('backups enabled by a reload are scheduled; a key that cannot be read is logged, not fatal', async () => {
    writeFileSync(configPath, `${config(['alpha', 'beta', 'gamma'])}backups:\n  enabled: true\n  encryption:\n    key_env: FIREBREAK_TEST_NO_SUCH_KEY\n`);
    const before = logs().length;
    child.kill('SIGHUP');
    await waitBriefly('reload in the log', () => logs().slice(before).find((l) => l.msg === 'configuration reloaded'));
    const keyLine = await waitBriefly('key problem in the log', () => logs().slice(before).find((l) => /encryption key cannot be loaded/.test(l.msg)));
    assert.equal(keyLine.level, 50);
    const db = new BetterSqlite3(join(dir, 'data', 'firebreak.db'), { readonly: true, fileMustExist: true });
    try {
      const kinds = await waitBriefly('backup timers', () => {
        const rows = db.prepare("select kind from timers where kind like 'backups.%' order by kind").all() as { kind: string }[];
        return rows.length === 2 ? rows.map((r) => r.kind) : undefined;
      });
      assert.deepEqual(kinds, ['backups.create', 'backups.verify']);
    } finally {
      db.close();
    }
    assert.equal(child.exitCode, null, 'still running');
  });

  test('SIGTERM shuts down gracefully with exit code 0', async () => {
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([exit, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('no exit within 10 s')), 10_000)))]).finally(() => clearTimeout(timer));
    assert.deepEqual(result, { code: 0, signal: null }, stderr);
    const msgs = logs().map((l) => l.msg);
    assert.ok(msgs.includes('shutting down: finishing in-flight requests'), msgs.join('\n'));
    // The last in-flight request may log its completion just after; 'stopped' must follow the shutdown notice.
    assert.ok(msgs.lastIndexOf('stopped') > msgs.indexOf('shutting down: finishing in-flight requests'), msgs.join('\n'));
    assert.equal(stderr, '', 'nothing on stderr');
    assert.ok(!stdout.includes(PASSWORD), 'the admin password never appears in the output');
    await assert.rejects(fetch(`${base}/healthz`), 'the port is closed');
  });
});
