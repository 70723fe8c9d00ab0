import { sql, type Kysely } from 'kysely';
import { withSerialId, type DialectFlags } from '../dialect.ts';

/**
 * On-call and notifications: schedule overrides, one escalation per incident with the policy it
 * was bound to, the steps that ran (one row per incident, level and round: the exactly-once key),
 * the notification outbox with every delivery attempt, used one-click links, and Firebreak's own
 * signing keys. The domain-event outbox gains `reacted_at`: reactions (escalation, reminders)
 * claim events that have none. Frozen.
 */
export async function up(db: Kysely<any>, dialect: DialectFlags): Promise<void> {
  await db.schema.alterTable('outbox').addColumn('reacted_at', 'bigint').execute();
  // Events from before this version have had whatever reaction they were going to get.
  await db.updateTable('outbox').set({ reacted_at: sql`at` }).execute();
  await db.schema.createIndex('outbox_unreacted').on('outbox').column('id').where(sql.ref('reacted_at'), 'is', null).execute();

  await db.schema
    .createTable('schedule_overrides')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('schedule_id', 'text', (c) => c.notNull())
    .addColumn('user_handle', 'text', (c) => c.notNull())
    // A swap: the override applies only where this user would have been on call.
    .addColumn('replaces', 'text')
    .addColumn('starts_at', 'bigint', (c) => c.notNull())
    .addColumn('ends_at', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('cancelled_at', 'bigint')
    .addColumn('cancelled_by', 'text')
    .execute();
  await db.schema.createIndex('schedule_overrides_range').on('schedule_overrides').columns(['schedule_id', 'ends_at']).execute();

  await db.schema
    .createTable('escalations')
    .addColumn('incident_id', 'text', (c) => c.primaryKey().references('incidents.id').onDelete('cascade'))
    .addColumn('policy_id', 'text')
    // The policy as it was when bound: later edits apply to new incidents (or on re-bind).
    .addColumn('policy', 'text')
    .addColumn('severity', 'text', (c) => c.notNull())
    // active | acknowledged | resolved | exhausted | reassigned | none (no policy)
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('next_step_at', 'bigint')
    .addColumn('last_update_at', 'bigint')
    .addColumn('started_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('escalation_steps')
    .addColumn('incident_id', 'text', (c) => c.notNull().references('incidents.id').onDelete('cascade'))
    // The idempotency key: (incident, level, round); manual escalations and re-notifications use their own rounds.
    .addColumn('step_key', 'text', (c) => c.notNull())
    .addColumn('level', 'integer', (c) => c.notNull())
    .addColumn('round', 'integer', (c) => c.notNull())
    .addColumn('due_at', 'bigint', (c) => c.notNull())
    .addColumn('fired_at', 'bigint', (c) => c.notNull())
    .addColumn('node', 'text', (c) => c.notNull())
    .addColumn('recipients', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('escalation_steps_pk', ['incident_id', 'step_key'])
    .execute();
  await db.schema.createIndex('escalation_steps_fired').on('escalation_steps').column('fired_at').execute();

  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // Same key, same message: a second enqueue is a no-op, and receivers see it as Idempotency-Key.
    .addColumn('key', 'text', (c) => c.notNull().unique())
    .addColumn('incident_id', 'text', (c) => c.references('incidents.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    // channel:<id> or user:<handle>:<method>; the provider settings are read from config at send time.
    .addColumn('destination', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('user_handle', 'text')
    .addColumn('message', 'text', (c) => c.notNull())
    // pending | sent | failed | gave_up | cancelled
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint')
    .addColumn('give_up_at', 'bigint', (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_until', 'bigint')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('sent_at', 'bigint')
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notifications_due').on('notifications').column('next_attempt_at').where(sql.ref('status'), '=', 'pending').execute();
  await db.schema.createIndex('notifications_incident').on('notifications').columns(['incident_id', 'created_at']).execute();

  await withSerialId(db.schema.createTable('notification_attempts'), dialect)
    .addColumn('notification_id', 'text', (c) => c.notNull().references('notifications.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('ok', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('latency_ms', 'integer', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('node', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notification_attempts_notification').on('notification_attempts').columns(['notification_id', 'id']).execute();

  await db.schema
    .createTable('action_link_uses')
    // The link's nonce: a link acts once.
    .addColumn('nonce', 'text', (c) => c.primaryKey())
    .addColumn('incident_id', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('used_at', 'bigint', (c) => c.notNull())
    .addColumn('used_by', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('app_secrets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
