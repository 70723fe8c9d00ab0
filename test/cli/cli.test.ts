import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { FIREBREAK_BIN, freePort, isolatedEnv, REPO_ROOT, startFirebreakServer, type ChildServer } from '../helpers/processes.ts';

// The real binary against a real server on loopback, on each engine: what a user types.
const ADMIN_PASSWORD = 'cli test admin password';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** DATABASE_URL of the engine under test, for the server and the local (user/token) commands. */
let dbEnv: Record<string, string> = {};

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIREBREAK_BIN, ...args], { cwd: REPO_ROOT, env: isolatedEnv({ ...dbEnv, ...env }), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

for (const { name: dialect, skip } of DIALECTS) describe(`firebreak CLI (real binary, real server) [${dialect}]`, { skip }, () => {
  let dir: string;
  let dropDatabase = async () => {};
  let url: string;
  let server: ChildServer | undefined;
  let token: string;
  /** Environment for client commands: the server and an API token. */
  let client: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-cli-'));
    dbEnv = {};
    if (dialect === 'postgres') {
      const fresh = await freshDatabaseUrl('postgres', import.meta.url, dir);
      dbEnv = { DATABASE_URL: fresh.url };
      dropDatabase = fresh.drop;
    }
    server = await startFirebreakServer({ dataDir: dir, env: isolatedEnv({ ...dbEnv, FIREBREAK_ADMIN_PASSWORD: ADMIN_PASSWORD }) });
    url = server.url;
    const created = await run(['token', 'create', '--name', 'cli-test', '--data-dir', dir, '--json']);
    assert.equal(created.code, 0, created.stderr);
    token = JSON.parse(created.stdout).token;
    assert.match(token, /^fbk_/);
    client = { FIREBREAK_URL: url, FIREBREAK_TOKEN: token, TZ: 'UTC' };
  });

  after(async () => {
    await server?.stop(10_000);
    await dropDatabase();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const neverShowsToken = (r: Run) => {
    assert.ok(!r.stdout.includes(token) && !r.stderr.includes(token), 'the API token must never be printed');
  };

  test('token create prints the secret once, in text and JSON', async () => {
    const r = await run(['token', 'create', '--name', 'deploy-bot', '--scopes', 'read', '--data-dir', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created token tok_\w+ "deploy-bot" acting as admin, scopes read$/m);
    const secrets = r.stdout.match(/fbk_[\w-]+/g) ?? [];
    assert.equal(secrets.length, 1, 'the secret appears exactly once');
  });

  test('incident create, list, show, ack, note and resolve', async () => {
    const created = await run(['incident', 'create', '--title', 'Database down', '--severity', 'P1', '--service', 'database', '--service', 'api', '--description', 'Primary is gone'], client);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Declared INC-1 \(P1, triggered\): Database down$/m);
    assert.match(created.stdout, /impact: customer-facing, .*database/);
    neverShowsToken(created);

    const json = await run(['incident', 'create', '--title', 'Slow reports', '--severity', 'P3', '--services', 'reporting', '--json'], client);
    assert.equal(json.code, 0, json.stderr);
    const inc2 = JSON.parse(json.stdout);
    assert.equal(inc2.ref, 'INC-2');
    assert.deepEqual(inc2.services, ['reporting']);
    assert.equal(inc2.state, 'triggered');

    const list = await run(['incident', 'list'], client);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^REF\s+SEV\s+STATE\s+TRIGGERED\s+SERVICES\s+TITLE$/);
    assert.equal(lines.length, 3);
    assert.match(lines[1], /^INC-2\s+P3\s+triggered\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+reporting\s+Slow reports$/);
    assert.match(lines[2], /^INC-1\s+P1\s+triggered\s+.*api, database\s+Database down$/);
    // Aligned: every row's STATE column starts where the header's does.
    const stateCol = lines[0].indexOf('STATE');
    for (const l of lines.slice(1)) assert.equal(l.indexOf('triggered'), stateCol);

    const filtered = await run(['incident', 'list', '--severity', 'P1', '--json'], client);
    assert.equal(filtered.code, 0, filtered.stderr);
    const page = JSON.parse(filtered.stdout);
    assert.deepEqual(page.data.map((i: { ref: string }) => i.ref), ['INC-1']);
    assert.equal(page.next_cursor, null);

    const byService = await run(['incident', 'list', '--service', 'reporting', '--limit', '1'], client);
    assert.match(byService.stdout, /INC-2/);
    assert.doesNotMatch(byService.stdout, /INC-1/);

    const paged = await run(['incident', 'list', '--limit', '1'], client);
    const cursor = /--cursor (\S+)/.exec(paged.stdout)?.[1];
    assert.ok(cursor, `a next-page hint: ${paged.stdout}`);
    const next = await run(['incident', 'list', '--limit', '1', '--cursor', cursor], client);
    assert.match(next.stdout, /INC-1/);

    const ack = await run(['incident', 'ack', 'INC-1'], client);
    assert.equal(ack.code, 0, ack.stderr);
    assert.equal(ack.stdout, 'INC-1 is now acknowledged (P1): Database down\n');

    const again = await run(['incident', 'ack', 'INC-1'], client);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^firebreak: INVALID_TRANSITION: cannot acknowledge/);

    const note = await run(['incident', 'note', 'INC-1', 'failover', 'to', 'replica', 'started'], client);
    assert.equal(note.code, 0, note.stderr);
    assert.match(note.stdout, /^Noted on INC-1 at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/m);

    const open = await run(['incident', 'list', '--open', '--state', 'acknowledged', '--json'], client);
    assert.deepEqual(JSON.parse(open.stdout).data.map((i: { ref: string }) => i.ref), ['INC-1']);

    const resolved = await run(['incident', 'resolve', 'INC-1', '--note', 'promoted the replica', '--json'], client);
    assert.equal(resolved.code, 0, resolved.stderr);
    assert.equal(JSON.parse(resolved.stdout).state, 'resolved');

    const show = await run(['incident', 'show', 'INC-1'], { ...client, TZ: 'America/New_York' });
    assert.equal(show.code, 0, show.stderr);
    neverShowsToken(show);
    const out = show.stdout;
    assert.match(out, /^INC-1  Database down$/m);
    assert.match(out, /^ {2}severity +P1$/m);
    assert.match(out, /^ {2}state +resolved {2}\(next: close, reopen\)$/m);
    assert.match(out, /^ {2}services +api, database$/m);
    assert.match(out, /^ {2}acknowledged +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d E[SD]T$/m, 'times are local (TZ)');
    assert.match(out, /^Impact\n {2}customer-facing +yes$/m);
    assert.match(out, /^ {2}impacted services +.*database/m);
    assert.match(out, /^Roles\n {2}commander +-$/m);
    assert.match(out, /^Description\n {2}Primary is gone$/m);
    assert.match(out, /^Timeline \(\d+ entries\)\n {2}TIME +KIND +BY +WHAT$/m);
    // The people's entries, in order (paging adds its own: escalation steps, delivery attempts).
    const HUMAN = ['created', 'acknowledged', 'note', 'resolved'];
    const timeline = out
      .slice(out.indexOf('Timeline'))
      .trimEnd()
      .split('\n')
      .slice(2)
      .filter((l) => HUMAN.includes(l.trim().split(/\s{2,}/)[1]));
    assert.deepEqual(
      timeline.map((l) => l.trim().split(/\s{2,}/)[1]),
      ['created', 'acknowledged', 'note', 'resolved'],
    );
    assert.match(timeline[2], /admin \(token cli-test\)\s+failover to replica started$/);
    assert.match(timeline[3], /: promoted the replica$/);

    const showJson = await run(['incident', 'show', '1', '--json'], client);
    const full = JSON.parse(showJson.stdout);
    assert.equal(full.ref, 'INC-1');
    assert.deepEqual(full.timeline.map((e: { kind: string }) => e.kind).filter((k: string) => HUMAN.includes(k)), HUMAN);
  });

  test('incident resolve: a failing validation prints every check and exits 1; --override-reason resolves it anyway; --not-an-incident skips it', async () => {
    const created = await run(['incident', 'create', '--title', 'Docs search broken', '--severity', 'P3', '--service', 'docs', '--json'], client);
    const ref = JSON.parse(created.stdout).ref;
    const reported = await fetch(`${url}/api/v1/reports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ service: 'docs', description: 'search still returns nothing' }) });
    assert.equal(reported.status, 201, await reported.text());

    const refused = await run(['incident', 'resolve', ref], client);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^firebreak: RESOLUTION_NOT_VALIDATED: ${ref} stays open: user reports: 1 user report in the last 10m`));
    assert.match(refused.stderr, /^ {2}✗ user reports: 1 user report in the last 10m$/m);
    assert.match(refused.stderr, /^ {2}✓ alerts: no open alerts$/m);
    assert.match(refused.stderr, /--override-reason "why" resolves it anyway/);

    const both = await run(['incident', 'resolve', ref, '--override-reason', 'the reporter was on a stale cache', '--not-an-incident'], client);
    assert.equal(both.code, 2);
    const forced = await run(['incident', 'resolve', ref, '--override-reason', 'the reporter was on a stale cache', '--json'], client);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(JSON.parse(forced.stdout).state, 'resolved');

    const noise = JSON.parse((await run(['incident', 'create', '--title', 'Test page', '--severity', 'P3', '--service', 'docs', '--json'], client)).stdout).ref;
    const dismissed = await run(['incident', 'resolve', noise, '--not-an-incident'], client);
    assert.equal(dismissed.code, 0, dismissed.stderr);
  });

  test('monitor list and show: the example heartbeat after a ping', async () => {
    const pinged = await fetch(`${url}/ping/backup-7c41d9e2a05b4f38`, { method: 'POST', body: 'backup ok' });
    assert.equal(pinged.status, 200);
    assert.equal(await pinged.text(), 'OK');
    const list = await run(['monitor', 'list'], client);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^MONITOR\s+TYPE\s+SERVICE\s+STATUS\s+LAST\s+MS\s+TARGET$/m);
    assert.match(list.stdout, /^database-backup\s+heartbeat\s+database\s+up\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+-\s+cron "0 3 \* \* \*" Europe\/Berlin$/m);
    const show = await run(['monitor', 'show', 'database-backup'], client);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /status\s+up since/);
    assert.match(show.stdout, /deadline\s+\d{4}-/);
    assert.ok(!show.stdout.includes('backup-7c41d9e2a05b4f38'), 'the ping key is never shown');
    const missing = await run(['monitor', 'show', 'nope'], client);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /NOT_FOUND/);
  });

  test('API errors print CODE: message and exit 1', async () => {
    const badToken = await run(['incident', 'list'], { ...client, FIREBREAK_TOKEN: 'fbk_not-a-real-token' });
    assert.equal(badToken.code, 1);
    assert.match(badToken.stderr, /^firebreak: UNAUTHENTICATED: /);
    assert.doesNotMatch(badToken.stderr, /fbk_not-a-real-token/);
    assert.equal(badToken.stdout, '');

    const missing = await run(['incident', 'show', 'INC-999'], client);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'firebreak: NOT_FOUND: incident INC-999 not found\n');

    const unknownService = await run(['incident', 'create', '--title', 'x', '--severity', 'P2', '--service', 'nope'], client);
    assert.equal(unknownService.code, 1);
    assert.match(unknownService.stderr, /^firebreak: UNKNOWN_SERVICE: unknown service: nope \(known: .*database/);

    const invalid = await run(['incident', 'create', '--title', 'x', '--severity', 'P9'], client);
    assert.equal(invalid.code, 1);
    assert.match(invalid.stderr, /^firebreak: VALIDATION_FAILED: severity/);

    const noToken = await run(['incident', 'list'], { FIREBREAK_URL: url });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /no API token: pass --token or set FIREBREAK_TOKEN/);

    const usage = await run(['incident', 'ack'], client);
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /usage: firebreak incident ack <ref>/);

    const stray = await run(['incident', 'show', 'INC-1', '--severity', 'P1'], client);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /incident show does not take --severity/);
  });

  test('an unreachable server gets a clear message and exit 1', async () => {
    const closedPort = await freePort();
    const down = await run(['incident', 'list', '--url', `http://127.0.0.1:${closedPort}`], client);
    assert.equal(down.code, 1);
    assert.equal(down.stderr, `firebreak: cannot reach the Firebreak server at http://127.0.0.1:${closedPort} (connection refused). Is it running? Point to it with --url or FIREBREAK_URL.\n`);
    neverShowsToken(down);
  });

  test('token revoke: the revoked token stops working', async () => {
    const created = await run(['token', 'create', '--name', 'short-lived', '--data-dir', dir, '--json']);
    const { id, token: secret } = JSON.parse(created.stdout);
    const works = await run(['incident', 'list', '--json'], { ...client, FIREBREAK_TOKEN: secret });
    assert.equal(works.code, 0, works.stderr);
    const revoked = await run(['token', 'revoke', id, '--data-dir', dir]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stdout, `revoked token ${id}\n`);
    const refused = await run(['incident', 'list'], { ...client, FIREBREAK_TOKEN: secret });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^firebreak: UNAUTHENTICATED/);
    const unknown = await run(['token', 'revoke', 'tok_nope', '--data-dir', dir]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^firebreak: NOT_FOUND: token tok_nope not found/);
  });

  test('user create prints a one-time password; user list shows the users', async () => {
    const created = await run(['user', 'create', 'ada', '--name', 'Alice Liddell', '--email', 'alice@example.com', '--role', 'viewer', '--time-zone', 'Europe/Berlin'], { FIREBREAK_DATA_DIR: dir });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /^Created user ada \(Alice Liddell <alice@example.com>\), role viewer, time zone Europe\/Berlin$/m);
    const password = /^One-time password: (\S+)$/m.exec(created.stdout)?.[1];
    assert.ok(password && password.length >= 12, created.stdout);

    // The generated password really signs in, through the running server.
    const login = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'ada', password }) });
    assert.equal(login.status, 200, await login.text());

    const json = await run(['user', 'create', 'bea', '--name', 'Bob', '--email', 'bob@example.com', '--json', '--data-dir', dir]);
    const bob = JSON.parse(json.stdout);
    assert.equal(bob.user.role, 'responder');
    assert.equal(typeof bob.generated_password, 'string');

    const dup = await run(['user', 'create', 'ada', '--name', 'A', '--email', 'a@example.com', '--data-dir', dir]);
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^firebreak: CONFLICT: a user with handle "ada" already exists/);

    // People declared in the config (alice) start without a password; a reset gives them one.
    const reset = await run(['user', 'reset-password', 'alice', '--data-dir', dir]);
    assert.equal(reset.code, 0, reset.stderr);
    const alicePassword = /^New one-time password for alice: (\S+)$/m.exec(reset.stdout)?.[1];
    assert.ok(alicePassword, reset.stdout);
    const aliceLogin = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'alice', password: alicePassword }) });
    assert.equal(aliceLogin.status, 200);
    const missing = await run(['user', 'reset-password', 'nobody-here', '--data-dir', dir]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^firebreak: NOT_FOUND/);

    const bad = await run(['user', 'create', 'cid', '--name', 'Carol', '--email', 'not-an-email', '--data-dir', dir]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^firebreak: VALIDATION_FAILED: email: /);

    const list = await run(['user', 'list', '--data-dir', dir], { TZ: 'UTC' });
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^HANDLE\s+NAME\s+EMAIL\s+ROLE\s+TIME ZONE\s+STATUS\s+CREATED$/);
    // The people declared in the example config are users too; ours sort among them.
    const handles = lines.slice(1).map((l) => l.split(/\s+/)[0]);
    assert.deepEqual(handles.filter((h) => ['admin', 'ada', 'bea'].includes(h)), ['ada', 'admin', 'bea']);
    assert.match(lines[1 + handles.indexOf('ada')], /^ada\s+Alice Liddell\s+alice@example.com\s+viewer\s+Europe\/Berlin\s+must change password\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);

    const listJson = await run(['user', 'list', '--json', '--data-dir', dir]);
    assert.deepEqual(JSON.parse(listJson.stdout).data.map((u: { handle: string }) => u.handle).filter((h: string) => ['admin', 'ada', 'bea'].includes(h)), ['ada', 'admin', 'bea']);
  });

  test('local commands refuse a data dir without a database instead of creating one', { skip: dialect === 'postgres' && 'a data dir only matters for SQLite' }, async () => {
    const empty = join(dir, 'not-here');
    const r = await run(['user', 'list', '--data-dir', empty]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^firebreak: no Firebreak database at .*not-here\/firebreak\.db\. Use the same --data-dir/);
  });
});
