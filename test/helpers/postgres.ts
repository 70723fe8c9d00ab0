import pg from 'pg';

/** The admin connection could not be opened: callers that may run without PostgreSQL skip on this. */
export class PostgresUnreachable extends Error {
  constructor(cause: Error) {
    super(cause.message, { cause });
    this.name = 'PostgresUnreachable';
  }
}

/**
 * Creates the empty database `name` through `adminUrl` and returns its URL. `drop` removes it even
 * while a server or pool still holds sessions on it, so a failed run leaves nothing behind.
 */
export async function createThrowawayDatabase(adminUrl: string, name: string, opts: { connectionTimeoutMillis?: number } = {}): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: opts.connectionTimeoutMillis });
  try {
    await admin.connect();
  } catch (e) {
    throw new PostgresUnreachable(e as Error);
  }
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`drop database if exists "${name}" with (force)`);
      await c.end();
    },
  };
}
