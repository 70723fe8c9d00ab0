import { z } from 'zod';
import * as auth from '../../modules/auth/index.ts';
import { SESSION_COOKIE } from '../authenticate.ts';
import { defineRoute, type RouteDef } from '../route.ts';
import type { AppDeps } from '../build-app.ts';

export function authRoutes(deps: AppDeps, limiters: auth.LoginLimiters): RouteDef[] {
  const secure = () => deps.config.current.organisation.public_url.startsWith('https:');
  return [
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/login',
      access: 'public',
      tag: 'auth',
      summary: 'Sign in with handle and password; sets an HttpOnly session cookie',
      body: auth.loginInput,
      response: { schema: z.object({ user: auth.userView, expires_at: z.string(), password_change_required: z.boolean() }) },
      handler: async ({ ctx, body, req, reply }) => {
        const { sessionSecret, user, expiresAt } = await auth.login(ctx, body as never, { address: req.ip, limiters });
        reply.setCookie(SESSION_COOKIE, sessionSecret, { httpOnly: true, sameSite: 'strict', secure: secure(), path: '/', maxAge: auth.SESSION_TTL_MS / 1000 });
        return { user, expires_at: new Date(expiresAt).toISOString(), password_change_required: user.must_change_password };
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/auth/logout',
      access: 'viewer',
      tag: 'auth',
      summary: 'End this session',
      response: { status: 204 },
      handler: async ({ ctx, req, reply }) => {
        const cookie = req.cookies[SESSION_COOKIE];
        if (cookie) await auth.logout(ctx, cookie);
        reply.clearCookie(SESSION_COOKIE, { path: '/' }).status(204);
        return null;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/me',
      access: 'viewer',
      tag: 'auth',
      summary: 'The signed-in user',
      response: { schema: auth.userView },
      handler: ({ ctx }) => auth.getMe(ctx),
    }),
    defineRoute({
      method: 'PATCH',
      url: '/api/v1/me',
      access: 'viewer',
      tag: 'auth',
      summary: 'Change your name, email or time zone',
      body: auth.updateMeInput,
      response: { schema: auth.userView },
      handler: ({ ctx, body }) => auth.updateMe(ctx, body as never),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/me/password',
      access: 'viewer',
      tag: 'auth',
      summary: 'Change your password',
      body: auth.changePasswordInput,
      response: { status: 204 },
      handler: async ({ ctx, body, req, reply }) => {
        await auth.changePassword(ctx, body as never, { keepSessionSecret: req.cookies[SESSION_COOKIE] });
        reply.status(204);
        return null;
      },
    }),
  ];
}
