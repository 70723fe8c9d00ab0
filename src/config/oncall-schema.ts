import { z } from 'zod';
import { parseLocalDate } from '../lib/zoned-time.ts';
import { duration, slug } from './primitives.ts';

/**
 * Who gets paged and how, declared in firebreak.yaml: the people Firebreak pages (with their
 * contact methods and how they want to be reached per urgency), notification channels, stakeholder
 * groups, on-call schedules (layers of rotations in an IANA time zone) and escalation policies.
 * Everything refers to everything else by id; `crossCheckOncall` reports dangling references.
 */

/** A user handle, as the users API accepts it. */
export const handle = z.string().regex(/^[a-z0-9][a-z0-9._-]{1,31}$/, 'must be a user handle: 2-32 lower-case letters, digits, ".", "_" or "-"');
const httpsUrl = z.url({ protocol: /^https?$/ }).max(2000);
/** "09:00"; "24:00" only where an end of day is meant. */
const wallClock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day "HH:MM" (00:00-23:59)');
const wallClockEnd = z.string().regex(/^(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must be a time of day "HH:MM" (00:00-24:00)');
const localDate = z.string().refine((s) => parseLocalDate(s) !== null, 'must be a date "YYYY-MM-DD"');

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

// ---------------------------------------------------------------------------------------------
// Providers: how one message reaches one destination. Shared by channels and contact methods.

const slackSettings = { type: z.literal('slack'), /** Incoming webhook URL: a credential. */ url: httpsUrl };
const teamsSettings = { type: z.literal('teams'), /** Workflow (Power Automate) webhook URL: a credential. */ url: httpsUrl };
const discordSettings = { type: z.literal('discord'), /** Discord webhook URL: a credential. */ url: httpsUrl };
const webhookSettings = {
  type: z.literal('webhook'),
  url: httpsUrl,
  /** Signs every body (HMAC-SHA256); at least 16 characters. A credential. */
  secret: z.string().min(16).max(256).optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name'), z.string().max(2000)).optional(),
};
const ntfySettings = {
  type: z.literal('ntfy'),
  /** The ntfy server. */
  url: httpsUrl.default('https://ntfy.sh'),
  topic: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be an ntfy topic (letters, digits, "_", "-")'),
  /** Access token for a protected topic: a credential. */
  token: z.string().min(1).max(256).optional(),
};
const pagerdutySettings = {
  type: z.literal('pagerduty'),
  /** The Events API v2 integration (routing) key: a credential. */
  routing_key: z.string().regex(/^[A-Za-z0-9]{32}$/, 'must be a 32-character Events API v2 routing key'),
  url: httpsUrl.default('https://events.pagerduty.com/v2/enqueue'),
};
const emailAddress = z.email().max(320);

export const PROVIDER_TYPES = ['slack', 'teams', 'discord', 'email', 'webhook', 'ntfy', 'pagerduty'] as const;
export type ProviderType = (typeof PROVIDER_TYPES)[number];

/** Sending limits of one destination. */
const channelLimits = {
  /** Messages per minute this destination accepts; more wait (they are not dropped). */
  rate_limit: z.strictObject({ per_minute: z.number().int().min(1).max(100_000).default(60) }).optional(),
  /** Stop retrying a message this long after it was due (queued, or its delay passed), and raise an internal alert. */
  give_up_after: duration.refine((ms) => ms >= 10_000, 'must be at least 10s').optional(),
};

const channelSchema = z.discriminatedUnion('type', [
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...slackSettings }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...teamsSettings }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...discordSettings }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, type: z.literal('email'), to: z.array(emailAddress).min(1).max(100) }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...webhookSettings }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...ntfySettings }),
  z.strictObject({ id: slug, name: z.string().min(1).max(200).optional(), ...channelLimits, ...pagerdutySettings }),
]);

const contactMethodSchema = z.discriminatedUnion('type', [
  z.strictObject({ id: slug, ...slackSettings }),
  z.strictObject({ id: slug, ...teamsSettings }),
  z.strictObject({ id: slug, ...discordSettings }),
  /** Without an address: the user's own email. */
  z.strictObject({ id: slug, type: z.literal('email'), address: emailAddress.optional() }),
  z.strictObject({ id: slug, ...webhookSettings }),
  z.strictObject({ id: slug, ...ntfySettings }),
  z.strictObject({ id: slug, ...pagerdutySettings }),
]);

