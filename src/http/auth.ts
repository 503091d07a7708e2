/**
 * Bearer authentication. `requireAuth(roles)` verifies the JWT (signature, expiry, HS256 only)
 * and checks its role; `run(request, fn)` then opens the request's RLS transaction, whose
 * first statement checks that the token's session is still open and the account active —
 * a revoked session or a deactivated account stops working at once, on every process.
 */
import type { FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { Actor, Database, RequestMeta, Tx } from '../db/database.ts';
import type { TokenService } from '../auth/tokens.ts';
import { LIVE_SESSION_CHECK } from '../auth/queries.ts';
import type { UserRole } from '../auth/types.ts';
import type { RequestContext } from '../core/context.ts';
import { negotiateLanguage } from '../i18n/index.ts';
import { clientInfo } from '../analytics/service.ts';
import { ApiError, unauthorized } from './errors.ts';

export interface AuthContext {
  userId: string;
  role: UserRole;
  sessionId: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth: AuthContext | null;
  }
}

export function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer ([A-Za-z0-9_\-.]{10,4096})$/.exec(header.trim());
  if (!m) throw unauthorized('invalid_token', 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

export function requestMeta(request: FastifyRequest): RequestMeta {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua : undefined };
}

export function makeRequireAuth(tokens: TokenService) {
  return function requireAuth(roles?: readonly UserRole[]): onRequestAsyncHookHandler {
    return async (request: FastifyRequest, _reply: FastifyReply) => {
      const token = bearerToken(request);
      if (token === undefined) throw unauthorized();
      const claims = await tokens.verifyAccess(token);
      request.auth = claims; // before the role check: a refusal is worded in the user's language
      if (roles !== undefined && !roles.includes(claims.role)) {
        throw new ApiError(403, 'forbidden_role', `this needs one of the roles: ${roles.join(', ')}`);
      }
    };
  };
}

/** The acting user; throws 401 if the route forgot requireAuth (defence in depth). */
export function actorOf(request: FastifyRequest): Actor & { userId: string } {
  if (request.auth === null) throw unauthorized();
  return { userId: request.auth.userId, role: request.auth.role };
}

/**
 * Runs fn in the signed-in user's RLS transaction after checking the session is live.
 * `readOnly`: fn only reads (Services.runRead): its queries travel with the session check, which
 * aborts the transaction before they run when the session has ended (Database.withUser).
 */
export function makeRun(db: Database, options: { readOnly?: boolean } = {}) {
  return async function run<T>(request: FastifyRequest, fn: (tx: Tx) => Promise<T>): Promise<T> {
    const actor = actorOf(request);
    const sessionId = request.auth?.sessionId;
    // The session check travels with BEGIN and the RLS context (one round trip).
    return db.withUser(actor, fn, {
      ...requestMeta(request),
      readOnly: options.readOnly,
      precondition: {
        text: LIVE_SESSION_CHECK,
        values: [sessionId, actor.userId],
        refuse: () => unauthorized('session_revoked', 'this session has ended; sign in again'),
      },
    });
  };
}

export type Run = ReturnType<typeof makeRun>;
export type RequireAuth = ReturnType<typeof makeRequireAuth>;

/**
 * The plain context a service takes (src/core/context.ts), built from a signed-in request:
 * routes translate HTTP into it, so services never see Fastify.
 */
export function makeContext(run: Run, runRead: Run = run) {
  return function contextOf(request: FastifyRequest): RequestContext {
    if (request.auth === null) throw unauthorized();
    const ua = request.headers['user-agent'];
    return {
      userId: request.auth.userId,
      role: request.auth.role,
      sessionId: request.auth.sessionId,
      requestId: request.id,
      language: negotiateLanguage(request.headers['accept-language']),
      client: clientInfo(request),
      userAgent: typeof ua === 'string' ? ua : undefined,
      log: request.log,
      run: (fn) => run(request, fn),
      runRead: (fn) => runRead(request, fn),
    };
  };
}

export type ContextOf = ReturnType<typeof makeContext>;
