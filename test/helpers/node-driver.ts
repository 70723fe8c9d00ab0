import { incidentReactors, incidentTimerHandlers } from '../../src/background.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createEngine, OncallWorker, type EngineDeps, type IncidentReactor } from '../../src/modules/oncall/index.ts';
import { runDueTimers, type TimerHandler } from '../../src/modules/timers/index.ts';
import type { TestEnv } from './env.ts';

/**
 * Drives a node's background work by hand on the test's manual clock: reactions to incident events
 * (escalation plus `reactors`) and due timers, until nothing is left. By default everything the
 * server runs (src/background.ts); a suite may narrow it to the parts it is about.
 */
export async function nodeDriver(env: TestEnv, opts: { reactors?: IncidentReactor[]; handlers?: (engine: EngineDeps) => Record<string, TimerHandler> } = {}) {
  const engine = await createEngine({ db: env.db, clock: env.clock }, 'test-node');
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const worker = new OncallWorker({ db: env.db, config: env.config, clock: env.clock, logger }, engine, { reactors: opts.reactors ?? incidentReactors });
  const handlers = (opts.handlers ?? incidentTimerHandlers)(engine);
  return {
    /** Reactions, then timers due now, until nothing is left (at most 20 rounds). */
    async settle(): Promise<void> {
      for (let i = 0; i < 20; i++) {
        const reacted = await worker.runOnce();
        const fired = await runDueTimers(env.ctx(), handlers, { logger });
        if (!reacted && !fired) return;
      }
    },
  };
}
