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
  /** The background jobs' login (role dastern_worker, the only one that may act as 'system'). Undefined → derived. */
  workerDatabaseUrl: string | undefined;
  /**
   * A streaming replica for the list and statistics reads (DATABASE_READ_URL); the service logs
   * in there with its own login's user and password, whatever the URL says. Undefined → the primary.
   */
  readDatabaseUrl: string | undefined;
  /**
   * Named (prepared once per connection) statements (DASTERN_DB_PREPARED_STATEMENTS, default on).
   * Off behind a transaction pooler that does not keep prepared statements (PgBouncer before 1.21).
   */
  preparedStatements: boolean;
  /**
   * A direct connection (never a transaction pooler) for the live stream's LISTEN
   * (DASTERN_LISTEN_DATABASE_URL, as the service's login). Undefined → the service's own URL.
   */
  listenDatabaseUrl: string | undefined;
  dataDir: string;
  host: string;
  port: number;
  embeddedPgPort: number;
  logLevel: string;
  /** DASTERN_FILE_KEY as given (base64 of 32 bytes; src/files/key.ts checks it); undefined → generated in development. */
  fileKey: string | undefined;
  /** HTTP API settings; see README "Configuration". */
  api: ApiConfig;
  /** Web Push (VAPID) and delivery settings. */
  push: PushConfig;
  /** Job queue tuning. */
  jobs: JobsConfig;
  /** Subscriptions and payment gateways. */
  billing: BillingConfig;
  /** The AI assistant's provider. */
  ai: AiConfig;
  /** Base backups, WAL archive and retention (`dastern backup`). */
  backup: BackupConfig;
  /** The Chromium binary that prints the PDFs (DASTERN_CHROMIUM_PATH, default /usr/bin/chromium). */
  chromiumPath: string;
}

export interface BackupConfig {
  /** Where base backups, the encrypted WAL archive and the file-store copy are kept. */
  dir: string;
  /** base64 of 32 bytes; undefined → generated under dataDir/secrets (never in production). */
  key: string | undefined;
  /** Retention: the newest backup of each of the last N days, weeks and months is kept. */
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
  /**
   * Where the PostgreSQL binaries of another major version than the embedded one live (the root
   * holding bin/postgres), to restore a backup of an external server; default: Debian's
   * /usr/lib/postgresql/<major>.
   */
  pgBinDir: string | undefined;
}

export interface AiConfig {
  /** 'builtin' (default: deterministic, offline) or 'openai' (an OpenAI-compatible API). */
  provider: 'builtin' | 'openai';
  /** OpenAI-compatible base URL (e.g. http://127.0.0.1:11434/v1 for Ollama). */
  baseUrl: string | undefined;
  apiKey: string | undefined;
  model: string;
  timeoutMs: number;
}

export interface PushConfig {
  /** VAPID key pair (URL-safe base64); undefined → generated once under dataDir/secrets (never in production). */
  vapidPublicKey: string | undefined;
  vapidPrivateKey: string | undefined;
  /** mailto: or https: contact sent to push services. */
  vapidSubject: string;
  /** Hosts (and their sub-domains) a push endpoint may point at; ['*'] → any https host. */
  endpointHosts: string[];
  /** Push and e-mail sends in flight at once. */
  concurrency: number;
}

export interface JobsConfig {
  /** A reading running longer than this is given up (its worker is presumed dead) and retried. */
  readingTimeoutSeconds: number;
  readingRetries: number;
  /** First retry delay; doubled each time (with jitter). */
  readingRetryDelaySeconds: number;
  /** How often the queue looks for expired jobs (and archives finished ones). */
  maintenanceIntervalSeconds: number;
  /** Consecutive missed doses before her doctors are alerted. */
  missedDoseThreshold: number;
  /** `dastern worker`: how long to wait for `dastern serve` to apply pending migrations. */
  workerMigrationWaitSeconds: number;
  /** How often audit rows are sealed into the hash chain (each serve/worker process). */
  auditSealIntervalMs: number;
  /** `dastern serve` runs the job workers and schedules (false: a separate `dastern worker` does). */
  runWorkers: boolean;
  /** Besides the per-minute cron, dispatch reminders every N seconds (tests, demos); undefined → cron only. */
  dispatchIntervalSeconds: number | undefined;
  /** Minutes after which an unanswered dose is marked missed, for every reminder; undefined → each reminder's own grace (120). */
  missedGraceMinutes: number | undefined;
  /** Cron expressions (minute resolution, HOME_TIMEZONE) of the maintenance jobs. */
  cleanupSessionsCron: string;
  archivePrescriptionsCron: string;
  /** The monthly archive job archives prescriptions older than this many days. */
  archiveAfterDays: number;
  /** Monthly partitions of the log tables made ahead of time (migration 030), by the daily job and at start. */
  partitionMonthsAhead: number;
  /** Months of dose logs and usage events kept attached; older months are archived (schema archive) by the monthly job; 0 → never. */
  logRetentionMonths: number;
}

