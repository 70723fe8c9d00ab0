import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { formatLocalTime } from '../../src/cli/format.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { FIREBREAK_BIN, isolatedEnv, REPO_ROOT, startFirebreakServer, waitFor, type ChildServer } from '../helpers/processes.ts';

// `firebreak oncall …` and the incident escalation commands: the real binary against a real server
// with the example config (schedules database-primary and database-secondary, users alice, bob, …).
const ADMIN_PASSWORD = 'oncall cli test admin password';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface OnCall {
  handle: string;
  name: string;
  since: string;
  until: string;
  source: { type: 'layer'; layer: number; name: string | null } | { type: 'override'; id: string; reason: string; created_by: string };
}
interface Schedule {
  id: string;
  name: string;
  on_call: OnCall | null;
  next: OnCall | null;
}

let dbEnv: Record<string, string> = {};

function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [FIREBREAK_BIN, ...args], { cwd: REPO_ROOT, env: isolatedEnv({ ...dbEnv, ...env }), timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The line of a table whose first cell is `first`. */
const row = (out: string, first: string) => out.split('\n').find((l) => l.trim().split(/\s+/)[0] === first);
/** The legend under the picture: handle → letter. */
const legendOf = (out: string) => new Map([...out.matchAll(/(?:^ {2}| {2})(\S) ([a-z][\w-]*) \(/gm)].map((m) => [m[2], m[1]]));

for (const { name: dialect, skip } of DIALECTS) describe(`firebreak oncall and escalation commands (real binary, real server) [${dialect}]`, { skip }, () => {
  let dir: string;
  let dropDatabase = async () => {};
  let server: ChildServer | undefined;
  let token: string;
  let client: Record<string, string>;

  /** The API itself, for the expectations. */
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${server!.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };

  /**
   * Runs a command between two reads of the schedule; when a handoff falls between them, once more,
   * so the expectation is what the server said while the command ran.
   */
  async function steady(id: string, args: string[], env: Record<string, string> = client): Promise<{ r: Run; schedule: Schedule }> {
    for (let i = 0; ; i++) {
      const before = await api<Schedule>(`/api/v1/schedules/${id}`);
      const r = await run(args, env);
      const after = await api<Schedule>(`/api/v1/schedules/${id}`);
      if (JSON.stringify(before) === JSON.stringify(after) || i === 2) return { r, schedule: after };
    }
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'firebreak-oncall-cli-'));
    dbEnv = {};
    if (dialect === 'postgres') {
      const fresh = await freshDatabaseUrl('postgres', import.meta.url, dir);
      dbEnv = { DATABASE_URL: fresh.url };
      dropDatabase = fresh.drop;
    }
    server = await startFirebreakServer({ dataDir: dir, env: isolatedEnv({ ...dbEnv, FIREBREAK_ADMIN_PASSWORD: ADMIN_PASSWORD }) });
    const created = await run(['token', 'create', '--name', 'oncall-cli', '--data-dir', dir, '--json']);
    assert.equal(created.code, 0, created.stderr);
    token = JSON.parse(created.stdout).token;
    client = { FIREBREAK_URL: server.url, FIREBREAK_TOKEN: token, TZ: 'UTC' };
  });

  after(async () => {
    await server?.stop(10_000);
    await dropDatabase();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('oncall: who is on call now for every schedule, since and until in the viewer\'s time zone, and who is next', async () => {
    const { r, schedule } = await steady('database-primary', ['oncall']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0], /^SCHEDULE\s+ON CALL\s+SINCE\s+UNTIL\s+NEXT\s+WHY$/);
    assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/)[0]), ['database-primary', 'database-secondary']);
    const now = schedule.on_call!;
    assert.ok(now, 'the example rotation always has someone on call for database-primary');
    const utc = (iso: string) => `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
    assert.match(
      row(r.stdout, 'database-primary')!,
      new RegExp(`^database-primary\\s+${now.handle}\\s+${utc(now.since)}\\s+${utc(now.until)}\\s+${schedule.next!.handle}\\b.*\\s+layer "${escape(now.source.type === 'layer' ? now.source.name ?? '' : '')}"$`),
    );
    // The unnamed layer of database-secondary is shown by its index.
    assert.match(row(r.stdout, 'database-secondary')!, /\s+layer 0$/);

    // Another viewer, another zone: the same instants in New York time.
    const ny = await steady('database-primary', ['oncall'], { ...client, TZ: 'America/New_York' });
    const p = ny.schedule.on_call!;
    assert.match(row(ny.r.stdout, 'database-primary')!, new RegExp(`^database-primary\\s+${p.handle}\\s+${escape(formatLocalTime(p.since, 'America/New_York'))}\\s+${escape(formatLocalTime(p.until, 'America/New_York'))}\\s`));
    assert.match(row(ny.r.stdout, 'database-primary')!, / E[SD]T /);

    const [json, stray, unknown] = await Promise.all([run(['oncall', '--json'], client), run(['oncall', 'list', 'now'], client), run(['oncall', 'now'], client)]);
    assert.equal(json.code, 0, json.stderr);
    const page = JSON.parse(json.stdout);
    assert.deepEqual(page.data.map((s: Schedule) => s.id), ['database-primary', 'database-secondary']);
    assert.deepEqual(page.data[1], await api('/api/v1/schedules/database-secondary'), '--json prints the API response');

    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /^firebreak: oncall takes no arguments/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^firebreak: unknown oncall command "now"; try: firebreak oncall list, firebreak oncall show, firebreak oncall override$/m);
  });

  test('oncall show: layers, who is on call now and next, and a picture of who is on call when', async () => {
    const { r, schedule } = await steady('database-primary', ['oncall', 'show', 'database-primary', '--days', '3']);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^Database primary \(database-primary\), rotations in Europe\/Berlin$/m);
    assert.match(out, new RegExp(`^ {2}on call now {2}${schedule.on_call!.handle} \\(${escape(schedule.on_call!.name)}\\) from ${escape(formatLocalTime(schedule.on_call!.since, 'UTC'))} until `, 'm'));
    assert.match(out, new RegExp(`^ {2}next {9}${schedule.next!.handle} \\(`, 'm'));
    assert.match(out, /^ {2}#\s+NAME\s+ROTATION\s+HANDOFF\s+START\s+ONLY\s+MEMBERS$/m);
    assert.match(out, /^ {2}0\s+weekly\s+weekly\s+09:00\s+2026-01-05\s+-\s+alice, bob, carol$/m);
    assert.match(out, /^ {2}1\s+nights from New York\s+daily\s+09:00\s+2026-01-05\s+every day 00:00–06:00\s+dana, eve$/m);
    assert.match(out, /^Who is on call, 3 days from today in UTC, one letter an hour$/m);
    assert.ok(!out.includes('\u001b['), 'not a terminal: plain letters, no colour');

    // Three day strips, today first, each 24 cells in groups of six.
    const days = out.split('\n').filter((l) => /^ {2}\w{3} \d{4}-\d\d-\d\d {2}/.test(l));
    assert.equal(days.length, 3);
    const today = new Date().toISOString().slice(0, 10);
    assert.ok(days[0].includes(today), days[0]);
    for (const d of days) assert.match(d, /^ {2}\w{3} \d{4}-\d\d-\d\d {2}([A-Z·]{6} ){3}[A-Z·]{6}$/);
    // Everyone in the picture is in the legend, and the cell under "^ now" is whoever is on call now.
    const legend = legendOf(out);
    assert.equal(legend.get('alice'), 'A');
    const letter = legend.get(schedule.on_call!.handle);
    assert.ok(letter, `the person on call is in the legend: ${out}`);
    const lines = out.split('\n');
    const caret = lines.findIndex((l) => /^ +\^ now$/.test(l));
    assert.equal(lines[caret - 1], days[0]);
    assert.equal(days[0][lines[caret].indexOf('^')], letter);

    const [colour, noColour, missing, badDays, stray] = await Promise.all([
      run(['oncall', 'show', 'database-primary', '--days', '1'], { ...client, FORCE_COLOR: '1' }),
      run(['oncall', 'show', 'database-primary', '--days', '1'], { ...client, FORCE_COLOR: '1', NO_COLOR: '1' }),
      run(['oncall', 'show', 'nope'], client),
      run(['oncall', 'show', 'database-primary', '--days', '0'], client),
      run(['oncall', 'show', 'database-primary', '--user', 'bob'], client),
    ]);
    assert.match(colour.stdout, /\u001b\[30;\d+m/);
    assert.ok(!noColour.stdout.includes('\u001b['), 'NO_COLOR wins');

    const json = await run(['oncall', 'show', 'database-primary', '--json'], client);
    assert.equal(json.code, 0, json.stderr);
    const shown = JSON.parse(json.stdout);
    assert.equal(shown.id, 'database-primary');
    assert.equal(shown.layers.length, 2);
    assert.ok(shown.shifts.length > 0 && Array.isArray(shown.overrides));
    assert.equal(Date.parse(shown.to) - Date.parse(shown.from), 14 * 86_400_000, 'fourteen UTC days by default');

    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /^firebreak: NOT_FOUND: .*nope/);
    assert.equal(badDays.code, 2);
    assert.match(badDays.stderr, /^firebreak: --days must be a whole number of days from 1 to 90/);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /oncall show does not take --user/);
  });

  test('oncall override puts someone else on call; cancelling it gives the rotation back', async () => {
    const original = (await api<Schedule>('/api/v1/schedules/database-primary')).on_call!;
    const cover = ['dan', 'bob', 'alice'].find((h) => h !== original.handle)!;
    const made = await run(['oncall', 'override', 'database-primary', '--user', cover, '--from', 'now', '--to', '+2h', '--reason', 'covering a flight'], client);
    assert.equal(made.code, 0, made.stderr);
    const id = /^Override (ovr_\w+): /.exec(made.stdout)?.[1];
    assert.ok(id, made.stdout);
    assert.match(made.stdout, new RegExp(`^Override ${id}: ${cover} is on call for database-primary from \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC until \\d{4}-`, 'm'));
    assert.match(made.stdout, new RegExp(`undo with: firebreak oncall override cancel database-primary ${id}$`, 'm'));

    const list = await run(['oncall'], client);
    assert.match(row(list.stdout, 'database-primary')!, new RegExp(`^database-primary\\s+${cover}\\s.*override by admin \\(token oncall-cli\\): covering a flight$`));
    const json = JSON.parse((await run(['oncall', '--json'], client)).stdout);
    const onCall = json.data[0].on_call;
    assert.equal(onCall.handle, cover);
    assert.deepEqual([onCall.source.type, onCall.source.id], ['override', id]);
    assert.equal(Date.parse(onCall.until) - Date.parse(onCall.since), 2 * 3_600_000, 'from now for two hours');

    // The picture marks the override: a lowercase letter in the current hour, and the override listed.
    const show = await run(['oncall', 'show', 'database-primary', '--days', '1'], client);
    const lines = show.stdout.split('\n');
    const caret = lines.findIndex((l) => /^ +\^ now$/.test(l));
    const letter = legendOf(show.stdout).get(cover)!;
    assert.equal(lines[caret - 1][lines[caret].indexOf('^')], letter.toLowerCase());
    assert.match(show.stdout, /^ {2}lowercase: by an override/m);
    assert.match(show.stdout, new RegExp(`^ {2}${id}\\s+${cover}\\s+-\\s+.*covering a flight$`, 'm'));

    const cancelled = await run(['oncall', 'override', 'cancel', 'database-primary', id], client);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.equal(cancelled.stdout, `Cancelled override ${id} on database-primary\n`);
    const back = await steady('database-primary', ['oncall', '--json']);
    assert.equal(JSON.parse(back.r.stdout).data[0].on_call.handle, back.schedule.on_call!.handle);
    assert.equal(back.schedule.on_call!.source.type, 'layer');
    assert.equal((await run(['oncall', 'override', 'cancel', 'database-primary', id], client)).code, 0, 'cancelling is idempotent');

    const [unknown, noSchedule, noUser, noReason, badTime, strayCancel] = await Promise.all([
      run(['oncall', 'override', 'cancel', 'database-primary', 'ovr_nope'], client),
      run(['oncall', 'override', 'nope', '--user', 'bob', '--from', 'now', '--to', '+1h', '--reason', 'x'], client),
      run(['oncall', 'override', 'database-primary', '--user', 'zed', '--from', 'now', '--to', '+1h', '--reason', 'x'], client),
      run(['oncall', 'override', 'database-primary', '--user', 'bob', '--from', 'now', '--to', '+1h'], client),
      run(['oncall', 'override', 'database-primary', '--user', 'bob', '--from', 'tomorrow', '--to', '+1h', '--reason', 'x'], client),
      run(['oncall', 'override', 'cancel', 'database-primary', id, '--user', 'bob'], client),
    ]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^firebreak: NOT_FOUND: /);
    assert.equal(noSchedule.code, 1);
    assert.match(noSchedule.stderr, /^firebreak: NOT_FOUND: .*nope/);
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /^firebreak: UNKNOWN_USER: /);
    assert.equal(noReason.code, 2);
    assert.match(noReason.stderr, /^firebreak: oncall override needs --reason/);
    assert.equal(badTime.code, 2);
    assert.match(badTime.stderr, /^firebreak: --from "tomorrow" is not a time/);
    assert.equal(strayCancel.code, 2);
    assert.match(strayCancel.stderr, /oncall override cancel does not take --user/);
  });

  test('incident escalation, escalate, reassign and update on an incident', async () => {
    const created = await run(['incident', 'create', '--title', 'Replication lag', '--severity', 'P1', '--service', 'database', '--json'], client);
    assert.equal(created.code, 0, created.stderr);
    const ref: string = JSON.parse(created.stdout).ref;
    type Esc = { state: string; steps: { step: string; recipients: { user: string }[] }[]; notifications: { kind: string; destination: string; status: string; attempts: number; history: unknown[] }[]; next_step_at: string | null };
    // The first step runs from the outbox, and email has no SMTP server here: wait until it has run and every message has settled.
    const first = await waitFor('the first escalation step', async () => {
      const e = await api<Esc>(`/api/v1/incidents/${ref}/escalation`);
      return e.steps.length && e.notifications.length && e.notifications.every((n) => n.status !== 'pending') ? e : undefined;
    });
    const paged = first.steps[0].recipients[0].user;

    const view = await run(['incident', 'escalation', ref], client);
    assert.equal(view.code, 0, view.stderr);
    const out = view.stdout;
    assert.match(out, new RegExp(`^${ref} escalation: active$`, 'm'));
    assert.match(out, /^ {2}policy +Database and platform on-call \(default\), 3 levels, repeat 1$/m);
    assert.match(out, /^ {2}level +1 of 3$/m);
    assert.match(out, /^ {2}1 ◀\s+schedule database-primary\s+ack target$/m);
    assert.match(out, /^ {2}2\s+schedule database-secondary, user mgr-platform\s+10m$/m);
    // The picture: the step fired, the next one scheduled.
    assert.match(out, /^ {2}L1R1 +╌*●$/m);
    assert.match(out, /^ {2}next step +○$/m);
    assert.match(out, new RegExp(`^ {2}L1R1\\s+1\\s+1\\s+\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\s+\\S+( ms)?\\s+${paged} \\(on call for Database primary\\) via email$`, 'm'));
    assert.match(out, new RegExp(`^Notifications \\(${first.notifications.length}\\)$`, 'm'));
    first.notifications.forEach((n, i) => {
      assert.match(out, new RegExp(`^ +${i + 1}\\s+${n.kind}\\s+${escape(n.destination)}\\s+${n.status}\\s+${n.attempts}\\s`, 'm'));
    });
    const attempts = first.notifications.reduce((sum, n) => sum + n.history.length, 0);
    assert.ok(attempts > 0);
    assert.match(out, new RegExp(`^Delivery attempts \\(${attempts}; `, 'm'));
    assert.match(out, /^ +\d+\s+\d{4}-\S+ \S+ UTC\s+failed\s+\d+\s+\S+\s+no SMTP server configured/m);

    const escalated = await run(['incident', 'escalate', ref, '--note', 'need the database team'], client);
    assert.equal(escalated.code, 0, escalated.stderr);
    assert.equal(escalated.stdout, `Escalated ${ref} to level 2 (step manual-1); see who was paged: firebreak incident escalation ${ref}\n`);

    const byNumber = ref.replace('INC-', '');
    const reassigned = await run(['incident', 'reassign', byNumber, '--user', 'alice', '--note', 'alice knows this cluster'], client);
    assert.equal(reassigned.code, 0, reassigned.stderr);
    assert.equal(reassigned.stdout, `Reassigned ${ref} to alice (step reassign-1); automatic escalation has stopped\n`);
    const toSchedule = await run(['incident', 'reassign', ref, '--schedule', 'database-secondary', '--json'], client);
    assert.equal(toSchedule.code, 0, toSchedule.stderr);
    assert.deepEqual(JSON.parse(toSchedule.stdout), { step: 'reassign-2' });

    const update = await run(['incident', 'update', ref, 'Writes', 'are', 'delayed;', 'next', 'update', 'in', '30', 'minutes'], client);
    assert.equal(update.code, 0, update.stderr);
    assert.match(update.stdout, new RegExp(`^Posted a stakeholder update on ${ref} at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\n$`));
    const shown = JSON.parse((await run(['incident', 'show', ref, '--json'], client)).stdout);
    assert.ok(shown.timeline.some((e: { kind: string; body: string }) => e.kind === 'stakeholder_update' && e.body === 'Writes are delayed; next update in 30 minutes'));

    const after = await run(['incident', 'escalation', ref], client);
    assert.match(after.stdout, new RegExp(`^${ref} escalation: reassigned$`, 'm'));
    assert.match(after.stdout, /^ {2}next step +-$/m);
    for (const step of ['L1R1', 'manual-1', 'reassign-1', 'reassign-2']) assert.match(after.stdout, new RegExp(`^ {2}${step} +╌*●$`, 'm'), `${step} on the time axis`);
    assert.match(after.stdout, /^ {2}reassign-1\s+\d+\s+\d+\s+.*\balice \(.*\) via email$/m);
    assert.doesNotMatch(after.stdout, /^ {2}next step +○/m);
    const json = JSON.parse((await run(['incident', 'escalation', ref, '--json'], client)).stdout);
    assert.deepEqual(json, await api<typeof json>(`/api/v1/incidents/${ref}/escalation`), '--json prints the API response');
    assert.deepEqual(json.steps.map((s: { step: string }) => s.step), ['L1R1', 'manual-1', 'reassign-1', 'reassign-2']);

    // Errors.
    const [neither, both, noSchedule, noIncident, noText, stray] = await Promise.all([
      run(['incident', 'reassign', ref], client),
      run(['incident', 'reassign', ref, '--user', 'bob', '--schedule', 'database-primary'], client),
      run(['incident', 'reassign', ref, '--schedule', 'nope'], client),
      run(['incident', 'escalate', 'INC-999'], client),
      run(['incident', 'update', ref], client),
      run(['incident', 'escalation', ref, '--note', 'x'], client),
    ]);
    assert.equal(neither.code, 2);
    assert.match(neither.stderr, /^firebreak: incident reassign needs exactly one of --user and --schedule/);
    assert.equal(both.code, 2);
    assert.equal(noSchedule.code, 1);
    assert.equal(noSchedule.stderr, 'firebreak: NOT_FOUND: no schedule "nope"\n');
    assert.equal(noIncident.code, 1);
    assert.equal(noIncident.stderr, 'firebreak: NOT_FOUND: incident INC-999 not found\n');
    assert.equal(noText.code, 2);
    assert.match(noText.stderr, /usage: firebreak incident update <ref> <text…>/);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /incident escalation does not take --note/);

    assert.equal((await run(['incident', 'resolve', ref], client)).code, 0);
    const closed = await run(['incident', 'escalate', ref], client);
    assert.equal(closed.code, 1);
    assert.match(closed.stderr, new RegExp(`^firebreak: INVALID_TRANSITION: ${ref} is resolved: nothing to escalate`));
  });
});
