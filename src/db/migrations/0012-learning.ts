import { sql, type Kysely } from 'kysely';
import { withSerialId, type DialectFlags } from '../dialect.ts';

/**
 * Learning from incidents: the timestamps and facts the KPIs read (kept on the incident row so one
 * scan answers a KPI query over a million incidents), postmortems with their revisions, and action
 * items. Frozen.
 */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  const incidents = [
    // First responder action past acknowledging (commander assigned, investigating or later, a note).
    ['responded_at', 'bigint'],
    // Last severity change after the incident was opened (by anyone): escalation accuracy.
    ['severity_changed_at', 'bigint'],
    // How it ended: fixed | not_an_incident (a false positive). Null while open.
    ['resolution', 'text'],
    // integration/dedup_key of the alert that opened it: recurring incidents and noisy alerts.
    ['fingerprint', 'text'],
    // First stakeholder group told; first public status-page post.
    ['stakeholders_notified_at', 'bigint'],
    ['status_posted_at', 'bigint'],
  ] as const;
  for (const [name, type] of incidents) await db.schema.alterTable('incidents').addColumn(name, type).execute();
  await db.schema.createIndex('incidents_resolved_at').on('incidents').column('resolved_at').execute();
  // The KPI queries: every column an incident KPI reads, led by severity and triggered_at, so a
  // report is a range scan of one index per severity and never reads a table row; fingerprints
  // counted in index order (recurring incidents, alerts that page most); the alerts of a period
  // by columns that never change after insert (a repeat of an alert does not rewrite the entry).
  await db.schema
    .createIndex('incidents_kpi')
    .on('incidents')
    .columns(['severity', 'triggered_at', 'merged_into', 'detected_at', 'acknowledged_at', 'responded_at', 'resolved_at', 'severity_changed_at', 'source', 'resolution', 'reopen_count', 'customer_facing', 'status_posted_at', 'stakeholders_notified_at', 'fingerprint', 'id'])
    .execute();
  await db.schema.createIndex('incidents_fingerprint_kpi').on('incidents').columns(['fingerprint', 'triggered_at', 'severity', 'merged_into', 'id']).where(sql.ref('fingerprint'), 'is not', null).execute();
  await db.schema.createIndex('alerts_first_seen').on('alerts').columns(['first_seen_at', 'integration_id', 'dedup_key', 'service_id']).execute();

  await db.schema
    .createTable('postmortems')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().unique().references('incidents.id').onDelete('cascade'))
    // draft | in_review | completed
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    // The current content (JSON document of sections); every save also writes a revision.
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    // The customer-facing version, once published to the status page.
    .addColumn('published_at', 'bigint')
    .addColumn('reminded_at', 'bigint')
    // auto (created on resolve) | manual
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('postmortems_status_due').on('postmortems').columns(['status', 'due_at']).execute();
  await db.schema.createIndex('postmortems_created').on('postmortems').column('created_at').execute();

  await withSerialId(db.schema.createTable('postmortem_revisions'), dialect)
    .addColumn('postmortem_id', 'text', (c) => c.notNull().references('postmortems.id').onDelete('cascade'))
    .addColumn('revision', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_name', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('note', 'text')
    .addUniqueConstraint('postmortem_revisions_unique', ['postmortem_id', 'revision'])
    .execute();

  await db.schema
    .createTable('action_items')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    .addColumn('postmortem_id', 'text')
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text')
    .addColumn('due_at', 'bigint')
    // high | medium | low
    .addColumn('priority', 'text', (c) => c.notNull())
    .addColumn('tracker_url', 'text')
    // open | in_progress | done | wont_do
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('closed_at', 'bigint')
    .addColumn('reminded_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('action_items_status_due').on('action_items').columns(['status', 'due_at']).execute();
  await db.schema.createIndex('action_items_owner').on('action_items').columns(['owner_id', 'status']).execute();
  await db.schema.createIndex('action_items_incident').on('action_items').column('incident_id').execute();
  await db.schema.createIndex('action_items_created').on('action_items').column('created_at').execute();
}