function parseCron(name: string, raw: string | undefined, fallback: string): string {
  if (raw === undefined || raw === '') return fallback;
  if (!/^\S+( \S+){4}$/.test(raw.trim()))
    throw new ConfigError(`${name} must be a five-field cron expression, got "${raw}"`);
  return raw.trim();
}

function parseOptionalInteger(name: string, raw: string | undefined, min: number, max: number): number | undefined {
  return raw === undefined || raw === '' ? undefined : parseInteger(name, raw, min, min, max);
}

/** The push services of the major browsers (Chrome/Edge/Opera, Firefox, Safari, legacy Edge). */
export const PUSH_SERVICE_HOSTS = [
  'fcm.googleapis.com',
  'android.googleapis.com',
  'push.services.mozilla.com',
  'push.apple.com',
  'notify.windows.com',
];

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
  /** registrations per hour per IP (the 409 for a taken address must not be an enumeration oracle) */
  registerRateLimit: number;
  /** Requests per minute per IP on everything else. */
  globalRateLimit: number;
  /** Trust X-Forwarded-For from a reverse proxy (true only behind one). */
  trustProxy: boolean;
  /** When set, GET /metrics needs `Authorization: Bearer <this>` (a scraper's secret). */
  metricsToken: string | undefined;
  /** Sockets the HTTP port is listened on (SO_REUSEPORT; see src/http/listen.ts); 1 → one plain listener. */
  listenSockets: number;
  /** On stop, how long in-flight requests may take before every connection is cut. */
  shutdownGraceMs: number;
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
  const origins = raw
    .split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`DASTERN_CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port])`);
    }
    if (url.origin !== origin)
      throw new ConfigError(`DASTERN_CORS_ORIGINS: "${origin}" must be written as ${url.origin}`);
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
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:')
      throw new ConfigError('DASTERN_SMTP_URL must be an smtp:// or smtps:// URL');
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
    registerRateLimit: parseInteger('DASTERN_REGISTER_RATE_LIMIT', env.DASTERN_REGISTER_RATE_LIMIT, 30, 1, 1_000_000),
    globalRateLimit: parseInteger('DASTERN_RATE_LIMIT', env.DASTERN_RATE_LIMIT, 1200, 1, 10_000_000),
    trustProxy: parseBoolean('DASTERN_TRUST_PROXY', env.DASTERN_TRUST_PROXY, false),
    metricsToken: parseMetricsToken(env.DASTERN_METRICS_TOKEN),
    listenSockets: parseInteger('DASTERN_LISTEN_SOCKETS', env.DASTERN_LISTEN_SOCKETS, 16, 1, 256),
    shutdownGraceMs: parseInteger('DASTERN_SHUTDOWN_GRACE_MS', env.DASTERN_SHUTDOWN_GRACE_MS, 10_000, 0, 600_000),
    smtpUrl,
    mailFrom:
      env.DASTERN_MAIL_FROM && env.DASTERN_MAIL_FROM !== ''
        ? env.DASTERN_MAIL_FROM
        : 'DasTern <no-reply@dastern.local>',
    publicUrl: (env.DASTERN_PUBLIC_URL && env.DASTERN_PUBLIC_URL !== ''
      ? env.DASTERN_PUBLIC_URL
      : `http://${host}:${port}`
    ).replace(/\/+$/, ''),
  };
}

