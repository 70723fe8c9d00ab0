import { q } from '../../db/transaction.ts';
import type { Ctx } from '../context.ts';
import { enqueuePrepared, type PreparedOutgoing } from '../notifications/index.ts';
import { buildSnapshot } from './build-snapshot.ts';
import type { ComponentChange } from './component-status.ts';
import { loadPublicIncident } from './public-history.ts';
import { componentWebhookBody, incidentEmail, incidentWebhookBody, latestUpdate } from './subscriber-messages.ts';
import { subscriptionKey, unsubscribeToken, unsubscribeUrl } from './subscriber-tokens.ts';

/**
 * Fan-out to subscribers, in the caller's transaction (the notification outbox): one message per
 * subscriber, rendered now, keyed by (status update or component change, subscriber), so a retried
 * fan-out never queues twice. Only confirmed subscribers who have not unsubscribed, and only those
 * whose chosen components (none chosen: all) include a component the news is about. Nothing is
 * sent while the status page is disabled.
 *
 * The webhook's `page` block is the page-level status as the JSON API computes it (pageIndicator
 * over the stored component statuses, unresolved incidents' impacts and maintenance in progress),
 * read in this transaction: an incident created in it counts, component statuses it implies count
 * once they are synced (syncComponentStatuses; a component_update webhook follows then).
 */

interface Target {
  id: string;
  kind: string;
  components: string[] | null;
}

/** Confirmed, subscribed, and (for `kinds`) of those kinds. */
async function activeSubscribers(tx: Ctx, kinds: string[]): Promise<Target[]> {
  const rows = await q(tx)
    .selectFrom('status_subscribers')
    .select(['id', 'kind', 'components'])
    .where('confirmed_at', 'is not', null)
    .where('unsubscribed_at', 'is', null)
    .where('kind', 'in', kinds)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, kind: r.kind, components: r.components === null ? null : (JSON.parse(r.components) as string[]) }));
}

/** Whether a subscriber's choice covers any of `components` (an incident naming no component reaches only "all"). */
const wants = (t: Target, components: string[]) => t.components === null || t.components.some((c) => components.includes(c));

/**
 * Tells subscribers (confirmed email addresses and webhooks, each for the components they chose)
 * about a public incident or maintenance that was created or updated, or a maintenance that starts
 * soon (`reminder`), queued through the notification outbox in the caller's transaction. Call it
 * when the update's deliver_notifications is true; it sends the update posted last.
 */
export async function notifyIncidentSubscribers(tx: Ctx, statusIncidentId: string, event: 'created' | 'updated' | 'reminder'): Promise<void> {
  const page = tx.config.current.status_page;
  if (!page.enabled) return;
  const incident = await loadPublicIncident(tx, statusIncidentId);
  if (!incident) return;
  const targets = (await activeSubscribers(tx, ['email', 'webhook'])).filter((t) => wants(t, incident.components));
  if (!targets.length) return;
  const snapshot = await buildSnapshot(tx, {});
  const key = await subscriptionKey(tx);
  const names = new Map(snapshot.components.map((c) => [c.id, c.name]));
  // The update this is about: a reminder is keyed apart from the post it repeats.
  const stamp = `${latestUpdate(incident)?.id ?? `${incident.id}@${incident.updated_at}`}:${event === 'reminder' ? 'reminder' : 'post'}`;
  const incidentLink = `${page.url}/incidents/${encodeURIComponent(incident.id)}`;
  const items: PreparedOutgoing[] = targets.map((t) => {
    const unsubscribe = unsubscribeUrl(page.url, t.id, unsubscribeToken(key, t.id));
    const idempotencyKey = `status-sub:incident:${stamp}:${t.id}`;
    const base = { kind: 'subscriber', idempotencyKey, event: 'incident', audience: 'confirmed' } as const;
    const message =
      t.kind === 'email'
        ? { ...base, email: incidentEmail(page, incident, names, event, { incident: incidentLink, unsubscribe }, t.components) }
        : { ...base, webhook: { body: incidentWebhookBody(snapshot, incident, unsubscribe) } };
    return { key: idempotencyKey, subscriberId: t.id, message };
  });
  await enqueuePrepared(tx, items);
}

/**
 * Tells webhook subscribers that components changed status (Statuspage's component_update), in the
 * transaction that changed them. Email subscribers are not told (Statuspage does not email these
 * either: the incident that explains the change is what they get).
 */
export async function notifyComponentSubscribers(tx: Ctx, changes: ComponentChange[]): Promise<void> {
  const page = tx.config.current.status_page;
  if (!page.enabled || !changes.length) return;
  const targets = await activeSubscribers(tx, ['webhook']);
  if (!targets.length) return;
  const snapshot = await buildSnapshot(tx, {});
  const key = await subscriptionKey(tx);
  const items: PreparedOutgoing[] = [];
  for (const change of changes) {
    const component = snapshot.components.find((c) => c.id === change.component && !c.group);
    // A component removed from the config since: nobody can subscribe to it any more.
    if (!component) continue;
    for (const t of targets) {
      if (!wants(t, [change.component])) continue;
      const idempotencyKey = `status-sub:component:${change.id}:${t.id}`;
      const body = componentWebhookBody(snapshot, change, component, unsubscribeUrl(page.url, t.id, unsubscribeToken(key, t.id)));
      items.push({ key: idempotencyKey, subscriberId: t.id, message: { kind: 'subscriber', idempotencyKey, event: 'component', audience: 'confirmed', webhook: { body } } });
    }
  }
  await enqueuePrepared(tx, items);
}
