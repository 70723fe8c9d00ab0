import { z } from 'zod';
import { parseDuration } from '../lib/duration.ts';

/** A duration written as "90s", "2m", "1h"; parsed to milliseconds. */
export const duration = z.string().transform((text, ctx) => {
  const ms = parseDuration(text);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `invalid duration "${text}" (write e.g. 90s, 2m, 1h, 1d)` });
    return z.NEVER;
  }
  return ms;
});

/** Ids of services, integrations, monitors: lower-case slugs. */
export const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lower-case letters, digits, "-" or "_" (max 63), starting with a letter or digit');
