import { createHash, timingSafeEqual } from 'node:crypto';
import type { EventsV2IntegrationConfig, FirebreakConfig, IntegrationConfig } from '../../config/schema.ts';
import type { Actor } from '../context.ts';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/**
 * Configured keys' digests, computed once per key: every request would otherwise hash every
 * configured key again. Keyed by the key itself; it never leaves the process.
 */
const configuredDigests = new Map<string, Buffer>();
function configuredDigest(key: string): Buffer {
  let d = configuredDigests.get(key);
  if (!d) {
    // Bounded: a config reloaded many times with changing keys must not grow this for ever.
    if (configuredDigests.size >= 10_000) configuredDigests.clear();
    d = digest(key);
    configuredDigests.set(key, d);
  }
  return d;
}

/**
 * Whether a presented key is this integration's key. Compares SHA-256 digests (equal length) with
 * timingSafeEqual, so timing reveals nothing about the key.
 */
export function integrationKeyMatches(integration: Pick<IntegrationConfig, 'key'>, presented: string): boolean {
  return timingSafeEqual(configuredDigest(integration.key), digest(presented));
}

/**
 * The Events API v2 integration whose routing key this is, or null (keys of other integration types
 * are not routing keys). Always walks the whole list, so timing reveals neither key nor position.
 */
export function findIntegrationByKey(config: FirebreakConfig, key: string): EventsV2IntegrationConfig | null {
  const wanted = digest(key);
  let found: EventsV2IntegrationConfig | null = null;
  for (const integration of config.integrations) {
    if (timingSafeEqual(configuredDigest(integration.key), wanted) && found === null && integration.type === 'events_v2') found = integration;
  }
  return found;
}

/** The actor an integration's events act as: a responder, named after the integration. */
export const integrationActor = (integration: Pick<IntegrationConfig, 'id'>): Actor => ({
  type: 'integration',
  userId: null,
  name: `integration ${integration.id}`,
  role: 'responder',
});