function parsePushConfig(env: NodeJS.ProcessEnv, nodeEnv: Environment, mailFrom: string): PushConfig {
  const pub =
    env.DASTERN_VAPID_PUBLIC_KEY && env.DASTERN_VAPID_PUBLIC_KEY !== '' ? env.DASTERN_VAPID_PUBLIC_KEY : undefined;
  const priv =
    env.DASTERN_VAPID_PRIVATE_KEY && env.DASTERN_VAPID_PRIVATE_KEY !== '' ? env.DASTERN_VAPID_PRIVATE_KEY : undefined;
  if ((pub === undefined) !== (priv === undefined))
    throw new ConfigError('DASTERN_VAPID_PUBLIC_KEY and DASTERN_VAPID_PRIVATE_KEY go together');
  if (pub !== undefined && !/^[A-Za-z0-9_-]{86,88}$/.test(pub))
    throw new ConfigError(
      'DASTERN_VAPID_PUBLIC_KEY must be a URL-safe base64 P-256 public key (`npx web-push generate-vapid-keys`)',
    );
  if (priv !== undefined && !/^[A-Za-z0-9_-]{42,44}$/.test(priv))
    throw new ConfigError('DASTERN_VAPID_PRIVATE_KEY must be a URL-safe base64 P-256 private key');
  const address = /<([^>]+)>/.exec(mailFrom)?.[1] ?? mailFrom;
  const subject =
    env.DASTERN_VAPID_SUBJECT && env.DASTERN_VAPID_SUBJECT !== '' ? env.DASTERN_VAPID_SUBJECT : `mailto:${address}`;
  if (!/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/.test(subject))
    throw new ConfigError('DASTERN_VAPID_SUBJECT must be a mailto: or https: URL');
  const hostsRaw = env.DASTERN_PUSH_ENDPOINT_HOSTS;
  const endpointHosts =
    hostsRaw !== undefined && hostsRaw !== ''
      ? hostsRaw
          .split(',')
          .map((h) => h.trim().toLowerCase())
          .filter((h) => h !== '')
      : nodeEnv === 'production'
        ? PUSH_SERVICE_HOSTS
        : ['*'];
  return {
    vapidPublicKey: pub,
    vapidPrivateKey: priv,
    vapidSubject: subject,
    endpointHosts,
    concurrency: parseInteger('DASTERN_DELIVERY_CONCURRENCY', env.DASTERN_DELIVERY_CONCURRENCY, 8, 1, 256),
  };
}

function parseJobsConfig(env: NodeJS.ProcessEnv): JobsConfig {
  return {
    readingTimeoutSeconds: parseInteger(
      'DASTERN_READING_TIMEOUT_SECONDS',
      env.DASTERN_READING_TIMEOUT_SECONDS,
      300,
      1,
      3600,
    ),
    readingRetries: parseInteger('DASTERN_READING_RETRIES', env.DASTERN_READING_RETRIES, 3, 0, 20),
    readingRetryDelaySeconds: parseInteger(
      'DASTERN_READING_RETRY_DELAY_SECONDS',
      env.DASTERN_READING_RETRY_DELAY_SECONDS,
      5,
      0,
      3600,
    ),
    maintenanceIntervalSeconds: parseInteger(
      'DASTERN_QUEUE_MAINTENANCE_SECONDS',
      env.DASTERN_QUEUE_MAINTENANCE_SECONDS,
      60,
      1,
      3600,
    ),
    missedDoseThreshold: parseInteger('DASTERN_MISSED_DOSE_THRESHOLD', env.DASTERN_MISSED_DOSE_THRESHOLD, 3, 1, 100),
    workerMigrationWaitSeconds: parseInteger(
      'DASTERN_WORKER_MIGRATION_WAIT_SECONDS',
      env.DASTERN_WORKER_MIGRATION_WAIT_SECONDS,
      600,
      0,
      86_400,
    ),
    auditSealIntervalMs: parseInteger(
      'DASTERN_AUDIT_SEAL_INTERVAL_MS',
      env.DASTERN_AUDIT_SEAL_INTERVAL_MS,
      1000,
      50,
      600_000,
    ),
    runWorkers: parseBoolean('DASTERN_RUN_WORKERS', env.DASTERN_RUN_WORKERS, true),
    dispatchIntervalSeconds: parseOptionalInteger(
      'DASTERN_DISPATCH_INTERVAL_SECONDS',
      env.DASTERN_DISPATCH_INTERVAL_SECONDS,
      1,
      60,
    ),
    missedGraceMinutes: parseOptionalInteger('DASTERN_MISSED_GRACE_MINUTES', env.DASTERN_MISSED_GRACE_MINUTES, 1, 1440),
    cleanupSessionsCron: parseCron('DASTERN_CRON_CLEANUP_SESSIONS', env.DASTERN_CRON_CLEANUP_SESSIONS, '15 3 * * *'),
    archivePrescriptionsCron: parseCron('DASTERN_CRON_ARCHIVE', env.DASTERN_CRON_ARCHIVE, '30 3 1 * *'),
    archiveAfterDays: parseInteger('DASTERN_ARCHIVE_AFTER_DAYS', env.DASTERN_ARCHIVE_AFTER_DAYS, 365, 1, 36_500),
    partitionMonthsAhead: parseInteger('DASTERN_PARTITION_MONTHS_AHEAD', env.DASTERN_PARTITION_MONTHS_AHEAD, 3, 1, 36),
    logRetentionMonths: parseInteger('DASTERN_LOG_RETENTION_MONTHS', env.DASTERN_LOG_RETENTION_MONTHS, 24, 0, 1200),
  };
}

