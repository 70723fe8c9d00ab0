import { resolve } from 'node:path';

/**
 * Process settings from flags and the environment. This module and `readEnvironment` are the only
 * code that looks at process.env; everything else receives a Settings object.
 */
export interface Settings {
  port: number;
  host: string;
  dataDir: string;
  configPath: string | null;
  databaseUrl: string | null;
  adminPassword: string | null;
  logLevel: string;
  /**
   * Reverse proxies whose X-Forwarded-For to believe (Fastify's trustProxy: true, a hop count, or
   * comma-separated addresses/CIDRs). Off by default: login throttling keys on the client address.
   */
  trustProxy: boolean | number | string;
  /** Snapshot of the environment used for `${VAR}` substitution in firebreak.yaml. */
  env: Readonly<Record<string, string | undefined>>;
}

export type Flags = Partial<Record<'port' | 'host' | 'data-dir' | 'config' | 'database-url' | 'log-level' | 'trust-proxy', string>>;

export function readEnvironment(): Record<string, string | undefined> {
  return { ...process.env };
}

export function resolveSettings(flags: Flags, env: Record<string, string | undefined>): Settings {
  const portText = flags.port ?? env.PORT ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`invalid port "${portText}" (expected 0-65535)`);
  }
  return {
    port,
    host: flags.host ?? env.HOST ?? '0.0.0.0',
    dataDir: resolve(flags['data-dir'] ?? env.FIREBREAK_DATA_DIR ?? './data'),
    configPath: flags.config ?? env.FIREBREAK_CONFIG ?? null,
    databaseUrl: flags['database-url'] ?? env.DATABASE_URL ?? null,
    adminPassword: env.FIREBREAK_ADMIN_PASSWORD || null,
    logLevel: flags['log-level'] ?? env.LOG_LEVEL ?? 'info',
    trustProxy: parseTrustProxy(flags['trust-proxy'] ?? env.FIREBREAK_TRUST_PROXY ?? ''),
    env,
  };
}

function parseTrustProxy(text: string): boolean | number | string {
  const t = text.trim();
  if (t === '' || t === 'false') return false;
  if (t === 'true') return true;
  if (/^\d+$/.test(t)) return Number(t);
  return t;
}
