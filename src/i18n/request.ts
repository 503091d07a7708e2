/** A user's stored language: for problem details (see src/http/errors.ts) and account e-mails. */
import type { FastifyRequest } from 'fastify';
import type { Actor, Database } from '../db/database.ts';
import type { UserLanguage } from '../http/errors.ts';
import type { AuthContext } from '../http/auth.ts';
import { isLanguage, languageOf, type Language } from './index.ts';

async function readLanguage(db: Database, actor: Actor & { userId: string }): Promise<string | undefined> {
  const res = await db.withUser(actor, (tx) => tx.query<{ language: string }>('SELECT language FROM users WHERE id = $1', [actor.userId]));
  return res.rows[0]?.language;
}

/** The account's language (km when not stored or not readable). */
export async function storedLanguage(db: Database, actor: Actor & { userId: string }): Promise<Language> {
  return languageOf(await readLanguage(db, actor));
}

export function makeUserLanguage(db: Database): UserLanguage {
  return async (request: FastifyRequest) => {
    const auth: AuthContext | null = request.auth;
    if (auth === null) return undefined;
    const stored = await readLanguage(db, { userId: auth.userId, role: auth.role });
    return isLanguage(stored) ? stored : undefined;
  };
}
