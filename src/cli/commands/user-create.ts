import type { Flags } from '../../config/settings.ts';
import { createUser } from '../../modules/auth/index.ts';
import { toJson } from '../format.ts';
import { CliError, type Io } from '../io.ts';
import { withLocalContext } from '../local-db.ts';

export interface UserCreateFlags extends Flags {
  name?: string;
  email?: string;
  role?: string;
  'time-zone'?: string;
  json?: boolean;
}

/** `firebreak user create <handle> --name N --email E [--role R] [--time-zone TZ]`: local database; prints the one-time password once. */
export async function userCreateCommand(args: string[], flags: UserCreateFlags, io: Io): Promise<number> {
  const [handle, ...extra] = args;
  if (!handle || extra.length) throw new CliError('usage: firebreak user create <handle> --name NAME --email EMAIL [--role admin|responder|viewer] [--time-zone TZ]', 2);
  const missing = (['name', 'email'] as const).filter((f) => !flags[f]);
  if (missing.length) throw new CliError(`user create needs ${missing.map((f) => `--${f}`).join(' and ')}`, 2);
  const { user, generatedPassword } = await withLocalContext(flags, io, (ctx) =>
    createUser(ctx, {
      handle,
      name: flags.name!,
      email: flags.email!,
      ...(flags.role !== undefined && { role: flags.role as never }),
      ...(flags['time-zone'] !== undefined && { time_zone: flags['time-zone'] }),
    }),
  );
  if (flags.json) {
    io.out(toJson({ user, generated_password: generatedPassword }));
    return 0;
  }
  io.out(`Created user ${user.handle} (${user.name} <${user.email}>), role ${user.role}, time zone ${user.time_zone}\n`);
  if (generatedPassword) {
    io.out(`One-time password: ${generatedPassword}\n(shown only now; ${user.handle} must change it after signing in)\n`);
  }
  return 0;
}