function parseAiConfig(env: NodeJS.ProcessEnv): AiConfig {
  const provider = env.DASTERN_AI_PROVIDER && env.DASTERN_AI_PROVIDER !== '' ? env.DASTERN_AI_PROVIDER : 'builtin';
  if (provider !== 'builtin' && provider !== 'openai')
    throw new ConfigError('DASTERN_AI_PROVIDER must be builtin or openai');
  const baseUrl = env.DASTERN_AI_BASE_URL && env.DASTERN_AI_BASE_URL !== '' ? env.DASTERN_AI_BASE_URL : undefined;
  if (baseUrl !== undefined && !/^https?:\/\/\S+$/.test(baseUrl))
    throw new ConfigError('DASTERN_AI_BASE_URL must be an http(s) URL');
  if (provider === 'openai' && baseUrl === undefined)
    throw new ConfigError('DASTERN_AI_PROVIDER=openai needs DASTERN_AI_BASE_URL');
  return {
    provider,
    baseUrl,
    apiKey: env.DASTERN_AI_API_KEY && env.DASTERN_AI_API_KEY !== '' ? env.DASTERN_AI_API_KEY : undefined,
    model: env.DASTERN_AI_MODEL && env.DASTERN_AI_MODEL !== '' ? env.DASTERN_AI_MODEL : 'gpt-4o-mini',
    timeoutMs: parseInteger('DASTERN_AI_TIMEOUT_MS', env.DASTERN_AI_TIMEOUT_MS, 20_000, 1000, 600_000),
  };
}

function parseBackupConfig(env: NodeJS.ProcessEnv, dataDir: string): BackupConfig {
  const key = env.DASTERN_BACKUP_KEY && env.DASTERN_BACKUP_KEY !== '' ? env.DASTERN_BACKUP_KEY : undefined;
  if (key !== undefined && Buffer.from(key, 'base64').length !== 32)
    throw new ConfigError('DASTERN_BACKUP_KEY must be the base64 of 32 random bytes');
  return {
    dir: path.resolve(
      env.DASTERN_BACKUP_DIR && env.DASTERN_BACKUP_DIR !== '' ? env.DASTERN_BACKUP_DIR : path.join(dataDir, 'backups'),
    ),
    key,
    keepDaily: parseInteger('DASTERN_BACKUP_KEEP_DAILY', env.DASTERN_BACKUP_KEEP_DAILY, 7, 1, 3650),
    keepWeekly: parseInteger('DASTERN_BACKUP_KEEP_WEEKLY', env.DASTERN_BACKUP_KEEP_WEEKLY, 4, 0, 520),
    keepMonthly: parseInteger('DASTERN_BACKUP_KEEP_MONTHLY', env.DASTERN_BACKUP_KEEP_MONTHLY, 12, 0, 1200),
    pgBinDir:
      env.DASTERN_PG_BIN_DIR && env.DASTERN_PG_BIN_DIR !== '' ? path.resolve(env.DASTERN_PG_BIN_DIR) : undefined,
  };
}

