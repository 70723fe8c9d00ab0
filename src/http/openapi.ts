import { z } from 'zod';
import type { RouteDef } from './route.ts';

const errorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** OpenAPI 3.1 document built from the same route table and Zod schemas the server runs. */
export function buildOpenApi(routes: RouteDef[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.url.replace(/:(\w+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const name of r.url.match(/:(\w+)/g) ?? []) parameters.push({ name: name.slice(1), in: 'path', required: true, schema: { type: 'string' } });
    if (r.query) {
      const qs = jsonSchema(r.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(qs.properties ?? {})) parameters.push({ name, in: 'query', required: qs.required?.includes(name) ?? false, schema });
    }
    const status = String(r.response?.status ?? 200);
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      security: r.access === 'public' ? [] : [{ bearer: [] }, { session: [] }],
      'x-firebreak-access': r.access,
      ...(parameters.length && { parameters }),
      ...(r.body && { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } }),
      responses: {
        [status]: {
          description: r.response?.description ?? 'OK',
          ...(r.response?.schema && { content: { 'application/json': { schema: jsonSchema(r.response.schema, 'output') } } }),
        },
        default: { description: 'Error', content: { 'application/json': { schema: errorSchema } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Firebreak API', version, description: 'Incident response and disaster recovery. Errors are { "error": { "code", "message", "details" } }.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'API token (fbk_…) from POST /api/v1/tokens' },
        session: { type: 'apiKey', in: 'cookie', name: 'firebreak_session' },
      },
    },
    paths,
  };
}
