/**
 * The backup key: DASTERN_BACKUP_KEY (base64 of 32 bytes). Development generates one into
 * DASTERN_DATA_DIR/secrets/backup-key; keep a copy away from this machine, for without it no
 * backup can be read. Production refuses to back up without an explicit key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, type Config } from '../config.ts';

export function loadBackupKey(config: Config): Buffer {
  if (config.backup.key !== undefined) return Buffer.from(config.backup.key, 'base64');
  if (config.env === 'production')
    throw new ConfigError('production needs DASTERN_BACKUP_KEY (base64 of 32 random bytes) to write or read backups');
  const dir = path.join(config.dataDir, 'secrets');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = path.join(dir, 'backup-key');
  if (!fs.existsSync(file)) fs.writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  return Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
}
