import { sql, type Kysely } from 'kysely';
import { withSerialId, type DialectFlags } from '../dialect.ts';

/**
 * The public status page: each component's published status (derived, or overridden by a person)
 * and the history of its changes, public incidents and scheduled maintenances with their updates,
 * the link between an internal incident and its public one (auto-post, opt-out, time to first
 * post), and subscribers. Frozen.
 */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  await db.schema
    .createTable('status_components')
    // The component id from the config (public and stable).
    .addColumn('id', 'text', (c) => c.primaryKey())
    // What the page shows now: the override if set, else what incidents, monitors and maintenance say.
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('override_status', 'text')
    .addColumn('override_by', 'text')
    .addColumn('override_at', 'bigint')
    .addColumn('override_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await withSerialId(db.schema.createTable('status_component_changes'), dialect)
    .addColumn('component_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('from_status', 'text', (c) => c.notNull())
    .addColumn('to_status', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_component_changes_by_component').on('status_component_changes').columns(['component_id', 'at']).execute();

  await db.schema
    .createTable('status_incidents')
    // Opaque, short, public (as Statuspage's ids are).
    .addColumn('id', 'text', (c) => c.primaryKey())
    // incident | maintenance
    .addColumn('kind', 'text', (c) => c.notNull())
    // The internal incident it tells the public about; never shown publicly.
    .addColumn('incident_id', 'text')
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('impact', 'text', (c) => c.notNull())
    // Set by a person: the impact is no longer computed from the components.
    .addColumn('impact_override', 'text')
    // JSON object: affected component id → the status this incident declares for it (while unresolved).
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('monitoring_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .addColumn('scheduled_for', 'bigint')
    .addColumn('scheduled_until', 'bigint')
    .addColumn('time_zone', 'text')
    // Maintenance moves to in_progress and completed by itself at its times.
    .addColumn('auto_transition', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('reminded_at', 'bigint')
    // The maintenance window that keeps the services' alerts from paging during it.
    .addColumn('maintenance_window_id', 'text')
    .addColumn('postmortem_body', 'text')
    .addColumn('postmortem_published_at', 'bigint')
    // auto | manual
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_incidents_recent').on('status_incidents').columns(['kind', 'created_at']).execute();
  await db.schema.createIndex('status_incidents_open').on('status_incidents').columns(['kind', 'status']).execute();
  await db.schema.createIndex('status_incidents_incident').on('status_incidents').column('incident_id').where(sql.ref('incident_id'), 'is not', null).execute();

  await db.schema
    .createTable('status_incident_updates')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('status_incident_id', 'text', (c) => c.notNull().references('status_incidents.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('display_at', 'bigint', (c) => c.notNull())
    // JSON array of {code, name, old_status, new_status}, or null.
    .addColumn('affected_components', 'text')
    .addColumn('deliver_notifications', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_incident_updates_by_incident').on('status_incident_updates').columns(['status_incident_id', 'created_at']).execute();

  await db.schema
    .createTable('incident_publications')
    .addColumn('incident_id', 'text', (c) => c.primaryKey().references('incidents.id').onDelete('cascade'))
    .addColumn('opted_out_at', 'bigint')
    .addColumn('opted_out_by', 'text')
    .addColumn('opted_out_reason', 'text')
    .addColumn('status_incident_id', 'text')
    // When the first public post went out, for the KPI "time from detection to first public post".
    .addColumn('first_posted_at', 'bigint')
    .addColumn('detected_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('status_subscribers')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // email | webhook
    .addColumn('kind', 'text', (c) => c.notNull())
    // The email address (lower-cased) or the webhook URL.
    .addColumn('address', 'text', (c) => c.notNull())
    // JSON array of component ids, or null for every component.
    .addColumn('components', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('confirmed_at', 'bigint')
    .addColumn('confirm_sent_at', 'bigint')
    .addColumn('unsubscribed_at', 'bigint')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('status_subscribers_address').on('status_subscribers').columns(['kind', 'address']).unique().execute();
}
