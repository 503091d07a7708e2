/**
 * Accounts and sessions: registration, login with lockout, refresh-token rotation with reuse
 * detection, logout, password change, e-mail verification and password reset.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.ts';
import type { Database, RequestMeta, Tx } from '../db/database.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Mailer } from '../mail/mailer.ts';
import type { Passwords } from './passwords.ts';
import type { TokenService } from './tokens.ts';
import { ApiError, badRequest, conflict, unauthorized } from '../core/errors.ts';
import { recordEvent, type ClientInfo } from '../analytics/service.ts';
import { newRefreshToken, sha256Hex, safeEqual } from './tokens.ts';
import { passwordProblem } from './passwords.ts';
import * as q from './queries.ts';
import type { PublicUserRow } from './queries.ts';
import type { PublicUserT, RegisterBodyT, LoginBodyT, TokenPairT, UserRole } from './types.ts';
import { verificationMail, resetMail } from '../mail/templates.ts';
import { storedLanguage } from '../i18n/request.ts';
import { HOME_TIMEZONE } from '../core/constants.ts';

/**
 * Sign-in throttle (migration 020): failures within the window counted per (IP, e-mail), per
 * e-mail and per IP; at its limit a key is blocked for baseSeconds, doubling with each further
 * failure up to capMinutes. Keyed by the address, so an unknown address answers exactly like an
 * existing one; the pair limit stops one attacker early without locking the owner out from
 * elsewhere; a password reset lifts every block on the address.
 */
export const THROTTLE: q.ThrottleLimits = {
  pair: 5,
  account: 20,
  ip: 50,
  windowMinutes: 15,
  baseSeconds: 60,
  capMinutes: 15,
};

export function throttleKeys(ip: string | undefined, email: string): q.ThrottleKeys {
  const addr = ip ?? '';
  return {
    pair: sha256Hex(`pair|${addr}|${email}`),
    account: sha256Hex(`account|${email}`),
    ip: sha256Hex(`ip|${addr}`),
    emailHash: emailHashOf(email),
  };
}

const emailHashOf = (email: string): string => sha256Hex(`email|${normaliseEmail(email)}`);
const VERIFY_TTL_SECONDS = 48 * 3600;
const RESET_TTL_SECONDS = 3600;

export function toPublicUser(row: PublicUserRow): PublicUserT {
  return { ...row, created_at: row.created_at.toISOString() };
}

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function validTimezone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return /^(UTC|[A-Z][A-Za-z_]+(\/[A-Za-z0-9_+-]+){1,2})$/.test(tz);
  } catch {
    return false;
  }
}

function isUniqueViolation(err: unknown, constraint: string): boolean {
  const e = err as { code?: unknown; constraint?: unknown };
  return e?.code === '23505' && e.constraint === constraint;
}

const emailBinding = (email: string): string => sha256Hex(`verify|${email.toLowerCase()}`).slice(0, 32);
const passwordBinding = (hash: string): string => sha256Hex(`reset|${hash}`).slice(0, 32);

export interface AuthDeps {
  config: Config;
  /** The API's login: sign-in and links run before any session exists. */
  db: Database;
  logger: Logger;
  tokens: TokenService;
  passwords: Passwords;
  mailer: Mailer;
}

export class AuthService {
  constructor(private readonly s: AuthDeps) {}

  private refreshExpiry(): Date {
    return new Date(Date.now() + this.s.config.api.refreshTokenTtlDays * 86_400_000);
  }

  /** Opens a session inside tx and returns the token pair. */
  private async openSession(tx: Tx, user: PublicUserRow, meta: RequestMeta, client: ClientInfo): Promise<TokenPairT> {
    const refresh = newRefreshToken();
    const device: Record<string, string> = {};
    if (client.platform !== undefined) device.platform = client.platform;
    if (client.appVersion !== undefined) device.app_version = client.appVersion;
    const sessionId = await q.insertSession(tx, {
      userId: user.id,
      refreshHash: refresh.hash,
      expiresAt: this.refreshExpiry(),
      ip: meta.ip,
      userAgent: meta.userAgent,
      device,
    });
    const access = await this.s.tokens.signAccess({ userId: user.id, role: user.role, sessionId });
    return {
      user: toPublicUser(user),
      access_token: access,
      refresh_token: refresh.token,
      token_type: 'Bearer',
      expires_in: this.s.tokens.accessTtlSeconds,
    };
  }

