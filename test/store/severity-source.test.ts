import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { systemActor } from '../../src/modules/context.ts';
import { changeSeverity, createIncident, getIncident } from '../../src/modules/incidents/index.ts';
import { DIALECTS } from '../helpers/dialects.ts';
import { createTestEnv, type TestEnv } from '../helpers/env.ts';

for (const { name, skip } of DIALECTS) {
  describe(`severity source [${name}]`, { skip }, () => {
    let env: TestEnv;
    before(async () => {
      env = await createTestEnv(name, import.meta.url);
    });
    after(async () => env?.close());

    test('automation sets automation-sourced severity and may change it', async () => {
      const auto = env.ctx(systemActor('classifier'));
      const inc = await createIncident(auto, { title: 'auto', severity: 'P2', services: ['checkout'] });
      assert.equal(inc.severity_source, 'automation');
      const raised = await changeSeverity(auto, inc.ref, { severity: 'P1', reason: 'open for 30 minutes' });
      assert.equal(raised.severity, 'P1');
      assert.equal(raised.severity_source, 'automation');
    });

    test('a person’s severity is never overridden by automation', async () => {
      const person = env.ctx(env.users.responder.actor);
      const inc = await createIncident(person, { title: 'human', severity: 'P2', services: ['checkout'] });
      assert.equal(inc.severity_source, 'human');
      const lowered = await changeSeverity(person, inc.ref, { severity: 'P3', reason: 'workaround exists' });
      assert.equal(lowered.severity_source, 'human');
      const attempt = await changeSeverity(env.ctx(systemActor('duration-rule')), inc.ref, { severity: 'P1', reason: 'open for 30 minutes' });
      assert.equal(attempt.severity, 'P3');
      const full = await getIncident(person, inc.ref);
      assert.equal(full.timeline.filter((e) => e.kind === 'severity_changed').length, 1);
    });
  });
}
