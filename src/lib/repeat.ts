/**
 * Runs `pass` every `intervalMs` (first after one interval) until stopped, one pass at a time: the
 * next is scheduled when the last has finished, so a slow pass never overlaps the next. The timer
 * does not keep the process alive; `stop` waits for a pass in progress.
 */
export function repeatEvery(intervalMs: number, pass: () => Promise<unknown>): { stop(): Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = pass().finally(() => {
      if (stopped) return;
      handle = setTimeout(tick, intervalMs);
      handle.unref();
    });
  };
  let handle = setTimeout(tick, intervalMs);
  handle.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(handle);
      await running;
    },
  };
}
