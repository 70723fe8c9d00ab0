import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { createEngine, OncallWorker, oncallTimerHandlers } from '../../src/modules/oncall/index.ts';
import { maintenanceTimerHandlers, statusPageReactor, statusPageTimerHandlers } from '../../src/modules/statuspage/index.ts';
import { pipelineTimerHandlers } from '../../src/modules/signals/pipeline-timers.ts';
import { runDueTimers } from '../../src/modules/timers/index.ts';
import type { TestEnv } from '../helpers/env.ts';

/** The example config with a patch applied to its YAML document (the status page section, say). */
export function patchedConfig(patch: (doc: Record<string, any>) => void): FirebreakConfig {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, any>;
  patch(doc);
  const result = parseConfigText(stringify(doc), {});
  if (!result.ok) throw new Error(`config invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/**
 * Drives what a node does in the background, by hand, on the test's manual clock: incident
 * reactions (the status page's auto-post share of them), due timers, and the page's refresh.
 */
export async function statusDriver(env: TestEnv) {
  const engine = await createEngine({ db: env.db, clock: env.clock }, 'test-node');
  const logger = createLogger({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const worker = new OncallWorker({ db: env.db, config: env.config, clock: env.clock, logger }, engine, { reactors: [statusPageReactor] });
  const handlers = { ...pipelineTimerHandlers, ...oncallTimerHandlers(engine), ...statusPageTimerHandlers, ...maintenanceTimerHandlers };
  return {
    /** Reactions, then timers due now, until nothing is left. */
    async settle(): Promise<void> {
      for (let i = 0; i < 10; i++) {
        const reacted = await worker.runOnce();
        const fired = await runDueTimers(env.ctx(), handlers, { logger });
        if (!reacted && !fired) return;
      }
    },
  };
}

