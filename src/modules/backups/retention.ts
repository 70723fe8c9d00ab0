import type { RetentionConfig } from '../../config/backup-schema.ts';

export interface RetentionCandidate {
  id: string;
  createdAt: number;
  verified: boolean;
}

export interface RetentionPlan {
  keep: { id: string; reasons: string[] }[];
  delete: { id: string; reason: string }[];
}

const DAY = 86_400_000;
const dayKey = (t: number) => new Date(t).toISOString().slice(0, 10);
/** ISO week (Monday first), UTC: "2026-W49". */
function weekKey(t: number): string {
  const d = new Date(Math.floor(t / DAY) * DAY);
  const weekday = (d.getUTCDay() + 6) % 7;
  const thursday = new Date(d.getTime() + (3 - weekday) * DAY);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return `${thursday.getUTCFullYear()}-W${String(Math.floor((thursday.getTime() - yearStart) / DAY / 7) + 1).padStart(2, '0')}`;
}
const monthKey = (t: number) => new Date(t).toISOString().slice(0, 7);

/**
 * Which backups to keep: the newest `keep_last`; the newest of each of the newest `daily` days,
 * `weekly` weeks and `monthly` months that have one (UTC); nothing older than `max_age` unless
 * keep_last holds it (so a long outage of the backups themselves never empties the target). The
 * newest verified backup is always kept. Pure: the caller logs the plan, then deletes.
 */
export function planRetention(candidates: RetentionCandidate[], policy: RetentionConfig, now: number): RetentionPlan {
  const newestFirst = [...candidates].sort((a, b) => b.createdAt - a.createdAt || (b.id < a.id ? -1 : 1));
  const reasons = new Map<string, string[]>(newestFirst.map((c) => [c.id, []]));
  newestFirst.slice(0, policy.keep_last).forEach((c, i) => reasons.get(c.id)!.push(`last ${i + 1}`));
  const fresh = newestFirst.filter((c) => now - c.createdAt <= policy.max_age);
  const buckets = (label: string, count: number, key: (t: number) => string) => {
    const seen = new Set<string>();
    for (const c of fresh) {
      const k = key(c.createdAt);
      if (seen.has(k)) continue;
      if (seen.size >= count) break;
      seen.add(k);
      reasons.get(c.id)!.push(`${label} ${k}`);
    }
  };
  buckets('daily', policy.daily, dayKey);
  buckets('weekly', policy.weekly, weekKey);
  buckets('monthly', policy.monthly, monthKey);
  const newestVerified = newestFirst.find((c) => c.verified);
  if (newestVerified) reasons.get(newestVerified.id)!.push('newest verified');
  const plan: RetentionPlan = { keep: [], delete: [] };
  for (const c of newestFirst) {
    const r = reasons.get(c.id)!;
    if (r.length) plan.keep.push({ id: c.id, reasons: r });
    else plan.delete.push({ id: c.id, reason: now - c.createdAt > policy.max_age ? `older than max_age` : 'no rule keeps it' });
  }
  return plan;
}
