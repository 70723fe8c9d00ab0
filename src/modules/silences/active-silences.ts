import type { Ctx } from '../context.ts';
import { compileMatcher, type CompiledMatcher, type Matcher } from './matchers.ts';
import { findActiveSilenceRows } from './repository.ts';

/** A silence in force, its matchers compiled, for matching alerts in memory. */
export interface ActiveSilence {
  id: string;
  matches: CompiledMatcher[];
}

/** Silences in force now, loaded once per ingestion transaction (they are few). */
export async function loadActiveSilences(ctx: Pick<Ctx, 'db' | 'trx' | 'clock'>): Promise<ActiveSilence[]> {
  const rows = await findActiveSilenceRows(ctx, ctx.clock.now());
  return rows.map((r) => ({ id: r.id, matches: (JSON.parse(r.matchers) as Matcher[]).map(compileMatcher) }));
}

/** The first silence all of whose matchers the labels satisfy, if any. */
export function matchingSilence(silences: ActiveSilence[], labels: Record<string, string>): ActiveSilence | undefined {
  return silences.find((s) => s.matches.every((m) => m(labels)));
}
