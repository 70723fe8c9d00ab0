import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseConfigText, formatIssues, EXAMPLE_CONFIG_PATH } from '../../src/config/load.ts';
import { readFileSync } from 'node:fs';
import { createIncident, getIncidentTimeline } from '../../src/modules/incidents/index.ts';
import { decideStep, getRun, listRuns } from '../../src/modules/runbooks/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { drive, newRunner, setRunbooks } from './kit.ts';
import { after, before } from 'node:test';

const FAILOVER = {
  id: 'failover',
  name: 'Database failover',
  variables: { reason: { required: true } },
  steps: [
    { id: 'confirm', type: 'approval' as const, message: 'Fail over (${{ vars.reason }})?' },
    { id: 'promote', type: 'command' as const, command: ['node', '-e', 'process.stdout.write(process.argv[1])', '${{ vars.reason }}'] },
  ],
};

for (const { name, skip } of DIALECTS) {
  describe(`incident rules propose runbooks [${name}]`, { skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
      setRunbooks(env, [FAILOVER]);
    });
    after(() => env?.close());
    const responder = () => env.ctx(env.users.responder.actor);
    const rules = (list: unknown[]) => {
      env.config.current = { ...env.config.current, incident_rules: list as typeof env.config.current.incident_rules };
    };
    const proposals = async (ref: string) => (await getIncidentTimeline(responder(), ref)).filter((e) => e.kind === 'runbook_proposed');

    test('an incident of at least the severity on the service: proposed once, with how to run it', async () => {
      rules([{ id: 'db-incident', runbook: 'failover', when: { incident: { service: 'database', min_severity: 'P1' } }, variables: { reason: 'db-incident' }, run: false }]);
      const serious = await createIncident(responder(), { title: 'Primary down', severity: 'P0', services: ['database'] });
      const minor = await createIncident(responder(), { title: 'Slow query', severity: 'P3', services: ['database'] });
      const runner = newRunner(env);
      await runner.tick();
      env.clock.advance(10_000);
      await runner.tick();
      const [p, ...more] = await proposals(serious.ref);
      assert.equal(more.length, 0, 'proposed twice');
      assert.match(p.body, /Runbook Database failover \(failover\) proposed by rule db-incident: a P0 incident is open on database; run it: firebreak runbook run failover --incident INC-\d+ --var reason=db-incident/);
      assert.equal(p.data.link, 'http://localhost:8080/api/v1/runbooks/failover');
      assert.equal(p.data.run, null);
      assert.equal((await proposals(minor.ref)).length, 0);
      assert.equal((await listRuns(responder(), { incident: serious.ref })).data.length, 0, 'a proposal must not run anything');
    });

    test('a monitor down for long enough proposes on its service\'s open incident; run: true starts the run, which waits for a person', async () => {
      rules([{ id: 'backup-down', runbook: 'failover', when: { monitor_down: { monitor: 'database-backup', for: 300_000 } }, variables: { reason: 'backup-down' }, run: true }]);
      // The monitor's service's open incident: the newest one on database.
      const open = (await env.db.kysely.selectFrom('incidents').select('number').where('title', '=', 'Slow query').executeTakeFirstOrThrow()).number;
      const ref = `INC-${open}`;
      await env.db.kysely.insertInto('monitor_state').values({ monitor_id: 'database-backup', status: 'down', changed_at: env.clock.now() - 60_000, streak_status: null, streak_since: null }).onConflict((oc) => oc.column('monitor_id').doUpdateSet({ status: 'down', changed_at: env.clock.now() - 60_000 })).execute();
      const runner = newRunner(env);
      await runner.tick();
      assert.equal((await proposals(ref)).filter((p) => p.data.rule === 'backup-down').length, 0, 'down for one minute only');
      env.clock.advance(5 * 60_000);
      const second = newRunner(env);
      await second.tick();
      const [p] = (await proposals(ref)).filter((e) => e.data.rule === 'backup-down');
      assert.match(p.body, /monitor database-backup has been down since .* \(5m or more\); run rbr_\S+ started/);
      const runId = p.data.run as string;
      let run = await drive(env, second, runId);
      assert.equal(run.status, 'waiting_approval');
      assert.equal(run.started_by, 'incident rule backup-down');
      assert.equal(run.incident, ref);
      await decideStep(responder(), runId, 'approve', { step: 'confirm' });
      run = await drive(env, second, runId);
      assert.equal(run.status, 'succeeded');
      assert.equal((run.steps.at(-1)!.outputs as { stdout: string }).stdout, 'backup-down');
      assert.equal((await getRun(responder(), runId)).steps.find((s) => s.path === 'confirm')!.approved_by, 'responder-user');
    });
  });
}

describe('incident rules in the config', () => {
  test('refer to a runbook, monitor and service that exist, and give the runbook what it needs', () => {
    const text = `${readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')}
runbooks:
  definitions:
    - { id: failover, name: Failover, variables: { reason: { required: true } }, steps: [{ id: go, type: command, command: [echo] }] }
incident_rules:
  - { id: a, runbook: nope, when: { incident: { service: database, min_severity: P1 } } }
  - { id: b, runbook: failover, when: { monitor_down: { monitor: ghost, for: 5m } }, variables: { reason: x, extra: y } }
  - { id: c, runbook: failover, when: { incident: { service: nowhere, min_severity: P1 } } }
  - { id: d, runbook: failover, when: {} }
`;
    const result = parseConfigText(text, {});
    const out = formatIssues('firebreak.yaml', result.ok ? [] : result.issues);
    assert.match(out, /incident_rules\[3\]\.when: give exactly one of monitor_down or incident/);
    const fixed = parseConfigText(text.replace('  - { id: d, runbook: failover, when: {} }\n', ''), {});
    const out2 = formatIssues('firebreak.yaml', fixed.ok ? [] : fixed.issues);
    assert.match(out2, /incident_rules\[0\]\.runbook: unknown runbook "nope"/);
    assert.match(out2, /incident_rules\[1\]\.when\.monitor_down\.monitor: unknown monitor "ghost"/);
    assert.match(out2, /incident_rules\[1\]\.variables\.extra: runbook "failover" has no variable "extra"/);
    assert.match(out2, /incident_rules\[2\]\.when\.incident\.service: unknown service "nowhere"/);
    assert.match(out2, /incident_rules\[2\]\.variables: runbook "failover" needs variable "reason"/);
  });
});
