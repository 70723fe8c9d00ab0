import { withTransaction } from '../../db/transaction.ts';
import { parseDuration } from '../../lib/duration.ts';
import { DomainError } from '../../lib/errors.ts';
import { newId } from '../../lib/ids.ts';
import { writeAudit } from '../audit/index.ts';
import { requireRole, type Ctx } from '../context.ts';
import { emitEvent } from '../events/index.ts';
import { checkMatchers } from './matchers.ts';
import { insertSilence, toView } from './repository.ts';
import { createSilenceInput, SILENCE_MAX_MS, type SilenceView } from './schemas.ts';

type Issue = { path: string; message: string };

/**
 * Makes a silence (responder and up): matchers (regexes checked and anchored), a window that ends
 * in the future and at most 90 days from now, and a comment saying why. Audited with who and why.
 */
export async function createSilence(ctx: Ctx, input: unknown): Promise<SilenceView> {
  requireRole(ctx, 'responder');
  const data = createSilenceInput.parse(input);
  checkMatchers(data.matchers);
  const now = ctx.clock.now();
  const issues: Issue[] = [];
  const startsAt = data.starts_at === undefined ? now : parseTime(data.starts_at, 'starts_at', issues);
  let endsAt: number | null = null;
  if ((data.ends_at === undefined) === (data.duration === undefined)) {
    issues.push({ path: 'ends_at', message: 'give exactly one of ends_at and duration' });
  } else if (data.ends_at !== undefined) {
    endsAt = parseTime(data.ends_at, 'ends_at', issues);
  } else {
    const ms = parseDuration(data.duration!);
    if (ms === null || ms <= 0) issues.push({ path: 'duration', message: 'must be a duration such as "90m", "2h" or "1d12h"' });
    else if (startsAt !== null) endsAt = startsAt + ms;
  }
  if (startsAt !== null && endsAt !== null) {
    if (endsAt <= now) issues.push({ path: 'ends_at', message: 'must be in the future' });
    else if (endsAt <= startsAt) issues.push({ path: 'ends_at', message: 'must be after starts_at' });
    else if (endsAt - now > SILENCE_MAX_MS) issues.push({ path: 'ends_at', message: 'must be at most 90 days from now' });
  }
  if (issues.length || startsAt === null || endsAt === null) throw new DomainError('VALIDATION_FAILED', issues.map((i) => `${i.path}: ${i.message}`).join('; '), { issues });

  const row = {
    id: newId('sil', now),
    matchers: JSON.stringify(data.matchers.map(({ name, op, value }) => ({ name, op, value }))),
    // A start in the past means "from now": what was sent before now was not silenced.
    starts_at: Math.max(startsAt, now),
    ends_at: endsAt,
    created_by: ctx.actor.name,
    comment: data.comment,
    created_at: now,
    expired_at: null,
  };
  return withTransaction(ctx, async (tx) => {
    await insertSilence(tx, row);
    const view = toView(row, now);
    await writeAudit(tx, { action: 'silence.created', entityType: 'silence', entityId: row.id, data: { matchers: view.matchers, starts_at: view.starts_at, ends_at: view.ends_at, comment: row.comment } });
    await emitEvent(tx, { topic: 'silence.created', aggregateType: 'silence', aggregateId: row.id, payload: { silence: view } });
    return view;
  });
}

function parseTime(text: string, path: string, issues: Issue[]): number | null {
  const ms = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(text) ? Date.parse(text) : NaN;
  if (Number.isFinite(ms)) return ms;
  issues.push({ path, message: 'must be an ISO 8601 date and time' });
  return null;
}
