import { z } from 'zod';
import { SEVERITIES } from '../../config/defaults.ts';

/** What responders send to write postmortems and action items, and what they get back. */

export const POSTMORTEM_STATUSES = ['draft', 'in_review', 'completed'] as const;
export type PostmortemStatus = (typeof POSTMORTEM_STATUSES)[number];
export const ACTION_ITEM_STATUSES = ['open', 'in_progress', 'done', 'wont_do'] as const;
export type ActionItemStatus = (typeof ACTION_ITEM_STATUSES)[number];
/** Statuses in which an action item still has work to do (and can be overdue). */
export const OPEN_ACTION_ITEM_STATUSES: readonly ActionItemStatus[] = ['open', 'in_progress'];
export const PRIORITIES = ['high', 'medium', 'low'] as const;

const text = (max: number) => z.string().trim().min(1).max(max);
/** A section of prose: may be emptied, never unbounded. */
const prose = z.string().max(20_000);
const list = z.array(z.string().trim().min(1).max(2000)).max(50);
const handle = z.string().min(1).max(64);
const isoDateTime = z.iso.datetime({ offset: true });
const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

const factorsShape = { technical: list, process: list, human: list, organisational: list };
const lessonsShape = { went_well: list, could_improve: list, surprises: list };
const why = z.strictObject({ question: z.string().max(2000), answer: z.string().max(2000) });

/** A duration measured on this incident against the severity's target (null when not measurable). */
const measure = z.object({ actual_ms: z.number().nullable(), target_ms: z.number().nullable(), met: z.boolean().nullable() });
const factTimelineEntry = z.object({ at: z.string(), kind: z.string(), actor: z.string(), body: z.string() });

/**
 * The postmortem document, after the plan's PostmortemReport. The facts (incident, detection,
 * metrics, timeline) are taken from the incident when it is created; the rest is written by people.
 */
export const postmortemContent = z.object({
  incident: z.object({
    id: z.string(),
    ref: z.string(),
    title: z.string(),
    severity: z.enum(SEVERITIES),
    start: z.string(),
    end: z.string().nullable(),
    duration_ms: z.number().nullable(),
    duration: z.string().nullable(),
    impact: z.object({ services: z.array(z.string()), impacted_services: z.array(z.string()), user_share: z.number(), customer_facing: z.boolean(), highest_tier: z.string().nullable() }),
  }),
  detection: z.object({ method: z.string(), fingerprint: z.string().nullable(), detected_at: z.string(), triggered_at: z.string() }),
  metrics: z.object({ time_to_detect: measure, time_to_acknowledge: measure, time_to_respond: measure, time_to_resolve: measure }),
  timeline: z.array(factTimelineEntry),
  summary: z.string(),
  root_cause: z.string(),
  resolution: z.string(),
  prevention: z.array(z.string()),
  factors: z.object({ technical: z.array(z.string()), process: z.array(z.string()), human: z.array(z.string()), organisational: z.array(z.string()) }),
  lessons: z.object({ went_well: z.array(z.string()), could_improve: z.array(z.string()), surprises: z.array(z.string()) }),
  five_whys: z.array(z.object({ question: z.string(), answer: z.string() })),
});
export type PostmortemContent = z.infer<typeof postmortemContent>;

/** The sections people write; PATCH replaces each one it names. */
export const EDITABLE_SECTIONS = ['summary', 'root_cause', 'resolution', 'prevention', 'factors', 'lessons', 'five_whys'] as const;

export const requestPostmortemInput = z.strictObject({
  /** Who owns it; default the incident's commander. */
  owner: handle.optional(),
});

export const updatePostmortemInput = z.strictObject({
  /** The revision this edit was made on; a newer one stored means someone else saved first (409). */
  revision: z.number().int().min(1).max(1_000_000),
  summary: prose.optional(),
  root_cause: prose.optional(),
  resolution: prose.optional(),
  prevention: list.optional(),
  factors: z.strictObject(factorsShape).partial().optional(),
  lessons: z.strictObject(lessonsShape).partial().optional(),
  five_whys: z.array(why).max(10).optional(),
  status: z.enum(POSTMORTEM_STATUSES).optional(),
  owner: handle.nullable().optional(),
  /** Why this save, for the revision history. */
  note: z.string().max(500).optional(),
});

export const publishPostmortemInput = z.strictObject({
  /** The customer-facing text; default: built from the summary, resolution and prevention. */
  body: text(100_000).optional(),
  deliver_notifications: z.boolean().default(false),
});

