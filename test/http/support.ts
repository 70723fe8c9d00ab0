import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { TestEnv } from '../helpers/env.ts';
import { SESSION_TTL_MS } from '../../src/modules/auth/index.ts';
import { hashSecret } from '../../src/modules/auth/secrets.ts';

/** Tables a rejected request must never write to. */
export const GUARDED_TABLES = ['incidents', 'incident_timeline', 'audit_log', 'outbox', 'users', 'api_tokens', 'sessions'] as const;
export type GuardedTable = (typeof GUARDED_TABLES)[number];

/** Row counts of every guarded table, to prove a rejected request stored nothing. */
export async function rowCounts(env: TestEnv): Promise<Record<GuardedTable, number>> {
  const out = {} as Record<GuardedTable, number>;
  for (const table of GUARDED_TABLES) {
    const row = await env.db.kysely
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    out[table] = Number(row.n);
  }
  return out;
}

/**
 * A session cookie for a user without going through login (scrypt costs ~100 ms a try), written
 * exactly as login writes it, so tests can afford a fresh session per request.
 */
export async function mintSessionCookie(env: TestEnv, userId: string): Promise<Record<string, string>> {
  const secret = randomBytes(32).toString('base64url');
  const now = env.clock.now();
  await env.db.kysely
    .insertInto('sessions')
    .values({ id_hash: hashSecret(secret), user_id: userId, created_at: now, expires_at: now + SESSION_TTL_MS, last_seen_at: now })
    .execute();
  return { cookie: `firebreak_session=${secret}` };
}

/** Asserts the `{ error: { code, message, details } }` shape and the code; returns the error. */
export function assertError(res: LightMyRequestResponse, status: number, code: string): { code: string; message: string; details: Record<string, unknown> } {
  assert.equal(res.statusCode, status, `expected ${status} ${code}, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json();
  assert.equal(typeof body.error, 'object', res.body);
  assert.equal(body.error.code, code, res.body);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0, 'empty error message');
  assert.equal(typeof body.error.details, 'object');
  assert.notEqual(body.error.details, null);
  return body.error;
}

/** Replaces `:name` segments of a route URL. */
export function fillUrl(url: string, params: Record<string, string>): string {
  return url.replace(/:(\w+)/g, (_, name: string) => {
    const value = params[name];
    assert.ok(value !== undefined, `no value for :${name} in ${url}`);
    return encodeURIComponent(value);
  });
}

export const paramNames = (url: string) => (url.match(/:(\w+)/g) ?? []).map((p) => p.slice(1));
