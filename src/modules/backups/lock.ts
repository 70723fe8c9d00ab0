import { q, withTransaction } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

const LEASE = 'backups';
/** A holder that dies stops renewing; another node may take over after this long. */
export const LEASE_TTL_MS = 120_000;

/**
 * One backup, verification or prune at a time across every node and CLI: a lease row, renewed while
 * the work runs. A lease row (not an advisory lock) works the same on SQLite, where two CLI
 * processes can share one database file.
 */
export async function tryAcquireBackupLease(ctx: Ctx, owner: string): Promise<boolean> {
  return withTransaction(ctx, async (tx) => {
    const now = tx.clock.now();
    // One statement: insert the lease, or take it over only if it expired (or is ours). Two nodes
    // racing for a missing row both reach the conflict clause, and only one row comes back.
    const row = await q(tx)
      .insertInto('backup_leases')
      .values({ name: LEASE, owner, until: now + LEASE_TTL_MS })
      .onConflict((oc) =>
        oc
          .column('name')
          .doUpdateSet({ owner, until: now + LEASE_TTL_MS })
          .where((eb) => eb.or([eb('backup_leases.until', '<', now), eb('backup_leases.owner', '=', owner)])),
      )
      .returning('owner')
      .executeTakeFirst();
    return row?.owner === owner;
  });
}

export async function releaseBackupLease(ctx: Ctx, owner: string): Promise<void> {
  await withTransaction(ctx, (tx) => q(tx).deleteFrom('backup_leases').where('name', '=', LEASE).where('owner', '=', owner).execute());
}

/** Runs `fn` holding the lease (renewed every third of its life), or returns null when another holder has it. */
export async function withBackupLease<T>(ctx: Ctx, owner: string, fn: () => Promise<T>): Promise<{ value: T } | null> {
  if (!(await tryAcquireBackupLease(ctx, owner))) return null;
  const renew = setInterval(() => void tryAcquireBackupLease(ctx, owner).catch(() => {}), LEASE_TTL_MS / 3);
  renew.unref();
  try {
    return { value: await fn() };
  } finally {
    clearInterval(renew);
    await releaseBackupLease(ctx, owner).catch(() => {});
  }
}
