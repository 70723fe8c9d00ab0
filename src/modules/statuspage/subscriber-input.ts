import { z } from 'zod';
import type { FirebreakConfig } from '../../config/schema.ts';
import { DomainError } from '../../lib/errors.ts';
import { checkPublicTarget } from '../notifications/index.ts';

/**
 * What a subscription request may say, and how it is checked: one plain email address (no display
 * name, no line breaks: it goes into a To header) or an http(s) webhook URL (no credentials, not
 * private), and the leaf components chosen (none: all of them). Raw lengths are capped generously
 * here so that the precise limits below can say what is wrong.
 */

export const SUBSCRIBER_KINDS = ['email', 'webhook'] as const;
export type SubscriberKind = (typeof SUBSCRIBER_KINDS)[number];

const componentsField = z.union([z.string().max(200), z.array(z.string().max(200)).max(500)]);

/** The public form (urlencoded or JSON): `kind` may be left out when only one of email/url is given. */
export const subscribeInput = z.strictObject({
  kind: z.enum(SUBSCRIBER_KINDS).optional(),
  email: z.string().max(1000).optional(),
  url: z.string().max(4000).optional(),
  /** Leaf component ids: one (a string) or several; absent or empty: every component. */
  components: componentsField.optional(),
});

/** An admin adding a subscriber: as the form, plus `confirmed` to skip double opt-in for email. */
export const addSubscriberInput = z.strictObject({
  kind: z.enum(SUBSCRIBER_KINDS),
  email: z.string().max(1000).optional(),
  url: z.string().max(4000).optional(),
  components: z.array(z.string().max(200)).max(500).optional(),
  /** Email only: store it confirmed, without sending a confirmation link (the admin vouches for it). */
  confirmed: z.boolean().optional(),
});

export const MAX_EMAIL = 254;
export const MAX_URL = 2000;

export interface Subscription {
  kind: SubscriberKind;
  /** The lower-cased email address, or the normalised URL. */
  address: string;
  /** Chosen leaf component ids, or null for all. */
  components: string[] | null;
}

type Issue = { path: string; message: string };

// RFC 5322 dot-atoms only: no quoted local parts, comments, display names or IP literals.
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
// Control characters, and Unicode line/paragraph separators: nothing that could end a header line.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A single plain address, lower-cased, or an issue. */
export function normaliseEmail(raw: string): { ok: true; address: string } | { ok: false; message: string } {
  if (CONTROL.test(raw)) return { ok: false, message: 'must not contain line breaks or control characters' };
  const address = raw.trim().toLowerCase();
  if (!address) return { ok: false, message: 'is required' };
  if (address.length > MAX_EMAIL) return { ok: false, message: `must be at most ${MAX_EMAIL} characters` };
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (at < 1 || !LOCAL.test(local) || local.length > 64 || !DOMAIN.test(domain)) return { ok: false, message: 'must be one plain email address such as name@example.com (no name, no list)' };
  return { ok: true, address };
}

/** An http(s) URL without credentials, at most MAX_URL long, normalised; or an issue. */
export function normaliseUrl(raw: string): { ok: true; url: string } | { ok: false; message: string } {
  // The URL parser silently drops tabs and line breaks; refuse them instead of guessing.
  if (CONTROL.test(raw) || /\s/.test(raw.trim())) return { ok: false, message: 'must not contain spaces, line breaks or control characters' };
  const text = raw.trim();
  if (!text) return { ok: false, message: 'is required' };
  if (text.length > MAX_URL) return { ok: false, message: `must be at most ${MAX_URL} characters` };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, message: 'must be a URL such as https://example.com/hooks/status' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, message: 'must be an http or https URL' };
  if (url.username || url.password) return { ok: false, message: 'must not contain a user name or password' };
  if (!url.hostname) return { ok: false, message: 'must name a host' };
  if (url.href.length > MAX_URL) return { ok: false, message: `must be at most ${MAX_URL} characters` };
  return { ok: true, url: url.href };
}

/** The chosen components as a list of known leaf ids (null: all), or the unknown ones. */
export function normaliseComponents(config: FirebreakConfig, raw: string | string[] | undefined): { ok: true; components: string[] | null } | { ok: false; unknown: string[] } {
  const given = [...new Set((raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]).map((c) => c.trim()).filter(Boolean))];
  if (!given.length) return { ok: true, components: null };
  const known = new Set(config.status_page.components.map((c) => c.id));
  const unknown = given.filter((c) => !known.has(c));
  if (unknown.length) return { ok: false, unknown };
  // In page order, so the stored choice does not depend on the order of the form's fields.
  return { ok: true, components: config.status_page.components.map((c) => c.id).filter((id) => given.includes(id)) };
}

/** The kind asked for: as given, else the one whose field alone is present (a form with only an email field). */
export function inferKind(data: { kind?: SubscriberKind | undefined; email?: string | undefined; url?: string | undefined }): SubscriberKind | undefined {
  if (data.kind) return data.kind;
  if (data.email !== undefined && data.url === undefined) return 'email';
  if (data.url !== undefined && data.email === undefined) return 'webhook';
  return undefined;
}

/**
 * Checks a request (parsed by subscribeInput or addSubscriberInput) and returns what to store; every
 * problem is listed at once (VALIDATION_FAILED). Webhook URLs are resolved and refused when private,
 * unless the config allows private targets. Messages are fixed phrases plus the unknown component
 * ids (cut short): the address or URL given is never quoted back.
 */
export async function checkSubscription(config: FirebreakConfig, data: { kind?: SubscriberKind | undefined; email?: string | undefined; url?: string | undefined; components?: string | string[] | undefined }): Promise<Subscription> {
  const issues: Issue[] = [];
  const kind = inferKind(data);
  if (!kind) issues.push({ path: 'kind', message: 'say whether to subscribe an email address (kind=email) or a webhook (kind=webhook)' });
  if (kind === 'email' && data.url !== undefined) issues.push({ path: 'url', message: 'only a webhook subscription has a url' });
  if (kind === 'webhook' && data.email !== undefined) issues.push({ path: 'email', message: 'only an email subscription has an email address' });
  let address: string | null = null;
  if (kind === 'email') {
    const r = normaliseEmail(data.email ?? '');
    if (r.ok) address = r.address;
    else issues.push({ path: 'email', message: r.message });
  }
  if (kind === 'webhook') {
    const r = normaliseUrl(data.url ?? '');
    if (r.ok) address = r.url;
    else issues.push({ path: 'url', message: r.message });
  }
  const comps = normaliseComponents(config, data.components);
  if (!comps.ok) {
    const shown = comps.unknown.slice(0, 20).map((c) => `"${c.slice(0, 64)}"`);
    issues.push({ path: 'components', message: `unknown component(s) ${shown.join(', ')}${comps.unknown.length > 20 ? ` and ${comps.unknown.length - 20} more` : ''}; see /api/v2/components.json for the ids` });
  }
  if (kind === 'webhook' && address && !issues.length && !config.status_page.subscribers.allow_private_targets) {
    const target = await checkPublicTarget(address);
    if (!target.ok) issues.push({ path: 'url', message: target.reason });
  }
  if (issues.length || !kind || !address || !comps.ok) throw validation(issues, comps.ok ? [] : comps.unknown);
  return { kind, address, components: comps.components };
}

function validation(issues: Issue[], unknown: string[]): DomainError {
  return new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues, ...(unknown.length ? { unknown_components: unknown.slice(0, 100) } : {}) });
}
