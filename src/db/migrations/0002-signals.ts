import { sql, type Kysely } from 'kysely';
import { withSerialId, type DialectFlags } from '../dialect.ts';

/** Signals (every accepted event, as received) and the alerts they open, repeat, acknowledge and resolve. Frozen. */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  await withSerialId(db.schema.createTable('signals'), dialect)
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('received_at', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('event_action', 'text')
    .addColumn('dedup_key', 'text')
    .addColumn('payload', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('signals_integration_received').on('signals').columns(['integration_id', 'received_at']).execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('dedup_key', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('severity', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('incident_id', 'text', (c) => c.references('incidents.id'))
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('detected_at', 'bigint', (c) => c.notNull())
    .addColumn('acknowledged_at', 'bigint')
    .addColumn('resolved_at', 'bigint')
    .addColumn('event_count', 'integer', (c) => c.notNull())
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  // Resolved alerts are kept; at most one alert per key is open (both engines have partial indexes).
  await db.schema
    .createIndex('alerts_open_key')
    .on('alerts')
    .columns(['integration_id', 'dedup_key'])
    .unique()
    .where(sql.ref('status'), '<>', 'resolved')
    .execute();
  await db.schema.createIndex('alerts_key').on('alerts').columns(['integration_id', 'dedup_key']).execute();
  await db.schema.createIndex('alerts_incident').on('alerts').column('incident_id').execute();

  // Change events (deploys, config changes): never page anyone, shown beside incidents on the service.
  await withSerialId(db.schema.createTable('change_events'), dialect)
    .addColumn('signal_id', 'bigint', (c) => c.notNull())
    .addColumn('integration_id', 'text', (c) => c.notNull())
    .addColumn('service_id', 'text', (c) => c.notNull())
    .addColumn('happened_at', 'bigint', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('source', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('change_events_service_time').on('change_events').columns(['service_id', 'happened_at']).execute();
}
