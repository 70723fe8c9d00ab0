import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { resolveFilter } from '../../src/modules/analytics/index.ts';
import { fingerprintCounts, recurringIncidents } from '../../src/modules/analytics/repository.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { rng } from '../monitors/monitor-kit.ts';

/**
 * Recurring incidents split fingerprints by service only as far as the ranking needs: over many
 * fingerprints (several batches), spread over services with ties, it must equal the brute force.
 */
const SERVICES = ['api', 'database', 'web', 'docs', 'cache'];
const START = Date.UTC(2026, 4, 1);

for (const { name, skip } of DIALECTS) {
  describe(`recurring incidents [${name}]`, { skip }, () => {
    let env: TestEnv;
    const pairs = new Map<string, { service: string; fingerprint: string; n: number; first: number; last: number }>();
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      env.clock.set(Date.UTC(2026, 5, 1));
      const rand = rng(11);
      let number = 0;
      for (let fp = 0; fp < 180; fp++) {
        const fingerprint = `prometheus/key-${fp}`;
        const count = 1 + Math.floor(rand() * rand() * 12);
        for (let k = 0; k < count; k++) {
          number++;
          const at = START + number * 60_000;
          const id = `inc_rec_${number}`;
          const services = [...new Set([SERVICES[fp % 5], ...(rand() < 0.3 ? [SERVICES[Math.floor(rand() * 5)]] : [])])];
          await env.db.kysely
            .insertInto('incidents')
            .values({ id, number, title: 't', description: '', severity: 'P2', severity_source: 'manual', state: 'triggered', source: 'automated', customer_facing: 0, user_share: 0, impact: '{}', reopen_count: 0, detected_at: at, triggered_at: at, created_at: at, updated_at: at, fingerprint })
            .execute();
          for (const service of services) {
            await env.db.kysely.insertInto('incident_services').values({ incident_id: id, incident_number: number, service_id: service, added_at: at }).execute();
            const key = `${service} ${fingerprint}`;
            const p = pairs.get(key) ?? { service, fingerprint, n: 0, first: at, last: at };
            p.n++;
            p.last = at;
            pairs.set(key, p);
          }
        }
      }
    });
    after(() => env?.close());

    test('the top pairs equal a brute-force ranking, for several limits', async () => {
      const brute = [...pairs.values()].filter((p) => p.n >= 2).sort((a, b) => b.n - a.n || (a.service < b.service ? -1 : a.service > b.service ? 1 : a.fingerprint < b.fingerprint ? -1 : 1));
      for (const limit of [1, 3, 10, 40, 100]) {
        const f = resolveFilter(env.ctx(), { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z', limit: String(limit) as never });
        const got = await recurringIncidents(env.ctx(), f);
        assert.deepEqual(
          got.map((g) => [g.service, g.fingerprint, g.incidents, g.firstAt, g.lastAt]),
          brute.slice(0, limit).map((p) => [p.service, p.fingerprint, p.n, p.first, p.last]),
          `limit ${limit}`,
        );
      }
      const counts = await fingerprintCounts(env.ctx(), resolveFilter(env.ctx(), { from: '2026-05-01T00:00:00Z', to: '2026-06-01T00:00:00Z' }), { min: 2 });
      assert.ok(counts.length > 50, `only ${counts.length} fingerprints: the split would not need a second batch`);
    });
  });
}
