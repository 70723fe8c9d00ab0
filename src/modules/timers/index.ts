import { q, withTransaction } from '../../db/transaction.ts';
import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';

/**
 * Timers kept in the database: "resolve INC-7 at 10:42 unless an alert fires again", "raise INC-9
 * to P1 at 11:00 if still open". One per (kind, subject); setting it again moves it. They live in
 * the same transaction as the change that set them, so a crash or restart never loses one, and
 * they fire on whichever node polls first (PostgreSQL: row locks with SKIP LOCKED).
 */
export interface Timer {
  kind: string;
  subject_id: string;
  due_at: number;
  data: Record<string, unknown>;
}

export type TimerHandler = (tx: Ctx, timer: Timer) => Promise<void>;

/** How long a timer whose handler failed waits before it is tried again. */
const RETRY_MS = 30_000;

export async function setTimer(ctx: Ctx, kind: string, subjectId: string, dueAt: number, data: Record<string, unknown> = {}): Promise<void> {
  const json = JSON.stringify(data);
  if (ctx.deferred) {
    ctx.deferred.timers.set(`${kind}\u0000${subjectId}`, { kind, subject_id: subjectId, due_at: dueAt, data: json });
    return;
  }
  await q(ctx)
    .insertInto('timers')
    .values({ kind, subject_id: subjectId, due_at: dueAt, data: json })
    .onConflict((oc) => oc.columns(['kind', 'subject_id']).doUpdateSet({ due_at: dueAt, data: json }))
    .execute();
}

/** Cancels a pending timer; true when there was one. */
export async function cancelTimer(ctx: Ctx, kind: string, subjectId: string): Promise<boolean> {
  const pending = ctx.deferred?.timers.delete(`${kind}\u0000${subjectId}`) ?? false;
  const { numDeletedRows } = await q(ctx).deleteFrom('timers').where('kind', '=', kind).where('subject_id', '=', subjectId).executeTakeFirst();
  return pending || numDeletedRows > 0n;
}

/** Sets many timers in one statement (each replaces any pending timer of its kind and subject). */
export async function setTimers(ctx: Pick<Ctx, 'db' | 'trx'>, rows: { kind: string; subject_id: string; due_at: number; data: string }[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) {
    await q(ctx)
      .insertInto('timers')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['kind', 'subject_id']).doUpdateSet((eb) => ({ due_at: eb.ref('excluded.due_at'), data: eb.ref('excluded.data') })))
      .execute();
  }
}

/**
 * Fires every timer due by the clock, oldest first, each in its own transaction with its handler:
 * the timer row goes in the same commit as what the handler changes, so each fires once. A handler
 * that throws leaves the timer, moved RETRY_MS later. Up to `concurrency` fire at once (on SQLite
 * they share group commits; a thousand escalation steps due together must not queue one fsync
 * each). Returns how many fired.
 */
export async function runDueTimers(ctx: Ctx, handlers: Record<string, TimerHandler>, opts: { limit?: number; logger?: Logger; concurrency?: number } = {}): Promise<number> {
  const now = ctx.clock.now();
  const due = await q(ctx).selectFrom('timers').select(['kind', 'subject_id']).where('due_at', '<=', now).orderBy('due_at').limit(opts.limit ?? 200).execute();
  let fired = 0;
  const fire = async ({ kind, subject_id }: { kind: string; subject_id: string }) => {
    try {
      const ran = await withTransaction(ctx, async (tx) => {
        let select = q(tx).selectFrom('timers').selectAll().where('kind', '=', kind).where('subject_id', '=', subject_id).where('due_at', '<=', now);
        if (tx.db.dialect.name === 'postgres') select = select.forUpdate().skipLocked();
        const row = await select.executeTakeFirst();
        // Another node took it, or it was moved or cancelled since the scan.
        if (!row) return false;
        await q(tx).deleteFrom('timers').where('kind', '=', kind).where('subject_id', '=', subject_id).execute();
        const handler = handlers[kind];
        if (handler) await handler(tx, { ...row, due_at: Number(row.due_at), data: JSON.parse(row.data) as Record<string, unknown> });
        else opts.logger?.warn({ kind, subject_id }, 'timer of unknown kind dropped');
        return true;
      });
      if (ran) fired++;
    } catch (err) {
      opts.logger?.error({ err, kind, subject_id }, 'timer failed; will retry');
      await q(ctx).updateTable('timers').set({ due_at: now + RETRY_MS }).where('kind', '=', kind).where('subject_id', '=', subject_id).execute();
    }
  };
  const width = Math.max(1, opts.concurrency ?? 1);
  for (let i = 0; i < due.length; i += width) await Promise.all(due.slice(i, i + width).map(fire));
  return fired;
}

/** Polls for due timers every `intervalMs` until stopped; one poll at a time. */
export function startTimerLoop(ctx: Ctx, handlers: Record<string, TimerHandler>, opts: { intervalMs?: number; logger: Logger; concurrency?: number; onFired?: () => void }): { stop(): Promise<void> } {
  return repeatEvery(opts.intervalMs ?? 1000, async () => {
    try {
      // A full batch means more are due: keep going rather than wait an interval.
      for (;;) {
        const fired = await runDueTimers(ctx, handlers, { logger: opts.logger, concurrency: opts.concurrency, limit: 200 });
        if (fired > 0) opts.onFired?.();
        if (fired < 200) break;
      }
    } catch (err) {
      opts.logger.error({ err }, 'timer poll failed');
    }
  });
}
