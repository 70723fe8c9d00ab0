import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { after, afterEach, before, describe, mock, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { systemClock } from '../../src/lib/clock.ts';
import { createLogger } from '../../src/lib/logger.ts';
import { MonitorRunner } from '../../src/modules/monitors/monitor-runner.ts';
import { CheckScheduler, nextPhaseTime, type ScheduledMonitor } from '../../src/modules/monitors/scheduler.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';
import { configWithMonitors } from './monitor-kit.ts';

/** A promise the test settles by hand: a check that takes as long as the test says. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const ids = (n: number, prefix = 'm') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
const every = (interval: number, list: string[]): ScheduledMonitor[] => list.map((id) => ({ id, interval }));

/**
 * Virtual time: node's mock timers drive setTimeout and Date, setImmediate is routed through a
 * zero-delay mock timeout, and time moves a millisecond at a time with the microtasks (a check's
 * promise settling) run in between, so the scheduler is followed exactly, without real waiting.
 */
const realSetImmediate = globalThis.setImmediate;
const realClearImmediate = globalThis.clearImmediate;
const flush = () => new Promise<void>((resolve) => realSetImmediate(resolve));

function useVirtualTime(start: number): void {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: start });
  globalThis.setImmediate = ((fn: () => void) => setTimeout(fn, 0)) as unknown as typeof setImmediate;
  globalThis.clearImmediate = ((t: NodeJS.Timeout) => clearTimeout(t)) as unknown as typeof clearImmediate;
}

function restoreTime(): void {
  globalThis.setImmediate = realSetImmediate;
  globalThis.clearImmediate = realClearImmediate;
  mock.timers.reset();
}

/** Runs what is due now: settled promises, then zero-delay timers, until quiet. */
async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    await flush();
    mock.timers.tick(0);
  }
  await flush();
}

async function advance(ms: number): Promise<void> {
  await settle();
  for (let i = 0; i < ms; i++) {
    mock.timers.tick(1);
    await settle();
  }
}

/** A UTC second boundary, plus `ms`. */
const T = (ms = 0) => Date.UTC(2026, 0, 1, 0, 0, 0) + ms;

describe('nextPhaseTime', () => {
  test('the first time at or after now that is `phase` into an interval counted from the epoch', () => {
    assert.equal(nextPhaseTime(T(437), 1000, 500), T(500));
    assert.equal(nextPhaseTime(T(437), 1000, 437), T(437));
    assert.equal(nextPhaseTime(T(437), 1000, 100), T(1100));
    assert.equal(nextPhaseTime(T(0), 30_000, 0), T(0));
  });
});

