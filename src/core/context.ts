/**
 * What a service knows about the request it serves: a plain object, no HTTP library. The route
 * builds it (src/http/auth.ts, makeContext) from the verified token and the headers; a job or the CLI can
 * build one too. `run` is the signed-in user's RLS transaction, whose first statement checks
 * that her session is still open.
 */
import type { Tx } from '../db/database.ts';
import type { BaseLogger } from 'pino';
import type { UserRole } from '../auth/types.ts';
import type { Language } from '../i18n/index.ts';

/** The client's platform and app version (X-Platform / X-App-Version), for usage events. */
export interface ClientInfo {
  platform: string | undefined;
  appVersion: string | undefined;
}

/** The acting user. */
export interface Actor {
  readonly userId: string;
  readonly role: UserRole;
}

export interface RequestContext extends Actor {
  readonly sessionId: string;
  /** The request's id: audit rows name it. */
  readonly requestId: string;
  /** The language the client asked for (Accept-Language), if it names one we have. */
  readonly language: Language | undefined;
  readonly client: ClientInfo;
  readonly userAgent: string | undefined;
  /** The request's logger (its lines carry the request id). */
  readonly log: Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
  /** Runs fn in the user's RLS transaction (session checked first). */
  run<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * As `run`, for answers that may be slightly stale (lists, statistics): on the read replica
   * when DATABASE_READ_URL is set (the user's own writes stay visible), else as `run` with fn
   * started at once, its queries pipelined behind the session check (which aborts the
   * transaction before they run when the session has ended): fn does database reads and
   * deferred audit rows only, nothing outside the database.
   */
  runRead<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}
