import { DomainError } from '../../lib/errors.ts';
import type { IncidentRow } from './repository.ts';

/** A closed incident is a record: only notes may still be added. */
export function assertNotClosed(row: IncidentRow): void {
  if (row.state === 'closed') throw new DomainError('CONFLICT', `INC-${row.number} is closed; reopen is not possible once closed`, { state: row.state });
}
