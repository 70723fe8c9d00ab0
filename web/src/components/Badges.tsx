import type { IncidentState, Severity } from '../api/types.ts';
import { SEVERITY_NAMES } from '../lib/config-data.ts';

/** Severity in words as well as colour: "P0 Critical". */
export function SeverityBadge({ severity }: { severity: Severity }) {
  return (
    <span className={`badge sev sev-${severity.toLowerCase()}`}>
      {severity} <span className="badge-name">{SEVERITY_NAMES[severity]}</span>
    </span>
  );
}

export const STATE_LABELS: Record<IncidentState, string> = {
  triggered: 'Triggered',
  acknowledged: 'Acknowledged',
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  closed: 'Closed',
};

export function StateBadge({ state }: { state: IncidentState }) {
  return <span className={`badge state state-${state}`}>{STATE_LABELS[state]}</span>;
}

/** A notification's delivery status in words. */
export function DeliveryBadge({ status }: { status: string }) {
  const words: Record<string, string> = { sent: 'Delivered', pending: 'Pending', failed: 'Failed, retrying', gave_up: 'Gave up', cancelled: 'Cancelled' };
  const tone = status === 'sent' ? 'ok' : status === 'pending' ? 'wait' : status === 'cancelled' ? 'muted' : 'bad';
  return <span className={`badge delivery tone-${tone}`}>{words[status] ?? status}</span>;
}
