import type { Flags } from '../../config/settings.ts';
import { resetPassword } from '../../modules/auth/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';

/** `firebreak user reset-password <handle>`: local database; a new one-time password, printed once (how people declared in the config get their first). */
export async function userResetPasswordCommand(args: string[], flags: Flags & { json?: boolean }, io: Io): Promise<number> {
  const [handle, ...extra] = args;
  if (!handle || extra.length) throw new CliError('usage: firebreak user reset-password <handle>', 2);
  const { user, generatedPassword } = await withLocalContext(flags, io, (ctx) => resetPassword(ctx, handle));
  if (flags.json) {
    io.out(toJson({ user, generated_password: generatedPassword }));
    return 0;
  }
  io.out(`New one-time password for ${user.handle}: ${generatedPassword}\n(shown only now; ${user.handle} must change it after signing in; their sessions were ended)\n`);
  return 0;
}
