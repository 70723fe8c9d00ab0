import { z } from 'zod';
import * as auth from '../../modules/auth/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const handleParams = z.object({ handle: z.string().max(64) });
const idParams = z.object({ id: z.string().max(64) });

export function userRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/users',
      access: 'viewer',
      tag: 'users',
      summary: 'List users',
      response: { schema: z.object({ data: z.array(auth.userView) }) },
      handler: async ({ ctx }) => ({ data: await auth.listUsers(ctx) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users',
      access: 'admin',
      tag: 'users',
      summary: 'Create a user; without a password one is generated and returned once',
      body: auth.createUserInput,
      response: { status: 201, schema: z.object({ user: auth.userView, generated_password: z.string().nullable() }) },
      handler: async ({ ctx, body, reply }) => {
        const { user, generatedPassword } = await auth.createUser(ctx, body as never);
        reply.status(201);
        return { user, generated_password: generatedPassword };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:handle',
      access: 'viewer',
      tag: 'users',
      summary: 'One user',
      params: handleParams,
      response: { schema: auth.userView },
      handler: ({ ctx, params }) => auth.getUser(ctx, params.handle),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/users/:handle',
      access: 'admin',
      tag: 'users',
      summary: 'Change a user: name, email, time zone, role, disabled',
      params: handleParams,
      body: auth.updateUserInput,
      response: { schema: auth.userView },
      handler: ({ ctx, params, body }) => auth.updateUser(ctx, params.handle, body as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/users/:handle/reset-password',
      access: 'admin',
      tag: 'users',
      summary: 'Give a user a new one-time password (shown once; changed at first sign-in) and sign them out everywhere',
      params: handleParams,
      response: { schema: z.object({ user: auth.userView, generated_password: z.string() }) },
      handler: async ({ ctx, params }) => {
        const { user, generatedPassword } = await auth.resetPassword(ctx, params.handle);
        return { user, generated_password: generatedPassword };
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/tokens',
      access: 'admin',
      tag: 'tokens',
      summary: 'List API tokens (never their secrets)',
      response: { schema: z.object({ data: z.array(auth.tokenView) }) },
      handler: async ({ ctx }) => ({ data: await auth.listTokens(ctx) }),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/tokens',
      access: 'admin',
      tag: 'tokens',
      summary: 'Create an API token; the secret is in this response only',
      body: auth.createTokenInput,
      response: { status: 201, schema: auth.tokenView.extend({ token: z.string() }) },
      handler: async ({ ctx, body, reply }) => {
        const { token, view } = await auth.createToken(ctx, body as never);
        reply.status(201);
        return { ...view, token };
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/tokens/:id',
      access: 'admin',
      tag: 'tokens',
      summary: 'Revoke an API token',
      params: idParams,
      response: { status: 204 },
      handler: async ({ ctx, params, reply }) => {
        await auth.revokeToken(ctx, params.id);
        reply.status(204);
        return null;
      },
    }),
  ];
}
