import type { Selectable } from 'kysely';
import { forUpdate } from '../../db/dialect.ts';
import type { ActionItemsTable, PostmortemsTable } from '../../db/schema.ts';
import { q } from '../../db/transaction.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { blamelessHints } from './blameless.ts';
import { OPEN_ACTION_ITEM_STATUSES, type ActionItemStatus, type ActionItemView, type PostmortemContent, type PostmortemStatus, type PostmortemSummaryView, type PostmortemView } from './schemas.ts';

export type PostmortemRow = Selectable<PostmortemsTable>;
export type ActionItemRow = Selectable<ActionItemsTable>;
type Db = Pick<Ctx, 'db' | 'trx'>;

const iso = (t: number | null) => (t === null ? null : isoTime(Number(t)));
/** Large IN lists are chunked so neither engine hits its parameter limit. */
const CHUNK = 500;

/** A postmortem by id; `forUpdate` locks it for a read-check-write (an edit, a publish). */
export async function findPostmortemRow(ctx: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<PostmortemRow> {
  const select = q(ctx).selectFrom('postmortems').selectAll().where('id', '=', id);
  const row = await (opts.forUpdate ? forUpdate(select, ctx.db.dialect) : select).executeTakeFirst();
  if (!row) throw notFound('postmortem', id);
  return row;
}

export async function findPostmortemOfIncident(ctx: Db, incidentId: string): Promise<PostmortemRow | undefined> {
  return q(ctx).selectFrom('postmortems').selectAll().where('incident_id', '=', incidentId).executeTakeFirst();
}

/**
 * Inserts a postmortem and its first revision unless the incident has one already (the incident id
 * is unique, so two nodes or a retried event create one); returns the new row, or undefined.
 */
export async function insertPostmortem(ctx: Ctx, row: PostmortemRow): Promise<PostmortemRow | undefined> {
  const inserted = await q(ctx).insertInto('postmortems').values(row).onConflict((oc) => oc.column('incident_id').doNothing()).returning('id').executeTakeFirst();
  if (!inserted) return undefined;
  await insertRevision(ctx, row, 'created');
  return row;
}

/** Writes the revision row for the postmortem as it now stands. */
export async function insertRevision(ctx: Ctx, row: Pick<PostmortemRow, 'id' | 'revision' | 'content' | 'status'>, note: string | null): Promise<void> {
  await q(ctx)
    .insertInto('postmortem_revisions')
    .values({ postmortem_id: row.id, revision: row.revision, at: ctx.clock.now(), actor_type: ctx.actor.type, actor_id: ctx.actor.userId, actor_name: ctx.actor.name, content: row.content, status: row.status, note })
    .execute();
}

export async function loadRevisions(ctx: Db, postmortemId: string) {
  return q(ctx).selectFrom('postmortem_revisions').selectAll().where('postmortem_id', '=', postmortemId).orderBy('revision').execute();
}

/** An active user by handle, for owners; unknown or disabled is UNKNOWN_USER. */
export async function resolveOwner(ctx: Db, handle: string): Promise<{ id: string; handle: string }> {
  const user = await q(ctx).selectFrom('users').select(['id', 'handle', 'disabled_at']).where('handle', '=', handle).executeTakeFirst();
  if (!user || user.disabled_at !== null) throw new DomainError('UNKNOWN_USER', `no active user with handle "${handle}"`, { user: handle });
  return { id: user.id, handle: user.handle };
}

/** A user's id by handle (disabled users included: they may still own old follow-ups); for filters. */
export async function userIdByHandle(ctx: Db, handle: string): Promise<string | undefined> {
  return (await q(ctx).selectFrom('users').select('id').where('handle', '=', handle).executeTakeFirst())?.id;
}

/** Handles (and names) of users by id, for views and reminders. */
export async function usersById(ctx: Db, ids: (string | null)[]): Promise<Map<string, { handle: string; name: string }>> {
  const wanted = [...new Set(ids.filter((i): i is string => i !== null))];
  const out = new Map<string, { handle: string; name: string }>();
  for (let i = 0; i < wanted.length; i += CHUNK) {
    for (const u of await q(ctx).selectFrom('users').select(['id', 'handle', 'name']).where('id', 'in', wanted.slice(i, i + CHUNK)).execute()) out.set(u.id, { handle: u.handle, name: u.name });
  }
  return out;
}

/** Every user's handle and name: the people the blameless hint looks for (with the configured ones). */
export async function allPeople(ctx: Db): Promise<{ handle: string; name: string }[]> {
  return q(ctx).selectFrom('users').select(['handle', 'name']).execute();
}

/** Refs and titles of incidents by id. */
async function incidentsById(ctx: Db, ids: string[]): Promise<Map<string, { id: string; ref: string; title: string; severity: string }>> {
  const out = new Map<string, { id: string; ref: string; title: string; severity: string }>();
  const wanted = [...new Set(ids)];
  for (let i = 0; i < wanted.length; i += CHUNK) {
    const rows = await q(ctx).selectFrom('incidents').select(['id', 'number', 'title', 'severity']).where('id', 'in', wanted.slice(i, i + CHUNK)).execute();
    for (const r of rows) out.set(r.id, { id: r.id, ref: `INC-${r.number}`, title: r.title, severity: r.severity });
  }
  return out;
}

export async function toSummaryViews(ctx: Ctx, rows: PostmortemRow[]): Promise<PostmortemSummaryView[]> {
  const [people, incidents] = await Promise.all([usersById(ctx, rows.map((r) => r.owner_id)), incidentsById(ctx, rows.map((r) => r.incident_id))]);
  const now = ctx.clock.now();
  return rows.map((r) => {
    const inc = incidents.get(r.incident_id)!;
    return {
      id: r.id,
      incident: { id: inc.id, ref: inc.ref, title: inc.title, severity: inc.severity as PostmortemSummaryView['incident']['severity'] },
      status: r.status as PostmortemStatus,
      owner: r.owner_id ? (people.get(r.owner_id)?.handle ?? null) : null,
      due_at: isoTime(Number(r.due_at)),
      overdue: r.status !== 'completed' && Number(r.due_at) < now,
      revision: r.revision,
      source: r.source as 'auto' | 'manual',
      created_by: r.created_by,
      created_at: isoTime(Number(r.created_at)),
      updated_at: isoTime(Number(r.updated_at)),
      completed_at: iso(r.completed_at),
      published_at: iso(r.published_at),
      reminded_at: iso(r.reminded_at),
    };
  });
}

/** The whole postmortem: its summary, content, the incident's action items and the blameless hints. */
export async function toPostmortemView(ctx: Ctx, row: PostmortemRow): Promise<PostmortemView> {
  const [summary] = await toSummaryViews(ctx, [row]);
  const content = JSON.parse(row.content) as PostmortemContent;
  const items = await q(ctx).selectFrom('action_items').selectAll().where('incident_id', '=', row.incident_id).orderBy('created_at').orderBy('id').execute();
  const hints = blamelessHints(content, [...ctx.config.current.users, ...(await allPeople(ctx))]);
  return { ...summary, content, action_items: await toActionItemViews(ctx, items), hints };
}

export async function toActionItemViews(ctx: Ctx, rows: ActionItemRow[]): Promise<ActionItemView[]> {
  const [people, incidents] = await Promise.all([usersById(ctx, rows.map((r) => r.owner_id)), incidentsById(ctx, rows.map((r) => r.incident_id))]);
  const now = ctx.clock.now();
  return rows.map((r) => ({
    id: r.id,
    incident: { id: r.incident_id, ref: incidents.get(r.incident_id)!.ref },
    postmortem_id: r.postmortem_id,
    title: r.title,
    description: r.description,
    owner: r.owner_id ? (people.get(r.owner_id)?.handle ?? null) : null,
    due_at: iso(r.due_at),
    overdue: isOverdue(r, now),
    priority: r.priority as ActionItemView['priority'],
    tracker_url: r.tracker_url,
    status: r.status as ActionItemStatus,
    created_at: isoTime(Number(r.created_at)),
    updated_at: isoTime(Number(r.updated_at)),
    closed_at: iso(r.closed_at),
    reminded_at: iso(r.reminded_at),
    created_by: r.created_by,
  }));
}

export const isOverdue = (r: Pick<ActionItemRow, 'status' | 'due_at'>, now: number) => r.due_at !== null && Number(r.due_at) < now && OPEN_ACTION_ITEM_STATUSES.includes(r.status as ActionItemStatus);

export async function findActionItemRow(ctx: Db, id: string, opts: { forUpdate?: boolean } = {}): Promise<ActionItemRow> {
  const select = q(ctx).selectFrom('action_items').selectAll().where('id', '=', id);
  const row = await (opts.forUpdate ? forUpdate(select, ctx.db.dialect) : select).executeTakeFirst();
  if (!row) throw notFound('action item', id);
  return row;
}
