import type { Ctx } from '../context.ts';
import type { ComponentChange } from './component-status.ts';

/**
 * Tells subscribers (confirmed email addresses and webhooks, each for the components they chose)
 * about a public incident or maintenance that was created or updated, queued through the
 * notification outbox in the caller's transaction.
 */
export async function notifyIncidentSubscribers(_tx: Ctx, _statusIncidentId: string, _event: 'created' | 'updated' | 'reminder'): Promise<void> {}

/** Tells webhook subscribers that components changed status (Statuspage's component_update). */
export async function notifyComponentSubscribers(_tx: Ctx, _changes: ComponentChange[]): Promise<void> {}
