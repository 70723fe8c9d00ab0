import { sql, type Kysely } from 'kysely';
import type { DialectFlags } from '../dialect.ts';

/**
 * Incidents that happen during a drill: `drill_run_id` names the runbook run of the drill that
 * joined or opened the incident. The response to them is real, the outage is not, so the KPI
 * reports leave them out (ADR 0021). The two KPI indexes are rebuilt as partial indexes of the
 * incidents the reports count (neither merged into another nor a drill's): the reports' WHERE
 * implies the index's, so both engines use them and no row of the scan is there only to be
 * filtered out. The two columns stay at the end of each index (always null there) because SQLite
 * counts an index as covering only if it holds every column the query names. Frozen.
 */
export async function up(db: Kysely<any>, _dialect: DialectFlags): Promise<void> {
  await db.schema.alterTable('incidents').addColumn('drill_run_id', 'text').execute();
  const counted = sql<boolean>`merged_into is null and drill_run_id is null`;
  await db.schema.dropIndex('incidents_kpi').execute();
  await db.schema
    .createIndex('incidents_kpi')
    .on('incidents')
    .columns(['severity', 'triggered_at', 'detected_at', 'acknowledged_at', 'responded_at', 'resolved_at', 'severity_changed_at', 'source', 'resolution', 'reopen_count', 'customer_facing', 'status_posted_at', 'stakeholders_notified_at', 'fingerprint', 'id', 'merged_into', 'drill_run_id'])
    .where(counted)
    .execute();
  await db.schema.dropIndex('incidents_fingerprint_kpi').execute();
  await db.schema
    .createIndex('incidents_fingerprint_kpi')
    .on('incidents')
    .columns(['fingerprint', 'triggered_at', 'severity', 'id', 'merged_into', 'drill_run_id'])
    .where(sql<boolean>`fingerprint is not null and ${counted}`)
    .execute();
}
