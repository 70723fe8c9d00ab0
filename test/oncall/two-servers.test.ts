import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stringify } from 'yaml';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { isolatedEnv, startFirebreakServer, waitFor, type ChildServer } from '../helpers/processes.ts';
import { closeHttp, listen, receiver } from '../notifications/helpers.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { EXAMPLE_CONFIG_PATH } from '../../src/config/load.ts';

const postgres = DIALECTS.find((d) => d.name === 'postgres')!;
const ADMIN_PASSWORD = 'two servers admin password';

/**
 * Two real `firebreak serve` processes on one PostgreSQL database, as a highly available pair:
 * incidents declared on one node are paged once (not once per node), and when a node is killed
 * mid-escalation the other runs the remaining steps, each once.
 */
describe('two Firebreak servers on one PostgreSQL page once [postgres]', { skip: postgres.skip }, () => {
  test('no duplicate notification, and the survivor takes over the escalation', { timeout: 120_000 }, async () => {
    const { server: hooks, requests } = receiver();
    const base = `http://127.0.0.1:${await listen(hooks)}`;
    const dir = mkdtempSync(join(tmpdir(), 'firebreak-two-servers-'));
    const db = await freshDatabaseUrl('postgres', import.meta.url, dir);
    const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
    const person = (handle: string) => ({ handle, name: handle, email: `${handle}@example.com`, contact_methods: [{ id: 'hook', type: 'webhook', url: `${base}/ok/200/${handle}` }] });
    doc.users = ['first', 'second', 'third'].map(person);
    doc.stakeholder_groups = [];
    doc.schedules = [];
    doc.escalation_policies = [{ id: 'default', name: 'HA', levels: [{ notify: [{ user: 'first' }], timeout: '3s' }, { notify: [{ user: 'second' }], timeout: '3s' }, { notify: [{ user: 'third' }] }] }];
    doc.notifications = { rate_limit: { per_minute: 100_000 } };
    const configFile = join(dir, 'firebreak.yaml');
    writeFileSync(configFile, stringify(doc));
    const env = isolatedEnv({ DATABASE_URL: db.url, FIREBREAK_CONFIG: configFile, FIREBREAK_ADMIN_PASSWORD: ADMIN_PASSWORD });
    const servers: ChildServer[] = [];
    try {
      servers.push(await startFirebreakServer({ dataDir: join(dir, 'a'), env }));
      servers.push(await startFirebreakServer({ dataDir: join(dir, 'b'), env }));
      const [a, b] = servers;
      const login = await fetch(`${a.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ handle: 'admin', password: ADMIN_PASSWORD }) });
      assert.equal(login.status, 200);
      const cookie = login.headers.get('set-cookie')!.split(';')[0];
      const token = (await (await fetch(`${a.url}/api/v1/tokens`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: JSON.stringify({ name: 't', scopes: ['read', 'write'] }) })).json()).token;
      const N = 30;
      await Promise.all(
        Array.from({ length: N }, async (_, i) => {
          // Half through each node: both nodes take part.
          const r = await fetch(`${(i % 2 ? a : b).url}/api/v1/incidents`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: `HA ${i}`, severity: 'P1', services: ['api'] }) });
          assert.equal(r.status, 201, await r.text());
        }),
      );
      const pages = (to: string) => requests.filter((r) => r.path.endsWith(`/${to}`));
      await waitFor('level 1 for every incident', () => (pages('first').length >= N ? true : undefined), { timeoutMs: 20_000 });
      // Node A dies without a goodbye; B must run level 2 and 3 for every incident.
      a.child.kill('SIGKILL');
      await a.exited;
      await waitFor('level 3 for every incident', () => (pages('third').length >= N ? true : undefined), { timeoutMs: 40_000 });
      await new Promise((r) => setTimeout(r, 1500));
      for (const who of ['first', 'second', 'third']) {
        const keys = pages(who).map((r) => String(r.headers['idempotency-key']));
        assert.equal(keys.length, N, `${who}: one page per incident, got ${keys.length}`);
        assert.equal(new Set(keys).size, N, `${who}: no duplicates`);
      }
      const steps = await fetch(`${b.url}/api/v1/incidents/INC-1/escalation`, { headers: { authorization: `Bearer ${token}` } });
      const view = await steps.json();
      assert.deepEqual(view.steps.map((s: { step: string }) => s.step), ['L1R1', 'L2R1', 'L3R1']);
      assert.ok(view.steps.every((s: { late_ms: number }) => s.late_ms < 15_000), JSON.stringify(view.steps));
    } finally {
      for (const s of servers) await s.stop(10_000);
      await closeHttp(hooks);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
