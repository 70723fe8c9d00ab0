import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createDatabase, type Database } from '../../src/db/create-db.ts';
import { DIALECTS, freshDatabaseUrl } from '../helpers/dialects.ts';
import { isolatedEnv, startFirebreakServer, type ChildServer } from '../helpers/processes.ts';

/*
 * A 202 from /v2/enqueue promises the event is stored. The real server (a child process, as in
 * production) takes a burst of triggers from several clients at once and is killed in the middle
 * of it, then started again on the same database: every event that was answered 202 must be
 * there, as an alert and its signal, and the restarted server must take more.
 */
const KEY = '8c1f0d6e2b7a4e39a5d4c3b2a1f0e9d8';
const INTEGRATION = 'database-monitoring';
const CLIENTS = 8;
/** Per client per burst; well under the per-integration limit of 6,000 a minute per server. */
const PER_CLIENT = 250;

const startServer = (dir: string, databaseUrl: string): Promise<ChildServer> =>
  startFirebreakServer({ dataDir: dir, env: isolatedEnv({ DATABASE_URL: databaseUrl, FIREBREAK_ADMIN_PASSWORD: 'restart burst admin password' }) });

const trigger = (dedupKey: string) =>
  JSON.stringify({ routing_key: KEY, event_action: 'trigger', dedup_key: dedupKey, payload: { summary: `Replica lag on ${dedupKey}`, source: 'restart-burst', severity: 'error' } });

const post = (url: string, dedupKey: string) =>
  fetch(`${url}/v2/enqueue`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: trigger(dedupKey), signal: AbortSignal.timeout(30_000) });

/**
 * CLIENTS concurrent clients, each sending triggers one after another with keys of their own,
 * until PER_CLIENT are sent or the server stops answering. Calls `midway` once `killAfter` events
 * were accepted. Returns the keys answered 202 and how the others ended.
 */
async function burst(url: string, tag: string, killAfter: number, midway: () => void) {
  const accepted: string[] = [];
  const refused: string[] = [];
  let failed = 0;
  let fired = false;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, c) => {
      for (let i = 0; i < PER_CLIENT; i++) {
        const key = `${tag}/c${c}/${i}`;
        try {
          const res = await post(url, key);
          const body = await res.text();
          if (res.status === 202) {
            assert.equal(JSON.parse(body).dedup_key, key);
            accepted.push(key);
          } else {
            // A server shutting down may answer 503 before closing; it must never claim success.
            refused.push(`${res.status} ${body}`);
          }
        } catch {
          failed++;
          return;
        }
        if (!fired && accepted.length >= killAfter) {
          fired = true;
          midway();
        }
      }
    }),
  );
  return { accepted, refused, failed, fired };
}

/** Which of `keys` have an alert of the integration, and which have a signal. */
async function stored(db: Database, keys: string[]) {
  const alerts = new Set<string>();
  const signals = new Set<string>();
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    for (const r of await db.kysely.selectFrom('alerts').select('dedup_key').where('integration_id', '=', INTEGRATION).where('dedup_key', 'in', chunk).execute()) alerts.add(r.dedup_key);
    for (const r of await db.kysely.selectFrom('signals').select('dedup_key').where('integration_id', '=', INTEGRATION).where('event_action', '=', 'trigger').where('dedup_key', 'in', chunk).execute()) signals.add(r.dedup_key!);
  }
  return { missingAlerts: keys.filter((k) => !alerts.has(k)), missingSignals: keys.filter((k) => !signals.has(k)) };
}

