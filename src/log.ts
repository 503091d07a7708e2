/** Structured logging (pino). Secrets and medical free text never reach a log line. */
import { pino, type Logger } from 'pino';

export type { Logger };

/** Paths redacted wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  'password_hash',
  '*.password_hash',
  'token',
  '*.token',
  'access_token',
  '*.access_token',
  'refresh_token',
  '*.refresh_token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'connectionString',
  '*.connectionString',
];

export function createLogger(level: string, name = 'dastern'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}