const csv = <T extends readonly [string, ...string[]]>(values: T) =>
  z
    .string()
    .max(500)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(values)));
const bool = z.enum(['true', 'false']).transform((v) => v === 'true');
const paging = { limit: z.coerce.number().int().min(1).max(200).default(50), offset: z.coerce.number().int().min(0).max(1_000_000).default(0) };

export const listPostmortemsQuery = z.strictObject({
  status: csv(POSTMORTEM_STATUSES).optional(),
  owner: handle.optional(),
  /** Not completed and past due. */
  overdue: bool.optional(),
  ...paging,
});

export const createActionItemInput = z.strictObject({
  /** The incident it follows up ("INC-42", 42 or its id). */
  incident: z.string().min(1).max(64),
  title: text(200),
  description: z.string().max(20_000).default(''),
  owner: handle.optional(),
  /** Default: `postmortems.action_item_due` from now. */
  due_at: isoDateTime.optional(),
  priority: z.enum(PRIORITIES).default('medium'),
  tracker_url: httpUrl.optional(),
});

export const updateActionItemInput = z.strictObject({
  title: text(200).optional(),
  description: z.string().max(20_000).optional(),
  owner: handle.nullable().optional(),
  due_at: isoDateTime.optional(),
  priority: z.enum(PRIORITIES).optional(),
  tracker_url: httpUrl.nullable().optional(),
  status: z.enum(ACTION_ITEM_STATUSES).optional(),
});

export const listActionItemsQuery = z.strictObject({
  status: csv(ACTION_ITEM_STATUSES).optional(),
  priority: csv(PRIORITIES).optional(),
  owner: handle.optional(),
  incident: z.string().min(1).max(64).optional(),
  /** Still open (open or in progress) and past due. */
  overdue: bool.optional(),
  due_before: isoDateTime.optional(),
  ...paging,
});

export const actionItemView = z.object({
  id: z.string(),
  incident: z.object({ id: z.string(), ref: z.string() }),
  postmortem_id: z.string().nullable(),
  title: z.string(),
  description: z.string(),
  owner: z.string().nullable(),
  due_at: z.string().nullable(),
  overdue: z.boolean(),
  priority: z.enum(PRIORITIES),
  tracker_url: z.string().nullable(),
  status: z.enum(ACTION_ITEM_STATUSES),
  created_at: z.string(),
  updated_at: z.string(),
  closed_at: z.string().nullable(),
  reminded_at: z.string().nullable(),
  created_by: z.string(),
});
export type ActionItemView = z.infer<typeof actionItemView>;

/** A person named in text meant to be blameless: flagged for the author, never refused. */
export const blamelessHint = z.object({
  section: z.string(),
  match: z.string(),
  kind: z.enum(['name', 'handle', 'mention']),
  message: z.string(),
});
export type BlamelessHint = z.infer<typeof blamelessHint>;

const postmortemSummaryShape = {
  id: z.string(),
  incident: z.object({ id: z.string(), ref: z.string(), title: z.string(), severity: z.enum(SEVERITIES) }),
  status: z.enum(POSTMORTEM_STATUSES),
  owner: z.string().nullable(),
  due_at: z.string(),
  overdue: z.boolean(),
  revision: z.number(),
  source: z.enum(['auto', 'manual']),
  created_by: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  completed_at: z.string().nullable(),
  published_at: z.string().nullable(),
  reminded_at: z.string().nullable(),
};
export const postmortemSummaryView = z.object(postmortemSummaryShape);
export type PostmortemSummaryView = z.infer<typeof postmortemSummaryView>;

export const postmortemView = z.object({
  ...postmortemSummaryShape,
  content: postmortemContent,
  action_items: z.array(actionItemView),
  hints: z.array(blamelessHint),
});
export type PostmortemView = z.infer<typeof postmortemView>;

export const revisionView = z.object({
  revision: z.number(),
  at: z.string(),
  actor: z.object({ type: z.string(), id: z.string().nullable(), name: z.string() }),
  status: z.enum(POSTMORTEM_STATUSES),
  note: z.string().nullable(),
  /** Sections that differ from the revision before (all of them for the first). */
  changed: z.array(z.string()),
  content: postmortemContent,
});
export type RevisionView = z.infer<typeof revisionView>;

export const publishResultView = z.object({
  postmortem: postmortemView,
  public_incident: z.object({ id: z.string(), status: z.string() }),
  body: z.string(),
});
