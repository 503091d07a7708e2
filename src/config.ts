/**
 * Environment → typed configuration, validated once at start-up.
 * The table of variables is in README.md ("Configuration").
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';

export type Environment = 'development' | 'test' | 'production';

export interface Config {
  env: Environment;
  /** Owner/superuser URL (migrations). Undefined → embedded PostgreSQL under dataDir. */
  databaseUrl: string | undefined;
  /** The service's own login (role dastern_app). Undefined → derived from databaseUrl. */
  appDatabaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  embeddedPgPort: number;
  logLevel: string;
  /** HTTP API settings (issue 4); see README "Configuration". */
  api: ApiConfig;
}

export interface ApiConfig {
  /** HS256 key for access tokens and e-mail links; undefined → generated once under dataDir/secrets (never in production). */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlDays: number;
  /** bcrypt cost: 12 or more; lower values are accepted only when NODE_ENV=test. */
  bcryptCost: number;
  /** Allowed browser origins for CORS (exact matches); empty → no cross-origin access. */
  corsOrigins: string[];
  /** Requests per minute per IP on /auth/* routes. */
  authRateLimit: number;
  /** Requests per minute per IP on everything else. */
  globalRateLimit: number;
  /** Trust X-Forwarded-For from a reverse proxy (true only behind one). */
  trustProxy: boolean;
  /** smtp(s):// URL; undefined → e-mails are written as .eml files under dataDir/outbox (never in production). */
  smtpUrl: string | undefined;
  mailFrom: string;
  /** Base URL put in e-mail links (the web app). */
  publicUrl: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parsePort(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new ConfigError(`${name} must be a port number (0-65535), got "${raw}"`);
  }
  return n;
}

function parseEnv(raw: string | undefined): Environment {
  if (raw === undefined || raw === '' || raw === 'development') return 'development';
  if (raw === 'production' || raw === 'test') return raw;
  throw new ConfigError(`NODE_ENV must be development, test or production, got "${raw}"`);
}

function parseInteger(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function parseBoolean(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no'].includes(raw.toLowerCase())) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function parseOrigins(raw: string | undefined, fallback: string[]): string[] {
  if (raw === undefined) return fallback;
  const origins = raw.split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`DASTERN_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port])`);
    }
    if (url.origin !== origin) throw new ConfigError(`DASTERN_CORS_ORIGINS: "${origin}" must be written as ${url.origin}`);
  }
  return origins;
}

function parseApiConfig(env: NodeJS.ProcessEnv, nodeEnv: Environment, host: string, port: number): ApiConfig {
  const jwtSecret = env.DASTERN_JWT_SECRET && env.DASTERN_JWT_SECRET !== '' ? env.DASTERN_JWT_SECRET : undefined;
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    throw new ConfigError('DASTERN_JWT_SECRET must be at least 32 bytes (e.g. `openssl rand -hex 32`)');
  }
  const bcryptCost = parseInteger('DASTERN_BCRYPT_COST', env.DASTERN_BCRYPT_COST, nodeEnv === 'test' ? 4 : 12, 4, 15);
  if (bcryptCost < 12 && nodeEnv !== 'test') {
    throw new ConfigError('DASTERN_BCRYPT_COST below 12 is only allowed when NODE_ENV=test');
  }
  let smtpUrl: string | undefined;
  if (env.DASTERN_SMTP_URL && env.DASTERN_SMTP_URL !== '') {
    let u: URL;
    try {
      u = new URL(env.DASTERN_SMTP_URL);
    } catch {
      throw new ConfigError('DASTERN_SMTP_URL is not a valid URL');
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') throw new ConfigError('DASTERN_SMTP_URL must be an smtp:// or smtps:// URL');
    smtpUrl = env.DASTERN_SMTP_URL;
  }
  const devOrigins = nodeEnv === 'production' ? [] : ['http://localhost:5173', 'http://127.0.0.1:5173'];
  return {
    jwtSecret,
    accessTokenTtlSeconds: 15 * 60,
    refreshTokenTtlDays: parseInteger('DASTERN_REFRESH_TOKEN_DAYS', env.DASTERN_REFRESH_TOKEN_DAYS, 30, 1, 365),
    bcryptCost,
    corsOrigins: parseOrigins(env.DASTERN_CORS_ORIGINS, devOrigins),
    authRateLimit: parseInteger('DASTERN_AUTH_RATE_LIMIT', env.DASTERN_AUTH_RATE_LIMIT, 20, 1, 1_000_000),
    globalRateLimit: parseInteger('DASTERN_RATE_LIMIT', env.DASTERN_RATE_LIMIT, 1200, 1, 10_000_000),
    trustProxy: parseBoolean('DASTERN_TRUST_PROXY', env.DASTERN_TRUST_PROXY, false),
    smtpUrl,
    mailFrom: env.DASTERN_MAIL_FROM && env.DASTERN_MAIL_FROM !== '' ? env.DASTERN_MAIL_FROM : 'DasTern <no-reply@dastern.local>',
    publicUrl: (env.DASTERN_PUBLIC_URL && env.DASTERN_PUBLIC_URL !== '' ? env.DASTERN_PUBLIC_URL : `http://${host}:${port}`).replace(/\/+$/, ''),
  };
}

function parseUrl(name: string, raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(`${name} must be a postgres:// URL`);
  }
  return raw;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = parseEnv(env.NODE_ENV);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  const port = parsePort('PORT', env.PORT, 3000);
  const config: Config = {
    env: nodeEnv,
    databaseUrl: parseUrl('DATABASE_URL', env.DATABASE_URL),
    appDatabaseUrl: parseUrl('DASTERN_APP_DATABASE_URL', env.DASTERN_APP_DATABASE_URL),
    dataDir: path.resolve(env.DASTERN_DATA_DIR && env.DASTERN_DATA_DIR !== '' ? env.DASTERN_DATA_DIR : '.data'),
    host,
    port,
    embeddedPgPort: parsePort('DASTERN_EMBEDDED_PG_PORT', env.DASTERN_EMBEDDED_PG_PORT, 54329),
    logLevel: env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : nodeEnv === 'test' ? 'warn' : 'info',
    api: parseApiConfig(env, nodeEnv, host, port),
  };
  if (config.env === 'production' && config.databaseUrl === undefined) {
    throw new ConfigError('production needs DATABASE_URL: the embedded database is for development only');
  }
  if (config.env === 'production' && config.api.jwtSecret === undefined) {
    throw new ConfigError('production needs DASTERN_JWT_SECRET (at least 32 random bytes): generated keys are for development only');
  }
  if (config.env === 'production' && config.api.smtpUrl === undefined) {
    throw new ConfigError('production needs DASTERN_SMTP_URL: e-mail verification and password reset send mail');
  }
  return config;
}

/**
 * A secret generated once per data dir (development and test only), kept in
 * DASTERN_DATA_DIR/secrets/<name> with mode 0600 — like the database password in db/bootstrap.ts.
 */
export function generatedSecret(dataDir: string, name: string): string {
  const dir = path.join(dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
    } catch (err) {
      // Another process wrote it first: use theirs.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return fs.readFileSync(file, 'utf8').trim();
}

/** The JWT key: DASTERN_JWT_SECRET, or (outside production) one generated under the data dir. */
export function resolveJwtSecret(config: Config): string {
  if (config.api.jwtSecret !== undefined) return config.api.jwtSecret;
  if (config.env === 'production') throw new ConfigError('production needs DASTERN_JWT_SECRET');
  return generatedSecret(config.dataDir, 'jwt-secret');
}
