/** The stored language of the request's signed-in user, for problem details (see src/http/errors.ts). */
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import type { UserLanguage } from '../http/errors.ts';
import type { AuthContext } from '../http/auth.ts';
import { isLanguage } from './index.ts';

export function makeUserLanguage(db: Database): UserLanguage {
  return async (request: FastifyRequest) => {
    const auth: AuthContext | null = request.auth;
    if (auth === null) return undefined;
    const res = await db.withUser({ userId: auth.userId, role: auth.role }, (tx) =>
      tx.query<{ language: string }>('SELECT language FROM users WHERE id = $1', [auth.userId]));
    const stored = res.rows[0]?.language;
    return isLanguage(stored) ? stored : undefined;
  };
}
