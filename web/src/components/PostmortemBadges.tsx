import type { ActionItemStatus, PostmortemStatus } from '../api/types.ts';

export const POSTMORTEM_STATUS_WORDS: Record<PostmortemStatus, string> = { draft: 'Draft', in_review: 'In review', completed: 'Completed' };
export const ACTION_STATUS_WORDS: Record<ActionItemStatus, string> = { open: 'Open', in_progress: 'In progress', done: 'Done', wont_do: "Won't do" };
export const PRIORITY_WORDS: Record<string, string> = { high: 'High priority', medium: 'Medium priority', low: 'Low priority' };

export function PostmortemStatusBadge({ status }: { status: PostmortemStatus }) {
  const tone = status === 'completed' ? 'ok' : status === 'in_review' ? 'wait' : 'muted';
  return <span className={`badge pm-status tone-${tone}`}>{POSTMORTEM_STATUS_WORDS[status]}</span>;
}

export function ActionStatusBadge({ status }: { status: ActionItemStatus }) {
  const tone = status === 'done' ? 'ok' : status === 'in_progress' ? 'wait' : 'muted';
  return <span className={`badge ai-status tone-${tone}`}>{ACTION_STATUS_WORDS[status]}</span>;
}

/** Past due and not finished: said in words, not only in red. */
export function OverdueBadge({ overdue }: { overdue: boolean }) {
  return overdue ? <span className="badge overdue tone-bad">Overdue</span> : null;
}
