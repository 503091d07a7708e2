/** What every route module receives: the database, the auth helpers and the shared services. */
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Passwords } from '../auth/passwords.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { NotificationHub } from '../notifications/hub.ts';
import type { RequireAuth, Run } from './auth.ts';
import type { FileStore } from '../files/store.ts';

export interface Services {
  config: Config;
  db: Database;
  logger: Logger;
  tokens: TokenService;
  passwords: Passwords;
  mailer: Mailer;
  hub: NotificationHub | undefined;
  requireAuth: RequireAuth;
  /** The signed-in request's RLS transaction (session checked first). */
  run: Run;
  /**
   * As `run`, for answers that may be slightly stale (lists, statistics): on the read replica
   * when DATABASE_READ_URL is set (read-your-own-writes kept: src/http/read-your-writes.ts), else `run`.
   */
  runRead: Run;
  /** The encrypted photo store (absent when the prescription routes are not served). */
  files: FileStore | undefined;
  /** The jobs' login, for the API actions that act as 'system' (see AppDependencies.systemDb). */
  systemDb: Database;
}
