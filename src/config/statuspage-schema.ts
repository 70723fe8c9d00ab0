import { z } from 'zod';
import { parseLocalDate } from '../lib/zoned-time.ts';
import { duration, slug } from './primitives.ts';

/**
 * The public status page, declared in firebreak.yaml under `status_page`: what the public sees
 * (components in groups, each mapped to internal services and monitors), how the page looks
 * (name, logo, links), when incidents are posted to it automatically, the templates those posts
 * start from, and who may subscribe. `crossCheckStatusPage` reports dangling references.
 */

const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);
const localDate = z.string().refine((s) => parseLocalDate(s) !== null, 'must be a date "YYYY-MM-DD"');
/** A host name as browsers send it in Host (no port, no scheme). */
const hostName = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/, 'must be a lower-case host name such as status.example.com');

/** The placeholders a template may use: only public facts, never internal titles or people. */
export const TEMPLATE_PLACEHOLDERS = ['organisation', 'components', 'started_at', 'status_url'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .superRefine((text, ctx) => {
      for (const [, name] of text.matchAll(PLACEHOLDER)) {
        if (!(TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name.slice(0, 40)}}}; use ${TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}` });
      }
    });

/** Phases of a public incident that have a template. */
export const TEMPLATE_PHASES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type TemplatePhase = (typeof TEMPLATE_PHASES)[number];

export const DEFAULT_TEMPLATES: { name: string } & Record<TemplatePhase, string> = {
  name: 'Service disruption: {{components}}',
  investigating: 'We are investigating a problem affecting {{components}}. We will post an update as soon as we know more.',
  identified: 'We have identified the cause of the problem affecting {{components}} and are working on a fix.',
  monitoring: 'A fix has been applied for {{components}}. We are monitoring the results.',
  resolved: 'This incident has been resolved. Affected: {{components}}. Everything is operating normally again.',
};

const componentSchema = z.strictObject({
  /** Public and stable: widgets and subscribers refer to components by it. */
  id: slug,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  /** The component group it belongs to, if any. */
  group: slug.optional(),
  /** Internal services whose incidents and monitors drive this component's status. */
  services: z.array(slug).max(100).default([]),
  /** Monitors that drive its status and uptime bars; absent: every monitor of its services. */
  monitors: z.array(slug).max(200).optional(),
  /** Shown with uptime bars. */
  showcase: z.boolean().default(true),
  /** Hidden from the page while operational. */
  only_show_if_degraded: z.boolean().default(false),
  /** Where its uptime history starts. */
  start_date: localDate.optional(),
});

const groupSchema = z.strictObject({
  id: slug,
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
});

const autoPostSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /**
   * An incident is posted automatically when it is customer-facing and of a severity whose
   * policy is `public` (P0 and P1 by default), or when its estimated share of affected users is
   * above this, whatever its severity.
   */
  min_user_share: z.number().min(0).max(1).default(0.1),
  /** How long after detection the post goes out: time for a responder to opt out or edit. */
  delay: duration.default(2 * 60_000),
  /** Publish the resolution automatically when the internal incident resolves. */
  publish_resolved: z.boolean().default(true),
});

const subscribersSchema = z.strictObject({
  email: z.boolean().default(true),
  webhook: z.boolean().default(true),
  /** Subscription requests per minute per client address (per node). */
  per_minute: z.number().int().min(1).max(10_000).default(5),
  /** How long a confirmation link stays valid. */
  confirm_within: duration.default(48 * 3_600_000),
  /**
   * Let webhook subscribers point at loopback or private addresses. Off: a public form must not
   * become a way to reach the internal network.
   */
  allow_private_targets: z.boolean().default(false),
});

export const statusPageSchema = z.strictObject({
  enabled: z.boolean().default(true),
  /** The page id in the Statuspage JSON; absent: derived from the organisation's name. */
  id: z.string().regex(/^[a-z0-9]{6,32}$/, 'must be 6-32 lower-case letters and digits').optional(),
  /** Display name; absent: the organisation's. */
  name: z.string().min(1).max(200).optional(),
  /** A separate host name whose `/` serves the page (e.g. status.example.com). */
  host: hostName.optional(),
  /** The page's public address; absent: `https://<host>/` when a host is set, else public_url + /status. */
  url: httpUrl.optional(),
  /** Times on the page are shown in this zone; absent: the organisation's. */
  time_zone: z.string().min(1).max(64).optional(),
  logo_url: httpUrl.optional(),
  /** Links in the header (support, home page). */
  links: z.array(z.strictObject({ label: z.string().min(1).max(60), url: httpUrl })).max(10).default([]),
  /** A line under the name. */
  about: z.string().max(1000).optional(),
  groups: z.array(groupSchema).max(100).default([]),
  components: z.array(componentSchema).max(500).default([]),
  auto_post: autoPostSchema.default({ enabled: true, min_user_share: 0.1, delay: 2 * 60_000, publish_resolved: true }),
  templates: z
    .strictObject({
      name: template(200).default(DEFAULT_TEMPLATES.name),
      investigating: template(5000).default(DEFAULT_TEMPLATES.investigating),
      identified: template(5000).default(DEFAULT_TEMPLATES.identified),
      monitoring: template(5000).default(DEFAULT_TEMPLATES.monitoring),
      resolved: template(5000).default(DEFAULT_TEMPLATES.resolved),
    })
    .default(DEFAULT_TEMPLATES),
  subscribers: subscribersSchema.default({ email: true, webhook: true, per_minute: 5, confirm_within: 48 * 3_600_000, allow_private_targets: false }),
  /** Subscribers are reminded this long before a maintenance starts. */
  maintenance_reminder: duration.default(3_600_000),
  /** Days of uptime bars. */
  history_days: z.number().int().min(7).max(365).default(90),
});

export const STATUS_PAGE_DEFAULTS = statusPageSchema.parse({});

export type StatusPageRaw = z.output<typeof statusPageSchema>;
export type StatusComponentConfig = StatusPageRaw['components'][number];
export type StatusGroupConfig = StatusPageRaw['groups'][number];

/** The status page with every default filled in (see finishStatusPage). */
export interface StatusPageConfig extends Omit<StatusPageRaw, 'id' | 'name' | 'url' | 'time_zone'> {
  id: string;
  name: string;
  url: string;
  time_zone: string;
}

type Issue = { path: PropertyKey[]; message: string };

/**
 * Components and groups: unique ids (one namespace, since both are components in the JSON),
 * groups that exist, and services and monitors that exist. Only ids are quoted.
 */
export function crossCheckStatusPage(raw: unknown, isTimeZone: (tz: string) => boolean): Issue[] {
  const root = (raw ?? {}) as { services?: unknown; monitors?: unknown; status_page?: unknown };
  const page = root.status_page as { groups?: unknown; components?: unknown; time_zone?: unknown } | null | undefined;
  if (!page || typeof page !== 'object') return [];
  const ids = (list: unknown) => new Set(Array.isArray(list) ? list.map((x) => x?.id).filter((id): id is string => typeof id === 'string') : []);
  const services = ids(root.services);
  const monitors = ids(root.monitors);
  const issues: Issue[] = [];
  if (typeof page.time_zone === 'string' && !isTimeZone(page.time_zone)) issues.push({ path: ['status_page', 'time_zone'], message: 'unknown IANA time zone' });
  const seen = new Map<string, string>();
  const claim = (id: unknown, path: PropertyKey[]) => {
    if (typeof id !== 'string') return;
    if (seen.has(id)) issues.push({ path, message: `duplicate component or group id "${id}" (first at ${seen.get(id)})` });
    else seen.set(id, path.slice(0, 3).map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').slice(1));
  };
  const groups = Array.isArray(page.groups) ? page.groups : [];
  groups.forEach((g, i) => claim(g?.id, ['status_page', 'groups', i, 'id']));
  const groupIds = ids(groups);
  const components = Array.isArray(page.components) ? page.components : [];
  components.forEach((c, i) => {
    claim(c?.id, ['status_page', 'components', i, 'id']);
    if (typeof c?.group === 'string' && !groupIds.has(c.group)) issues.push({ path: ['status_page', 'components', i, 'group'], message: `unknown group "${c.group}"` });
    for (const [field, known, what] of [['services', services, 'service'], ['monitors', monitors, 'monitor']] as const) {
      const list = c?.[field];
      if (!Array.isArray(list)) continue;
      list.forEach((id: unknown, j: number) => {
        if (typeof id === 'string' && !known.has(id)) issues.push({ path: ['status_page', 'components', i, field, j], message: `unknown ${what} "${id}"` });
      });
    }
  });
  return issues;
}
