import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import { oncallTimerHandlers } from '../../src/modules/oncall/index.ts';
import { maintenanceTimerHandlers, statusPageReactor, statusPageTimerHandlers } from '../../src/modules/statuspage/index.ts';
import { pipelineTimerHandlers } from '../../src/modules/signals/pipeline-timers.ts';
import type { TestEnv } from '../helpers/env.ts';
import { nodeDriver } from '../helpers/node-driver.ts';

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
export const statusDriver = (env: TestEnv) =>
  nodeDriver(env, { reactors: [statusPageReactor], handlers: (engine) => ({ ...pipelineTimerHandlers, ...oncallTimerHandlers(engine), ...statusPageTimerHandlers, ...maintenanceTimerHandlers }) });
