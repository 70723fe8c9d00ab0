import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseClock } from '../../src/db/database-clock.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv } from '../helpers/env.ts';

/** Timers run on the database's clock: on PostgreSQL the offset to the server is measured; SQLite is this host. */
for (const { name, skip } of DIALECTS) {
  describe(`database clock (${name})`, { skip }, () => {
    test("now() follows the database's clock, read locally", async () => {
      const env = await createTestEnv(name, import.meta.url, { seedUsers: false });
      const clock = await databaseClock(env.db);
      try {
        if (name === 'sqlite') assert.equal(clock.offsetMs(), 0);
        // Same host either way: the measured offset is a round trip's worth at most.
        assert.ok(Math.abs(clock.offsetMs()) < 1000, `offset ${clock.offsetMs()} ms`);
        const before = Date.now();
        const now = clock.now();
        assert.ok(Math.abs(now - before) < 1000);
        assert.ok(clock.now() >= now, 'monotonic enough between reads');
      } finally {
        clock.stop();
        await env.close();
      }
    });
  });
}
