import type { Ctx } from '../context.ts';
import { loadActiveWindows } from '../maintenance/index.ts';
import { loadActiveSilences, type ActiveSilence } from '../silences/index.ts';

/**
 * What suppresses new alerts now: active silences and maintenance windows in progress, loaded once
 * per round of signals (they are few). A window matches the alerts on its services.
 */
export async function loadSuppressors(tx: Pick<Ctx, 'db' | 'trx' | 'clock'>): Promise<ActiveSilence[]> {
  const silences = await loadActiveSilences(tx);
  const windows = await loadActiveWindows(tx, tx.clock.now());
  return [...silences, ...windows.map((w) => ({ id: w.id, matches: [(labels: Record<string, string>) => w.services.has(labels.service)] }))];
}
