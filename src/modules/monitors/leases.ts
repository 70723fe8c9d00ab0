import { sql } from 'kysely';
import { q, withTransaction } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { chunks } from './repository.ts';

/**
 * With several nodes on PostgreSQL, monitors are shared out through leases on their state rows:
 * each node renews its own every LEASE_RENEW_MS, takes free or expired ones up to its fair share
 * (monitors ÷ live nodes) and lets go of any beyond it. A node that dies stops renewing, and its
 * monitors are taken within LEASE_TTL_MS + LEASE_RENEW_MS (20 s): less than the default 30 s
 * interval. Times are the database's, so nodes' clocks need not agree.
 */
export const LEASE_TTL_MS = 15_000;
export const LEASE_RENEW_MS = 5_000;

/** The database's clock in epoch ms (PostgreSQL), so leases never depend on a node's clock. */
export async function databaseNow(ctx: Pick<Ctx, 'db' | 'trx'>): Promise<number> {
  const { rows } = await sql<{ now: string | number }>`select (extract(epoch from clock_timestamp()) * 1000)::bigint as now`.execute(q(ctx));
  return Number(rows[0].now);
}

/** Renews, takes and gives back leases; returns the monitor ids this node now holds. */
export async function shareMonitors(ctx: Ctx, nodeId: string, monitorIds: string[]): Promise<string[]> {
  return withTransaction(ctx, async (tx) => {
    const now = await databaseNow(tx);
    const until = now + LEASE_TTL_MS;
    await q(tx).insertInto('monitor_nodes').values({ node_id: nodeId, seen_until: until }).onConflict((oc) => oc.column('node_id').doUpdateSet({ seen_until: until })).execute();
    await q(tx).deleteFrom('monitor_nodes').where('seen_until', '<', now - 10 * LEASE_TTL_MS).execute();
    const nodes = Number((await q(tx).selectFrom('monitor_nodes').select((eb) => eb.fn.countAll().as('n')).where('seen_until', '>', now).executeTakeFirstOrThrow()).n);
    const configured = new Set(monitorIds);
    const renewed = await q(tx).updateTable('monitor_state').set({ lease_until: until }).where('lease_owner', '=', nodeId).returning('monitor_id').execute();
    const mine = renewed.map((r) => r.monitor_id).filter((id) => configured.has(id)).sort();
    const fair = Math.ceil(monitorIds.length / Math.max(1, nodes));
    if (mine.length > fair) {
      const extra = mine.splice(fair);
      for (const part of chunks(extra)) await q(tx).updateTable('monitor_state').set({ lease_owner: null, lease_until: 0 }).where('monitor_id', 'in', part).where('lease_owner', '=', nodeId).execute();
    }
    for (const part of chunks(monitorIds)) {
      const wanted = fair - mine.length;
      if (wanted <= 0) break;
      const free = await q(tx)
        .selectFrom('monitor_state')
        .select('monitor_id')
        .where('monitor_id', 'in', part)
        .where((eb) => eb.or([eb('lease_owner', 'is', null), eb('lease_until', '<', now)]))
        .orderBy('monitor_id')
        .limit(wanted)
        .forUpdate()
        .skipLocked()
        .execute();
      if (!free.length) continue;
      const ids = free.map((r) => r.monitor_id);
      await q(tx).updateTable('monitor_state').set({ lease_owner: nodeId, lease_until: until }).where('monitor_id', 'in', ids).execute();
      mine.push(...ids);
    }
    return mine.sort();
  });
}

/** Gives back every lease of this node (clean shutdown), so others take its monitors at once. */
export async function releaseMonitors(ctx: Ctx, nodeId: string): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    await q(tx).updateTable('monitor_state').set({ lease_owner: null, lease_until: 0 }).where('lease_owner', '=', nodeId).execute();
    await q(tx).deleteFrom('monitor_nodes').where('node_id', '=', nodeId).execute();
  });
}
