/** A user's stored language, for account e-mails (problem details: src/http/user-language.ts). */
import type { Actor, Database } from '../db/database.ts';
import { storedLanguageOf } from '../users/queries.ts';
import { languageOf, type Language } from './index.ts';

/** The account's language (km when not stored or not readable). */
export async function storedLanguage(db: Database, actor: Actor & { userId: string }): Promise<Language> {
  return languageOf(await db.withUser(actor, (tx) => storedLanguageOf(tx, actor.userId)));
}
