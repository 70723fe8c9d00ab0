import { z } from 'zod';
import * as incidents from '../../modules/incidents/index.ts';
import { testChannel } from '../../modules/notifications/index.ts';
import * as oncall from '../../modules/oncall/index.ts';
import { defineRoute, type RouteDef } from '../route.ts';

const ref = z.object({ ref: z.string().min(1).max(64) });

/** An incident's escalation and notifications: view, escalate by hand, reassign, re-bind; stakeholder updates; channels. */
export function escalationRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'GET',
      url: '/api/v1/incidents/:ref/escalation',
      access: 'viewer',
      tag: 'escalation',
      summary: "The incident's escalation: bound policy, state, every step (with lateness) and every message with its delivery attempts",
      params: ref,
      handler: ({ ctx, params }) => oncall.getEscalation(ctx, params.ref),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/escalate',
      access: 'responder',
      tag: 'escalation',
      summary: 'Escalate by hand: page the next level of the policy now (acknowledged or not)',
      params: ref,
      body: oncall.escalateInput,
      handler: async ({ ctx, params, body }) => oncall.escalateNow(ctx, await oncall.requestEngine(ctx), params.ref, body as z.input<typeof oncall.escalateInput>),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/reassign',
      access: 'responder',
      tag: 'escalation',
      summary: 'Reassign to a user or a schedule: they are paged now and automatic escalation stops',
      params: ref,
      body: oncall.reassignInput,
      handler: async ({ ctx, params, body }) => oncall.reassignIncident(ctx, await oncall.requestEngine(ctx), params.ref, body as z.input<typeof oncall.reassignInput>),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/escalation/rebind',
      access: 'responder',
      tag: 'escalation',
      summary: "Re-bind an open incident to its services' current escalation policy",
      params: ref,
      handler: ({ ctx, params }) => oncall.rebindEscalation(ctx, params.ref),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/incidents/:ref/updates',
      access: 'responder',
      tag: 'escalation',
      summary: 'Post a stakeholder update: sent to the stakeholder groups told about the incident; restarts the update-cadence reminder',
      params: ref,
      body: incidents.stakeholderUpdateInput,
      response: { status: 201 },
      handler: async ({ ctx, params, body, reply }) => {
        const entry = await incidents.postStakeholderUpdate(ctx, params.ref, body as z.input<typeof incidents.stakeholderUpdateInput>);
        reply.status(201);
        return entry;
      },
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/notifications',
      access: 'viewer',
      tag: 'escalation',
      summary: 'Notifications, newest first, by status (pending, sent, failed, gave_up, cancelled) or incident',
      query: oncall.listNotificationsQuery,
      handler: ({ ctx, query }) => oncall.listNotifications(ctx, query),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/escalation-policies',
      access: 'viewer',
      tag: 'escalation',
      summary: 'Escalation policies with their levels and the services bound to each',
      handler: async ({ ctx }) => oncall.listEscalationPolicies(ctx),
    }),
    defineRoute({
      method: 'GET',
      url: '/api/v1/channels',
      access: 'viewer',
      tag: 'escalation',
      summary: 'Notification channels (without their URLs, keys or tokens)',
      handler: async ({ ctx }) => oncall.listChannels(ctx),
    }),
    defineRoute({
      method: 'POST',
      url: '/api/v1/channels/:id/test',
      access: 'admin',
      tag: 'escalation',
      summary: 'Send a test message to a channel through the outbox; its attempts show in GET /api/v1/notifications',
      params: z.object({ id: z.string().min(1).max(64) }),
      response: { status: 202 },
      handler: async ({ ctx, params, reply }) => {
        const result = await testChannel(ctx, params.id);
        reply.status(202);
        return result;
      },
    }),
  ];
}
