import type { Selectable } from 'kysely';
import { q } from '../../db/transaction.ts';
import type { SilencesTable } from '../../db/schema.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import type { Matcher } from './matchers.ts';
import type { SilenceView } from './schemas.ts';

export type SilenceRow = Selectable<SilencesTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

export async function insertSilence(ctx: Db, row: SilenceRow): Promise<void> {
  await q(ctx).insertInto('silences').values(row).execute();
}

export async function findSilence(ctx: Db, id: string): Promise<SilenceRow | undefined> {
  return q(ctx).selectFrom('silences').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Silences in force at `now`: started, not ended, not expired by hand. */
export async function findActiveSilenceRows(ctx: Db, now: number): Promise<SilenceRow[]> {
  return q(ctx).selectFrom('silences').selectAll().where('expired_at', 'is', null).where('starts_at', '<=', now).where('ends_at', '>', now).orderBy('id').execute();
}

export async function markExpired(ctx: Db, id: string, now: number): Promise<void> {
  await q(ctx).updateTable('silences').set({ expired_at: now }).where('id', '=', id).execute();
}

export function stateOf(row: SilenceRow, now: number): SilenceView['state'] {
  if (row.expired_at !== null || Number(row.ends_at) <= now) return 'expired';
  return Number(row.starts_at) > now ? 'pending' : 'active';
}

export function toView(row: SilenceRow, now: number): SilenceView {
  return {
    id: row.id,
    matchers: JSON.parse(row.matchers) as Matcher[],
    state: stateOf(row, now),
    starts_at: isoTime(Number(row.starts_at)),
    ends_at: isoTime(Number(row.ends_at)),
    created_by: row.created_by,
    comment: row.comment,
    created_at: isoTime(Number(row.created_at)),
    expired_at: row.expired_at === null ? null : isoTime(Number(row.expired_at)),
  };
}
