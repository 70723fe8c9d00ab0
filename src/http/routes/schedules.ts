import type { FastifyReply } from 'fastify';
import * as oncall from '../../modules/oncall/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const ICS_TYPE = 'text/calendar; charset=utf-8';

/** Sends an iCalendar body; a feed is personal, so shared caches keep none of it. */
function calendar(reply: FastifyReply, body: string, filename: string): string {
  reply.type(ICS_TYPE);
  reply.header('content-disposition', `inline; filename="${filename.replace(/[^A-Za-z0-9._-]/g, '_')}.ics"`);
  reply.header('cache-control', 'private, max-age=300');
  return body;
}

const ics = { description: 'An iCalendar (RFC 5545) feed, text/calendar' };

/** On-call schedules: who is on call, overrides and swaps, calendar feeds. */
export function scheduleRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules',
      access: 'viewer',
      tag: 'schedules',
      summary: 'Every schedule with its layers, who is on call now (since, until, why) and who is next',
      response: { schema: oncall.scheduleListView },
      handler: ({ ctx }) => oncall.listSchedules(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id',
      access: 'viewer',
      tag: 'schedules',
      summary: 'One schedule: layers, who is on call now and who is next',
      params: oncall.scheduleIdParams,
      response: { schema: oncall.scheduleView },
      handler: ({ ctx, params }) => oncall.getSchedule(ctx, params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/on-call',
      access: 'viewer',
      tag: 'schedules',
      summary: 'Who is on call at a time (`at`, default now), with the whole shift around it',
      params: oncall.scheduleIdParams,
      query: oncall.atQuery,
      response: { schema: oncall.scheduleOnCallView },
      handler: ({ ctx, params, query }) => oncall.scheduleOnCall(ctx, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/shifts',
      access: 'viewer',
      tag: 'schedules',
      summary: 'The final shifts over [from, to) (at most 92 days; default a week from now); each layer\'s own with layers=true',
      params: oncall.scheduleIdParams,
      query: oncall.shiftsQuery,
      response: { schema: oncall.shiftsView },
      handler: ({ ctx, params, query }) => oncall.scheduleShifts(ctx, params.id, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/on-call',
      access: 'viewer',
      tag: 'schedules',
      summary: 'Who is on call now for every schedule, and which schedules each person on call is on call for',
      response: { schema: oncall.everyoneOnCallView },
      handler: ({ ctx }) => oncall.everyoneOnCall(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/overrides',
      access: 'viewer',
      tag: 'schedules',
      summary: "A schedule's overrides touching [from, to) (default the next 92 days), by start; include_cancelled=true for the history",
      params: oncall.scheduleIdParams,
      query: oncall.overridesQuery,
      response: { schema: oncall.overrideListView },
      handler: ({ ctx, params, query }) => oncall.listOverrides(ctx, params.id, query),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/schedules/:id/overrides',
      access: 'responder',
      tag: 'schedules',
      summary: 'Put a user on call for [start, end) over the rotation (only where `replaces` would be, when given); a reason says why',
      params: oncall.scheduleIdParams,
      body: oncall.createOverrideInput,
      response: { status: 201, schema: oncall.overrideView },
      handler: async ({ ctx, params, body, reply }) => {
        const view = await oncall.createOverride(ctx, params.id, body);
        reply.status(201);
        return view;
      },
    }),
    defineRoute({
      method: 'DELETE',
      url: '/api/v1/schedules/:id/overrides/:overrideId',
      access: 'responder',
      tag: 'schedules',
      summary: 'Cancel an override (kept in the history with who cancelled it); idempotent',
      params: oncall.overrideParams,
      response: { status: 204 },
      handler: async ({ ctx, params, reply }) => {
        await oncall.cancelOverride(ctx, params.id, params.overrideId);
        reply.status(204);
        return null;
      },
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/schedules/:id/swaps',
      access: 'responder',
      tag: 'schedules',
      summary: "Swap shifts: user_b covers user_a's a_shift and, with b_shift, user_a covers user_b's; one transaction",
      params: oncall.scheduleIdParams,
      body: oncall.swapInput,
      response: { status: 201, schema: oncall.swapView },
      handler: async ({ ctx, params, body, reply }) => {
        const view = await oncall.swapShifts(ctx, params.id, body);
        reply.status(201);
        return view;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:handle/on-call',
      access: 'viewer',
      tag: 'schedules',
      summary: "A person's shifts across every schedule over [from, to) (at most 92 days; default a week from now)",
      params: oncall.userHandleParams,
      query: oncall.rangeQuery,
      response: { schema: oncall.userShiftsView },
      handler: ({ ctx, params, query }) => oncall.userShifts(ctx, params.handle, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/calendar.ics',
      access: 'viewer',
      tag: 'schedules',
      summary: "A schedule's shifts as iCalendar, a week back to 90 days ahead",
      params: oncall.scheduleIdParams,
      response: ics,
      handler: async ({ ctx, params, reply }) => calendar(reply, await oncall.scheduleCalendar(ctx, params.id), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:handle/calendar.ics',
      access: 'viewer',
      tag: 'schedules',
      summary: "A person's shifts across schedules as iCalendar, a week back to 90 days ahead",
      params: oncall.userHandleParams,
      response: ics,
      handler: async ({ ctx, params, reply }) => calendar(reply, await oncall.userCalendar(ctx, params.handle), params.handle),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/schedules/:id/calendar-feed',
      access: 'viewer',
      tag: 'schedules',
      summary: "The secret URL of a schedule's calendar feed, for calendar apps (which cannot sign in)",
      params: oncall.scheduleIdParams,
      response: { schema: oncall.feedUrlView },
      handler: ({ ctx, params }) => oncall.calendarFeedUrl(ctx, { type: 'schedule', id: params.id }),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/users/:handle/calendar-feed',
      access: 'viewer',
      tag: 'schedules',
      summary: "The secret URL of a person's calendar feed, for calendar apps (which cannot sign in)",
      params: oncall.userHandleParams,
      response: { schema: oncall.feedUrlView },
      handler: ({ ctx, params }) => oncall.calendarFeedUrl(ctx, { type: 'user', handle: params.handle }),
    }),
    defineRoute({
      method: 'GET',
      url: '/ical/schedules/:id.ics',
      access: 'public',
      tag: 'schedules',
      summary: "A schedule's calendar feed by its secret URL (from /calendar-feed); a wrong or missing token is 404",
      params: oncall.scheduleIdParams,
      query: oncall.feedQuery,
      response: ics,
      handler: async ({ ctx, params, query, reply }) => calendar(reply, await oncall.publicScheduleCalendar(ctx, params.id, query.token), params.id),
    }),
    defineRoute({
      method: 'GET',
      url: '/ical/users/:handle.ics',
      access: 'public',
      tag: 'schedules',
      summary: "A person's calendar feed by its secret URL (from /calendar-feed); a wrong or missing token is 404",
      params: oncall.userHandleParams,
      query: oncall.feedQuery,
      response: ics,
      handler: async ({ ctx, params, query, reply }) => calendar(reply, await oncall.publicUserCalendar(ctx, params.handle, query.token), params.handle),
    }),
  ];
}
