import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { renderPicture } from '../../src/cli/commands/runbook-format.ts';
import type { RunbookRunner, RunDetailView } from '../../src/modules/runbooks/index.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { newRunner, setRunbooks } from './kit.ts';
import { runClientCommand } from '../helpers/cli-in-process.ts';

describe('firebreak runbook … against a running server (sqlite)', () => {
  let env: TestEnv;
  let t: TestApp;
  let url: string;
  let runner: RunbookRunner;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    setRunbooks(env, [
      {
        id: 'failover',
        name: 'Failover',
        variables: { region: { default: 'us-east-1' } },
        steps: [
          { id: 'check', type: 'command', command: ['node', '-e', 'process.stdout.write("ok")'] },
          { id: 'confirm', type: 'approval', message: 'Continue with failover to ${{ vars.region }}?' },
          { id: 'promote', type: 'command', command: ['node', '-e', 'process.stdout.write(process.argv[1])', '${{ vars.region }}'], retries: 1, timeout: '30s' },
        ],
      },
    ]);
    t = await createTestApp(env, { monitors: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    runner = newRunner(env);
    runner.start();
  });
  after(async () => {
    await runner?.stop();
    await t?.app.close();
    await env?.close();
  });
  const run = (args: string[]) => runClientCommand(t, url, args);

  it('lists runbooks and prints a dry run plan', async () => {
    const list = await run(['runbook', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /^RUNBOOK\s+VERSION\s+STEPS/);
    assert.match(list.out, /failover\s+[0-9a-f]{12}\s+3\s+region\s+config\s+Failover/);
    const dry = await run(['runbook', 'run', 'failover', '--dry-run', '--var', 'region=eu-west-1']);
    assert.equal(dry.code, 0, dry.err);
    assert.match(dry.out, /nothing was executed/);
    assert.match(dry.out, / {2}1\. check {2}\[command\] \$ node -e 'process.stdout.write\("ok"\)'/);
    assert.match(dry.out, / {2}2\. confirm {2}\[approval\] ask: Continue with failover to eu-west-1\?\n {7}timeout 1h 00m/);
    assert.match(dry.out, /3\. promote .*\n {7}timeout 30\.0s, retries 1/);
    assert.equal((await run(['runbook', 'run', 'failover', '--var', 'oops'])).code, 2);
  });

  it('runs, follows to the approval, refuses the initiator, and shows the status as a picture', async () => {
    const started = await run(['runbook', 'run', 'failover', '--var', 'region=eu-west-1']);
    assert.equal(started.code, 0, started.err);
    assert.match(started.out, /✓ check {2}succeeded/);
    assert.match(started.out, /waiting for approval of "confirm"/);
    const id = /run (rbr_\S+) of failover/.exec(started.out)![1];
    assert.match(started.out, new RegExp(`firebreak runbook approve ${id} confirm`));
    // The CLI's token belongs to the admin who started it: refused.
    const own = await run(['runbook', 'approve', id, 'confirm']);
    assert.equal(own.code, 1);
    assert.match(own.err, /FORBIDDEN: the approver must be someone other than who started the run/);
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/runbook-runs/${id}/approve`, headers: t.auth.responder, payload: { step: 'confirm', comment: 'go' } });
    assert.equal(res.statusCode, 200, res.body);
    for (let i = 0; i < 200; i++) {
      const r = res.json() as RunDetailView;
      const now = (await t.app.inject({ method: 'GET', url: `/api/v1/runbook-runs/${r.id}`, headers: t.auth.viewer })).json() as RunDetailView;
      if (now.status === 'succeeded') break;
      await new Promise((x) => setTimeout(x, 20));
    }
    const status = await run(['runbook', 'status', id]);
    assert.equal(status.code, 0, status.err);
    assert.match(status.out, /Status\s+succeeded/);
    assert.match(status.out, /confirm\s+1\s+succeeded\s+.*responder-user\s+ask: Continue with failover to eu-west-1\?/);
    assert.match(status.out, /promote\s+.*[█]+\s+\S+ succeeded\n/);
    assert.match(status.out, /█ succeeded {2}▒ failed\/stopped/);
  });

  it('draws each attempt on one time axis', () => {
    const step = (path: string, start: number, end: number | null, status: string) => ({ path, type: 'command', attempt: 1, status, inputs: {}, outputs: null, started_at: new Date(start).toISOString(), finished_at: end === null ? null : new Date(end).toISOString(), duration_ms: end === null ? null : end - start, approved_by: null, comment: null, error: null });
    const t0 = Date.UTC(2026, 0, 1);
    const picture = renderPicture({ steps: [step('a', t0, t0 + 1000, 'succeeded'), step('b', t0 + 1000, t0 + 3000, 'waiting'), step('c', t0 + 3000, null, 'running')] } as unknown as RunDetailView, t0 + 4000, 8);
    const lines = picture.split('\n');
    assert.equal(lines[1], '  a  ███       1.0s succeeded');
    assert.equal(lines[2], '  b    ░░░░░   2.0s waiting');
    assert.equal(lines[3], '  c        ▓▓  1.0s running');
  });
});
