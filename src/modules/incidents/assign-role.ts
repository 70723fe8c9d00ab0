import type { z } from 'zod';
import { q, withTransaction } from '../../db/transaction.ts';
import { DomainError } from '../../lib/errors.ts';
import { requireRole, type Ctx } from '../context.ts';
import { assertNotClosed } from './assert-not-closed.ts';
import { findIncidentRow, loadIncidentView, recordChange } from './repository.ts';
import { roleInput, type IncidentView } from './schemas.ts';
import { resolveActiveUser } from './validate-refs.ts';

const ROLE_NAMES = { commander: 'incident commander', communications_lead: 'communications lead', scribe: 'scribe', responder: 'a responder' } as const;

/**
 * Assigns or removes an incident role. Commander, communications lead and scribe have one holder
 * each (assigning replaces the previous holder); responders are a set.
 */
export async function assignRole(ctx: Ctx, ref: string, input: z.input<typeof roleInput>): Promise<IncidentView> {
  requireRole(ctx, 'responder');
  const data = roleInput.parse(input);
  return withTransaction(ctx, async (tx) => {
    const row = await findIncidentRow(tx, ref, { forUpdate: true });
    assertNotClosed(row);
    const user = await resolveActiveUser(tx, data.user);
    const roles = q(tx).deleteFrom('incident_roles').where('incident_id', '=', row.id).where('role', '=', data.role);
    if (data.action === 'remove') {
      const res = await roles.where('user_id', '=', user.id).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw new DomainError('NOT_FOUND', `${user.handle} is not ${ROLE_NAMES[data.role]} of INC-${row.number}`);
      await recordChange(tx, row, { kind: 'role_removed', body: `${user.handle} is no longer ${ROLE_NAMES[data.role]}`, data: { role: data.role, user: user.handle } });
      return loadIncidentView(tx, row.id);
    }
    const current = await q(tx).selectFrom('incident_roles').select('user_id').where('incident_id', '=', row.id).where('role', '=', data.role).execute();
    if (current.some((c) => c.user_id === user.id)) return loadIncidentView(tx, row.id);
    if (data.role !== 'responder') await roles.execute();
    await q(tx).insertInto('incident_roles').values({ incident_id: row.id, role: data.role, user_id: user.id, assigned_at: tx.clock.now() }).execute();
    await recordChange(tx, row, { kind: 'role_assigned', body: `${user.handle} is ${ROLE_NAMES[data.role]}`, data: { role: data.role, user: user.handle } });
    return loadIncidentView(tx, row.id);
  });
}
