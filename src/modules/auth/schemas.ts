import { z } from 'zod';
import { isTimeZone } from '../../config/schema.ts';
import { ROLES } from '../context.ts';
import { PASSWORD_RULES } from './passwords.ts';

export const handleSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'handle must be 2-32 lower-case letters, digits, ".", "_" or "-"');
export const passwordSchema = z.string().min(PASSWORD_RULES.min, `password must be at least ${PASSWORD_RULES.min} characters`).max(PASSWORD_RULES.max);
const timeZone = z.string().max(64).refine(isTimeZone, 'unknown IANA time zone');

export const createUserInput = z.strictObject({
  handle: handleSchema,
  name: z.string().min(1).max(200),
  email: z.email().max(320),
  time_zone: timeZone.default('UTC'),
  role: z.enum(ROLES).default('responder'),
  password: passwordSchema.optional(),
});

export const updateUserInput = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  email: z.email().max(320).optional(),
  time_zone: timeZone.optional(),
  role: z.enum(ROLES).optional(),
  disabled: z.boolean().optional(),
});

export const updateMeInput = updateUserInput.pick({ name: true, email: true, time_zone: true });

export const changePasswordInput = z.strictObject({ current_password: z.string().max(PASSWORD_RULES.max), new_password: passwordSchema });

export const loginInput = z.strictObject({ handle: z.string().min(1).max(64), password: z.string().min(1).max(PASSWORD_RULES.max) });

export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export const createTokenInput = z.strictObject({
  name: z.string().min(1).max(100),
  scopes: z.array(z.enum(TOKEN_SCOPES)).min(1).default(['read', 'write']),
  /** Handle of the user the token acts as; defaults to the caller. */
  user: handleSchema.optional(),
  expires_in_days: z.number().int().min(1).max(3650).optional(),
});

export const userView = z.object({
  id: z.string(),
  handle: z.string(),
  name: z.string(),
  email: z.string(),
  time_zone: z.string(),
  role: z.enum(ROLES),
  disabled: z.boolean(),
  must_change_password: z.boolean(),
  created_at: z.string(),
});
export type UserView = z.infer<typeof userView>;

export const tokenView = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(TOKEN_SCOPES)),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  last_used_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});
export type TokenView = z.infer<typeof tokenView>;
