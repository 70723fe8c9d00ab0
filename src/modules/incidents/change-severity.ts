import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { isHuman, requireRole, type Ctx } from '../context.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadIncidentView, recordChange } from './repository.ts';
import { severityInput, type IncidentView } from './schemas.ts';

/**
 * Changes severity with a reason. A person's change marks the severity as human-set, which
 * automation (duration rules, reclassification) must never override.
 */
export async function changeSeverity(ctx: Ctx, ref: string, input: z.input<typeof severityInput>): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = severityInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    const source = isHuman(tx.actor) ? 'human' : 'automation';
    // Automation (duration rules, reclassification) never overrides a severity a person chose.
    if (source === 'automation' && (row.severity === data.severity || row.severity_source === 'human')) return loadIncidentView(tx, row.id);
    if (row.severity === data.severity) {
      // A person confirming automation's severity makes it theirs: automation leaves it from now on.
      if (row.severity_source === 'human') return loadIncidentView(tx, row.id);
      await q(tx).updateTable('incidents').set({ severity_source: 'human' }).where('id', '=', row.id).execute();
      await recordChange(tx, row, { kind: 'severity_confirmed', body: `Severity ${row.severity} confirmed: ${data.reason}`, data: { severity: row.severity, reason: data.reason, source } });
      return loadIncidentView(tx, row.id);
    }
    await q(tx).updateTable('incidents').set({ severity: data.severity, severity_source: source, severity_changed_at: tx.clock.now() }).where('id', '=', row.id).execute();
    await recordChange(tx, row, {
      kind: 'severity_changed',
      body: `Severity ${row.severity} → ${data.severity}: ${data.reason}`,
      data: { from: row.severity, to: data.severity, reason: data.reason, source },
    });
    return loadIncidentView(tx, row.id);
  });
}
