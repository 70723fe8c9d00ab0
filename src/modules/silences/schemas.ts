import { z } from 'zod';
import { MATCHER_OPS, REGEX_MAX } from './matchers.ts';

/** At most this many matchers in one silence. */
export const MATCHERS_MAX = 20;
/** A silence ends at most this long after it is made. */
export const SILENCE_MAX_MS = 90 * 86_400_000;

export const matcherInput = z.strictObject({
  name: z.string().min(1).max(100).regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a label name ([a-zA-Z_][a-zA-Z0-9_]*)'),
  op: z.enum(MATCHER_OPS),
  value: z.string().max(REGEX_MAX),
});

/** What a person sends: matchers, when it ends (a time or a duration), optionally when it starts, and why. */
export const createSilenceInput = z.strictObject({
  matchers: z.array(matcherInput).min(1).max(MATCHERS_MAX),
  starts_at: z.string().max(64).optional(),
  ends_at: z.string().max(64).optional(),
  duration: z.string().max(32).optional(),
  comment: z.string().min(1).max(1000).refine((s) => s.trim() !== '', 'must not be blank'),
});
export type CreateSilenceInput = z.output<typeof createSilenceInput>;

export const SILENCE_STATES = ['active', 'pending', 'expired'] as const;
export const listSilencesQuery = z.strictObject({
  state: z.enum(SILENCE_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(200),
});
export type ListSilencesQuery = z.output<typeof listSilencesQuery>;

export const silenceView = z.object({
  id: z.string(),
  matchers: z.array(z.object({ name: z.string(), op: z.enum(MATCHER_OPS), value: z.string() })),
  state: z.enum(SILENCE_STATES),
  starts_at: z.string(),
  ends_at: z.string(),
  created_by: z.string(),
  comment: z.string(),
  created_at: z.string(),
  expired_at: z.string().nullable(),
});
export type SilenceView = z.output<typeof silenceView>;
