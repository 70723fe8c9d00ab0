import { sql } from 'kysely';
import type { Clock } from '../lib/clock.ts';
import type { Logger } from '../lib/logger.ts';
import type { Database } from './create-db.ts';

/** How often the offset to the database's clock is measured again. */
const RESYNC_MS = 60_000;

/**
 * Time taken from the database: on PostgreSQL every node reads the server's clock, so timers due
 * at 10:42 fire at 10:42 by one clock however far the nodes' own clocks drift apart. The offset is
 * measured (half the round trip corrected) at start and every minute, and `now()` stays a cheap
 * local read. SQLite lives on this host: its time is this host's time.
 */
export async function databaseClock(db: Database, logger?: Logger): Promise<Clock & { stop(): void; offsetMs(): number }> {
  let offset = 0;
  const measure = async () => {
    const before = Date.now();
    const row = await sql<{ now: string }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(db.kysely);
    const after = Date.now();
    const next = Number(row.rows[0].now) - (before + after) / 2;
    if (Math.abs(next - offset) > 1000) logger?.warn({ offset_ms: Math.round(next) }, "this node's clock differs from the database's; using the database's");
    offset = next;
  };
  let timer: NodeJS.Timeout | null = null;
  if (db.dialect.name === 'postgres') {
    await measure();
    timer = setInterval(() => void measure().catch((err) => logger?.warn({ err }, 'could not read the database clock')), RESYNC_MS);
    timer.unref();
  }
  return {
    now: () => Math.round(Date.now() + offset),
    offsetMs: () => offset,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}
