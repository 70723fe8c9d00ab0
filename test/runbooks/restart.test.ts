import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/load.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { isolatedEnv, startFirebreakServer, waitFor, type ChildServer } from '../helpers/processes.ts';

const ADMIN_PASSWORD = 'runbook restart admin password';

/** The example organisation plus a runbook whose middle step takes a while, leases of one second. */
const config = (marker: string) => `${readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')}
runbooks:
  lease: 1s
  definitions:
    - id: long
      name: Long
      steps:
        - { id: first, type: command, command: [node, -e, "process.stdout.write('1')"] }
        - id: slow
          type: command
          command: [node, -e, "require('fs').appendFileSync(process.argv[1], 'x'); setTimeout(() => {}, 2500)", "${marker}"]
        - { id: last, type: command, command: [node, -e, "process.stdout.write(process.argv[1])", "\${{ steps.first.output.stdout }}"] }
`;

for (const { name, skip } of DIALECTS) {
  describe(`a run survives a Firebreak restart [${name}]`, { skip }, () => {
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-runbook-restart-'));
    let server: ChildServer | undefined;
    let drop: (() => Promise<void>) | undefined;
    after(async () => {
      await server?.stop(5000);
      await drop?.();
      rmSync(dir, { recursive: true, force: true });
    });

    test('killed mid-step: the next start marks the run interrupted at that step; resumed, it finishes', { timeout: 120_000 }, async () => {
      const fresh = await freshDatabaseUrl(name, import.meta.url, dir);
      drop = fresh.drop;
      const marker = join(dir, 'slow-started');
      const file = join(dir, 'firebreak.yaml');
      writeFileSync(file, config(marker));
      const env = isolatedEnv({ DATABASE_URL: fresh.url, FIREBREAK_ADMIN_PASSWORD: ADMIN_PASSWORD, FIREBREAK_CONFIG: file });
      server = await startFirebreakServer({ dataDir: dir, env });
      const login = await fetch(`${server.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'admin', password: ADMIN_PASSWORD }) });
      assert.equal(login.status, 200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const token = (await (await fetch(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 't', scopes: ['read', 'write'] }) })).json()).token;
      const call = async (s: ChildServer, method: string, path: string, body?: unknown) => {
        const res = await fetch(`${s.url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
        return res.json();
      };
      const incident = await call(server, 'POST', '/api/v1/incidents', { title: 'Restart drill', severity: 'P2' });
      const { run } = await call(server, 'POST', '/api/v1/runbooks/long/runs', { incident: incident.ref });
      await waitFor('the slow step to start', async () => {
        const r = await call(server!, 'GET', `/api/v1/runbook-runs/${run.id}`);
        return r.steps.some((s: { path: string; status: string }) => s.path === 'slow' && s.status === 'running') ? true : undefined;
      }, { timeoutMs: 30_000, intervalMs: 50 });
      server.child.kill('SIGKILL');
      await server.exited;

      server = await startFirebreakServer({ dataDir: dir, env });
      const interrupted = await waitFor('the run to be marked interrupted', async () => {
        const r = await call(server!, 'GET', `/api/v1/runbook-runs/${run.id}`);
        return r.status === 'running' ? undefined : r;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      assert.equal(interrupted.status, 'interrupted');
      assert.equal(interrupted.current_step, 'slow');
      assert.deepEqual(interrupted.steps.map((s: { path: string; status: string }) => [s.path, s.status]), [['first', 'succeeded'], ['slow', 'interrupted']]);
      const timeline = await call(server, 'GET', `/api/v1/incidents/${incident.ref}/timeline`);
      const entries = (timeline.data ?? timeline) as { kind: string; data: { status?: string } }[];
      assert.ok(entries.some((e) => e.kind === 'runbook_finished' && e.data.status === 'interrupted'), JSON.stringify(entries.map((e) => e.kind)));
      // Not run again by itself: the slow step started once.
      assert.equal(readFileSync(marker, 'utf8'), 'x');

      await call(server, 'POST', `/api/v1/runbook-runs/${run.id}/resume`);
      const done = await waitFor('the resumed run to finish', async () => {
        const r = await call(server!, 'GET', `/api/v1/runbook-runs/${run.id}`);
        return ['succeeded', 'failed'].includes(r.status) ? r : undefined;
      }, { timeoutMs: 30_000, intervalMs: 100 });
      assert.equal(done.status, 'succeeded', done.error);
      assert.deepEqual(done.steps.map((s: { path: string; status: string }) => [s.path, s.status]), [['first', 'succeeded'], ['slow', 'interrupted'], ['slow', 'succeeded'], ['last', 'succeeded']]);
      assert.equal(readFileSync(marker, 'utf8'), 'xx');
    });
  });
}
