import type { Flags } from '../../config/settings.ts';
import { createToken } from '../../modules/auth/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';

/** The user a token acts as when --user is not given: the admin that `firebreak serve` creates on first start. */
export const DEFAULT_TOKEN_USER = 'admin';

export interface TokenCreateFlags extends Flags {
  name?: string;
  user?: string;
  scopes?: string;
  json?: boolean;
}

/** `firebreak token create --name N [--user H] [--scopes read,write]`: local database; prints the secret once. */
export async function tokenCreateCommand(args: string[], flags: TokenCreateFlags, io: Io): Promise<number> {
  if (args.length) throw new CliError('usage: firebreak token create --name NAME [--user HANDLE] [--scopes read,write,admin]', 2);
  if (!flags.name) throw new CliError('token create needs --name (what the token is for, e.g. "deploy-bot")', 2);
  const scopes = flags.scopes?.split(',').map((s) => s.trim()).filter(Boolean);
  const { token, view } = await withLocalContext(flags, io, (ctx) =>
    createToken(ctx, { name: flags.name!, user: flags.user ?? DEFAULT_TOKEN_USER, ...(scopes && { scopes: scopes as never }) }),
  );
  if (flags.json) {
    io.out(toJson({ ...view, token }));
    return 0;
  }
  io.out(`Created token ${view.id} "${view.name}" acting as ${view.user}, scopes ${view.scopes.join(',')}\n`);
  io.out(`${token}\n`);
  io.out('(the secret is shown only now; store it, e.g. as FIREBREAK_TOKEN)\n');
  return 0;
}