function parseMetricsToken(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[A-Za-z0-9._~+/=-]{16,512}$/.test(raw))
    throw new ConfigError('DASTERN_METRICS_TOKEN must be 16 to 512 characters of [A-Za-z0-9._~+/=-]');
  return raw;
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

/** DASTERN_CHROMIUM_PATH: the Chromium binary that prints PDFs (also the tests' and benches' check for it). */
export function chromiumPathSetting(env: NodeJS.ProcessEnv = process.env): string {
  return env.DASTERN_CHROMIUM_PATH && env.DASTERN_CHROMIUM_PATH !== ''
    ? env.DASTERN_CHROMIUM_PATH
    : '/usr/bin/chromium';
}

/**
 * DASTERN_TESSDATA_DIR: a folder of tesseract models that replaces the Debian ones. Read where the
 * reader looks for its models (src/reading/tessdata.ts), which takes no Config.
 */
export function tessdataDirSetting(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.DASTERN_TESSDATA_DIR && env.DASTERN_TESSDATA_DIR !== '' ? env.DASTERN_TESSDATA_DIR : undefined;
}

/** This process's environment with `extra` over it, for a child process (tesseract, pg_ctl, pg_restore). */
export function childProcessEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = parseEnv(env.NODE_ENV);
  const host = env.HOST && env.HOST !== '' ? env.HOST : '127.0.0.1';
  const port = parsePort('PORT', env.PORT, 3000);
  const api = parseApiConfig(env, nodeEnv, host, port);
  const dataDir = path.resolve(env.DASTERN_DATA_DIR && env.DASTERN_DATA_DIR !== '' ? env.DASTERN_DATA_DIR : '.data');
  const config: Config = {
    env: nodeEnv,
    databaseUrl: parseUrl('DATABASE_URL', env.DATABASE_URL),
    appDatabaseUrl: parseUrl('DASTERN_APP_DATABASE_URL', env.DASTERN_APP_DATABASE_URL),
    workerDatabaseUrl: parseUrl('DASTERN_WORKER_DATABASE_URL', env.DASTERN_WORKER_DATABASE_URL),
    readDatabaseUrl: parseUrl('DATABASE_READ_URL', env.DATABASE_READ_URL),
    preparedStatements: parseBoolean('DASTERN_DB_PREPARED_STATEMENTS', env.DASTERN_DB_PREPARED_STATEMENTS, true),
    listenDatabaseUrl: parseUrl('DASTERN_LISTEN_DATABASE_URL', env.DASTERN_LISTEN_DATABASE_URL),
    dataDir,
    host,
    port,
    embeddedPgPort: parsePort('DASTERN_EMBEDDED_PG_PORT', env.DASTERN_EMBEDDED_PG_PORT, 54329),
    logLevel: env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : nodeEnv === 'test' ? 'warn' : 'info',
    fileKey: env.DASTERN_FILE_KEY && env.DASTERN_FILE_KEY !== '' ? env.DASTERN_FILE_KEY : undefined,
    api,
    push: parsePushConfig(env, nodeEnv, api.mailFrom),
    jobs: parseJobsConfig(env),
    billing: parseBillingConfig(env, nodeEnv),
    ai: parseAiConfig(env),
    backup: parseBackupConfig(env, dataDir),
    chromiumPath: chromiumPathSetting(env),
  };
  if (config.env === 'production' && config.databaseUrl === undefined) {
    throw new ConfigError('production needs DATABASE_URL: the embedded database is for development only');
  }
  if (config.env === 'production' && config.api.jwtSecret === undefined) {
    throw new ConfigError(
      'production needs DASTERN_JWT_SECRET (at least 32 random bytes): generated keys are for development only',
    );
  }
  if (config.env === 'production' && config.api.smtpUrl === undefined) {
    throw new ConfigError('production needs DASTERN_SMTP_URL: e-mail verification and password reset send mail');
  }
  if (config.env === 'production' && (config.push.vapidPublicKey === undefined || !env.DASTERN_VAPID_SUBJECT)) {
    throw new ConfigError(
      'production needs DASTERN_VAPID_PUBLIC_KEY, DASTERN_VAPID_PRIVATE_KEY and DASTERN_VAPID_SUBJECT (`npx web-push generate-vapid-keys`): generated keys are for development only',
    );
  }
  return config;
}

