import type { IncidentRuleConfig } from '../../config/runbook-schema.ts';
import { withTransaction } from '../../db/transaction.ts';
import { formatDuration } from '../../lib/duration.ts';
import { isoTime } from '../../lib/iso-time.ts';
import type { Ctx } from '../context.ts';
import { findOpenIncidentOnService, recordChange } from '../incidents/index.ts';
import { drillHold, insertProposal, monitorDownSince, openIncidentsOnService, setProposalRun } from './repository.ts';
import { startRun } from './start-run.ts';

/**
 * Incident rules: "the primary database's monitor has been down for 5 minutes → propose the
 * failover runbook". Each rule proposes its runbook once per incident, as a timeline entry saying
 * why and how to run it; with `run: true` it starts the run too (which still stops at its approvals).
 * Returns how many proposals were made.
 */
export async function evaluateIncidentRules(ctx: Ctx): Promise<number> {
  const config = ctx.config.current;
  let made = 0;
  for (const rule of config.incident_rules) {
    const now = ctx.clock.now();
    const targets: { incident: { id: string; number: number }; service: string; why: string }[] = [];
    if (rule.when.incident) {
      const { service, min_severity } = rule.when.incident;
      for (const incident of await openIncidentsOnService(ctx, service, min_severity)) targets.push({ incident, service, why: `a ${incident.severity} incident is open on ${service}` });
    }
    if (rule.when.monitor_down) {
      const { monitor, for: forMs } = rule.when.monitor_down;
      const since = await monitorDownSince(ctx, monitor);
      const service = config.monitors.find((m) => m.id === monitor)?.service;
      if (since !== undefined && since <= now - forMs && service) {
        const open = await findOpenIncidentOnService(ctx, service);
        if (open) targets.push({ incident: { id: open.id, number: Number(open.number) }, service, why: `monitor ${monitor} has been down since ${isoTime(since)} (${formatDuration(forMs)} or more)` });
      }
    }
    for (const t of targets) if (await propose(ctx, rule, t.incident, t.service, t.why)) made++;
  }
  return made;
}

/**
 * While a drill runs against the service, on a drill's incident, and on the incident of a failed
 * drill, the rule proposes but never starts its run: a run started there would act on whatever the
 * rule's variables name (production, typically) because of an exercise (see drillHold).
 */
async function propose(ctx: Ctx, rule: IncidentRuleConfig, incident: { id: string; number: number }, service: string, why: string): Promise<boolean> {
  const runbook = ctx.config.current.runbooks.runbooks.find((r) => r.definition.id === rule.runbook);
  if (!runbook) return false;
  const actor = { type: 'system' as const, userId: null, name: `incident rule ${rule.id}`, role: 'responder' as const };
  return withTransaction({ ...ctx, actor, requestId: `incident-rule-${rule.id}` }, async (tx) => {
    if (!(await insertProposal(tx, { rule_id: rule.id, incident_id: incident.id, runbook_id: rule.runbook, at: tx.clock.now() }))) return false;
    const ref = `INC-${incident.number}`;
    let runId: string | null = null;
    const drill = rule.run ? await drillHold(tx, service, incident.id) : undefined;
    if (rule.run && !drill) {
      runId = (await startRun(tx, rule.runbook, { incident: incident.id, variables: rule.variables })).run.id;
      await setProposalRun(tx, rule.id, incident.id, runId);
    }
    const vars = Object.entries(rule.variables).map(([k, v]) => ` --var ${k}=${String(v)}`).join('');
    const byHand = `run it: firebreak runbook run ${rule.runbook} --incident ${ref}${vars} (add --dry-run to see the plan first)`;
    const how = drill ? `not started because ${drill.why}; if it is needed all the same, ${byHand}` : runId ? `run ${runId} started (firebreak runbook status ${runId})` : byHand;
    const link = `${tx.config.current.organisation.public_url.replace(/\/+$/, '')}/api/v1/runbooks/${rule.runbook}`;
    await recordChange(tx, incident, {
      kind: 'runbook_proposed',
      body: `Runbook ${runbook.definition.name} (${rule.runbook}) proposed by rule ${rule.id}: ${why}; ${how}`,
      data: { rule: rule.id, runbook: rule.runbook, version: runbook.version, link, variables: rule.variables, run: runId, why, ...(drill ? { drill: drill.drill_id, drill_run: drill.run_id } : {}) },
    });
    return true;
  });
}
