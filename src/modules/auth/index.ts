export { bootstrapAdmin } from './bootstrap-admin.ts';
export { createLoginLimiters, login, logout, authenticateSession, SESSION_TTL_MS, type LoginLimiters } from './sessions.ts';
export { authenticateToken, createToken, listTokens, revokeToken } from './tokens.ts';
export { createUser, listUsers, updateUser, updateMe, getMe, getUser, changePassword, getUserByHandle, findUserByHandle, resetPassword } from './users.ts';
export * from './schemas.ts';
export { RateLimiter } from './rate-limiter.ts';
export { syncConfiguredUsers } from './sync-configured-users.ts';