/** A contact method id, or one with a delay after the page ("call me if I have not answered in 5 minutes"). */
const notificationRule = z.union([slug.transform((method) => ({ method, after: 0 })), z.strictObject({ method: slug, after: duration.default(0) })]);

export const URGENCIES = ['high', 'low'] as const;
export type Urgency = (typeof URGENCIES)[number];

const userSchema = z.strictObject({
  handle,
  name: z.string().min(1).max(200),
  email: emailAddress,
  /** Where their shifts are shown; the organisation's zone when absent. */
  time_zone: z.string().optional(),
  /** The role the user gets when Firebreak creates them (an existing user keeps theirs). */
  role: z.enum(['viewer', 'responder', 'admin']).default('responder'),
  contact_methods: z.array(contactMethodSchema).max(20).default([]),
  /** Per urgency, the contact methods used; absent: every method at once (email when none); [] : not reached at that urgency. */
  notification_rules: z.strictObject({ high: z.array(notificationRule).max(20).optional(), low: z.array(notificationRule).max(20).optional() }).default({}),
});

const stakeholderGroupSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200),
  members: z.array(handle).max(500).default([]),
  channels: z.array(slug).max(50).default([]),
});

// ---------------------------------------------------------------------------------------------
// Schedules

const rotationSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('daily'), handoff: wallClock.default('09:00') }),
  z.strictObject({ type: z.literal('weekly'), handoff: wallClock.default('09:00') }),
  /** Shifts of any whole number of minutes (12h, 3d), counted in wall-clock time from the start. */
  z.strictObject({ type: z.literal('custom'), handoff: wallClock.default('09:00'), length: duration.refine((ms) => ms >= 60_000 && ms % 60_000 === 0, 'must be whole minutes, at least 1m') }),
]);

/** On call only inside these windows (for example business hours on weekdays); `to` ≤ `from` crosses midnight. */
const restrictionSchema = z.strictObject({
  days: z.array(z.enum(WEEKDAYS)).min(1).max(7).default([...WEEKDAYS]),
  from: wallClock,
  to: wallClockEnd,
});

const layerSchema = z.strictObject({
  name: z.string().min(1).max(200).optional(),
  /** In rotation order: members[0] takes the first shift. */
  members: z.array(handle).min(1).max(200),
  rotation: rotationSchema,
  /** The local date of the first handoff, when members[0] takes over at the handoff time (a weekly rotation hands off on this weekday). */
  start: localDate,
  restrictions: z.array(restrictionSchema).max(50).default([]),
});

const scheduleSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200),
  /** IANA zone of the handoffs and restrictions; the organisation's zone when absent. */
  time_zone: z.string().optional(),
  /** Later layers win where they have someone on call. */
  layers: z.array(layerSchema).min(1).max(20),
});

// ---------------------------------------------------------------------------------------------
// Escalation policies

const targetSchema = z.union(
  [z.strictObject({ user: handle }), z.strictObject({ schedule: slug }), z.strictObject({ channel: slug }), z.strictObject({ group: slug })],
  { error: 'a target is exactly one of { user: <handle> }, { schedule: <id> }, { channel: <id> }, { group: <id> }' },
);

const levelSchema = z.strictObject({
  notify: z.array(targetSchema).min(1).max(50),
  /** How long to wait for an acknowledgement before the next level; absent: the severity's ack target. */
  timeout: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
});

const escalationPolicySchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200),
  levels: z.array(levelSchema).min(1).max(20),
  /** How many more times the whole policy runs when nobody acknowledges after the last level. */
  repeat: z.number().int().min(0).max(9).default(0),
});

// ---------------------------------------------------------------------------------------------
// Delivery settings

const smtpSchema = z.strictObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(587),
  /** TLS from the first byte (port 465); otherwise STARTTLS when the server offers it. */
  secure: z.boolean().default(false),
  user: z.string().min(1).max(320).optional(),
  /** A credential. */
  password: z.string().min(1).max(1000).optional(),
  from: z.string().min(3).max(400),
  /** Verify the server's certificate (turn off only for a test server). */
  tls_verify: z.boolean().default(true),
});

export const NOTIFICATION_DEFAULTS = {
  give_up_after: 60 * 60_000,
  attempt_timeout: 10_000,
  retry: { initial: 2000, max: 5 * 60_000 },
  rate_limit: { per_minute: 60 },
  link_ttl: 24 * 60 * 60_000,
};

