import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { getIncidentTimeline } from '../../src/modules/incidents/index.ts';
import { getRun, RunbookRunner, startRun } from '../../src/modules/runbooks/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { useTestApp, type TestApp, type TestEnv } from '../helpers/env.ts';
import { drive, newRunner, setRunbooks } from './kit.ts';

const FAILOVER = {
  id: 'failover',
  name: 'Failover',
  variables: { region: { default: 'us-east-1' } },
  steps: [
    { id: 'before', type: 'command' as const, command: ['node', '-e', 'process.stdout.write("checked")'] },
    { id: 'confirm', type: 'approval' as const, message: 'Continue with failover to ${{ vars.region }}?', timeout: '10m', approvers: { users: ['admin-user', 'responder-user'] } },
    { id: 'promote', type: 'command' as const, command: ['node', '-e', 'process.stdout.write("promoted " + process.argv[1])', '${{ vars.region }}'] },
  ],
};

for (const { name, skip } of DIALECTS) {
  describe(`runbook approvals, API and durability [${name}]`, { skip }, () => {
    let env: TestEnv;
    let t: TestApp;
    useTestApp(name, import.meta.url, (e, a) => {
      env = e;
      t = a;
      setRunbooks(env, [FAILOVER, { id: 'long', name: 'Long', steps: [{ id: 'first', type: 'command', command: ['node', '-e', 'process.stdout.write("1")'] }, { id: 'slow', type: 'command', command: ['node', '-e', 'setTimeout(() => process.stdout.write("done"), 1500)'] }, { id: 'last', type: 'command', command: ['node', '-e', 'process.stdout.write(process.argv[1])', '${{ steps.first.output.stdout }}'] }] }]);
    });

    const api = async (caller: keyof TestApp['auth'], method: 'GET' | 'POST', url: string, payload?: object) => {
      const res = await t.app.inject({ method, url, headers: t.auth[caller], ...(payload ? { payload } : {}) });
      return { status: res.statusCode, body: res.json() };
    };

    test('list and show runbooks with their versions', async () => {
      const list = await api('viewer', 'GET', '/api/v1/runbooks');
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.data.map((r: { id: string }) => r.id), ['failover', 'long']);
      assert.match(list.body.data[0].version, /^[0-9a-f]{12}$/);
      const one = await api('viewer', 'GET', '/api/v1/runbooks/failover');
      assert.equal(one.body.definition.steps[1].type, 'approval');
      assert.equal((await api('viewer', 'GET', '/api/v1/runbooks/nope')).status, 404);
    });

    test('an approval waits for someone other than the initiator, and the run goes on', async () => {
      const inc = await api('responder', 'POST', '/api/v1/incidents', { title: 'Region down', severity: 'P0' });
      const started = await api('responder', 'POST', '/api/v1/runbooks/failover/runs', { incident: inc.body.ref, variables: { region: 'eu-west-1' } });
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const id = started.body.run.id;
      const runner = newRunner(env);
      let run = await drive(env, runner, id);
      assert.equal(run.status, 'waiting_approval');
      assert.deepEqual(run.waiting_for, { step: 'confirm', message: 'Continue with failover to eu-west-1?', deadline_at: new Date(env.clock.now() + 600_000).toISOString() });
      // The approvers named in the step are asked.
      const asked = await env.db.kysely.selectFrom('notifications').select('destination').where('key', 'like', `runbook/${id}/confirm/%`).orderBy('destination').execute();
      assert.deepEqual(asked.map((n) => n.destination), ['user:admin-user:email', 'user:responder-user:email']);
      // The initiator cannot approve their own run; a viewer cannot approve at all; the step must match.
      const own = await api('responder', 'POST', `/api/v1/runbook-runs/${id}/approve`, { step: 'confirm' });
      assert.equal(own.status, 403);
      assert.match(own.body.error.message, /someone other than who started/);
      assert.equal((await api('viewer', 'POST', `/api/v1/runbook-runs/${id}/approve`, { step: 'confirm' })).status, 403);
      assert.equal((await api('admin', 'POST', `/api/v1/runbook-runs/${id}/approve`, { step: 'promote' })).status, 409);
      // The wait survives a restart: a new runner finds it still waiting.
      run = await drive(env, newRunner(env, { nodeId: 'node-b' }), id);
      assert.equal(run.status, 'waiting_approval');
      const ok = await api('admin', 'POST', `/api/v1/runbook-runs/${id}/approve`, { step: 'confirm', comment: 'primary is gone' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      run = await drive(env, runner, id);
      assert.equal(run.status, 'succeeded', run.error ?? '');
      const confirm = run.steps.find((s) => s.path === 'confirm')!;
      assert.equal(confirm.approved_by, 'admin-user');
      assert.equal(confirm.comment, 'primary is gone');
      assert.equal((run.steps.find((s) => s.path === 'promote')!.outputs as { stdout: string }).stdout, 'promoted eu-west-1');
      const timeline = await getIncidentTimeline(env.ctx(env.users.admin.actor), inc.body.ref);
      const approvals = timeline.filter((e) => e.kind === 'runbook_approval');
      assert.deepEqual(approvals.map((e) => e.data.state), ['waiting', 'approved']);
      assert.equal(approvals[1].actor.name, 'admin-user');
      const listed = await api('viewer', 'GET', `/api/v1/runbook-runs?incident=${inc.body.ref}&status=succeeded`);
      assert.deepEqual(listed.body.data.map((r: { id: string }) => r.id), [id]);
    });

    test('a rejection or a timeout fails the step; a failed run resumes from the failed step', async () => {
      const runner = newRunner(env);
      const rejected = (await api('responder', 'POST', '/api/v1/runbooks/failover/runs', {})).body.run.id;
      assert.equal((await drive(env, runner, rejected)).status, 'waiting_approval');
      assert.equal((await api('admin', 'POST', `/api/v1/runbook-runs/${rejected}/reject`, { step: 'confirm', comment: 'primary is back' })).status, 200);
      let run = await drive(env, runner, rejected);
      assert.equal(run.status, 'failed');
      assert.match(run.error!, /rejected by admin-user: primary is back/);
      assert.ok(!run.steps.some((s) => s.path === 'promote'));

      const timedOut = (await api('responder', 'POST', '/api/v1/runbooks/failover/runs', {})).body.run.id;
      assert.equal((await drive(env, runner, timedOut)).status, 'waiting_approval');
      env.clock.advance(10 * 60_000 + 1);
      run = await drive(env, runner, timedOut);
      assert.equal(run.status, 'failed');
      assert.match(run.error!, /no decision before the approval timed out/);
      // Resumed from the failed step: the approval is asked again, the steps before are not repeated.
      assert.equal((await api('responder', 'POST', `/api/v1/runbook-runs/${timedOut}/resume`)).status, 200);
      run = await drive(env, runner, timedOut);
      assert.equal(run.status, 'waiting_approval');
      assert.equal((await api('admin', 'POST', `/api/v1/runbook-runs/${timedOut}/approve`, { step: 'confirm' })).status, 200);
      run = await drive(env, runner, timedOut);
      assert.equal(run.status, 'succeeded');
      assert.equal(run.steps.filter((s) => s.path === 'before').length, 1);
      assert.deepEqual(run.steps.filter((s) => s.path === 'confirm').map((s) => s.status), ['failed', 'succeeded']);
      assert.equal((await api('responder', 'POST', `/api/v1/runbook-runs/${timedOut}/resume`)).status, 409);
    });

    test('a run whose node died is marked interrupted at its step, never re-run by itself, and resumes from it', async () => {
      // Node A's lease stops advancing (its clock is frozen): to node B it is a node that died.
      const frozen = new ManualClock(env.clock.now());
      const nodeA = new RunbookRunner({ db: env.db, config: env.config, clock: frozen, logger: createLogger({ level: 'silent' }), nodeId: 'node-a', env: { PATH: process.env.PATH } }, { leaseMs: 1000 });
      const id = (await startRun(env.ctx(env.users.responder.actor), 'long', {})).run.id;
      await nodeA.tick();
      for (let i = 0; i < 100 && !(await getRun(env.ctx(), id)).steps.some((s) => s.path === 'slow'); i++) await new Promise((r) => setTimeout(r, 20));
      env.clock.set(frozen.now() + 5000);
      const nodeB = newRunner(env, { nodeId: 'node-b' });
      await nodeB.tick();
      let run = await getRun(env.ctx(), id);
      assert.equal(run.status, 'interrupted');
      assert.equal(run.current_step, 'slow');
      assert.match(run.error!, /interrupted at step "slow"/);
      assert.deepEqual(run.steps.map((s) => [s.path, s.status]), [['first', 'succeeded'], ['slow', 'interrupted']]);
      // Node A finishing its step later cannot overwrite what B recorded.
      await nodeA.idle();
      run = await getRun(env.ctx(), id);
      assert.equal(run.status, 'interrupted');
      assert.deepEqual(run.steps.map((s) => s.status), ['succeeded', 'interrupted']);
      // Nothing runs it again by itself.
      await nodeB.tick();
      assert.equal((await getRun(env.ctx(), id)).status, 'interrupted');
      assert.equal((await api('responder', 'POST', `/api/v1/runbook-runs/${id}/resume`)).status, 200);
      run = await drive(env, nodeB, id);
      assert.equal(run.status, 'succeeded', run.error ?? '');
      assert.deepEqual(run.steps.map((s) => [s.path, s.status]), [['first', 'succeeded'], ['slow', 'interrupted'], ['slow', 'succeeded'], ['last', 'succeeded']]);
      assert.equal((run.steps.at(-1)!.outputs as { stdout: string }).stdout, '1');
    });

    test('cancel stops a running step and nothing runs after it', async () => {
      const runner = newRunner(env, { leaseMs: 300 });
      const id = (await api('responder', 'POST', '/api/v1/runbooks/long/runs', {})).body.run.id;
      await runner.tick();
      for (let i = 0; i < 100 && !(await getRun(env.ctx(), id)).steps.some((s) => s.path === 'slow'); i++) await new Promise((r) => setTimeout(r, 20));
      const cancelled = await api('responder', 'POST', `/api/v1/runbook-runs/${id}/cancel`);
      assert.equal(cancelled.status, 200);
      await runner.idle();
      const run = await getRun(env.ctx(), id);
      assert.equal(run.status, 'cancelled');
      assert.deepEqual(run.steps.map((s) => [s.path, s.status]), [['first', 'succeeded'], ['slow', 'cancelled']]);
      assert.equal((await api('responder', 'POST', `/api/v1/runbook-runs/${id}/cancel`)).status, 409);
    });

    test('an approval that names nobody asks the incident commander, unless the commander started the run', async () => {
      setRunbooks(env, [{ ...FAILOVER, id: 'ask-commander', steps: FAILOVER.steps.map((s) => (s.type === 'approval' ? { ...s, approvers: undefined } : s)) }]);
      const asked = async (starter: 'responder' | 'admin') => {
        const inc = await api('responder', 'POST', '/api/v1/incidents', { title: 'Region down', severity: 'P0', commander: 'admin-user' });
        assert.equal(inc.status, 201, JSON.stringify(inc.body));
        const id = (await api(starter, 'POST', '/api/v1/runbooks/ask-commander/runs', { incident: inc.body.ref })).body.run.id;
        assert.equal((await drive(env, newRunner(env), id)).status, 'waiting_approval');
        const rows = await env.db.kysely.selectFrom('notifications').select('destination').where('key', 'like', `runbook/${id}/confirm/%`).execute();
        return rows.map((n) => n.destination);
      };
      assert.deepEqual(await asked('responder'), ['user:admin-user:email']);
      assert.deepEqual(await asked('admin'), [], 'the commander started it: someone else must approve, and is not guessed at');
    });
  });
}
