/** The signed-in user's stored language, the fallback language of a problem's text (src/http/errors.ts). */
import type { FastifyRequest } from 'fastify';
import type { Database } from '../db/database.ts';
import { storedLanguageOf } from '../users/queries.ts';
import { isLanguage } from '../i18n/index.ts';
import type { UserLanguage } from './errors.ts';

export function makeUserLanguage(db: Database): UserLanguage {
  return async (request: FastifyRequest) => {
    const auth = request.auth;
    if (auth === null) return undefined;
    const stored = await db.withUser({ userId: auth.userId, role: auth.role }, (tx) =>
      storedLanguageOf(tx, auth.userId),
    );
    return isLanguage(stored) ? stored : undefined;
  };
}