export const notificationsSchema = z.strictObject({
  smtp: smtpSchema.optional(),
  /** Defaults for every channel and contact method. */
  give_up_after: duration.refine((ms) => ms >= 10_000, 'must be at least 10s').default(NOTIFICATION_DEFAULTS.give_up_after),
  attempt_timeout: duration.refine((ms) => ms >= 100 && ms <= 120_000, 'must be between 100ms and 2m').default(NOTIFICATION_DEFAULTS.attempt_timeout),
  retry: z
    .strictObject({
      initial: duration.refine((ms) => ms >= 100, 'must be at least 100ms').default(NOTIFICATION_DEFAULTS.retry.initial),
      max: duration.refine((ms) => ms >= 100, 'must be at least 100ms').default(NOTIFICATION_DEFAULTS.retry.max),
    })
    .refine((r) => r.initial <= r.max, { message: 'initial must not be longer than max', path: ['initial'] })
    .default(NOTIFICATION_DEFAULTS.retry),
  rate_limit: z.strictObject({ per_minute: z.number().int().min(1).max(100_000).default(60) }).default(NOTIFICATION_DEFAULTS.rate_limit),
  /** How long acknowledge/resolve links in messages stay valid. */
  link_ttl: duration.refine((ms) => ms >= 60_000, 'must be at least 1m').default(NOTIFICATION_DEFAULTS.link_ttl),
});

export const oncallSchemaFields = {
  users: z.array(userSchema).max(10_000).default([]),
  channels: z.array(channelSchema).max(1000).default([]),
  stakeholder_groups: z.array(stakeholderGroupSchema).max(200).default([]),
  schedules: z.array(scheduleSchema).max(1000).default([]),
  escalation_policies: z.array(escalationPolicySchema).max(1000).default([]),
  notifications: notificationsSchema.default({ ...NOTIFICATION_DEFAULTS }),
};

export type UserConfig = Omit<z.output<typeof userSchema>, 'time_zone'> & { time_zone: string };
export type ContactMethodConfig = z.output<typeof contactMethodSchema>;
export type ChannelConfig = z.output<typeof channelSchema>;
export type StakeholderGroupConfig = z.output<typeof stakeholderGroupSchema>;
export type RestrictionConfig = z.output<typeof restrictionSchema>;
export type RotationConfig = z.output<typeof rotationSchema>;
export type LayerConfig = z.output<typeof layerSchema>;
export type ScheduleConfig = Omit<z.output<typeof scheduleSchema>, 'time_zone'> & { time_zone: string };
export type EscalationTarget = z.output<typeof targetSchema>;
export type EscalationLevelConfig = z.output<typeof levelSchema>;
export type EscalationPolicyConfig = z.output<typeof escalationPolicySchema>;
export type NotificationsConfig = z.output<typeof notificationsSchema>;
export type SmtpConfig = z.output<typeof smtpSchema>;
/** The settings a provider needs to reach one destination (a channel or a user's contact method). */
export type Destination = ChannelConfig | ContactMethodConfig;

/** The policy a service without `escalation_policy` uses, when declared. */
export const DEFAULT_POLICY_ID = 'default';

type Issue = { path: PropertyKey[]; message: string };

/**
 * Every reference between users, channels, groups, schedules, policies and services resolves, and
 * ids are unique. Runs on the raw document so a typo and a dangling reference are reported together.
 */
