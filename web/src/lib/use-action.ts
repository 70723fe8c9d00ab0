import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * One action's life: in flight (the button is disabled, and a second submit is ignored even
 * before React re-renders), then its result or its error, as the server gave it.
 */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const inFlight = useRef(false);
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  /** Runs `fn` unless already running; resolves true when it worked. */
  const run = useCallback(async (fn: () => Promise<unknown>, success: string): Promise<boolean> => {
    if (inFlight.current) return false;
    inFlight.current = true;
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      await fn();
      if (mounted.current) setDone(success);
      return true;
    } catch (err) {
      if (mounted.current) setError(err);
      return false;
    } finally {
      inFlight.current = false;
      if (mounted.current) setBusy(false);
    }
  }, []);

  return { busy, error, done, run };
}
