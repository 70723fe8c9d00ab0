import { systemActor, type Ctx } from '../context.ts';
import { countUsers, createUser } from './users.ts';

/**
 * On first start (no users at all) creates the `admin` user. Its password comes from
 * FIREBREAK_ADMIN_PASSWORD, or is generated and returned so the caller can print it once.
 */
export async function bootstrapAdmin(ctx: Omit<Ctx, 'actor'>, password: string | null): Promise<{ created: boolean; generatedPassword: string | null }> {
  const sys = { ...ctx, actor: systemActor('bootstrap') };
  if ((await countUsers(sys)) > 0) return { created: false, generatedPassword: null };
  const { generatedPassword } = await createUser(
    sys,
    { handle: 'admin', name: 'Administrator', email: 'admin@localhost.localdomain', role: 'admin', ...(password ? { password } : {}) },
    { mustChangePassword: password === null },
  );
  return { created: true, generatedPassword };
}
