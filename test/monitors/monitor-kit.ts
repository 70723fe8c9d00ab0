import { readFileSync } from 'node:fs';
import { parse, stringify } from 'yaml';
import { EXAMPLE_CONFIG_PATH, parseConfigText } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';
import type { ProbeResult } from '../../src/modules/monitors/probes/types.ts';

/** The example organisation with these monitors (and monitoring settings) added, validated as a file would be. */
export function configWithMonitors(monitors: Record<string, unknown>[], monitoring: Record<string, unknown> = {}): FirebreakConfig {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  doc.monitors = monitors;
  doc.monitoring = monitoring;
  const result = parseConfigText(stringify(doc), {});
  if (!result.ok) throw new Error(`config invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

/** The issues a config with these monitors has (empty when valid). */
export function monitorConfigIssues(monitors: unknown[], extra: Record<string, unknown> = {}) {
  const doc = parse(readFileSync(EXAMPLE_CONFIG_PATH, 'utf8')) as Record<string, unknown>;
  Object.assign(doc, { monitors }, extra);
  const result = parseConfigText(stringify(doc), {});
  return result.ok ? [] : result.issues;
}

export const up = (durationMs = 12): ProbeResult => ({ status: 'up', durationMs, reason: null, message: null, httpStatus: 200 });
export const down = (reason: ProbeResult['reason'] = 'refused', message = 'connection refused'): ProbeResult => ({ status: 'down', durationMs: 3, reason, message });
export const degraded = (durationMs = 2500): ProbeResult => ({ status: 'degraded', durationMs, reason: 'slow', message: `took ${durationMs} ms`, httpStatus: 200 });

/** A small deterministic PRNG (mulberry32), so every run sees the same data. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
