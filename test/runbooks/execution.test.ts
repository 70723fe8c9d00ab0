import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { createIncident, getIncidentTimeline } from '../../src/modules/incidents/index.ts';
import { startRun } from '../../src/modules/runbooks/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { drive, json, localServer, newRunner, setRunbooks } from './kit.ts';

const SECRET = 's3cr3t-Pa55w0rd-xyz';
/** Whether a process still runs: a zombie (killed, waiting for a parent to reap it) does not. */
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

for (const { name, skip } of DIALECTS) {
  describe(`runbook execution [${name}]`, { skip }, () => {
    let env: TestEnv;
    let server: Awaited<ReturnType<typeof localServer>>;
    let flaky = 0;
    let dir: string;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      dir = mkdtempSync(join(tmpdir(), 'firebreak-runbooks-'));
      server = await localServer((req, res) => {
        if (req.url === '/state') return json(res, 200, { role: 'replica', lsn: 42 });
        if (req.url === '/promote') return json(res, 200, { promoted: true, got: JSON.parse(req.body || '{}') });
        if (req.url === '/flaky') return ++flaky < 3 ? json(res, 503, { ok: false }) : json(res, 200, { ok: true, after: flaky });
        if (req.url?.startsWith('/slow')) return void setTimeout(() => json(res, 200, { slow: req.url }), 300);
        if (req.url === '/fail') return json(res, 500, { error: 'boom' });
        return json(res, 404, {});
      });
    });
    after(async () => {
      await server?.close();
      await env?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    const responder = () => env.ctx(env.users.responder.actor);

    test('http and command steps run for real; variables and outputs flow; secrets are masked everywhere they are recorded', async () => {
      setRunbooks(env, [
        {
          id: 'promote-replica',
          name: 'Promote the replica',
          variables: { base: { required: true }, region: { default: 'us-east-1' } },
          steps: [
            { id: 'check', type: 'http', url: '${{ vars.base }}/state', expect: { status: 200, body: ['$.role == "replica"', '$.lsn > 0'], headers: { 'x-role': 'primary' } } },
            { id: 'token', type: 'command', command: ['node', '-e', 'process.stdout.write(JSON.stringify({ region: process.argv[1], echoed: process.argv[2] }))', '${{ vars.region }}', '${{ secrets.DB_PASSWORD }}'] },
            {
              id: 'promote',
              type: 'http',
              method: 'POST',
              url: '${{ vars.base }}/promote',
              headers: { authorization: 'Bearer ${{ secrets.DB_PASSWORD }}' },
              body: { lsn: '${{ steps.check.output.body.lsn }}', note: 'from ${{ steps.token.output.stdout }}' },
              expect: { body: ['$.promoted == true'] },
            },
          ],
        },
      ]);
      const incident = await createIncident(responder(), { title: 'Primary database down', severity: 'P1', services: ['database'] });
      const { run } = await startRun(responder(), 'promote-replica', { incident: incident.ref, variables: { base: server.url } });
      assert.equal(run.status, 'queued');
      const done = await drive(env, newRunner(env, { secrets: { DB_PASSWORD: SECRET } }), run.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      assert.deepEqual(done.steps.map((s) => [s.path, s.status]), [['check', 'succeeded'], ['token', 'succeeded'], ['promote', 'succeeded']]);
      // The real secret reached the server; the output of one step fed the next, typed.
      const promote = server.requests.find((r) => r.url === '/promote')!;
      assert.equal(promote.headers.authorization, `Bearer ${SECRET}`);
      const sent = JSON.parse(promote.body);
      assert.equal(sent.lsn, 42);
      assert.match(sent.note, /us-east-1/);
      // Recorded: masked.
      const promoteStep = done.steps.find((s) => s.path === 'promote')!;
      assert.equal((promoteStep.inputs as { headers: Record<string, string> }).headers.authorization, 'Bearer ***');
      assert.equal(JSON.parse((done.steps.find((s) => s.path === 'token')!.outputs as { stdout: string }).stdout).echoed, '***');
      const timeline = await getIncidentTimeline(responder(), incident.ref);
      const kinds = timeline.map((e) => e.kind);
      for (const k of ['runbook_started', 'runbook_step', 'runbook_finished']) assert.ok(kinds.includes(k), `${k} missing from ${kinds.join(', ')}`);
      for (const table of ['runbook_runs', 'runbook_step_runs', 'incident_timeline', 'audit_log', 'outbox'] as const) {
        const rows = await env.db.kysely.selectFrom(table).selectAll().execute();
        assert.ok(!JSON.stringify(rows).includes(SECRET), `${table} holds the secret`);
      }
    });

    test('retries back off exponentially until the step passes', async () => {
      setRunbooks(env, [{ id: 'flaky', name: 'Flaky', variables: { base: {} }, steps: [{ id: 'probe', type: 'http', url: '${{ vars.base }}/flaky', retries: 3, backoff: '100ms' }] }]);
      const { run } = await startRun(responder(), 'flaky', { variables: { base: server.url } });
      const done = await drive(env, newRunner(env), run.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      const attempts = done.steps.filter((s) => s.path === 'probe');
      assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 'failed'], [2, 'failed'], [3, 'succeeded']]);
      assert.match(attempts[0].error!, /status 503/);
      const hits = server.requests.filter((r) => r.url === '/flaky');
      assert.equal(hits.length, 3);
    });

    test('a command that outlives its timeout is killed with its whole process group', async () => {
      const pids = join(dir, 'pids.txt');
      const script = `const { spawn } = require('node:child_process'); const fs = require('node:fs');
        const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
        fs.writeFileSync(${JSON.stringify(pids)}, process.pid + ' ' + child.pid);
        setTimeout(() => {}, 30000);`;
      setRunbooks(env, [{ id: 'hang', name: 'Hang', steps: [{ id: 'sleepy', type: 'command', command: ['node', '-e', script], timeout: '1s' }] }]);
      const { run } = await startRun(responder(), 'hang', {});
      const started = Date.now();
      const done = await drive(env, newRunner(env), run.id);
      assert.equal(done.status, 'failed');
      assert.match(done.error!, /timed out after 1000 ms/);
      assert.ok(Date.now() - started < 10_000);
      const [parent, child] = readFileSync(pids, 'utf8').split(' ').map(Number);
      for (let i = 0; i < 50 && (alive(parent) || alive(child)); i++) await sleep(20);
      assert.equal(alive(parent), false, 'the command survived its timeout');
      assert.equal(alive(child), false, 'the command\'s child survived its timeout');
    });

    test('a command is never run through a shell unless asked', async () => {
      const marker = join(dir, 'shell-ran');
      setRunbooks(env, [{ id: 'noshell', name: 'No shell', variables: { arg: {} }, steps: [{ id: 'echo', type: 'command', command: ['node', '-e', 'process.stdout.write(process.argv[1])', '${{ vars.arg }}'] }] }]);
      const { run } = await startRun(responder(), 'noshell', { variables: { arg: `x; touch ${marker}` } });
      const done = await drive(env, newRunner(env), run.id);
      assert.equal(done.status, 'succeeded');
      assert.equal((done.steps[0].outputs as { stdout: string }).stdout, `x; touch ${marker}`);
      assert.equal(existsSync(marker), false);
    });

    test('on_failure: continue goes on, stop stops, rollback runs the rollback steps', async () => {
      const step = (id: string, path: string, extra: Record<string, unknown> = {}) => ({ id, type: 'http' as const, url: `\${{ vars.base }}${path}`, ...extra });
      setRunbooks(env, [
        { id: 'goes-on', name: 'Continue', variables: { base: {} }, steps: [step('bad', '/fail', { on_failure: 'continue' }), step('after', '/state')] },
        { id: 'stops', name: 'Stop', variables: { base: {} }, steps: [step('bad', '/fail'), step('after', '/state')] },
        { id: 'rolls-back', name: 'Rollback', variables: { base: {} }, steps: [step('first', '/state'), step('bad', '/fail', { on_failure: 'rollback' }), step('after', '/state')], rollback: [step('undo', '/promote', { method: 'POST', body: { undo: '${{ steps.first.output.body.lsn }}' } })] },
      ]);
      const runner = newRunner(env);
      const cont = await drive(env, runner, (await startRun(responder(), 'goes-on', { variables: { base: server.url } })).run.id);
      assert.equal(cont.status, 'succeeded');
      assert.deepEqual(cont.steps.map((s) => [s.path, s.status]), [['bad', 'failed'], ['after', 'succeeded']]);
      const stop = await drive(env, runner, (await startRun(responder(), 'stops', { variables: { base: server.url } })).run.id);
      assert.equal(stop.status, 'failed');
      assert.match(stop.error!, /step "bad" failed: status 500/);
      assert.deepEqual(stop.steps.map((s) => s.path), ['bad']);
      const back = await drive(env, runner, (await startRun(responder(), 'rolls-back', { variables: { base: server.url } })).run.id);
      assert.equal(back.status, 'failed');
      assert.match(back.error!, /rolled back/);
      assert.deepEqual(back.steps.map((s) => [s.path, s.status]), [['first', 'succeeded'], ['bad', 'failed'], ['rollback/undo', 'succeeded']]);
      const undo = server.requests.filter((r) => r.url === '/promote').at(-1)!;
      assert.deepEqual(JSON.parse(undo.body), { undo: 42 });
    });

    test('a step with when runs only when its condition holds; skipped steps are recorded and readable by later conditions', async () => {
      const step = (id: string, path: string, extra: Record<string, unknown> = {}) => ({ id, type: 'http' as const, url: `\${{ vars.base }}${path}`, ...extra });
      setRunbooks(env, [
        {
          id: 'conditional',
          name: 'Conditional',
          variables: { base: {}, region: { default: 'eu' } },
          steps: [
            step('check', '/state'),
            step('promote', '/promote', { method: 'POST', when: '$.steps.check.output.body.role == "replica"' }),
            step('only-us', '/state', { when: '$.vars.region == "us"' }),
            { id: 'group', type: 'parallel', steps: [step('in-eu', '/state', { when: '$.vars.region == "eu"' }), step('in-us', '/state', { when: '$.vars.region == "us"' })] },
            step('after-skip', '/state', { when: '$.steps.only-us.status == "skipped"' }),
          ],
        },
      ]);
      const promotes = server.requests.filter((r) => r.url === '/promote').length;
      const incident = await createIncident(responder(), { title: 'Replica check', severity: 'P3', services: ['database'] });
      const done = await drive(env, newRunner(env), (await startRun(responder(), 'conditional', { incident: incident.ref, variables: { base: server.url } })).run.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      // (a group's record is written when it ends, after its members'.)
      assert.deepEqual(done.steps.map((s) => [s.path, s.status]).sort(), [
        ['check', 'succeeded'],
        ['promote', 'succeeded'],
        ['only-us', 'skipped'],
        ['group', 'succeeded'],
        ['group/in-eu', 'succeeded'],
        ['group/in-us', 'skipped'],
        ['after-skip', 'succeeded'],
      ].sort());
      assert.equal(server.requests.filter((r) => r.url === '/promote').length, promotes + 1);
      const skipped = done.steps.find((s) => s.path === 'only-us')!;
      assert.match((skipped.outputs as { skipped: string }).skipped, /\$\.vars\.region == "us": got "eu"/);
      const timeline = await getIncidentTimeline(responder(), incident.ref);
      assert.ok(timeline.some((e) => /Step only-us skipped: its condition does not hold/.test(e.body)));
      // The plan shows each step's condition.
      const { plan } = await startRun(responder(), 'conditional', { variables: { base: server.url }, dry_run: true });
      assert.equal(plan!.steps.find((s) => s.path === 'promote')!.when, '$.steps.check.output.body.role == "replica"');
    });

    test('a parallel group runs its steps at once and their outputs feed later steps', async () => {
      setRunbooks(env, [
        {
          id: 'scale',
          name: 'Scale',
          variables: { base: {} },
          steps: [
            { id: 'both', type: 'parallel', steps: [{ id: 'web', type: 'http', url: '${{ vars.base }}/slow-web' }, { id: 'api', type: 'http', url: '${{ vars.base }}/slow-api' }] },
            { id: 'report', type: 'command', command: ['node', '-e', 'process.stdout.write(process.argv[1] + "+" + process.argv[2])', '${{ steps.web.output.body.slow }}', '${{ steps.both.output.api.body.slow }}'] },
          ],
        },
      ]);
      const { run } = await startRun(responder(), 'scale', { variables: { base: server.url } });
      const done = await drive(env, newRunner(env), run.id);
      assert.equal(done.status, 'succeeded', done.error ?? '');
      const group = done.steps.find((s) => s.path === 'both')!;
      assert.ok(group.duration_ms! < 580, `the group took ${group.duration_ms} ms: its steps ran one after another`);
      assert.deepEqual(done.steps.filter((s) => s.path.startsWith('both/')).map((s) => s.status), ['succeeded', 'succeeded']);
      assert.equal((done.steps.find((s) => s.path === 'report')!.outputs as { stdout: string }).stdout, '/slow-web+/slow-api');
    });

    test('sql steps query a named connection, one statement, rows as output', async () => {
      const file = join(dir, 'app.db');
      const db = new BetterSqlite3(file);
      db.exec("create table replicas (name text, lag integer); insert into replicas values ('db-2', 3), ('db-3', 40)");
      db.close();
      setRunbooks(
        env,
        [
          {
            id: 'lag',
            name: 'Lag',
            steps: [
              { id: 'best', type: 'sql', connection: 'app', query: 'select name, lag from replicas where lag < ? order by lag', params: [10] },
              { id: 'two', type: 'sql', connection: 'app', query: 'select 1; select 2', on_failure: 'continue' },
            ],
          },
        ],
        [{ id: 'app', url: `sqlite:${file}` }],
      );
      const done = await drive(env, newRunner(env), (await startRun(responder(), 'lag', {})).run.id);
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.steps[0].outputs, { rows: [{ name: 'db-2', lag: 3 }], row_count: 1 });
      assert.equal(done.steps[1].status, 'failed');
    });

    test('Firebreak steps: create an incident, note, severity, notify, post on the status page, wait for a monitor and an HTTP condition', async () => {
      let ready = 0;
      const health = await localServer((req, res) => (++ready < 3 ? json(res, 503, { ready: false }) : json(res, 200, { ready: true })));
      try {
        await env.db.kysely.insertInto('monitor_state').values({ monitor_id: 'database-backup', status: 'down', changed_at: env.clock.now(), streak_status: null, streak_since: null }).onConflict((oc) => oc.column('monitor_id').doUpdateSet({ status: 'down' })).execute();
        setRunbooks(env, [
          {
            id: 'announce',
            name: 'Announce',
            variables: { base: {} },
            steps: [
              { id: 'open', type: 'incident', action: 'create', title: 'Failover of the primary database', severity: 'P2', services: ['database'] },
              { id: 'raise', type: 'incident', action: 'severity', severity: 'P1', body: 'failing over' },
              { id: 'ack', type: 'incident', action: 'acknowledge' },
              { id: 'tell', type: 'notify', users: ['alice'], message: 'Failing over ${{ incident.ref }}' },
              { id: 'post', type: 'statuspage', status: 'identified', body: 'We are moving the database to another region.' },
              { id: 'backup-down', type: 'wait_for', monitor: 'database-backup', state: 'down', interval: '50ms', timeout: '2s' },
              { id: 'app-ready', type: 'wait_for', http: { url: '${{ vars.base }}/ready', expect: { body: ['$.ready == true'] } }, interval: '50ms', timeout: '5s' },
              { id: 'backup-up', type: 'wait_for', monitor: 'database-backup', state: 'up', interval: '50ms', timeout: '300ms', on_failure: 'continue' },
              { id: 'calm', type: 'incident', action: 'monitor', body: 'moved: ${{ steps.open.output.ref }}' },
            ],
          },
        ]);
        const done = await drive(env, newRunner(env), (await startRun(responder(), 'announce', { variables: { base: health.url } })).run.id);
        assert.equal(done.status, 'succeeded', done.error ?? '');
        const ref = done.incident!;
        assert.equal((done.steps.find((s) => s.path === 'open')!.outputs as { ref: string }).ref, ref);
        assert.deepEqual(done.steps.find((s) => s.path === 'calm')!.outputs, { ref, state: 'monitoring', severity: 'P1' });
        assert.equal((done.steps.find((s) => s.path === 'app-ready')!.outputs as { checks: number }).checks, 3);
        const upStep = done.steps.find((s) => s.path === 'backup-up')!;
        assert.equal(upStep.status, 'failed');
        assert.match(upStep.error!, /timed out/);
        const incidentId = (await env.db.kysely.selectFrom('incidents').select('id').where('number', '=', Number(ref.slice(4))).executeTakeFirstOrThrow()).id;
        const queued = await env.db.kysely.selectFrom('notifications').select(['destination', 'kind']).where('incident_id', '=', incidentId).where('key', 'like', 'runbook/%').execute();
        assert.deepEqual(queued, [{ destination: 'user:alice:email', kind: 'update' }]);
        const pub = await env.db.kysely.selectFrom('incident_publications').select('status_incident_id').where('incident_id', '=', incidentId).executeTakeFirst();
        assert.ok(pub?.status_incident_id, 'the status page post was not made');
        const timeline = await getIncidentTimeline(responder(), ref);
        assert.ok(timeline.some((e) => e.kind === 'severity_changed' && e.actor.name === 'runbook announce (responder-user)'));
      } finally {
        await health.close();
      }
    });

    test('a dry run resolves the plan and has no side effects', async () => {
      setRunbooks(env, [
        {
          id: 'promote-replica',
          name: 'Promote',
          variables: { base: { required: true } },
          steps: [
            { id: 'check', type: 'http', url: '${{ vars.base }}/state' },
            { id: 'promote', type: 'http', method: 'POST', url: '${{ vars.base }}/promote', headers: { authorization: 'Bearer ${{ secrets.DB_PASSWORD }}' }, body: { lsn: '${{ steps.check.output.body.lsn }}' } },
            { id: 'note', type: 'incident', action: 'note', body: 'promoted' },
          ],
        },
      ]);
      const incident = await createIncident(responder(), { title: 'Dry', severity: 'P3' });
      const hits = server.requests.length;
      const timelineBefore = (await getIncidentTimeline(responder(), incident.ref)).length;
      const { run, plan } = await startRun(responder(), 'promote-replica', { incident: incident.ref, variables: { base: 'http://10.0.0.5' }, dry_run: true });
      assert.equal(run.mode, 'dry_run');
      assert.deepEqual(plan!.steps.map((s) => s.path), ['check', 'promote', 'note']);
      assert.deepEqual(plan!.steps[1].inputs, { url: 'http://10.0.0.5/promote', method: 'POST', headers: { authorization: 'Bearer ***' }, body: { lsn: '<steps.check.output.body.lsn>' } });
      // The runner finds nothing to do; nothing was sent, run or written on the incident.
      await newRunner(env).tick();
      assert.equal(server.requests.length, hits);
      assert.equal((await env.db.kysely.selectFrom('runbook_step_runs').selectAll().where('run_id', '=', run.id).execute()).length, 0);
      assert.equal((await getIncidentTimeline(responder(), incident.ref)).length, timelineBefore);
      await assert.rejects(startRun(responder(), 'promote-replica', { dry_run: true }), (e: Error & { code?: string }) => e.code === 'VALIDATION_FAILED' && /base: required/.test(e.message));
      await assert.rejects(startRun(responder(), 'promote-replica', { variables: { base: 'x', nope: 1 } }), /no variable "nope"/);
      await assert.rejects(startRun(env.ctx(env.users.viewer.actor), 'promote-replica', { variables: { base: 'x' } }), (e: Error & { code?: string }) => e.code === 'FORBIDDEN');
    });
  });
}
