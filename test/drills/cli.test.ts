import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { rtoTrend } from '../../src/cli/commands/drill-format.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { startDrillLoop, type DrillRunView } from '../../src/modules/drills/index.ts';
import type { RunbookRunner } from '../../src/modules/runbooks/index.ts';
import { runClientCommand } from '../helpers/cli-in-process.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { flakyApp, liveCtx, liveRunner, markerDatabase, setDrills } from './kit.ts';

describe('firebreak drill … against a running server (sqlite)', () => {
  let env: TestEnv;
  let t: TestApp;
  let url: string;
  let runner: RunbookRunner;
  let loop: { stop(): Promise<void> };
  let app: Awaited<ReturnType<typeof flakyApp>>;
  let dir: string;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    env.clock.set(Date.now());
    app = await flakyApp();
    dir = mkdtempSync(join(tmpdir(), 'firebreak-drill-cli-'));
    const markers = markerDatabase(join(dir, 'app.db'));
    setDrills(
      env,
      [
        {
          id: 'app-failover',
          name: 'Fail the app over',
          variables: { app: { required: true } },
          steps: [
            { id: 'break', type: 'http', method: 'POST', url: '${{ vars.app }}/break' },
            { id: 'recover', type: 'http', method: 'POST', url: '${{ vars.app }}/recover' },
            { id: 'verify', type: 'wait_for', http: { url: '${{ vars.app }}/health' }, interval: '20ms', timeout: '5s' },
          ],
        },
      ],
      [{ id: 'markers', url: markers.url }],
      {
        targets: [{ id: 'staging' }],
        definitions: [
          {
            id: 'app-drill',
            runbook: 'app-failover',
            service: 'database',
            target: 'staging',
            variables: { app: app.url },
            marker: { connection: 'markers', write: 'insert into drill_markers (at) values (?)', read: 'select max(at) from drill_markers' },
            recovered_step: 'verify',
            cleanup: [{ id: 'reset', type: 'http', method: 'POST', url: '${{ vars.app }}/cleanup' }],
          },
        ],
      },
    );
    t = await createTestApp(env, { monitors: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
    runner = liveRunner(env);
    runner.start();
    loop = startDrillLoop(liveCtx(env, env.users.admin.actor), createLogger({ level: 'silent' }), 50);
  });
  after(async () => {
    await loop?.stop();
    await runner?.stop();
    await t?.app.close();
    await app?.close();
    await env?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const run = (args: string[]) => runClientCommand(t, url, args);

  it('runs a drill, follows its steps and cleanup, and prints the report', async () => {
    const r = await run(['drill', 'run', 'app-drill']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /drill drl_\S+ of app-drill started/);
    assert.match(r.out, /✓ break\s+succeeded/);
    assert.match(r.out, /✓ cleanup\/reset\s+succeeded/);
    assert.match(r.out, /Result\s+PASSED/);
    assert.match(r.out, /RTO\s+\d+(ms|\.\ds) \(objective \S+: met\), break → verify/);
    assert.match(r.out, /RPO\s+\d+(ms|\.\ds) \(objective \S+: met\)/);
    assert.match(r.out, /Cleanup\s+ran, succeeded/);
    assert.equal((await run(['drill', 'run', 'nope'])).code, 1);
  });

  it('lists drills and shows the history with the RTO trend', async () => {
    const list = await run(['drill', 'list']);
    assert.equal(list.code, 0, list.err);
    assert.match(list.out, /app-drill\s+app-failover\s+database\s+staging\s+on demand\s+\S+ passed/);
    const history = await run(['drill', 'history', '--service', 'database']);
    assert.equal(history.code, 0, history.err);
    assert.match(history.out, /STARTED\s+DRILL\s+SERVICE\s+RESULT\s+RTO\s+RPO/);
    assert.match(history.out, /app-drill\s+database\s+passed/);
    assert.match(history.out, /RTO per drill \(oldest first\):/);
    const json = JSON.parse((await run(['drill', 'history', '--json'])).out) as { data: DrillRunView[] };
    assert.equal(json.data.length, 1);
  });

  it('draws RTO bars on one scale with the objective marked', () => {
    const base = { id: 'x', run: 'r', service: 's', trigger: 'on_demand', finished_at: null, rpo_ms: null, rpo_objective_ms: 1, started_by: 'a', action_items: [], status: 'passed' };
    const picture = rtoTrend(
      [
        { ...base, drill: 'd', started_at: '2026-03-01T00:00:00Z', rto_ms: 1200, rto_objective_ms: 1000, passed: false },
        { ...base, drill: 'd', started_at: '2026-02-01T00:00:00Z', rto_ms: 500, rto_objective_ms: 1000, passed: true },
      ],
      13,
    );
    const lines = picture.split('\n');
    assert.equal(lines[0], '  2026-02-01 d                ██████    │      500ms passed');
    assert.equal(lines[1], '  2026-03-01 d                ▒▒▒▒▒▒▒▒▒▒▒▒▒     1.2s failed');
  });
});