/**
 * A secret generated once per data dir (development and test only), kept in
 * DASTERN_DATA_DIR/secrets/<name> with mode 0600 (also the database passwords of db/bootstrap.ts).
 */
export function generatedSecret(dataDir: string, name: string, bytes = 32): string {
  const dir = path.join(dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) {
    try {
      fs.writeFileSync(file, randomBytes(bytes).toString('hex'), { mode: 0o600, flag: 'wx' });
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

// ------------------------------------------------------------------ billing

export type GatewayName = 'sandbox' | 'bakong' | 'stripe';
export const GATEWAY_NAMES: readonly GatewayName[] = ['sandbox', 'bakong', 'stripe'];

export interface BakongConfig {
  /** Bearer token of the Bakong open API (check_transaction_by_md5). */
  token: string | undefined;
  /** The receiving Bakong account, `name@bank`. */
  accountId: string | undefined;
  merchantName: string;
  merchantCity: string;
  apiUrl: string;
  /** First poll after this many seconds; the delay doubles up to pollMaxSeconds. */
  pollFirstSeconds: number;
  pollMaxSeconds: number;
}

export interface StripeConfig {
  secretKey: string | undefined;
  webhookSecret: string | undefined;
  /** Another API host (a local fake in tests); undefined → api.stripe.com. */
  apiUrl: string | undefined;
}

export interface BillingConfig {
  /** Gateways offered at checkout. */
  gateways: GatewayName[];
  /** A pending payment not paid after this many minutes expires. */
  pendingMinutes: number;
  /** Days before the end of a paid period when the renewal reminder is sent. */
  renewalReminderDays: number;
  bakong: BakongConfig;
  stripe: StripeConfig;
  seller: SellerConfig;
}

/** The seller on receipts (VAT-ready: the TIN and the rate are printed even when VAT is 0). */
export interface SellerConfig {
  name: string;
  address: string | undefined;
  /** VAT taxpayer identification number; undefined: not VAT-registered. */
  vatTin: string | undefined;
  /** VAT included in the prices, in basis points (1000 = 10 %); 0 by default. */
  vatRateBasisPoints: number;
}

/** "10", "10.5", "0" (percent) → basis points, without a float. */
function parseVatRate(raw: string | undefined): number {
  const v = optional(raw);
  if (v === undefined) return 0;
  const m = /^(\d{1,2})(?:\.(\d{1,2}))?$/.exec(v);
  if (!m) throw new ConfigError('DASTERN_VAT_RATE_PERCENT must be a percentage such as 0 or 10 (at most two decimals)');
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

function optional(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function parseHttpUrl(name: string, raw: string | undefined): string | undefined {
  const v = optional(raw);
  if (v === undefined) return undefined;
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ConfigError(`${name} must be an http(s):// URL`);
  return v.replace(/\/+$/, '');
}

function parseBillingConfig(env: NodeJS.ProcessEnv, nodeEnv: Environment): BillingConfig {
  const bakong: BakongConfig = {
    token: optional(env.DASTERN_BAKONG_TOKEN),
    accountId: optional(env.DASTERN_BAKONG_ACCOUNT_ID),
    merchantName: optional(env.DASTERN_BAKONG_MERCHANT_NAME) ?? 'DasTern',
    merchantCity: optional(env.DASTERN_BAKONG_MERCHANT_CITY) ?? 'Phnom Penh',
    apiUrl: parseHttpUrl('DASTERN_BAKONG_API_URL', env.DASTERN_BAKONG_API_URL) ?? 'https://api-bakong.nbc.gov.kh',
    pollFirstSeconds: parseInteger('DASTERN_BAKONG_POLL_SECONDS', env.DASTERN_BAKONG_POLL_SECONDS, 5, 1, 3600),
    pollMaxSeconds: parseInteger('DASTERN_BAKONG_POLL_MAX_SECONDS', env.DASTERN_BAKONG_POLL_MAX_SECONDS, 60, 1, 3600),
  };
  if (bakong.accountId !== undefined && !/^[A-Za-z0-9._-]{1,32}@[A-Za-z0-9]{1,16}$/.test(bakong.accountId)) {
    throw new ConfigError('DASTERN_BAKONG_ACCOUNT_ID must be a Bakong account id such as dastern@aclb');
  }
  const stripe: StripeConfig = {
    secretKey: optional(env.DASTERN_STRIPE_SECRET_KEY),
    webhookSecret: optional(env.DASTERN_STRIPE_WEBHOOK_SECRET),
    apiUrl: parseHttpUrl('DASTERN_STRIPE_API_URL', env.DASTERN_STRIPE_API_URL),
  };
  if (stripe.secretKey !== undefined && !/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/.test(stripe.secretKey)) {
    throw new ConfigError('DASTERN_STRIPE_SECRET_KEY must be a Stripe secret key (sk_live_… or sk_test_…)');
  }
  if (stripe.webhookSecret !== undefined && !/^whsec_[A-Za-z0-9+/=]{8,}$/.test(stripe.webhookSecret)) {
    throw new ConfigError("DASTERN_STRIPE_WEBHOOK_SECRET must be the endpoint's signing secret (whsec_…)");
  }
  const hasKeys: Record<GatewayName, boolean> = {
    sandbox: true,
    bakong: bakong.token !== undefined && bakong.accountId !== undefined,
    stripe: stripe.secretKey !== undefined && stripe.webhookSecret !== undefined,
  };
  const listed = optional(env.DASTERN_PAYMENT_GATEWAYS);
  let gateways: GatewayName[];
  if (listed === undefined) {
    gateways = GATEWAY_NAMES.filter((g) => hasKeys[g] && !(g === 'sandbox' && nodeEnv === 'production'));
  } else {
    gateways = [];
    for (const name of listed
      .split(',')
      .map((g) => g.trim().toLowerCase())
      .filter((g) => g !== '')) {
      if (!(GATEWAY_NAMES as readonly string[]).includes(name))
        throw new ConfigError(`DASTERN_PAYMENT_GATEWAYS: unknown gateway "${name}" (sandbox, bakong, stripe)`);
      const g = name as GatewayName;
      if (g === 'sandbox' && nodeEnv === 'production')
        throw new ConfigError('DASTERN_PAYMENT_GATEWAYS: the sandbox gateway is not allowed in production');
      if (!hasKeys[g]) {
        throw new ConfigError(
          g === 'bakong'
            ? 'the bakong gateway needs DASTERN_BAKONG_TOKEN and DASTERN_BAKONG_ACCOUNT_ID'
            : 'the stripe gateway needs DASTERN_STRIPE_SECRET_KEY and DASTERN_STRIPE_WEBHOOK_SECRET',
        );
      }
      if (!gateways.includes(g)) gateways.push(g);
    }
  }
  if (nodeEnv === 'production' && (bakong.apiUrl.startsWith('http:') || stripe.apiUrl?.startsWith('http:') === true)) {
    throw new ConfigError('production talks to the payment gateways over https only');
  }
  return {
    gateways,
    pendingMinutes: parseInteger('DASTERN_PAYMENT_PENDING_MINUTES', env.DASTERN_PAYMENT_PENDING_MINUTES, 30, 1, 10_080),
    renewalReminderDays: parseInteger('DASTERN_RENEWAL_REMINDER_DAYS', env.DASTERN_RENEWAL_REMINDER_DAYS, 3, 1, 60),
    bakong,
    stripe,
    seller: {
      name: optional(env.DASTERN_SELLER_NAME) ?? 'DasTern',
      address: optional(env.DASTERN_SELLER_ADDRESS),
      vatTin: optional(env.DASTERN_SELLER_VAT_TIN),
      vatRateBasisPoints: parseVatRate(env.DASTERN_VAT_RATE_PERCENT),
    },
  };
}

/** The `dastern` commands' log level: LOG_LEVEL, else warn (a command prints its own answer). */
export function commandLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  return env.LOG_LEVEL && env.LOG_LEVEL !== '' ? env.LOG_LEVEL : 'warn';
}
