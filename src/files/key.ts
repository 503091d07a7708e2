/**
 * The file encryption key: DASTERN_FILE_KEY (base64 of 32 bytes). Development generates one
 * on first run into DASTERN_DATA_DIR/secrets/file-key; production refuses to start without it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import { ConfigError } from '../config.ts';

/** `env` stands for the environment (tests); by default the key loadConfig() read. */
export function loadFileKey(
  config: Config,
  env: { DASTERN_FILE_KEY?: string | undefined } = { DASTERN_FILE_KEY: config.fileKey },
): Buffer {
  const raw = env.DASTERN_FILE_KEY;
  if (raw !== undefined && raw !== '') {
    const key = Buffer.from(raw, 'base64');
    if (key.length !== 32) throw new ConfigError('DASTERN_FILE_KEY must be the base64 of 32 random bytes');
    return key;
  }
  if (config.env === 'production')
    throw new ConfigError('production needs DASTERN_FILE_KEY (base64 of 32 random bytes)');
  const dir = path.join(config.dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'file-key');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}
