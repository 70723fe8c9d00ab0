import { z } from 'zod';
import { SERVICE_TIERS } from './defaults.ts';
import { duration } from './primitives.ts';

/** The plan's kinds of data, each with its recovery point objective. */
export const DATA_CLASSES = ['transactional', 'analytical', 'configuration', 'static'] as const;
export type DataClass = (typeof DATA_CLASSES)[number];

/** The plan's recovery objectives: RTO per service tier, RPO per kind of data (milliseconds). */
export const RECOVERY_DEFAULTS = {
  rto: { p0: 15 * 60_000, p1: 60 * 60_000, p2: 4 * 3_600_000, p3: 24 * 3_600_000 },
  rpo: { transactional: 60_000, analytical: 15 * 60_000, configuration: 3_600_000, static: 24 * 3_600_000 },
} as const;

const byTier = z.strictObject(Object.fromEntries(SERVICE_TIERS.map((t) => [t, duration.optional()])) as Record<(typeof SERVICE_TIERS)[number], ReturnType<typeof duration.optional>>);
const byClass = z.strictObject(Object.fromEntries(DATA_CLASSES.map((c) => [c, duration.optional()])) as Record<DataClass, ReturnType<typeof duration.optional>>);

/**
 * `recovery:` in firebreak.yaml: the organisation's objectives where they differ from the plan's.
 * A service may set its own (`services[].recovery`); drills, backups and replication checks are
 * measured against what applies to it.
 */
export const recoverySchema = z.strictObject({
  rto: byTier.prefault({}),
  rpo: byClass.prefault({}),
  /** What a service's data is when it does not say (the strictest by default). */
  default_data_class: z.enum(DATA_CLASSES).default('transactional'),
});

/** A service's own objectives, when they differ from its tier's and its data class's. */
export const serviceRecoverySchema = z.strictObject({
  rto: duration.optional(),
  rpo: duration.optional(),
  data_class: z.enum(DATA_CLASSES).optional(),
});

export interface RecoveryConfig {
  rto: Record<(typeof SERVICE_TIERS)[number], number>;
  rpo: Record<DataClass, number>;
  default_data_class: DataClass;
}

export function finishRecovery(raw: z.output<typeof recoverySchema>): RecoveryConfig {
  return {
    rto: Object.fromEntries(SERVICE_TIERS.map((t) => [t, raw.rto[t] ?? RECOVERY_DEFAULTS.rto[t]])) as RecoveryConfig['rto'],
    rpo: Object.fromEntries(DATA_CLASSES.map((c) => [c, raw.rpo[c] ?? RECOVERY_DEFAULTS.rpo[c]])) as RecoveryConfig['rpo'],
    default_data_class: raw.default_data_class,
  };
}
