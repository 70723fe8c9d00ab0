import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { z } from 'zod';
import { q } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { isoTime } from '../../lib/iso-time.ts';
import { requireRole, type Ctx } from '../context.ts';
import { findIncidentRow } from '../incidents/repository.ts';

export const ALERT_STATUSES = ['triggered', 'acknowledged', 'resolved'] as const;

export const listAlertsQuery = z.strictObject({
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(z.enum(ALERT_STATUSES)))
    .optional(),
  suppressed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  service: z.string().min(1).max(63).optional(),
  integration: z.string().min(1).max(64).optional(),
  incident: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
/** The sub-route's query: the same filters, the incident comes from the path. */
export const listIncidentAlertsQuery = listAlertsQuery.omit({ incident: true });

export const alertView = z.object({
  id: z.string(),
  integration: z.string(),
  dedup_key: z.string(),
  status: z.enum(ALERT_STATUSES),
  suppressed_by: z.string().nullable(),
  summary: z.string(),
  source: z.string(),
  severity: z.string(),
  service: z.string(),
  incident: z.string().nullable(),
  labels: z.record(z.string(), z.unknown()),
  event_count: z.number(),
  first_seen_at: z.string(),
  last_seen_at: z.string(),
  detected_at: z.string(),
  acknowledged_at: z.string().nullable(),
  resolved_at: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
});
export type AlertView = z.output<typeof alertView>;
export const alertPage = z.object({ data: z.array(alertView), next_cursor: z.string().nullable() });
export type AlertPage = z.output<typeof alertPage>;

const encodeCursor = (t: number, id: string) => Buffer.from(JSON.stringify({ t, id })).toString('base64url');
function decodeCursor(cursor: string): { t: number; id: string } {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Number.isSafeInteger(c?.t) && typeof c?.id === 'string' && c.id.length > 0 && c.id.length <= 64) return { t: c.t, id: c.id };
  } catch {
    // fall through to the error below
  }
  throw new DomainError('VALIDATION_FAILED', 'cursor is not one this server issued', { issues: [{ path: 'cursor', message: 'invalid cursor' }] });
}

const jsonObject = (text: string): Record<string, unknown> => {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' && !Array.isArray(v) ? v : {};
  } catch {
    return {};
  }
};
const iso = (ms: number | null) => (ms === null ? null : isoTime(Number(ms)));

/** Alerts (suppressed ones included), newest first by (last_seen_at, id), keyset-paginated. */
export async function listAlerts(ctx: Ctx, query: z.input<typeof listAlertsQuery>): Promise<AlertPage> {
  requireRole(ctx, 'viewer');
  const f = listAlertsQuery.parse(query);
  const before = f.cursor ? decodeCursor(f.cursor) : null;
  const incidentId = f.incident !== undefined ? (await findIncidentRow(ctx, f.incident)).id : null;
  const filters: RawBuilder<SqlBool>[] = [];
  if (f.status) filters.push(f.status.length ? sql<SqlBool>`a.status in (${sql.join(f.status)})` : sql<SqlBool>`1 = 0`);
  if (f.suppressed !== undefined) filters.push(f.suppressed ? sql<SqlBool>`a.suppressed_by is not null` : sql<SqlBool>`a.suppressed_by is null`);
  if (f.service) filters.push(sql<SqlBool>`a.service_id = ${f.service}`);
  if (f.integration) filters.push(sql<SqlBool>`a.integration_id = ${f.integration}`);
  if (incidentId !== null) filters.push(sql<SqlBool>`a.incident_id = ${incidentId}`);
  if (before) filters.push(sql<SqlBool>`(a.last_seen_at < ${before.t} or (a.last_seen_at = ${before.t} and a.id < ${before.id}))`);
  const rows = await q(ctx)
    .selectFrom('alerts as a')
    .leftJoin('incidents as i', 'i.id', 'a.incident_id')
    .selectAll('a')
    .select('i.number as incident_number')
    .where((eb) => eb.and(filters))
    .orderBy('a.last_seen_at', 'desc')
    .orderBy('a.id', 'desc')
    .limit(f.limit + 1)
    .execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  const last = page.at(-1);
  return {
    data: page.map((r) => ({
      id: r.id,
      integration: r.integration_id,
      dedup_key: r.dedup_key,
      status: r.status as AlertView['status'],
      suppressed_by: r.suppressed_by,
      summary: r.summary,
      source: r.source,
      severity: r.severity,
      service: r.service_id,
      incident: r.incident_number === null || r.incident_number === undefined ? null : `INC-${r.incident_number}`,
      labels: jsonObject(r.labels),
      event_count: Number(r.event_count),
      first_seen_at: isoTime(Number(r.first_seen_at)),
      last_seen_at: isoTime(Number(r.last_seen_at)),
      detected_at: isoTime(Number(r.detected_at)),
      acknowledged_at: iso(r.acknowledged_at),
      resolved_at: iso(r.resolved_at),
      details: jsonObject(r.details),
    })),
    next_cursor: more && last ? encodeCursor(Number(last.last_seen_at), last.id) : null,
  };
}
