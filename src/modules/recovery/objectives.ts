import type { DataClass } from '../../config/recovery-schema.ts';
import type { FirebreakConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';

/** What a service must recover within, and where each figure comes from. */
export interface ServiceObjectives {
  service: string;
  tier: string;
  data_class: DataClass;
  rto_ms: number;
  rpo_ms: number;
  /** `service` when the service sets it, else `tier` (RTO) or `data_class` (RPO). */
  rto_source: 'service' | 'tier';
  rpo_source: 'service' | 'data_class';
}

/**
 * The recovery objectives that apply to a service: its own where it sets them, else its tier's
 * RTO and its data class's RPO (the organisation's `recovery:` section over the plan's defaults).
 * What drills, backups of the user's systems and replication checks are measured against.
 */
export function serviceObjectives(config: FirebreakConfig, serviceId: string): ServiceObjectives {
  const service = config.services.find((s) => s.id === serviceId);
  if (!service) throw notFound('service', serviceId);
  const own = service.recovery ?? {};
  const dataClass = own.data_class ?? config.recovery.default_data_class;
  return {
    service: service.id,
    tier: service.tier,
    data_class: dataClass,
    rto_ms: own.rto ?? config.recovery.rto[service.tier],
    rpo_ms: own.rpo ?? config.recovery.rpo[dataClass],
    rto_source: own.rto !== undefined ? 'service' : 'tier',
    rpo_source: own.rpo !== undefined ? 'service' : 'data_class',
  };
}

/** Every service's objectives, in config order (viewer and up). */
export function listObjectives(ctx: Ctx): ServiceObjectives[] {
  requireRole(ctx, 'viewer');
  return ctx.config.current.services.map((s) => serviceObjectives(ctx.config.current, s.id));
}
