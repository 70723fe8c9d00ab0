import { useEffect, useRef } from 'react';

/**
 * Calls `fn` every `ms` while `active`: runbook runs and drills change without incident events
 * (a run need not have an incident), so their pages read again while something is in progress.
 */
export function usePoll(fn: () => void, active: boolean, ms = 1000): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => {
    if (!active) return;
    const timer = window.setInterval(() => ref.current(), ms);
    return () => clearInterval(timer);
  }, [active, ms]);
}
