import type { z } from 'zod';
import { isoTime } from '../../lib/iso-time.ts';
import { hasRole, requireRole, type Ctx } from '../context.ts';
import { listReportRows } from './repository.ts';
import { listReportsQuery, type ReportView } from './schemas.ts';

/** Reports, newest first. Contact details only for responders and up; the reporter's address never. */
export async function listReports(ctx: Ctx, input: z.input<typeof listReportsQuery>): Promise<{ data: ReportView[] }> {
  requireRole(ctx, 'viewer');
  const query = listReportsQuery.parse(input);
  const rows = await listReportRows(ctx, query);
  const showContact = hasRole(ctx.actor, 'responder');
  return {
    data: rows.map((r) => ({
      id: r.id,
      service: r.service_id,
      description: r.description,
      ...(showContact && { contact: r.contact }),
      reported_by: r.reporter_handle ?? null,
      received_at: isoTime(Number(r.received_at)),
      group_id: r.group_id,
      incident: r.incident_number === null || r.incident_number === undefined ? null : `INC-${r.incident_number}`,
    })),
  };
}
