import type { GenericField, GenericIntegrationConfig } from '../../config/schema.ts';
import { DomainError, notFound } from '../../lib/errors.ts';
import { getAtPath, setAtPath } from '../../lib/json-path.ts';
import { requireRole, type Ctx } from '../context.ts';
import { cut, nonBlank, parseSenderTime, pickService, pickSeverity, workOf, type AlertPlan, type NotificationPlan } from './alert-lifecycle.ts';
import { acceptSignal, type AcceptedSignal } from './signal-queue.ts';
import { SUMMARY_MAX } from './ingest-alertmanager.ts';

/** As for the Events API's dedup_key. */
const DEDUP_KEY_MAX = 255;
/** At most this many alerts in one array body. */
export const GENERIC_ALERTS_MAX = 1000;
/** Epoch numbers below this are seconds (year 5138 in ms), at or above it milliseconds. */
const EPOCH_MS_FROM = 1e11;

type Issue = { path: string; message: string };
/**
 * As the HTTP edge refuses (src/http/storable-text.ts): text PostgreSQL cannot keep. Checked again
 * here because JSON parsed by parse_json was a string at the edge.
 */
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Ingests one generic JSON webhook body: one object, or an array of objects, each one alert, whose
 * fields are found by the integration's mapping paths. Every alert is mapped and checked first
 * (any problem: VALIDATION_FAILED naming the path, nothing stored); then ONE transaction stores the
 * signal and fires or resolves every alert by its mapped dedup key (see ingestAlerts).
 */
export async function ingestGeneric(ctx: Ctx, integrationId: string, input: unknown): Promise<AcceptedSignal> {
  requireRole(ctx, 'responder');
  const integration = ctx.config.current.integrations.find((i): i is GenericIntegrationConfig => i.id === integrationId && i.type === 'generic');
  if (!integration) throw notFound('integration', integrationId);
  const { signal, plans } = planGenericBody(ctx, integration, input);
  return { signal_id: await acceptSignal(ctx, integration.id, signal, workOf(plans)), alerts: plans.length };
}

/** A generic webhook body checked and mapped, nothing stored: the signal to keep and each alert's plan. */
export function planGenericBody(ctx: Pick<Ctx, 'clock' | 'config'>, integration: GenericIntegrationConfig, input: unknown): NotificationPlan {
  const isArray = Array.isArray(input);
  const items: unknown[] = isArray ? input : [input];
  if (items.length === 0) throw invalid([{ path: '(body)', message: 'must hold at least one alert' }]);
  if (items.length > GENERIC_ALERTS_MAX) throw invalid([{ path: '(body)', message: `must hold at most ${GENERIC_ALERTS_MAX} alerts` }]);
  // Kept as sent, before any embedded JSON is parsed.
  const payload = JSON.stringify(input);
  const now = ctx.clock.now();
  const services = new Set(ctx.config.current.services.map((s) => s.id));
  const issues: Issue[] = [];
  const plans: AlertPlan[] = [];
  items.forEach((item, index) => {
    const prefix = isArray ? `[${index}]` : '';
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      issues.push({ path: prefix || '(body)', message: 'must be a JSON object (or an array of objects)' });
      return;
    }
    const plan = planGeneric(integration, services, structuredClone(item), prefix, now, issues);
    if (plan) plans.push(plan);
  });
  if (issues.length) throw invalid(issues);
  const firing = plans.some((p) => p.status === 'firing');
  return { signal: { receivedAt: now, eventAction: firing ? 'firing' : 'resolved', dedupKey: isArray ? null : plans[0].firing.dedupKey, payload }, plans };
}

/** One object of the body mapped to Firebreak's terms, or null with its problems added to `issues`. */
function planGeneric(integration: GenericIntegrationConfig, services: Set<string>, item: object, prefix: string, now: number, issues: Issue[]): AlertPlan | null {
  const at = (path: string) => (prefix ? `${prefix}.${path}` : path).replace('.[', '[');
  const before = issues.length;
  for (const { path, segments } of integration.parse_json) {
    setAtPath(item, segments, (value) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        issues.push({ path: at(path), message: 'must be a string holding JSON (it is in parse_json)' });
        return value;
      }
    });
  }
  if (issues.length > before) return null;

  const mapped: Partial<Record<GenericField, string>> = {};
  let detectedAt = now;
  for (const [field, { path, segments }] of Object.entries(integration.mapping) as [GenericField, { path: string; segments: (string | number)[] }][]) {
    const value = getAtPath(item, segments);
    const required = field === 'summary' || field === 'dedup_key' || field === 'status';
    if (value === undefined || value === null) {
      if (required) issues.push({ path: at(path), message: `missing (the mapped ${field})` });
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      issues.push({ path: at(path), message: `must be a string or a number (the mapped ${field}), not ${Array.isArray(value) ? 'an array' : 'an object'}` });
      continue;
    }
    if (field === 'timestamp') {
      const ms = typeof value === 'number' ? (value < EPOCH_MS_FROM ? value * 1000 : value) : null;
      try {
        detectedAt = parseSenderTime(ms === null ? String(value) : Number.isFinite(ms) && ms > 0 && ms < 8.64e15 ? new Date(ms).toISOString() : 'invalid', now, at(path));
        mapped.timestamp = String(value);
      } catch {
        issues.push({ path: at(path), message: 'must be an ISO 8601 date and time or epoch seconds or milliseconds, not in the future' });
      }
      continue;
    }
    const text = String(value);
    if (UNSTORABLE.test(text)) {
      issues.push({ path: at(path), message: 'text must not contain NUL characters or unpaired UTF-16 surrogates' });
      continue;
    }
    if (required && text.trim() === '') {
      issues.push({ path: at(path), message: `must not be empty (the mapped ${field})` });
      continue;
    }
    mapped[field] = text;
  }
  const { dedup_key: dedupKey, status: statusWord, summary } = mapped;
  if (dedupKey !== undefined && dedupKey.length > DEDUP_KEY_MAX) issues.push({ path: at(integration.mapping.dedup_key.path), message: `must be at most ${DEDUP_KEY_MAX} characters` });
  let status: AlertPlan['status'] | undefined;
  if (statusWord !== undefined) {
    if (integration.status_values.firing.includes(statusWord)) status = 'firing';
    else if (integration.status_values.resolved.includes(statusWord)) status = 'resolved';
    else {
      issues.push({
        path: at(integration.mapping.status.path),
        message: `unknown status "${cut(statusWord, 100)}" (firing: ${integration.status_values.firing.join(', ')}; resolved: ${integration.status_values.resolved.join(', ')})`,
      });
    }
  }
  if (issues.length > before || dedupKey === undefined || status === undefined || summary === undefined) return null;
  return {
    status,
    firing: {
      dedupKey,
      serviceId: pickService(services, mapped.service, integration.service),
      summary: cut(summary, SUMMARY_MAX),
      source: cut(nonBlank(mapped.source) ?? integration.name, SUMMARY_MAX),
      sourceSeverity: mapped.severity ?? '',
      severity: pickSeverity(integration.severity, mapped.severity),
      detectedAt,
      // The mapped fields are the labels silences match on (timestamp is not a label).
      labels: Object.fromEntries(Object.entries(mapped).filter(([k]) => k !== 'timestamp')),
      details: { mapped, body: item },
    },
  };
}

function invalid(issues: Issue[]): DomainError {
  return new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });
}
