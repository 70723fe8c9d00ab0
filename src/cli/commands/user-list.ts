import type { Flags } from '../../config/settings.ts';
import { listUsers } from '../../modules/auth/index.ts';
import { displayTimeZone, formatLocalTime, toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';
import { renderTable } from '../table.ts';

/** `firebreak user list`: every user in the local database. */
export async function userListCommand(args: string[], flags: Flags & { json?: boolean }, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak user list [--json]', 2);
  const users = await withLocalContext(flags, io, (ctx) => listUsers(ctx));
  if (flags.json) {
    io.out(toJson({ data: users }));
    return 0;
  }
  if (users.length === 0) {
    io.out('no users\n');
    return 0;
  }
  const tz = displayTimeZone(io.env);
  io.out(
    renderTable(users, [
      { header: 'HANDLE', value: (u) => u.handle },
      { header: 'NAME', value: (u) => u.name, max: 30 },
      { header: 'EMAIL', value: (u) => u.email, max: 40 },
      { header: 'ROLE', value: (u) => u.role },
      { header: 'TIME ZONE', value: (u) => u.time_zone },
      { header: 'STATUS', value: (u) => (u.disabled ? 'disabled' : u.must_change_password ? 'must change password' : 'active') },
      { header: 'CREATED', value: (u) => formatLocalTime(u.created_at, tz) },
    ]),
  );
  return 0;
}
