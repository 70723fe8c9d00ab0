import { createContext, useContext } from 'react';
import type { Role, UserView } from '../api/types.ts';

const RANK: Record<Role, number> = { viewer: 0, responder: 1, admin: 2 };

/** Whether a user's role reaches `role` (viewer < responder < admin), as the server checks it. */
export const hasRole = (user: UserView, role: Role) => RANK[user.role] >= RANK[role];

export interface Session {
  user: UserView;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in console');
  return s;
}
