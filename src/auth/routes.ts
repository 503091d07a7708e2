/** /auth/*: register, login, refresh, logout, e-mail verification, password reset. HTTP only. */
import { Type } from '@sinclair/typebox';
import type { App } from '../http/typebox.ts';
import type { Services } from '../http/services.ts';
import { OkSchema, problems } from '../http/schemas.ts';
import { requestMeta } from '../http/auth.ts';
import { clientInfo } from '../analytics/service.ts';
import { AuthService } from './service.ts';
import {
  ChangePasswordBody,
  EmailBody,
  LoginBody,
  LogoutQuery,
  RefreshBody,
  RefreshResult,
  RegisterBody,
  ResetBody,
  TokenBody,
  TokenPair,
} from './types.ts';

/** What the auth routes use of the app. */
type AuthRouteDeps = Pick<
  Services,
  'requireAuth' | 'context' | 'config' | 'db' | 'logger' | 'tokens' | 'passwords' | 'mailer'
>;

export async function authRoutes(app: App, s: AuthRouteDeps): Promise<void> {
  const auth = new AuthService(s);
  await sessionRoutes(app, s, auth);
  await accountRoutes(app, s, auth);
  await resetRoutes(app, s, auth);
}

/** Registration, sign-in, refresh and sign-out. */
async function sessionRoutes(app: App, s: AuthRouteDeps, auth: AuthService): Promise<void> {
  const limited = { rateLimit: { max: s.config.api.authRateLimit, timeWindow: 60_000 } };

  // Registration answers 409 for a taken address (the contract): a second, hourly limit per IP
  // keeps that from being an enumeration oracle.
  const registerHourly = app.rateLimit({
    max: s.config.api.registerRateLimit,
    timeWindow: 3_600_000,
    keyGenerator: (request) => `register|${request.ip}`,
  });

  app.post(
    '/auth/register',
    {
      config: limited,
      onRequest: registerHourly,
      schema: {
        tags: ['auth'],
        summary: 'Create a patient or doctor account (admins are made with the CLI)',
        body: RegisterBody,
        response: { 201: TokenPair, ...problems(400, 409, 413, 415, 429) },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await auth.register(request.body, requestMeta(request), clientInfo(request))),
  );

  app.post(
    '/auth/login',
    {
      config: limited,
      schema: {
        tags: ['auth'],
        summary:
          'Sign in; repeated failures are throttled per IP and address with a growing delay (429, identical for unknown addresses); a password reset lifts it',
        body: LoginBody,
        response: { 200: TokenPair, ...problems(400, 401, 403, 429) },
      },
    },
    async (request) => auth.login(request.body, requestMeta(request), clientInfo(request)),
  );

  app.post(
    '/auth/refresh',
    {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Rotate the refresh token; reuse of a rotated token ends the session',
        body: RefreshBody,
        response: { 200: RefreshResult, ...problems(400, 401, 429) },
      },
    },
    async (request) => auth.refresh(request.body.refresh_token, requestMeta(request)),
  );

  app.post(
    '/auth/logout',
    {
      onRequest: s.requireAuth(),
      schema: {
        tags: ['auth'],
        summary: 'End this session (?all=true: every session)',
        security: [{ bearer: [] }],
        querystring: LogoutQuery,
        response: { 200: Type.Object({ ended_sessions: Type.Integer() }), ...problems(400, 401, 429) },
      },
    },
    async (request) => ({ ended_sessions: await auth.logout(s.context(request), request.query.all === true) }),
  );
}

/** Password change and e-mail verification. */
async function accountRoutes(app: App, s: AuthRouteDeps, auth: AuthService): Promise<void> {
  const limited = { rateLimit: { max: s.config.api.authRateLimit, timeWindow: 60_000 } };

  app.post(
    '/auth/password',
    {
      onRequest: s.requireAuth(),
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Change the password (other sessions end)',
        security: [{ bearer: [] }],
        body: ChangePasswordBody,
        response: { 200: OkSchema, ...problems(400, 401, 429) },
      },
    },
    async (request) => {
      await auth.changePassword(s.context(request), request.body.current_password, request.body.new_password);
      return { ok: true as const };
    },
  );

  app.post(
    '/auth/verify-email/request',
    {
      onRequest: s.requireAuth(),
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Send (again) the e-mail verification link',
        security: [{ bearer: [] }],
        response: { 202: OkSchema, ...problems(400, 401, 409, 429) },
      },
    },
    async (request, reply) => {
      await auth.requestVerification(s.context(request));
      return reply.code(202).send({ ok: true as const });
    },
  );

  app.post(
    '/auth/verify-email',
    {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Confirm the e-mail address with the token from the link',
        body: TokenBody,
        response: { 200: OkSchema, ...problems(400, 429) },
      },
    },
    async (request) => {
      await auth.verifyEmail(request.body.token, requestMeta(request));
      return { ok: true as const };
    },
  );
}

/** Password reset by e-mailed link. */
async function resetRoutes(app: App, s: AuthRouteDeps, auth: AuthService): Promise<void> {
  const limited = { rateLimit: { max: s.config.api.authRateLimit, timeWindow: 60_000 } };

  app.post(
    '/auth/password-reset/request',
    {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'E-mail a password reset link (always 202: no account enumeration)',
        body: EmailBody,
        response: { 202: OkSchema, ...problems(400, 429) },
      },
    },
    async (request, reply) => {
      await auth.requestPasswordReset(request.body.email, requestMeta(request));
      return reply.code(202).send({ ok: true as const });
    },
  );

  app.post(
    '/auth/password-reset',
    {
      config: limited,
      schema: {
        tags: ['auth'],
        summary: 'Set a new password with the token from the link; every session ends',
        body: ResetBody,
        response: { 200: OkSchema, ...problems(400, 429) },
      },
    },
    async (request) => {
      await auth.resetPassword(request.body.token, request.body.password, requestMeta(request));
      return { ok: true as const };
    },
  );
}
