import { useLiveStatus, type LiveStatus } from '../live/live.ts';

const WORDS: Record<LiveStatus, { text: string; title: string }> = {
  connecting: { text: 'Connecting…', title: 'Opening the live connection' },
  connected: { text: 'Live', title: 'Connected: changes appear as they happen' },
  reconnecting: { text: 'Reconnecting…', title: 'The live connection dropped; trying again. What you see may be out of date.' },
  offline: { text: 'Offline', title: 'No connection to the server: what you see may be out of date. Updates resume when it is back.' },
};

/** The live connection's state, in words as well as colour. */
export function ConnectionIndicator() {
  const status = useLiveStatus();
  return (
    <p className={`live live-${status}`} role="status" aria-live="polite" data-status={status} title={WORDS[status].title}>
      <span className="live-dot" aria-hidden="true" />
      {WORDS[status].text}
    </p>
  );
}
