/**
 * What the app holds for its route modules: the database, the auth helpers and the shared
 * services. Each route module declares the part it uses (`Pick<Services, …>`) and gives its
 * service only what that needs; services themselves never see this (no HTTP in services).
 */
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Passwords } from '../auth/passwords.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { NotificationHub } from '../notifications/hub.ts';
import type { ContextOf, RequireAuth, Run } from './auth.ts';
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
  /** The plain context services take (src/core/context.ts), built from a signed-in request. */
  context: ContextOf;
  /** The encrypted photo store (absent when the prescription routes are not served). */
  files: FileStore | undefined;
  /** The jobs' login, for the API actions that act as 'system' (see AppDependencies.systemDb). */
  systemDb: Database;
}
