import type { Flags } from '../../config/settings.ts';
import { revokeToken } from '../../modules/auth/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';

/** `firebreak token revoke <id>`: local database; revoking an already revoked token is a no-op. */
export async function tokenRevokeCommand(args: string[], flags: Flags & { json?: boolean }, io: Io): Promise<number> {
  const [id, ...extra] = args;
  if (!id || extra.length) throw new CliError('usage: firebreak token revoke <token-id>   (ids look like tok_…)', 2);
  await withLocalContext(flags, io, (ctx) => revokeToken(ctx, id));
  io.out(flags.json ? toJson({ id, revoked: true }) : `revoked token ${id}\n`);
  return 0;
}
