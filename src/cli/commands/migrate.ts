import { resolveSettings, type Flags } from '../../config/settings.ts';
import { createDatabase } from '../../db/create-db.ts';
import { migrateToLatest, schemaStatus } from '../../db/migrate.ts';
import type { Io } from '../io.ts';

/** `firebreak migrate [--status]`: applies pending migrations (or shows them) and exits. */
export async function migrateCommand(flags: Flags & { status?: boolean }, io: Io): Promise<number> {
  const settings = resolveSettings(flags, io.env);
  const db = createDatabase({ databaseUrl: settings.databaseUrl, dataDir: settings.dataDir });
  try {
    if (flags.status) {
      const s = await schemaStatus(db);
      io.out(`database: ${db.dialect.name} ${db.location}\napplied:  ${s.applied.join(', ') || '(none)'}\npending:  ${s.pending.join(', ') || '(none)'}\n`);
      if (s.unknown.length) io.out(`unknown:  ${s.unknown.join(', ')} (the database is newer than this Firebreak)\n`);
      return s.unknown.length ? 1 : 0;
    }
    const { applied } = await migrateToLatest(db);
    io.out(applied.length ? `applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'database schema is up to date\n');
    return 0;
  } finally {
    await db.close();
  }
}
