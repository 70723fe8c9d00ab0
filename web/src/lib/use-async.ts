import { useCallback, useEffect, useRef, useState } from 'react';

export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Reads again, keeping what is shown until the answer arrives (no flicker on live updates). */
  reload: () => void;
  /** Shows what the server just answered to a write; older reads still in flight are dropped. */
  replace: (update: (old: T | undefined) => T | undefined) => void;
}

/** Runs `fn` when `key` changes and on reload; an older answer never overwrites a newer one. */
export function useAsync<T>(fn: () => Promise<T>, key: string): Async<T> {
  const [state, setState] = useState<{ data: T | undefined; error: unknown; loading: boolean }>({ data: undefined, error: null, loading: true });
  const seq = useRef(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fnRef.current().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error: unknown) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
  }, []);
  useEffect(() => {
    // A new key is a new question: do not show the old answer under it.
    setState({ data: undefined, error: null, loading: true });
    run();
  }, [key, run]);
  const replace = useCallback((update: (old: T | undefined) => T | undefined) => {
    seq.current++;
    setState((s) => ({ data: update(s.data), error: null, loading: false }));
  }, []);
  return { ...state, reload: run, replace };
}
