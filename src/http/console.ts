import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The web console: the static files Vite builds into web/dist, served by this server (no second
 * server). Assets have content hashes in their names and are cached for a year; index.html is
 * served for every console path (/, /incidents/INC-4, …), so a reload or a shared link opens the
 * same page. Files are read once at start: the set is small and never changes while running.
 */

export const CONSOLE_DIR = resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/** The console's page may load only its own scripts and styles and talk only to this server. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Paths that belong to the API and other surfaces: never answered with the console's page. */
const NOT_CONSOLE = /^\/(api|v2|ping|status|history\.(rss|atom)|a\/|metrics|healthz|readyz|assets\/)/;

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Firebreak</title></head><body><main><h1>Firebreak</h1><p>The web console is not built. Run <code>npm run build:web</code> (npm start does it), then reload.</p><p>The API is at <code>/api/v1</code>; the status page at <a href="/status">/status</a>.</p></main></body></html>`;

interface Asset {
  body: Buffer;
  /** Gzipped once at start, when that is smaller (scripts and styles are). */
  gzip: Buffer | null;
  type: string;
}

interface ConsoleFiles {
  index: Buffer | null;
  assets: Map<string, Asset>;
}

function asset(body: Buffer, type: string): Asset {
  const zipped = body.length > 1024 ? gzipSync(body, { level: 9 }) : null;
  return { body, type, gzip: zipped && zipped.length < body.length ? zipped : null };
}

function loadConsole(dir: string): ConsoleFiles {
  const assets = new Map<string, Asset>();
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) return { index: null, assets };
  const walk = (sub: string) => {
    for (const name of readdirSync(join(dir, sub))) {
      const rel = sub ? `${sub}/${name}` : name;
      if (statSync(join(dir, rel)).isDirectory()) walk(rel);
      else if (rel !== 'index.html') assets.set(`/${rel}`, asset(readFileSync(join(dir, rel)), TYPES[extname(name)] ?? 'application/octet-stream'));
    }
  };
  walk('');
  return { index: readFileSync(indexPath), assets };
}

function sendAsset(req: FastifyRequest, reply: FastifyReply, file: Asset): FastifyReply {
  reply.header('content-type', file.type).header('vary', 'accept-encoding');
  const accepts = req.headers['accept-encoding'];
  if (file.gzip && typeof accepts === 'string' && accepts.includes('gzip')) return reply.header('content-encoding', 'gzip').send(file.gzip);
  return reply.send(file.body);
}

/** Registers the console's routes; returns the fallback for unknown paths (see build-app's not-found handler). */
export function registerConsole(app: FastifyInstance, dir = CONSOLE_DIR): (req: FastifyRequest, reply: FastifyReply) => boolean {
  const files = loadConsole(dir);
  const page = (reply: FastifyReply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .header('content-security-policy', CSP)
      .header('x-frame-options', 'DENY')
      .header('referrer-policy', 'same-origin')
      .send(files.index ?? NOT_BUILT);
  app.get('/', (_req, reply) => page(reply));
  app.get('/assets/*', (req, reply) => {
    const file = files.assets.get(req.url.split('?')[0]);
    if (!file) return reply.code(404).header('content-type', 'text/plain; charset=utf-8').send('not found');
    return sendAsset(req, reply.header('cache-control', 'public, max-age=31536000, immutable'), file);
  });
  for (const [path, file] of files.assets) {
    if (path.startsWith('/assets/')) continue;
    app.get(path, (req, reply) => sendAsset(req, reply.header('cache-control', 'public, max-age=3600'), file));
  }
  return (req, reply) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = req.url.split('?')[0];
    if (NOT_CONSOLE.test(path)) return false;
    if (!String(req.headers.accept ?? '').includes('text/html')) return false;
    page(reply);
    return true;
  };
}