describe('check scheduler (virtual time)', () => {
  afterEach(() => restoreTime());

  test('100 monitors at 1 s start 10 ms apart over the second, the same phase every second, with no lag', async () => {
    useVirtualTime(T(437));
    const starts = new Map<string, number[]>();
    const s = new CheckScheduler({ concurrency: () => 1000, now: () => Date.now(), run: async (id) => void (starts.get(id) ?? starts.set(id, []).get(id)!).push(Date.now()) });
    const list = ids(100);
    s.setMonitors(every(1000, [...list].reverse()));
    s.start();
    await advance(2000);
    await s.stop();

    // Phases follow id order; those already past in the first second come in the next one.
    const expectedFirst = list.map((_, i) => (i * 10 >= 437 ? T(i * 10) : T(1000 + i * 10)));
    assert.deepEqual(list.map((id) => starts.get(id)![0]), expectedFirst);
    const bins = new Array<number>(10).fill(0);
    for (const id of list) bins[Math.floor((starts.get(id)![0] - T(437)) / 100)]++;
    assert.deepEqual(bins, new Array<number>(10).fill(10), 'an even spread, no burst');
    // The next run of each is exactly one interval later.
    for (const id of list) assert.equal(starts.get(id)![1] - starts.get(id)![0], 1000, id);
    const lag = s.lagStats();
    assert.deepEqual({ p50: lag.p50, p99: lag.p99, max: lag.max }, { p50: 0, p99: 0, max: 0 });
    assert.equal(lag.samples, lag.started);
    assert.equal(lag.started, [...starts.values()].reduce((n, l) => n + l.length, 0));
  });

  test('each interval is spread on its own, and the phases are the same for a new scheduler (a restart)', async () => {
    useVirtualTime(T(0));
    const phases = async () => {
      const first = new Map<string, number>();
      const s = new CheckScheduler({ concurrency: () => 1000, now: () => Date.now(), run: async (id) => void (first.has(id) || first.set(id, Date.now() % (id.startsWith('fast') ? 1000 : 10_000))) });
      s.setMonitors([...every(1000, ids(4, 'fast')), ...every(10_000, ids(5, 'slow'))]);
      s.start();
      await advance(10_000);
      await s.stop();
      return Object.fromEntries([...first].sort());
    };
    const once = await phases();
    assert.deepEqual(once, { fast000: 0, fast001: 250, fast002: 500, fast003: 750, slow000: 0, slow001: 2000, slow002: 4000, slow003: 6000, slow004: 8000 });
    mock.timers.tick(3_333);
    assert.deepEqual(await phases(), once);
  });

  test('never more checks in flight than the concurrency; the rest wait, are started as slots free, and their lag is reported', async () => {
    useVirtualTime(T(0));
    let inFlight = 0;
    let peak = 0;
    const pending: (() => void)[] = [];
    const started: string[] = [];
    let limit = 4;
    const s = new CheckScheduler({
      concurrency: () => limit,
      now: () => Date.now(),
      run: async (id) => {
        started.push(id);
        inFlight++;
        peak = Math.max(peak, inFlight);
        const d = deferred();
        pending.push(d.resolve);
        await d.promise;
        inFlight--;
      },
    });
    s.setMonitors(every(1000, ids(40)));
    s.start();
    await advance(999);
    assert.equal(started.length, 4, 'four started, the others wait');
    assert.equal(s.running, 4);
    // Finish the checks one by one, out of order: each freed slot starts the next due check.
    for (let round = 0; round < 30; round++) {
      const i = (round * 7) % pending.length;
      pending.splice(i, 1)[0]();
      await advance(5);
      assert.equal(inFlight, 4);
    }
    assert.equal(started.length, 34);
    assert.equal(new Set(started).size, 34, 'in due order, each once');
    assert.deepEqual(started.slice(0, 34), ids(34));
    const lag = s.lagStats();
    assert.equal(lag.started, 34);
    assert.ok(lag.max >= 140, `a waiting check's lag is counted (max ${lag.max})`);

    assert.equal(peak, 4);

    // A larger concurrency (a config reload) is used as soon as a slot frees.
    limit = 20;
    pending.shift()!();
    await advance(200);
    assert.equal(inFlight, 20);
    assert.equal(peak, 20);
    const stopping = s.stop();
    for (const resolve of pending.splice(0)) resolve();
    await advance(1);
    await stopping;
    assert.equal(inFlight, 0);
  });

  test('a hung check holds one slot only: the other monitors keep their schedule', async () => {
    useVirtualTime(T(0));
    const runs = new Map<string, number>();
    const busy = new Set<string>();
    const s = new CheckScheduler({
      concurrency: () => 3,
      now: () => Date.now(),
      // As the runner does: a check still running is not started again.
      run: async (id) => {
        if (busy.has(id)) return;
        runs.set(id, (runs.get(id) ?? 0) + 1);
        if (id === 'm000') {
          busy.add(id);
          await new Promise<void>(() => {});
        }
        await new Promise<void>((resolve) => setTimeout(resolve, 20));
      },
    });
    s.setMonitors(every(1000, ids(10)));
    s.start();
    await advance(5000);
    assert.equal(runs.get('m000'), 1);
    for (const id of ids(10).slice(1)) assert.equal(runs.get(id), 5, `${id} checked every second`);
    assert.ok(s.lagStats().max <= 20, 'no check waited for the hung one');
    assert.equal(s.running, 1);
    s.setMonitors([]);
    const stopped = await Promise.race([s.stop().then(() => 'stopped'), advance(100).then(() => 'still waiting')]);
    assert.equal(stopped, 'still waiting', 'stop waits for the hung check');
  });

  test('a node that cannot keep up: lag grows and is reported, every monitor still gets its fair turn', async () => {
    useVirtualTime(T(0));
    const runs = new Map<string, number>();
    const s = new CheckScheduler({
      concurrency: () => 1,
      now: () => Date.now(),
      run: async (id) => {
        runs.set(id, (runs.get(id) ?? 0) + 1);
        await new Promise<void>((resolve) => setTimeout(resolve, 50));
      },
    });
    // 40 checks of 50 ms each a second, one at a time: two seconds of work per second.
    s.setMonitors(every(1000, ids(40)));
    s.start();
    await advance(10_000);
    const lag = s.lagStats();
    assert.ok(lag.started >= 190 && lag.started <= 201, `one at a time, 50 ms each (${lag.started})`);
    assert.equal(lag.samples, lag.started);
    assert.ok(lag.p99 >= 500, `lag is reported (p99 ${lag.p99})`);
    const counts = ids(40).map((id) => runs.get(id) ?? 0);
    assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `fair turns: ${counts.join(',')}`);
    s.resetLagStats();
    assert.deepEqual(s.lagStats(), { p50: 0, p99: 0, max: 0, samples: 0, started: 0 });
    const stopping = s.stop();
    await advance(60);
    await stopping;
  });

  test('after a stall longer than an interval, missed runs are skipped (each monitor once), then every phase is kept', async () => {
    useVirtualTime(T(0));
    const starts: [string, number][] = [];
    const s = new CheckScheduler({
      concurrency: () => 1,
      now: () => Date.now(),
      run: async (id) => {
        starts.push([id, Date.now() - T(0)]);
        // The first check holds the only slot for three and a half intervals.
        if (starts.length === 1) await new Promise<void>((resolve) => setTimeout(resolve, 3500));
      },
    });
    s.setMonitors(every(1000, ids(4)));
    s.start();
    await advance(5999);
    await s.stop();
    assert.deepEqual(starts[0], ['m000', 0]);
    const burst = starts.filter(([, at]) => at >= 3500 && at < 3600);
    assert.deepEqual(burst.map(([id]) => id).sort(), ids(4), 'each waiting monitor runs once, not once per missed interval');
    const later = starts.filter(([, at]) => at >= 3600);
    const phase: Record<string, number> = { m000: 0, m001: 250, m002: 500, m003: 750 };
    assert.deepEqual(
      later.map(([id, at]) => [id, at % 1000]),
      later.map(([id]) => [id, phase[id]]),
      'back on their phases',
    );
    assert.equal(later.length, 9, '3750 … 5750');
    assert.ok(s.lagStats().max >= 3250);
  });

  test('setMonitors replaces the set: removed monitors stop, new ones are spread, a check in flight finishes', async () => {
    useVirtualTime(T(0));
    const starts: [string, number][] = [];
    let slow: ReturnType<typeof deferred> | null = null;
    let finished = false;
    const s = new CheckScheduler({
      concurrency: () => 10,
      now: () => Date.now(),
      run: async (id) => {
        starts.push([id, Date.now() - T(0)]);
        if (id === 'a' && !slow) {
          slow = deferred();
          await slow.promise;
          finished = true;
        }
      },
    });
    s.setMonitors(every(1000, ['a', 'b', 'c', 'd']));
    s.start();
    await advance(2499);
    s.setMonitors(every(1000, ['c', 'e']));
    assert.equal(s.size, 2);
    await advance(2000);
    (slow as ReturnType<typeof deferred> | null)?.resolve();
    await settle();
    assert.ok(finished);
    assert.deepEqual(
      starts.filter(([, at]) => at < 2500),
      [
        ['a', 0],
        ['b', 250],
        ['c', 500],
        ['d', 750],
        ['a', 1000],
        ['b', 1250],
        ['c', 1500],
        ['d', 1750],
        ['a', 2000],
        ['b', 2250],
      ],
    );
    assert.deepEqual(
      starts.filter(([, at]) => at >= 2500),
      [
        ['e', 2500],
        ['c', 3000],
        ['e', 3500],
        ['c', 4000],
      ],
    );
    await s.stop();
  });

  test('stop() stops starting checks and resolves once those in flight are done (for every caller)', async () => {
    useVirtualTime(T(0));
    const pending: (() => void)[] = [];
    let starts = 0;
    const s = new CheckScheduler({
      concurrency: () => 100,
      now: () => Date.now(),
      run: async () => {
        starts++;
        const d = deferred();
        pending.push(d.resolve);
        await d.promise;
      },
    });
    s.setMonitors(every(1000, ids(5)));
    s.start();
    await advance(999);
    assert.equal(starts, 5);
    let stopped = 0;
    const first = s.stop().then(() => stopped++);
    const second = s.stop().then(() => stopped++);
    await advance(3000);
    assert.equal(starts, 5, 'nothing started after stop');
    assert.equal(stopped, 0, 'still waiting for the checks in flight');
    for (const resolve of pending.splice(0, 4)) resolve();
    await advance(1);
    assert.equal(stopped, 0);
    pending.shift()!();
    await advance(1);
    assert.equal(stopped, 2, 'both callers of stop() are told');
    await Promise.all([first, second]);
    assert.equal(s.running, 0);
    // Nothing in flight: stop resolves at once.
    await s.stop();
  });
});

