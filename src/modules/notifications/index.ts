export { enqueueNotifications, cancelPendingNotifications, type Outgoing } from './enqueue.ts';
export { channelRecipient, dedupeRecipients, userRecipients, resolveDestination, channelDestination, userDestination, type Recipient } from './destinations.ts';
export { buildMessage, incidentUrl, actionLinkUrl, type MessageInput } from './message.ts';
export { loadSigningKey } from './signing-key.ts';
export { signLink, verifyLink, LINK_ACTIONS, type LinkAction, type LinkClaims, type LinkCheck } from './action-links.ts';
export type { NotificationMessage, MessageKind, SendResult, SendDestination } from './provider.ts';
export { NotificationDispatcher, retryDelay, type DispatcherOptions } from './dispatcher.ts';
export const NOTIFICATION_STATUSES = ['pending', 'sent', 'failed', 'gave_up', 'cancelled'] as const;
export { testChannel } from './test-channel.ts';
