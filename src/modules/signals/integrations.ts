import { createHash, timingSafeEqual } from 'node:crypto';
import type { FirebreakConfig, IntegrationConfig } from '../../config/schema.ts';
import type { Actor } from '../context.ts';

const digest = (key: string) => createHash('sha256').update(key, 'utf8').digest();

/**
 * The integration whose key this is, or null. Compares SHA-256 digests (equal length) with
 * timingSafeEqual and always walks the whole list, so timing reveals neither key nor position.
 */
export function findIntegrationByKey(config: FirebreakConfig, key: string): IntegrationConfig | null {
  const wanted = digest(key);
  let found: IntegrationConfig | null = null;
  for (const integration of config.integrations) {
    if (timingSafeEqual(digest(integration.key), wanted) && found === null) found = integration;
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