export function crossCheckOncall(raw: unknown, isTimeZone: (tz: string) => boolean): Issue[] {
  const root = (raw ?? {}) as Record<string, unknown>;
  const issues: Issue[] = [];
  const arr = (key: string): Record<string, unknown>[] => (Array.isArray(root[key]) ? (root[key] as unknown[]).map((x) => (x && typeof x === 'object' ? (x as Record<string, unknown>) : {})) : []);
  const unique = (key: string, field: string, what: string) => {
    const seen = new Map<string, number>();
    arr(key).forEach((item, i) => {
      const v = item[field];
      if (typeof v !== 'string') return;
      if (seen.has(v)) issues.push({ path: [key, i, field], message: `duplicate ${what} "${v}" (first at ${key}[${seen.get(v)}])` });
      else seen.set(v, i);
    });
    return new Set(seen.keys());
  };
  const users = unique('users', 'handle', 'user');
  const channels = unique('channels', 'id', 'channel');
  const groups = unique('stakeholder_groups', 'id', 'stakeholder group');
  const schedules = unique('schedules', 'id', 'schedule');
  const policies = unique('escalation_policies', 'id', 'escalation policy');
  // A value that is not even a valid id is the schema's to report, and is never quoted: it may be
  // a webhook URL or a key pasted in the wrong place.
  const isId = (v: unknown): v is string => typeof v === 'string' && /^[a-z0-9][a-z0-9._-]{0,62}$/.test(v);
  const checkUser = (h: unknown, path: PropertyKey[]) => {
    if (isId(h) && !users.has(h)) issues.push({ path, message: `unknown user "${h}" (declare it under users)` });
  };
  const checkZone = (tz: unknown, path: PropertyKey[]) => {
    if (typeof tz === 'string' && !isTimeZone(tz)) issues.push({ path, message: `unknown IANA time zone "${tz}"` });
  };

  arr('users').forEach((u, i) => {
    checkZone(u.time_zone, ['users', i, 'time_zone']);
    const methods = new Map<string, number>();
    (Array.isArray(u.contact_methods) ? u.contact_methods : []).forEach((m: unknown, j: number) => {
      const id = (m as { id?: unknown } | null)?.id;
      if (typeof id !== 'string') return;
      if (methods.has(id)) issues.push({ path: ['users', i, 'contact_methods', j, 'id'], message: `duplicate contact method "${id}"` });
      else methods.set(id, j);
    });
    const rules = (u.notification_rules ?? {}) as Record<string, unknown>;
    for (const urgency of URGENCIES) {
      const list = rules[urgency];
      if (!Array.isArray(list)) continue;
      list.forEach((r: unknown, j: number) => {
        const method = typeof r === 'string' ? r : (r as { method?: unknown } | null)?.method;
        // "email" always means the user's own address, declared or not.
        if (isId(method) && !methods.has(method) && method !== 'email') {
          issues.push({ path: ['users', i, 'notification_rules', urgency, j, ...(typeof r === 'string' ? [] : ['method'])], message: `unknown contact method "${method}"` });
        }
      });
    }
  });

  arr('stakeholder_groups').forEach((g, i) => {
    (Array.isArray(g.members) ? g.members : []).forEach((h: unknown, j: number) => checkUser(h, ['stakeholder_groups', i, 'members', j]));
    (Array.isArray(g.channels) ? g.channels : []).forEach((c: unknown, j: number) => {
      if (isId(c) && !channels.has(c)) issues.push({ path: ['stakeholder_groups', i, 'channels', j], message: `unknown channel "${c}"` });
    });
  });

  arr('schedules').forEach((s, i) => {
    checkZone(s.time_zone, ['schedules', i, 'time_zone']);
    (Array.isArray(s.layers) ? s.layers : []).forEach((l: unknown, j: number) => {
      const members = (l as { members?: unknown } | null)?.members;
      (Array.isArray(members) ? members : []).forEach((h: unknown, k: number) => checkUser(h, ['schedules', i, 'layers', j, 'members', k]));
    });
  });

  arr('escalation_policies').forEach((p, i) => {
    (Array.isArray(p.levels) ? p.levels : []).forEach((l: unknown, j: number) => {
      const notify = (l as { notify?: unknown } | null)?.notify;
      (Array.isArray(notify) ? notify : []).forEach((t: unknown, k: number) => {
        const target = (t ?? {}) as Record<string, unknown>;
        const path = ['escalation_policies', i, 'levels', j, 'notify', k];
        checkUser(target.user, [...path, 'user']);
        for (const [field, known, what] of [['schedule', schedules, 'schedule'], ['channel', channels, 'channel'], ['group', groups, 'stakeholder group']] as const) {
          const v = target[field];
          if (isId(v) && !known.has(v)) issues.push({ path: [...path, field], message: `unknown ${what} "${v}"` });
        }
      });
    });
  });

  arr('services').forEach((s, i) => {
    const p = s.escalation_policy;
    if (isId(p) && !policies.has(p)) issues.push({ path: ['services', i, 'escalation_policy'], message: `unknown escalation policy "${p}"` });
  });

  // A severity's stakeholder notifications name groups; the built-in defaults are skipped when the group is not declared.
  const severities = (root.severities ?? {}) as Record<string, unknown>;
  for (const [sev, o] of Object.entries(severities)) {
    const notify = (o as { notify?: unknown } | null)?.notify;
    if (!Array.isArray(notify)) continue;
    notify.forEach((n: unknown, j: number) => {
      const g = (n as { group?: unknown } | null)?.group;
      if (isId(g) && !groups.has(g)) issues.push({ path: ['severities', sev, 'notify', j, 'group'], message: `unknown stakeholder group "${g}"` });
    });
  }
  return issues;
}
