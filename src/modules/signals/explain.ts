import type { IntegrationConfig } from '../../config/schema.ts';
import { notFound } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { loadActiveWindows } from '../maintenance/index.ts';
import { loadActiveSilences } from '../silences/index.ts';
import { alertLabels, type FiringAlert } from './alert-lifecycle.ts';
import { classify, type Classification } from './classify.ts';
import { placeAlert } from './correlate.ts';
import { planAlertmanager } from './ingest-alertmanager.ts';
import { planEvent } from './ingest-event.ts';
import { planGenericBody } from './ingest-generic.ts';
import { planGrafana } from './ingest-grafana.ts';
import { q } from '../../db/transaction.ts';

/** What one alert of a sample payload would do, and why. */
export interface AlertExplanation {
  dedup_key: string;
  action: 'trigger' | 'acknowledge' | 'resolve';
  service: string | null;
  summary: string | null;
  labels: Record<string, string> | null;
  /** The alert open for this key now, if any. */
  open_alert: { id: string; status: string; incident_id: string | null; suppressed: boolean } | null;
  /** Every silence and maintenance window in force that matches (the first one wins). */
  suppressed_by: { type: 'silence' | 'maintenance_window'; id: string }[];
  /** The incident it would join or open, when it reaches one. */
  incident:
    | { action: 'join'; ref: string; via: 'service' | 'dependency'; root_cause_service: string | null }
    | { action: 'reopen'; ref: string }
    | { action: 'create'; absorbs: string[] }
    | null;
  severity: { severity: string; rule: string | null; reason: string; impact: Classification['impact'] } | null;
  /** In a sentence: what happens. */
  outcome: string;
}

/**
 * Runs a sample payload through the integration's mapping and the pipeline's decisions without
 * storing anything: the dedup key, the service, matching silences and windows, the incident it
 * would join (or open, and which incidents that would absorb) and the severity with the rule that
 * decided it. Malformed samples are refused exactly as the receiver would refuse them.
 */
export async function explainPayload(ctx: Ctx, integrationId: string, input: unknown): Promise<{ integration: string; type: IntegrationConfig['type']; alerts: AlertExplanation[] }> {
  requireRole(ctx, 'viewer');
  const integration = ctx.config.current.integrations.find((i) => i.id === integrationId);
  if (!integration) throw notFound('integration', integrationId);
  const items: { action: AlertExplanation['action']; dedupKey: string; firing: FiringAlert | null }[] = [];
  if (integration.type === 'events_v2') {
    const plan = planEvent(ctx, integration, input);
    items.push({ action: plan.action, dedupKey: plan.dedupKey, firing: plan.firing });
  } else {
    const { plans } =
      integration.type === 'alertmanager' ? planAlertmanager(ctx, integration, input) : integration.type === 'grafana' ? planGrafana(ctx, integration, input) : planGenericBody(ctx, integration, input);
    for (const p of plans) items.push({ action: p.status === 'firing' ? 'trigger' : 'resolve', dedupKey: p.firing.dedupKey, firing: p.status === 'firing' ? p.firing : null });
  }
  const now = ctx.clock.now();
  const silences = await loadActiveSilences(ctx);
  const windows = await loadActiveWindows(ctx, now);
  const alerts: AlertExplanation[] = [];
  for (const item of items) {
    const open = await q(ctx).selectFrom('alerts').select(['id', 'status', 'incident_id', 'suppressed_by', 'service_id']).where('integration_id', '=', integration.id).where('dedup_key', '=', item.dedupKey).where('status', '<>', 'resolved').executeTakeFirst();
    const openAlert = open ? { id: open.id, status: open.status, incident_id: open.incident_id, suppressed: open.suppressed_by !== null } : null;
    const base = { dedup_key: item.dedupKey, action: item.action, open_alert: openAlert, suppressed_by: [], incident: null, severity: null };
    if (!item.firing) {
      alerts.push({ ...base, service: open?.service_id ?? null, summary: null, labels: null, outcome: open ? `${item.action === 'resolve' ? 'resolves' : 'acknowledges'} open alert ${open.id}` : `dropped: no alert is open for this key` });
      continue;
    }
    const firing = { ...item.firing, serviceId: open?.service_id ?? item.firing.serviceId };
    const labels = alertLabels(integration, firing);
    const suppressedBy = [
      ...silences.filter((s) => s.matches.every((m) => m(labels))).map((s) => ({ type: 'silence' as const, id: s.id })),
      ...windows.filter((w) => w.services.has(labels.service)).map((w) => ({ type: 'maintenance_window' as const, id: w.id })),
    ];
    const classification = classify(ctx.config.current, { ...firing, integration: integration.id });
    const severity = { severity: classification.severity, rule: classification.rule, reason: classification.text, impact: classification.impact };
    const common = { ...base, service: firing.serviceId, summary: firing.summary, labels, suppressed_by: suppressedBy, severity };
    if (open && !open.suppressed_by) {
      alerts.push({ ...common, outcome: `repeats open alert ${open.id} (count and last seen go up)` });
      continue;
    }
    if (suppressedBy.length) {
      alerts.push({ ...common, outcome: `kept but suppressed by ${suppressedBy[0].type.replace('_', ' ')} ${suppressedBy[0].id}: no incident, nobody paged` });
      continue;
    }
    const placement = await placeAlert(ctx, firing.serviceId);
    if (placement.kind === 'reopen') {
      const ref = `INC-${placement.incident.number}`;
      alerts.push({ ...common, incident: { action: 'reopen', ref }, outcome: `reopens ${ref} (resolved on ${firing.serviceId} within resolution.reopen_window)` });
    } else if (placement.kind === 'join') {
      const ref = `INC-${placement.incident.number}`;
      const root = placement.via === 'dependency' ? placement.rootService : null;
      alerts.push({
        ...common,
        incident: { action: 'join', ref, via: placement.via, root_cause_service: root },
        outcome: `joins ${ref}${root ? ` (on ${root}, which ${firing.serviceId} depends on: likely root cause)` : ` (open on ${firing.serviceId})`}`,
      });
    } else {
      const absorbs = placement.absorbs.map((i) => `INC-${i.number}`);
      alerts.push({
        ...common,
        incident: { action: 'create', absorbs },
        outcome: `opens a ${classification.severity} incident on ${firing.serviceId}${absorbs.length ? `, absorbing ${absorbs.join(', ')}` : ''}`,
      });
    }
  }
  return { integration: integration.id, type: integration.type, alerts };
}