describe('check scheduler (real timers)', () => {
  test('100 monitors at 1 s: first starts spread over the second, lag small', async (t) => {
    const first = new Map<string, number>();
    const s = new CheckScheduler({ concurrency: () => 1000, now: () => Date.now(), run: async (id) => void (first.has(id) || first.set(id, Date.now())) });
    const t0 = Date.now();
    s.setMonitors(every(1000, ids(100)));
    s.start();
    for (let i = 0; i < 100 && first.size < 100; i++) await sleep(50);
    await s.stop();
    assert.equal(first.size, 100);
    const bins = new Array<number>(10).fill(0);
    for (const at of first.values()) bins[Math.min(9, Math.floor((at - t0) / 100))]++;
    t.diagnostic(`first starts per 100 ms: ${bins.join(' ')}`);
    // Timers are noisy on a busy machine; a burst would put most of them in one bin.
    assert.ok(Math.max(...bins) <= 34, `no burst: ${bins.join(' ')}`);
    assert.ok(bins.filter((n) => n > 0).length >= 7, `spread over the second: ${bins.join(' ')}`);
    assert.ok(s.lagStats().p50 < 100, `lag p50 ${s.lagStats().p50} ms`);
  });
});

/** Local targets that misbehave in every way a monitored endpoint can. */
async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

