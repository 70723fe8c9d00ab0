import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { Ctx, Role } from '../modules/context.ts';

/** Who may call a route: nobody needs to sign in (`public`), or at least this role. */
export type Access = 'public' | Role;

export interface RouteInput<P, Q> {
  ctx: Ctx;
  params: P;
  query: Q;
  /** The raw JSON body; verbs validate it themselves, so the same checks apply to CLI and jobs. */
  body: unknown;
  req: FastifyRequest;
  reply: FastifyReply;
}

/** One HTTP route: transport details, access level, schemas for docs, and a thin handler. */
export interface RouteDef<P = any, Q = any> {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  url: string;
  access: Access;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** Documented request body (validated by the verb). */
  body?: z.ZodType;
  /** A body limit of its own, in bytes, instead of the app's BODY_LIMIT. */
  bodyLimit?: number;
  /** Documented success response. */
  response?: { status?: number; schema?: z.ZodType; description?: string };
  handler(input: RouteInput<P, Q>): Promise<unknown>;
}

/** Type helper so handlers see their parsed params and query. */
export const defineRoute = <P = Record<string, never>, Q = Record<string, never>>(def: RouteDef<P, Q>): RouteDef<P, Q> => def;