for (const { name: dialect, skip } of DIALECTS) {
  describe(`a restart in the middle of a burst loses nothing [${dialect}]`, { skip }, () => {
    let dir: string;
    let databaseUrl: string;
    let drop = async () => {};
    let server: ChildServer | undefined;
    let db: Database | undefined;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'firebreak-restart-'));
      const fresh = await freshDatabaseUrl(dialect, import.meta.url, dir);
      databaseUrl = fresh.url;
      drop = fresh.drop;
      server = await startServer(dir, databaseUrl);
    });
    after(async () => {
      if (server && server.child.exitCode === null && server.child.signalCode === null) {
        server.child.kill('SIGKILL');
        await server.exited;
      }
      await db?.close();
      await drop();
      rmSync(dir, { recursive: true, force: true });
    });

    /**
     * Waits until the server has applied every stored signal: a 202 means durable, and the signals
     * accepted before the crash are applied by the restarted server, in the background.
     */
    async function applied(database: Database) {
      for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
        const { n } = await database.kysely.selectFrom('signals').select((eb) => eb.fn.countAll().as('n')).where('processed_at', 'is', null).executeTakeFirstOrThrow();
        if (Number(n) === 0) return;
      }
      throw new Error('stored signals were not applied within 2 minutes');
    }

    /** Checks every accepted key is stored and applied, then that the running server takes and stores more. */
    async function everyAcceptedEventIsStored(accepted: string[], tag: string) {
      db ??= createDatabase({ databaseUrl, dataDir: dir });
      const { missingSignals: notDurable } = await stored(db, accepted);
      assert.deepEqual(notDurable.slice(0, 20), [], `${notDurable.length} of ${accepted.length} accepted events have no signal`);
      await applied(db);
      const { missingAlerts, missingSignals } = await stored(db, accepted);
      assert.deepEqual(missingAlerts.slice(0, 20), [], `${missingAlerts.length} of ${accepted.length} accepted events have no alert`);
      assert.deepEqual(missingSignals.slice(0, 20), [], `${missingSignals.length} of ${accepted.length} accepted events have no signal`);

      const more = Array.from({ length: 20 }, (_, i) => `${tag}/after/${i}`);
      for (const res of await Promise.all(more.map((k) => post(server!.url, k)))) assert.equal(res.status, 202, await res.text());
      await applied(db);
      const after = await stored(db, more);
      assert.deepEqual(after, { missingAlerts: [], missingSignals: [] });
    }

    test('SIGKILL mid-burst: every 202 is stored, and the restarted server accepts more', async (t) => {
      const killed = server!;
      const result = await burst(killed.url, 'kill', 300, () => killed.child.kill('SIGKILL'));
      const exit = await killed.exited;
      assert.equal(exit.signal, 'SIGKILL');
      assert.ok(result.fired, `the kill never happened (${result.accepted.length} accepted)`);
      assert.ok(result.failed > 0, 'some requests were cut off by the kill');
      assert.ok(result.accepted.length >= 300 && result.accepted.length < CLIENTS * PER_CLIENT, `accepted ${result.accepted.length}`);
      t.diagnostic(`accepted ${result.accepted.length}, cut off ${result.failed}, refused ${result.refused.length}`);

      server = await startServer(dir, databaseUrl);
      await everyAcceptedEventIsStored(result.accepted, 'kill');
    });

    test('SIGTERM mid-burst: in-flight requests finish, the exit is clean, every 202 is stored', async (t) => {
      const stopping = server!;
      let stoppedAt = 0;
      const result = await burst(stopping.url, 'term', 300, () => ((stoppedAt = Date.now()), stopping.child.kill('SIGTERM')));
      const burstDone = Date.now() - stoppedAt;
      const exit = await stopping.exited;
      t.diagnostic(`burst over ${burstDone} ms after SIGTERM, exit after ${Date.now() - stoppedAt} ms`);
      assert.deepEqual(exit, { code: 0, signal: null }, stopping.output());
      assert.ok(result.fired, `the stop never happened (${result.accepted.length} accepted)`);
      for (const r of result.refused) assert.match(r, /^503 /, 'while stopping the server answers 202 or 503, nothing else');
      t.diagnostic(`accepted ${result.accepted.length}, cut off ${result.failed}, refused ${result.refused.length}`);

      server = await startServer(dir, databaseUrl);
      await everyAcceptedEventIsStored(result.accepted, 'term');
    });
  });
}
