/**
 * Runs each monitor's check once per interval, spread evenly over the interval: monitors sharing an
 * interval are given phases 0, I/n, 2I/n, … in id order, so 10 000 monitors at 30 s start 3 ms
 * apart instead of all at once, and the phase is the same after a restart. A min-heap holds the
 * next due time of each; at most `concurrency` checks are in flight. Lag (start − due) is the
 * scheduler's own health figure: it grows when the node cannot keep up.
 */
export interface ScheduledMonitor {
  id: string;
  interval: number;
}

interface Entry {
  due: number;
  id: string;
  interval: number;
  phase: number;
  gen: number;
}

/** Checks started per turn of the event loop, so a backlog never holds it. */
const STARTS_PER_TURN = 200;
/** Lag samples kept for percentiles. */
const LAG_SAMPLES = 20_000;

export class CheckScheduler {
  private heap: Entry[] = [];
  private gen = 0;
  private inFlight = 0;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = true;
  /** Callers of stop() waiting for the checks in flight (each one is told). */
  private idle: (() => void)[] = [];
  private lags = new Float64Array(LAG_SAMPLES);
  private lagCount = 0;
  private started = 0;

  constructor(
    private readonly opts: {
      concurrency: () => number;
      run: (id: string) => Promise<void>;
      now?: () => number;
    },
  ) {}

  private now = () => (this.opts.now ?? Date.now)();

  /** Replaces the set of monitors (those this node owns); each keeps its phase-derived due time. */
  setMonitors(monitors: ScheduledMonitor[]): void {
    const gen = ++this.gen;
    const byInterval = new Map<number, string[]>();
    for (const m of monitors) (byInterval.get(m.interval) ?? byInterval.set(m.interval, []).get(m.interval)!).push(m.id);
    const now = this.now();
    const heap: Entry[] = [];
    for (const [interval, ids] of byInterval) {
      ids.sort();
      ids.forEach((id, i) => {
        const phase = Math.floor((i * interval) / ids.length);
        heap.push({ id, interval, phase, gen, due: nextPhaseTime(now, interval, phase) });
      });
    }
    heap.sort((a, b) => a.due - b.due);
    this.heap = heap;
    this.arm();
  }

  start(): void {
    this.stopped = false;
    this.arm();
  }

  /** Stops starting checks and waits for those in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
  }

  get size(): number {
    return this.heap.length;
  }

  get running(): number {
    return this.inFlight;
  }

  /** Lag percentiles in ms over the recent samples, and checks started since start. */
  lagStats(): { p50: number; p99: number; max: number; samples: number; started: number } {
    const n = Math.min(this.lagCount, LAG_SAMPLES);
    if (n === 0) return { p50: 0, p99: 0, max: 0, samples: 0, started: this.started };
    const sorted = Array.from(this.lags.subarray(0, n)).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))];
    return { p50: at(0.5), p99: at(0.99), max: sorted[n - 1], samples: n, started: this.started };
  }

  resetLagStats(): void {
    this.lagCount = 0;
    this.started = 0;
  }

  private arm(): void {
    if (this.stopped || this.immediate) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.heap[0];
    if (!next || this.inFlight >= this.opts.concurrency()) return;
    const wait = next.due - this.now();
    if (wait <= 0) this.immediate = setImmediate(() => this.turn());
    else this.timer = setTimeout(() => this.turn(), Math.min(wait, 60_000));
  }

  private turn(): void {
    this.immediate = null;
    this.timer = null;
    if (this.stopped) return;
    const now = this.now();
    const limit = this.opts.concurrency();
    let startedNow = 0;
    while (this.heap.length && this.heap[0].due <= now && this.inFlight < limit && startedNow < STARTS_PER_TURN) {
      const entry = popMin(this.heap);
      this.lags[this.lagCount++ % LAG_SAMPLES] = now - entry.due;
      this.started++;
      startedNow++;
      // Behind by more than an interval (a stalled node): skip the missed runs, keep the phase. The
      // next run is after now: a phase falling on this very millisecond would start it twice.
      entry.due = entry.due + entry.interval > now ? entry.due + entry.interval : nextPhaseTime(now + 1, entry.interval, entry.phase);
      pushEntry(this.heap, entry);
      this.launch(entry.id, entry.gen);
    }
    this.arm();
  }

  private launch(id: string, gen: number): void {
    this.inFlight++;
    void this.opts
      .run(id)
      .catch(() => {})
      .finally(() => {
        this.inFlight--;
        if (this.stopped) {
          if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
        } else if (gen === this.gen || this.heap.length) this.arm();
      });
  }
}

/** The first time ≥ now that is `phase` into an interval (intervals counted from the epoch). */
export function nextPhaseTime(now: number, interval: number, phase: number): number {
  const base = Math.floor(now / interval) * interval + phase;
  return base >= now ? base : base + interval;
}

function pushEntry(heap: Entry[], e: Entry): void {
  heap.push(e);
  let i = heap.length - 1;
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (heap[p].due <= heap[i].due) break;
    [heap[p], heap[i]] = [heap[i], heap[p]];
    i = p;
  }
}

function popMin(heap: Entry[]): Entry {
  const top = heap[0];
  const last = heap.pop()!;
  if (heap.length) {
    heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l].due < heap[m].due) m = l;
      if (r < heap.length && heap[r].due < heap[m].due) m = r;
      if (m === i) break;
      [heap[m], heap[i]] = [heap[i], heap[m]];
      i = m;
    }
  }
  return top;
}
