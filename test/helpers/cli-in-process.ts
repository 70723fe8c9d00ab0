import { main } from '../../src/cli/main.ts';
import type { TestApp } from './env.ts';

/**
 * Runs a client command of the CLI in this process against a test app listening at `url`, with
 * the app's API token, no colour and UTC times; returns its exit code and what it printed.
 */
export async function runClientCommand(t: TestApp, url: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const token = t.auth.token.authorization.slice('Bearer '.length);
  const code = await main([...args, '--url', url, '--token', token], { out: (s) => (out += s), err: (s) => (err += s), env: { NO_COLOR: '1', TZ: 'UTC' } });
  return { code, out, err };
}
