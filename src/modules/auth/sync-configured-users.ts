import { q, withTransaction } from '../../db/transaction.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { systemActor, type Ctx } from '../context.ts';

/**
 * The people declared under `users:` in firebreak.yaml exist as users: created (without a password:
 * they cannot sign in until an admin sets one) when missing, and their name, email and time zone
 * kept as the config says. Roles and passwords stay managed in Firebreak. Runs at boot and on reload.
 */
export async function syncConfiguredUsers(ctx: Omit<Ctx, 'actor'>): Promise<{ created: string[]; updated: string[] }> {
  const sys: Ctx = { ...ctx, actor: systemActor('config') };
  const wanted = ctx.config.current.users;
  if (!wanted.length) return { created: [], updated: [] };
  return withTransaction(sys, async (tx) => {
    const now = tx.clock.now();
    const existing = new Map((await q(tx).selectFrom('users').select(['id', 'handle', 'name', 'email', 'time_zone']).where('handle', 'in', wanted.map((u) => u.handle)).execute()).map((u) => [u.handle, u]));
    const created: string[] = [];
    const updated: string[] = [];
    for (const u of wanted) {
      const row = existing.get(u.handle);
      if (!row) {
        const id = newId('usr', now);
        await q(tx)
          .insertInto('users')
          .values({ id, handle: u.handle, name: u.name, email: u.email, time_zone: u.time_zone, role: u.role, password_hash: null, must_change_password: 1, created_at: now, updated_at: now, disabled_at: null })
          .onConflict((oc) => oc.column('handle').doNothing())
          .execute();
        await writeAudit(tx, { action: 'user.created', entityType: 'user', entityId: id, data: { handle: u.handle, role: u.role, from: 'config' } });
        created.push(u.handle);
      } else if (row.name !== u.name || row.email !== u.email || row.time_zone !== u.time_zone) {
        await q(tx).updateTable('users').set({ name: u.name, email: u.email, time_zone: u.time_zone, updated_at: now }).where('id', '=', row.id).execute();
        await writeAudit(tx, { action: 'user.updated', entityType: 'user', entityId: row.id, data: { handle: u.handle, from: 'config' } });
        updated.push(u.handle);
      }
    }
    return { created, updated };
  });
}
