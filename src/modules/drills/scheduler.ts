import type { Logger } from '../../lib/logger.ts';
import { repeatEvery } from '../../lib/repeat.ts';
import type { Ctx } from '../context.ts';
import { systemActor } from '../context.ts';
import { setTimers, type TimerHandler } from '../timers/index.ts';
import { lastDrillStart, timerSubjects } from './repository.ts';
import { startDrill } from './start-drill.ts';
import { settleDrills } from './settle-drills.ts';

export const DRILL_TIMER = 'drills.run';

/**
 * A timer for every drill with `every` that has none yet: due `every` after its newest run, or
 * now when it never ran. Idempotent; run at start and after a config change.
 */
export async function ensureDrillTimers(ctx: Ctx): Promise<void> {
  const scheduled = ctx.config.current.drills.definitions.filter((d) => d.every !== undefined);
  if (!scheduled.length) return;
  const existing = await timerSubjects(ctx, DRILL_TIMER);
  const now = ctx.clock.now();
  const rows = [];
  for (const d of scheduled) {
    if (existing.has(d.id)) continue;
    const last = await lastDrillStart(ctx, d.id);
    rows.push({ kind: DRILL_TIMER, subject_id: d.id, due_at: last !== null ? Math.max(now, last + d.every!) : now, data: '{}' });
  }
  if (rows.length) await setTimers(ctx, rows);
}

/** Starts the drill whose timer fired and sets the next one; a drill no longer scheduled is dropped. */
export const drillTimerHandlers = (): Record<string, TimerHandler> => ({
  [DRILL_TIMER]: async (tx, timer) => {
    const drill = tx.config.current.drills.definitions.find((d) => d.id === timer.subject_id);
    if (!drill?.every) return;
    await startDrill({ ...tx, actor: systemActor(`drill schedule ${drill.id}`) }, drill.id, { trigger: 'scheduled' });
    await setTimers(tx, [{ kind: DRILL_TIMER, subject_id: drill.id, due_at: tx.clock.now() + drill.every, data: '{}' }]);
  },
});

/** Settles finished drill runs every `intervalMs` (measurements, report, action items). */
export function startDrillLoop(ctx: Ctx, logger: Logger, intervalMs = 1000): { stop(): Promise<void> } {
  return repeatEvery(intervalMs, () => settleDrills(ctx, logger).then(() => undefined).catch((err) => logger.error({ err }, 'drill pass failed')));
}
