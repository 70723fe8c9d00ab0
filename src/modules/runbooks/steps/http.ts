import { checkJsonAssertion, parseJsonAssertion } from '../../../lib/json-assertion.ts';
import { clip, StepFailure, type StepEnv } from './types.ts';

/** An http step's fields after templates are resolved. */
export interface HttpRequestSpec {
  url: string;
  method: string;
  headers?: Record<string, string>;
  body?: unknown;
  expect?: { status?: number | number[]; body?: string[]; headers?: Record<string, string> };
}

export interface HttpOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Sends the request and checks the answer. Runbooks call internal addresses on purpose (a
 * replica's admin port, a load balancer), so no private-address guard: the config author is trusted.
 */
export async function sendHttp(spec: HttpRequestSpec, signal: AbortSignal): Promise<{ output: HttpOutput; problems: string[] }> {
  let url: URL;
  try {
    url = new URL(spec.url);
  } catch {
    throw new StepFailure(`"${spec.url}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new StepFailure(`only http and https URLs, not ${url.protocol}`);
  const headers: Record<string, string> = { ...spec.headers };
  let body: string | undefined;
  if (spec.body !== undefined && spec.method !== 'GET' && spec.method !== 'HEAD') {
    if (typeof spec.body === 'string') body = spec.body;
    else {
      body = JSON.stringify(spec.body);
      if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) headers['content-type'] = 'application/json';
    }
  }
  let res: Response;
  try {
    res = await fetch(url, { method: spec.method, headers, body, signal, redirect: 'manual' });
  } catch (e) {
    if (signal.aborted) throw signal.reason;
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new StepFailure(`request failed: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
  const text = await res.text();
  let parsed: unknown = clip(text);
  let isJson = false;
  try {
    parsed = JSON.parse(text);
    isJson = true;
  } catch {
    // Not JSON: kept as text.
  }
  const output: HttpOutput = { status: res.status, headers: Object.fromEntries(res.headers.entries()), body: isJson && text.length > 64 * 1024 ? clip(text) : parsed };
  return { output, problems: checkAnswer(spec.expect, output, isJson ? parsed : undefined, isJson) };
}

/** Everything wrong with an answer (empty: it is what the step expects). */
export function checkAnswer(expect: HttpRequestSpec['expect'], out: HttpOutput, json: unknown, isJson: boolean): string[] {
  const problems: string[] = [];
  const statuses = expect?.status === undefined ? null : Array.isArray(expect.status) ? expect.status : [expect.status];
  if (statuses ? !statuses.includes(out.status) : out.status < 200 || out.status > 299) problems.push(`status ${out.status}, expected ${statuses ? statuses.join(' or ') : '2xx'}`);
  for (const text of expect?.body ?? []) {
    if (!isJson) {
      problems.push(`${text}: the answer is not JSON`);
      continue;
    }
    const why = checkJsonAssertion(parseJsonAssertion(text), json);
    if (why) problems.push(why);
  }
  for (const [name, want] of Object.entries(expect?.headers ?? {})) {
    const got = out.headers[name.toLowerCase()];
    if (got === undefined || !got.includes(want)) problems.push(`header ${name}: expected "${want}", got ${got === undefined ? 'none' : `"${got.slice(0, 200)}"`}`);
  }
  return problems;
}

export async function runHttpStep(spec: HttpRequestSpec, env: StepEnv): Promise<HttpOutput> {
  const { output, problems } = await sendHttp(spec, env.signal);
  if (problems.length) throw new StepFailure(problems.join('; '), output);
  return output;
}
