/**
 * What the app holds for its route modules: the database, the auth helpers and the shared
 * services. Each route module declares the part it uses (`Pick<Services, …>`) and gives its
 * service only what that needs; services themselves never see this (no HTTP in services).
 */
import type { Database } from '../db/database.ts';
import type { AuthDeps } from '../auth/service.ts';
import type { NotificationHub } from '../notifications/hub.ts';
import type { ContextOf, RequireAuth, Run } from './auth.ts';
import type { FileStore } from '../files/store.ts';
import type { PdfRenderer } from '../pdf/renderer.ts';

export interface Services extends AuthDeps {
  hub: NotificationHub | undefined;
  requireAuth: RequireAuth;
  /** The signed-in request's RLS transaction (session checked first). */
  run: Run;
  /** The plain context services take (src/core/context.ts), built from a signed-in request. */
  context: ContextOf;
  /**
   * As `run`, for answers that may be slightly stale (lists, statistics): on the read replica
   * when DATABASE_READ_URL is set (read-your-own-writes kept: src/http/read-your-writes.ts), else `run`.
   */
  runRead: Run;
  /** The encrypted photo store (absent when the prescription routes are not served). */
  files: FileStore | undefined;
  /** The jobs' login, for the API actions that act as 'system' (see AppDependencies.systemDb). */
  systemDb: Database;
  /** The one Chromium PDF renderer of the app (AI reports, payment receipts). */
  pdf: PdfRenderer;
}
