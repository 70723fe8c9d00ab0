import assert from 'node:assert/strict';
import { parseConfigText, type ConfigIssue } from '../../src/config/load.ts';

export const KEY_A = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
export const KEY_B = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';

/** A minimal config with two services and the given `integrations:` block. */
export const file = (integrations: string) => `version: 1
organisation:
  name: Test
services:
  - id: database
    name: Database
    tier: p0
  - id: api
    name: API
    tier: p0
integrations:
${integrations}`;

/** The issues of a config that must be invalid. */
export function issuesOf(text: string, env: Record<string, string> = {}): ConfigIssue[] {
  const r = parseConfigText(text, env);
  assert.equal(r.ok, false, 'expected the config to be invalid');
  return (r as { issues: ConfigIssue[] }).issues;
}
