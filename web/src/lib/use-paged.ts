import { useCallback, useEffect, useRef, useState } from 'react';

/**
 * An offset-paged list: the first page when `key` changes (and on refresh), "more" appends the
 * next; an older answer never lands under a newer key.
 */
export function usePaged<T>(fetchPage: (offset: number) => Promise<{ data: T[]; next_offset: number | null }>, key: string) {
  const [state, setState] = useState<{ items: T[] | undefined; next: number | null; error: unknown; loading: boolean }>({ items: undefined, next: null, error: null, loading: true });
  const seq = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;
  const refresh = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    fetchRef.current(0).then(
      (r) => mine === seq.current && setState({ items: r.data, next: r.next_offset, error: null, loading: false }),
      (error: unknown) => mine === seq.current && setState((s) => ({ ...s, error, loading: false })),
    );
  }, []);
  useEffect(() => {
    setState({ items: undefined, next: null, error: null, loading: true });
    refresh();
  }, [key, refresh]);
  // The next offset is read from a ref: a state updater must not start requests (StrictMode runs it twice).
  const nextRef = useRef<number | null>(null);
  nextRef.current = state.next;
  const more = useCallback(() => {
    const mine = seq.current;
    const offset = nextRef.current;
    if (offset === null) return;
    setState((s) => ({ ...s, loading: true }));
    fetchRef.current(offset).then(
      (r) => mine === seq.current && setState((t) => ({ items: [...(t.items ?? []), ...r.data], next: r.next_offset, error: null, loading: false })),
      (error: unknown) => mine === seq.current && setState((t) => ({ ...t, error, loading: false })),
    );
  }, []);
  return { ...state, refresh, more };
}