  async register(body: RegisterBodyT, meta: RequestMeta, client: ClientInfo): Promise<TokenPairT> {
    const weak = passwordProblem(body.password);
    if (weak !== undefined) throw badRequest('weak_password', weak, [{ path: 'body/password', message: weak }]);
    const timezone = body.timezone ?? HOME_TIMEZONE;
    if (!validTimezone(timezone))
      throw badRequest('invalid_timezone', `unknown time zone "${timezone}"`, [
        { path: 'body/timezone', message: `an IANA time zone such as ${HOME_TIMEZONE}` },
      ]);
    const firstName = body.first_name.trim();
    const lastName = body.last_name.trim();
    if (firstName === '' || lastName === '') throw badRequest('validation_failed', 'names cannot be blank');
    const id = randomUUID();
    const passwordHash = await this.s.passwords.hash(body.password);
    const email = normaliseEmail(body.email);
    let pair: TokenPairT;
    try {
      pair = await this.s.db.withUser(
        { userId: id, role: body.role },
        async (tx) => {
          const user = await q.insertUser(tx, {
            id,
            email,
            passwordHash,
            role: body.role,
            firstName,
            lastName,
            phone: body.phone ?? null,
            language: body.language ?? 'km',
            timezone,
            dateOfBirth: body.date_of_birth ?? null,
          });
          await recordEvent(tx, id, 'register', client, { role: body.role });
          return this.openSession(tx, user, meta, client);
        },
        meta,
      );
    } catch (err) {
      if (isUniqueViolation(err, 'users_email_key'))
        throw conflict('email_taken', 'an account with this e-mail already exists');
      throw err;
    }
    // The verification mail is best effort: registration succeeds even if SMTP is down.
    this.sendVerification(id, body.role, email).catch((err: unknown) =>
      this.s.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'verification e-mail not sent'),
    );
    return pair;
  }

  async login(body: LoginBodyT, meta: RequestMeta, client: ClientInfo): Promise<TokenPairT> {
    const email = normaliseEmail(body.email);
    const keys = throttleKeys(meta.ip, email);
    // The same answer for an existing and an unknown address at every step: the throttle is
    // keyed by the address, and an unknown one is checked against a dummy hash (same cost).
    // the throttle and the account in one transaction, the two queries pipelined
    const [blocked, found] = await q.anonymous(this.s.db, meta, (c) =>
      Promise.all([q.throttleBlocked(c, keys), q.findUserByEmail(c, email)]),
    );
    if (blocked !== null && blocked.getTime() > Date.now()) throw this.locked(blocked);
    const live = found !== undefined && found.deleted_at === null ? found : undefined;
    const ok = await this.s.passwords.verify(body.password, live?.password_hash);
    if (!ok || live === undefined) {
      const until = await q.anonymous(this.s.db, meta, (c) => q.throttleFail(c, keys, live?.id ?? null, THROTTLE));
      if (until !== null && until.getTime() > Date.now()) throw this.locked(until);
      throw unauthorized('invalid_credentials', 'wrong e-mail or password');
    }
    if (!live.is_active)
      throw new ApiError(403, 'account_disabled', 'this account has been deactivated; contact support');
    await q.anonymous(this.s.db, meta, (c) =>
      Promise.all([q.throttleClear(c, keys), q.recordLoginSuccess(c, live.id)]),
    );
    return this.s.db.withUser(
      { userId: live.id, role: live.role },
      async (tx) => {
        const user = await q.publicUser(tx, live.id);
        if (user === undefined) throw unauthorized('invalid_credentials', 'wrong e-mail or password');
        await recordEvent(tx, live.id, 'login', client, {});
        return this.openSession(tx, user, meta, client);
      },
      meta,
    );
  }

  private locked(until: Date): ApiError {
    const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
    return new ApiError(
      429,
      'account_locked',
      `too many failed sign-ins; try again in ${Math.ceil(seconds / 60)} minute(s), or reset the password by e-mail`,
      { 'retry-after': String(seconds) },
    );
  }

  async refresh(
    refreshToken: string,
    meta: RequestMeta,
  ): Promise<{ access_token: string; refresh_token: string; token_type: 'Bearer'; expires_in: number }> {
    const next = newRefreshToken();
    // Committed whatever the outcome: a detected reuse must revoke the session for good.
    const row = await q.anonymous(this.s.db, meta, (c) =>
      q.rotateSession(c, sha256Hex(refreshToken), next.hash, this.refreshExpiry()),
    );
    if (row.result === 'reuse_detected') {
      this.s.logger.warn({ session_id: row.session_id }, 'refresh token reuse: session revoked');
      throw unauthorized(
        'refresh_token_reused',
        'this refresh token was already used; the session has been ended for safety',
      );
    }
    if (row.result !== 'rotated' || row.session_id === null || row.user_id === null || row.user_role === null) {
      throw unauthorized('invalid_refresh_token', 'the refresh token is not valid; sign in again');
    }
    const access = await this.s.tokens.signAccess({
      userId: row.user_id,
      role: row.user_role,
      sessionId: row.session_id,
    });
    return {
      access_token: access,
      refresh_token: next.token,
      token_type: 'Bearer',
      expires_in: this.s.tokens.accessTtlSeconds,
    };
  }

  async logout(ctx: RequestContext, all: boolean): Promise<number> {
    const actor = ctx;
    const sessionId = ctx.sessionId;
    return ctx.run((tx) =>
      all ? q.revokeAllSessions(tx, actor.userId, 'logout_all') : q.revokeSession(tx, sessionId, 'logout'),
    );
  }

  async changePassword(ctx: RequestContext, current: string, next: string): Promise<void> {
    const weak = passwordProblem(next);
    if (weak !== undefined) throw badRequest('weak_password', weak, [{ path: 'body/new_password', message: weak }]);
    const actor = ctx;
    const hash = await ctx.run((tx) => q.passwordHashOf(tx, actor.userId));
    if (!(await this.s.passwords.verify(current, hash)))
      throw badRequest('wrong_password', 'the current password is not correct');
    const newHash = await this.s.passwords.hash(next);
    await ctx.run(async (tx) => {
      await q.setPassword(tx, actor.userId, newHash);
      await q.revokeAllSessions(tx, actor.userId, 'password_changed', ctx.sessionId);
    });
  }

  private async sendVerification(userId: string, role: UserRole, email: string): Promise<void> {
    const token = await this.s.tokens.signLink(
      { userId, role, purpose: 'verify_email', binding: emailBinding(email) },
      VERIFY_TTL_SECONDS,
    );
    const language = await storedLanguage(this.s.db, { userId, role });
    await this.s.mailer.send(
      verificationMail(
        email,
        `${this.s.config.api.publicUrl}/verify-email?token=${encodeURIComponent(token)}`,
        language,
      ),
    );
  }

  async requestVerification(ctx: RequestContext): Promise<void> {
    const actor = ctx;
    const state = await ctx.run((tx) => q.linkState(tx, actor.userId));
    if (state === undefined) throw unauthorized();
    if (state.email_verified_at !== null) throw conflict('already_verified', 'this e-mail address is already verified');
    await this.sendVerification(actor.userId, actor.role as UserRole, state.email);
  }

  async verifyEmail(token: string, meta: RequestMeta): Promise<void> {
    const claims = await this.s.tokens.verifyLink(token, 'verify_email');
    await this.s.db.withUser(
      { userId: claims.userId, role: claims.role },
      async (tx) => {
        const state = await q.linkState(tx, claims.userId);
        if (state === undefined || state.deleted_at !== null || !safeEqual(emailBinding(state.email), claims.binding)) {
          throw new ApiError(400, 'invalid_link_token', 'the link is not valid');
        }
        if (state.email_verified_at !== null) throw new ApiError(400, 'link_token_used', 'this link was already used');
        await q.markEmailVerified(tx, claims.userId);
      },
      meta,
    );
  }

  /**
   * Always answers the same way and in the same time, whether the account exists or not: the
   * link is signed and mailed after the answer (awaiting SMTP here would tell, by the delay,
   * which addresses have an account).
   */
  async requestPasswordReset(emailRaw: string, meta: RequestMeta): Promise<void> {
    const email = normaliseEmail(emailRaw);
    const found = await q.anonymous(this.s.db, meta, (c) => q.findUserByEmail(c, email));
    if (found === undefined || found.deleted_at !== null || !found.is_active) return;
    const send = async (): Promise<void> => {
      const token = await this.s.tokens.signLink(
        {
          userId: found.id,
          role: found.role,
          purpose: 'reset_password',
          binding: passwordBinding(found.password_hash),
        },
        RESET_TTL_SECONDS,
      );
      const language = await storedLanguage(this.s.db, { userId: found.id, role: found.role });
      await this.s.mailer.send(
        resetMail(email, `${this.s.config.api.publicUrl}/reset-password?token=${encodeURIComponent(token)}`, language),
      );
    };
    send().catch((err: unknown) =>
      this.s.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'password reset e-mail not sent'),
    );
  }

  async resetPassword(token: string, password: string, meta: RequestMeta): Promise<void> {
    const claims = await this.s.tokens.verifyLink(token, 'reset_password');
    const weak = passwordProblem(password);
    if (weak !== undefined) throw badRequest('weak_password', weak, [{ path: 'body/password', message: weak }]);
    const newHash = await this.s.passwords.hash(password);
    await this.s.db.withUser(
      { userId: claims.userId, role: claims.role },
      async (tx) => {
        const state = await q.linkState(tx, claims.userId);
        if (state === undefined || state.deleted_at !== null || !state.is_active)
          throw new ApiError(400, 'invalid_link_token', 'the link is not valid');
        // The token is bound to the password it replaces: once used (or the password changed), it is dead.
        if (!safeEqual(passwordBinding(state.password_hash), claims.binding))
          throw new ApiError(400, 'link_token_used', 'this link was already used');
        await q.setPassword(tx, claims.userId, newHash);
        await q.revokeAllSessions(tx, claims.userId, 'password_reset');
        // the owner proved she reads the mailbox: every sign-in block on the address goes
        await q.throttleLift(tx, emailHashOf(state.email));
      },
      meta,
    );
  }
}
