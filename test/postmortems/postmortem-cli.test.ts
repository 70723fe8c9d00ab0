import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createIncident, transitionIncident } from '../../src/modules/incidents/index.ts';
import { requestPostmortem, updatePostmortem } from '../../src/modules/postmortems/index.ts';
import { createTestApp, createTestEnv, type TestApp, type TestEnv } from '../helpers/env.ts';
import { plainResolution } from './postmortem-kit.ts';
import { runClientCommand } from '../helpers/cli-in-process.ts';

describe('firebreak postmortem export (sqlite, against a running server)', () => {
  let env: TestEnv;
  let t: TestApp;
  let url: string;
  before(async () => {
    env = await createTestEnv('sqlite', import.meta.url);
    plainResolution(env);
    t = await createTestApp(env, { monitors: false });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await t?.app.close();
    await env?.close();
  });
  const run = (args: string[]) => runClientCommand(t, url, args);

  it('prints the Markdown the API exports, or the JSON with --json; no postmortem is an error', async () => {
    const responder = env.ctx(env.users.responder.actor);
    const inc = await createIncident(responder, { title: 'Search down', severity: 'P2', services: ['api'] });
    await transitionIncident(responder, inc.ref, 'resolve');
    const missing = await run(['postmortem', 'export', inc.ref]);
    assert.equal(missing.code, 1);
    assert.match(missing.err, /NOT_FOUND: INC-\d+ has no postmortem/);
    const pm = await requestPostmortem(responder, inc.ref);
    await updatePostmortem(responder, pm.id, { revision: 1, summary: 'Search returned errors.', root_cause: 'An expired certificate.' });
    const md = await run(['postmortem', 'export', inc.ref]);
    assert.equal(md.code, 0, md.err);
    const api = await t.app.inject({ method: 'GET', url: `/api/v1/postmortems/${pm.id}/export.md`, headers: t.auth.viewer });
    assert.equal(md.out, api.body);
    assert.match(md.out, /^# Postmortem: INC-\d+ Search down\n/);
    const json = await run(['postmortem', 'export', inc.ref, '--json']);
    assert.equal(JSON.parse(json.out).id, pm.id);
    assert.equal((await run(['postmortem', 'export'])).code, 2);
  });
});