describe('monitor runner against misbehaving targets [sqlite]', () => {
  let env: TestEnv;
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const track = (server: net.Server) => {
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    });
    servers.push(server);
    return server;
  };
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url, { seedUsers: false });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    await env?.close();
  });

  test('the healthy monitor is checked every second while others hang, reset, flood or talk garbage; stop() is prompt', async (t) => {
    const healthy = await listen(track(http.createServer((_req, res) => res.end('ok'))));
    // Accepts and never answers.
    const hang = await listen(track(net.createServer(() => {})));
    // Resets the connection once the request arrives.
    const reset = await listen(track(net.createServer((socket) => socket.once('data', () => socket.resetAndDestroy()))));
    // A 10 MB body.
    const big = await listen(
      track(
        http.createServer((_req, res) => {
          res.on('error', () => {});
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(10 * 1024 * 1024) });
          res.end(Buffer.alloc(10 * 1024 * 1024, 120));
        }),
      ),
    );
    // Not HTTP at all.
    const garbage = await listen(track(net.createServer((socket) => socket.write(Buffer.from('\x00\xff garbage \r\n\x13\x37 not http at all\r\n\r\n', 'binary')))));
    const monitor = (id: string, port: number) => ({ id, service: 'database', type: 'http', url: `http://127.0.0.1:${port}/`, interval: '1s', timeout: '500ms' });
    env.config.current = configWithMonitors([monitor('big', big), monitor('garbage', garbage), monitor('hang', hang), monitor('healthy', healthy), monitor('reset', reset)]);

    const runner = new MonitorRunner({ db: env.db, config: env.config, clock: systemClock, logger: createLogger({ level: 'silent' }) });
    const startedAt = Date.now();
    await runner.start();
    await sleep(4200);
    const status = runner.status();
    const stopAt = Date.now();
    await runner.stop();
    const stopMs = Date.now() - stopAt;
    const window = Date.now() - startedAt;

    const rows = await env.db.kysely.selectFrom('monitor_results').select(['monitor_id', 'at', 'status', 'reason']).orderBy('at').execute();
    const of = (id: string) => rows.filter((r) => r.monitor_id === id);
    const healthyRows = of('healthy');
    t.diagnostic(`over ${window} ms: ${['healthy', 'hang', 'reset', 'big', 'garbage'].map((id) => `${id} ${of(id).length} (${[...new Set(of(id).map((r) => r.reason ?? 'up'))].join('/')})`).join(', ')}; lag ${JSON.stringify(status.lag_ms)}; stop ${stopMs} ms`);
    assert.ok(healthyRows.length >= 3 && healthyRows.length <= Math.ceil(window / 1000) + 1, `healthy checked about every second: ${healthyRows.length} in ${window} ms`);
    assert.ok(healthyRows.every((r) => Number(r.status) === 0), 'and up');
    assert.ok(of('hang').length >= 2 && of('hang').every((r) => r.reason === 'timeout'), `hang: ${JSON.stringify(of('hang'))}`);
    assert.ok(of('reset').length >= 2 && of('reset').every((r) => Number(r.status) === 2), `reset: ${JSON.stringify(of('reset'))}`);
    assert.ok(of('garbage').length >= 2 && of('garbage').every((r) => Number(r.status) === 2), `garbage: ${JSON.stringify(of('garbage'))}`);
    assert.ok(of('big').length >= 2, `big: ${JSON.stringify(of('big'))}`);
    assert.equal(status.monitors, 5);
    assert.ok(status.lag_ms.samples >= 12, `checks started: ${status.lag_ms.samples}`);
    // Generous: a timer fires within a millisecond or two on an idle machine.
    assert.ok(status.lag_ms.p50 < 100 && status.lag_ms.max < 1000, `lag stays small: ${JSON.stringify(status.lag_ms)}`);
    assert.ok(stopMs < 2000, `stop() took ${stopMs} ms`);
  });
});
