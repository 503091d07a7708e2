/**
 * Environment → typed configuration, validated once at start-up.
 * The table of variables is in README.md ("Configuration").
 */
import path from 'node:path';

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
  const config: Config = {
    env: nodeEnv,
    databaseUrl: parseUrl('DATABASE_URL', env.DATABASE_URL),
    appDatabaseUrl: parseUrl('DASTERN_APP_DATABASE_URL', env.DASTERN_APP_DATABASE_URL),
    dataDir: path.resolve(env.DASTERN_DATA_DIR && env.DASTERN_DATA_DIR !== '' ? env.DASTERN_DATA_DIR : '.data'),
    host: env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1',
    port: parsePort('PORT', env.PORT, 3000),
    embeddedPgPort: parsePort('DASTERN_EMBEDDED_PG_PORT', env.DASTERN_EMBEDDED_PG_PORT, 54329),
    logLevel: env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : nodeEnv === 'test' ? 'warn' : 'info',
  };
  if (config.env === 'production' && config.databaseUrl === undefined) {
    throw new ConfigError('production needs DATABASE_URL: the embedded database is for development only');
  }
  return config;
}
