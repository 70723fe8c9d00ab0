import { randomBytes } from 'node:crypto';
import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';

/**
 * Firebreak's own secret for signing one-click links and calendar feed URLs. Kept in the database,
 * so every node of a cluster signs and verifies alike and a restart does not void sent links. Made
 * once, on first use; two nodes racing both read the winner's.
 */
export async function loadSigningKey(ctx: Pick<Ctx, 'db' | 'trx' | 'clock'>, name = 'link-signing'): Promise<Buffer> {
  const existing = await q(ctx).selectFrom('app_secrets').select('value').where('name', '=', name).executeTakeFirst();
  if (existing) return Buffer.from(existing.value, 'base64');
  await q(ctx)
    .insertInto('app_secrets')
    .values({ name, value: randomBytes(32).toString('base64'), created_at: ctx.clock.now() })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const row = await q(ctx).selectFrom('app_secrets').select('value').where('name', '=', name).executeTakeFirstOrThrow();
  return Buffer.from(row.value, 'base64');
}
