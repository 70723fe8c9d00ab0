import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { databaseNow, releaseMonitors, shareMonitors } from '../../src/modules/monitors/leases.ts';
import { ensureStateRows } from '../../src/modules/monitors/repository.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

const MONITORS = Array.from({ length: 30 }, (_, i) => `mon-${String(i).padStart(2, '0')}`);

for (const { name, skip } of DIALECTS) {
  // One SQLite node runs every monitor; leases exist to share them between PostgreSQL nodes.
  describe(`monitor leases between nodes [${name}]`, { skip: name === 'sqlite' ? 'leases are PostgreSQL only' : skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      await ensureStateRows(env.ctx(), MONITORS);
    });
    after(async () => {
      await env?.close();
    });
    beforeEach(async () => {
      await env.db.kysely.updateTable('monitor_state').set({ lease_owner: null, lease_until: 0 }).execute();
      await env.db.kysely.deleteFrom('monitor_nodes').execute();
    });

    const share = (node: string) => shareMonitors(env.ctx(), node, MONITORS);

    /** Who holds each monitor according to the database (a live lease only). */
    async function holders(): Promise<Map<string, string[]>> {
      const now = await databaseNow(env.ctx());
      const rows = await env.db.kysely.selectFrom('monitor_state').select(['monitor_id', 'lease_owner', 'lease_until']).orderBy('monitor_id').execute();
      const out = new Map<string, string[]>();
      for (const r of rows) {
        if (r.lease_owner === null || Number(r.lease_until) <= now) continue;
        (out.get(r.lease_owner) ?? out.set(r.lease_owner, []).get(r.lease_owner)!).push(r.monitor_id);
      }
      return out;
    }

    /** Every monitor held by exactly one of `nodes`, and what each call returned is what the database says. */
    async function assertPartition(held: Record<string, string[]>): Promise<void> {
      const db = await holders();
      for (const [node, ids] of Object.entries(held)) assert.deepEqual(ids, db.get(node) ?? [], `${node}'s view agrees with the database`);
      assert.deepEqual([...db.keys()].sort(), Object.keys(held).filter((n) => held[n].length).sort(), 'no other holder');
      const all = Object.values(held).flat();
      assert.equal(new Set(all).size, all.length, 'no monitor held twice');
      assert.deepEqual(all.sort(), MONITORS, 'every monitor held');
    }

    /** Calls shareMonitors for each node in turn until a whole round changes nothing. */
    async function untilStable(nodes: string[]): Promise<Record<string, string[]>> {
      let last = '';
      for (let round = 0; round < 10; round++) {
        const held: Record<string, string[]> = {};
        for (const node of nodes) held[node] = await share(node);
        const key = JSON.stringify(held);
        if (key === last) return held;
        last = key;
      }
      throw new Error('leases never settled');
    }

    /** The node stops renewing without a word: its node row and its leases run out (as after LEASE_TTL_MS). */
    async function die(node: string): Promise<void> {
      const now = await databaseNow(env.ctx());
      await env.db.kysely.updateTable('monitor_state').set({ lease_until: now - 1 }).where('lease_owner', '=', node).execute();
      await env.db.kysely.updateTable('monitor_nodes').set({ seen_until: now - 1 }).where('node_id', '=', node).execute();
    }

    test('a lone node takes every monitor; with a second one they settle at 15 each, every monitor held once', async () => {
      assert.deepEqual(await share('node-a'), MONITORS);
      assert.deepEqual(await share('node-b'), [], 'nothing free yet');
      const held = await untilStable(['node-a', 'node-b']);
      await assertPartition(held);
      assert.equal(held['node-a'].length, 15);
      assert.equal(held['node-b'].length, 15);
      // Renewing changes nothing.
      assert.deepEqual(await share('node-a'), held['node-a']);
      assert.deepEqual(await share('node-b'), held['node-b']);
    });

    test('calls at the same time still give every monitor exactly one holder', async () => {
      let held: Record<string, string[]> = {};
      for (let round = 0; round < 6; round++) {
        const [a, b] = await Promise.all([share('node-a'), share('node-b')]);
        held = { 'node-a': a, 'node-b': b };
        const all = [...a, ...b];
        assert.equal(new Set(all).size, all.length, `round ${round}: no monitor held twice`);
      }
      await assertPartition(held);
      assert.ok(Math.abs(held['node-a'].length - held['node-b'].length) <= 1, `fair: ${held['node-a'].length}/${held['node-b'].length}`);
    });

    test('a node that dies without a word: once its leases expire, the other takes all its monitors in its next call', async () => {
      const held = await untilStable(['node-a', 'node-b']);
      assert.equal(held['node-b'].length, 15);
      // Still within the dead node's lease: nothing moves.
      assert.deepEqual(await share('node-a'), held['node-a']);
      await die('node-b');
      assert.deepEqual(await share('node-a'), MONITORS, 'all of them in one call');
      await assertPartition({ 'node-a': MONITORS });
      // It comes back: it gets its share again as the other lets go of the extras.
      const again = await untilStable(['node-b', 'node-a']);
      await assertPartition(again);
      assert.equal(again['node-a'].length, 15);
      assert.equal(again['node-b'].length, 15);
    });

    test('releaseMonitors (a clean shutdown) hands everything back at once', async () => {
      const held = await untilStable(['node-a', 'node-b']);
      assert.equal(held['node-b'].length, 15);
      await releaseMonitors(env.ctx(), 'node-b');
      assert.deepEqual(await holders(), new Map([['node-a', held['node-a']]]));
      assert.equal((await env.db.kysely.selectFrom('monitor_nodes').select('node_id').where('node_id', '=', 'node-b').execute()).length, 0, 'no longer counted as alive');
      assert.deepEqual(await share('node-a'), MONITORS, 'the survivor takes them in its next call');
      await assertPartition({ 'node-a': MONITORS });
    });

    test('a third node joining makes the others give up their extras: 10 each', async () => {
      await untilStable(['node-a', 'node-b']);
      assert.deepEqual(await share('node-c'), [], 'nothing free at first');
      const held = await untilStable(['node-a', 'node-b', 'node-c']);
      await assertPartition(held);
      assert.deepEqual(Object.values(held).map((ids) => ids.length), [10, 10, 10]);
      // And when it leaves again, the two take its share back.
      await releaseMonitors(env.ctx(), 'node-c');
      const two = await untilStable(['node-a', 'node-b']);
      await assertPartition(two);
      assert.deepEqual(Object.values(two).map((ids) => ids.length), [15, 15]);
    });
  });
}
