import { sql, type Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Incidents that happen during a drill: `drill_run_id` names the runbook run of the drill that
 * joined or opened the incident. The response to them is real, the outage is not, so the KPI
 * reports leave them out; the two KPI indexes are rebuilt with the column so a report stays an
 * index-only scan (ADR 0021). Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema.alterTable('incidents').addColumn('drill_run_id', 'text').execute();
  await db.schema.dropIndex('incidents_kpi').execute();
  await db.schema
    .createIndex('incidents_kpi')
    .on('incidents')
    .columns(['severity', 'triggered_at', 'merged_into', 'drill_run_id', 'detected_at', 'acknowledged_at', 'responded_at', 'resolved_at', 'severity_changed_at', 'source', 'resolution', 'reopen_count', 'customer_facing', 'status_posted_at', 'stakeholders_notified_at', 'fingerprint', 'id'])
    .execute();
  await db.schema.dropIndex('incidents_fingerprint_kpi').execute();
  await db.schema.createIndex('incidents_fingerprint_kpi').on('incidents').columns(['fingerprint', 'triggered_at', 'severity', 'merged_into', 'drill_run_id', 'id']).where(sql.ref('fingerprint'), 'is not', null).execute();
}
