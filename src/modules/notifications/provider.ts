import type { Destination, ProviderType, SmtpConfig } from '../../config/oncall-schema.ts';
import type { Severity } from '../../config/defaults.ts';

/**
 * The one contract every notification provider implements: render a message for its medium and
 * send it once. Retries, backoff, rate limits and give-up belong to the dispatcher (outbox), not
 * to providers; a provider makes one attempt and says how it went.
 */

/** What a message is about; each provider renders it for its medium. */
export type MessageKind =
  /** The first page for an incident, or a later escalation level (see `level`). */
  | 'page'
  /** Someone acknowledged: follow-up to channels that were paged (PagerDuty: acknowledge event). */
  | 'acknowledged'
  /** The incident resolved: follow-up to channels that were paged (PagerDuty: resolve event). */
  | 'resolved'
  /** A stakeholder group is told about an incident (executives at once for P0/P1). */
  | 'stakeholder'
  /** A stakeholder update posted by a responder (`body`). */
  | 'update'
  /** The commander is reminded that no stakeholder update went out for the severity's cadence. */
  | 'reminder'
  /** A test message sent from the API to check a channel. */
  | 'test';

export interface NotificationMessage {
  kind: MessageKind;
  /** Stable per (incident, purpose, destination): the receiver's idempotency key. */
  idempotencyKey: string;
  incident: {
    id: string;
    /** "INC-42" */
    ref: string;
    title: string;
    severity: Severity;
    state: string;
    services: string[];
    impact: { customer_facing: boolean; user_share: number; impacted_services: string[] };
    /** The incident's page in Firebreak. */
    url: string;
    /** ISO times. */
    detected_at: string;
    triggered_at: string;
  };
  /** Signed one-click links (absent for kinds where acting makes no sense, e.g. resolved). */
  links?: { acknowledge?: string; resolve?: string };
  /** For pages: which escalation level (1-based) and round (1-based) this is, and why this recipient. */
  escalation?: { level: number; round: number; reason: string };
  /** Free text: the stakeholder update, the reminder, the test. */
  body?: string;
  /** Who the message is for (a user's display name), when it goes to one person. */
  recipient?: string;
  /** The organisation's name, for titles and email senders. */
  organisation: string;
  /** ISO time the message was queued. */
  created_at: string;
}

/** How one attempt went. The dispatcher stores it as an attempt and decides what next. */
export type SendResult =
  | { ok: true; status?: number; detail?: string }
  | {
      ok: false;
      /** False when trying again cannot help (a 400 for a malformed payload, a 404 webhook, bad config). */
      retryable: boolean;
      status?: number;
      /** Short, safe to show: never contains a URL with a secret, a token or a routing key. */
      error: string;
      /** A server's Retry-After, in ms, when it gave one. */
      retryAfterMs?: number;
    };

/** What a provider gets besides the message. */
export interface SendOptions {
  /** Abort after this long. */
  timeoutMs: number;
  /** SMTP transport settings, for email. */
  smtp?: SmtpConfig;
  /** Time source, for signature timestamps. */
  now: () => number;
}

/**
 * Where one message goes. Email always arrives with its recipients resolved (`to`), whether it
 * was declared as a channel or as a user's contact method.
 */
export type SendDestination = Exclude<Destination, { type: 'email' }> | { id: string; type: 'email'; to: string[] };

export interface Provider<D extends SendDestination = SendDestination> {
  type: ProviderType;
  /** One attempt to deliver `message` to `destination`. Never throws: every failure is a SendResult. */
  send(destination: D, message: NotificationMessage, opts: SendOptions): Promise<SendResult>;
}
