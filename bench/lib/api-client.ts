import { request, type Agent } from 'node:http';
import { BENCH_ADMIN_PASSWORD } from '../support.ts';

export interface ApiReply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

/** One JSON request over node:http with the caller's keep-alive agent. */
export function apiCall(agent: Agent, base: string, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<ApiReply> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      { method, agent, headers: { accept: 'application/json', ...headers, ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) }, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), headers: res.headers }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** Signs in as the bootstrap admin and creates an API token through the API itself. */
export async function benchApiToken(agent: Agent, base: string): Promise<string> {
  const login = await apiCall(agent, base, 'POST', '/api/v1/auth/login', {}, { handle: 'admin', password: BENCH_ADMIN_PASSWORD });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${login.body}`);
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const created = await apiCall(agent, base, 'POST', '/api/v1/tokens', { cookie }, { name: 'bench', scopes: ['read', 'write'] });
  if (created.status !== 201) throw new Error(`token create failed: ${created.status} ${created.body}`);
  return JSON.parse(created.body).token;
}
