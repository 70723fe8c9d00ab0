import assert from 'node:assert/strict';
import { formatIssues, parseConfigText, type ConfigIssue } from '../../src/config/load.ts';
import type { FirebreakConfig } from '../../src/config/schema.ts';

/** 1-based line of the n-th line containing `needle`. */
export function lineOf(text: string, needle: string, nth = 1): number {
  let seen = 0;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) if (lines[i].includes(needle) && ++seen === nth) return i + 1;
  throw new Error(`"${needle}" not in text`);
}

/** The issues of a config text that must be invalid. */
export function issuesOf(text: string, env: Record<string, string | undefined> = {}): ConfigIssue[] {
  const r = parseConfigText(text, env);
  assert.equal(r.ok, false, 'expected the config to be invalid');
  return (r as { issues: ConfigIssue[] }).issues;
}

/** The config of a text that must be valid. */
export function configOf(text: string, env: Record<string, string | undefined> = {}): FirebreakConfig {
  const r = parseConfigText(text, env);
  if (!r.ok) assert.fail(`expected a valid config, got:\n${formatIssues('test.yaml', r.issues)}`);
  return r.config;
}
