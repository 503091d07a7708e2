/**
 * The continuous WAL archive. PostgreSQL's archive_command (set by the embedded server, see
 * db/embedded.ts) copies each completed segment into a staging folder beside the cluster;
 * shipWal() compresses and encrypts them into DASTERN_BACKUP_DIR/wal and removes the staged
 * copy. It runs every 30 s in `dastern serve`, and before and after every backup and restore.
 */
import fs from 'node:fs';
import pg from 'pg';
import path from 'node:path';
import { createGzip, createGunzip } from 'node:zlib';
import { writeEncrypted, readEncrypted } from './crypto.ts';
import { walRoot } from './layout.ts';

const WAL_FILE = /^([0-9A-F]{24}|[0-9A-F]{8}\.history|[0-9A-F]{24}\.[0-9A-F]{8}\.backup)$/;

/** Moves staged segments into the encrypted archive; returns how many it shipped. */
export async function shipWal(staging: string, backupDir: string, key: Buffer): Promise<number> {
  if (!fs.existsSync(staging)) return 0;
  const target = walRoot(backupDir);
  fs.mkdirSync(target, { recursive: true, mode: 0o700 });
  let shipped = 0;
  for (const name of fs.readdirSync(staging).sort()) {
    if (!WAL_FILE.test(name)) continue; // .tmp copies still being written
    const source = path.join(staging, name);
    const file = path.join(target, `${name}.gz.dtb`);
    if (!fs.existsSync(file))
      await writeEncrypted(fs.createReadStream(source).pipe(createGzip({ level: 6 })), file, key);
    fs.rmSync(source, { force: true });
    shipped += 1;
  }
  return shipped;
}

/** Decrypts the named archived WAL files into `into` (where restore_command finds them). */
export async function fetchWal(backupDir: string, key: Buffer, into: string, names: readonly string[]): Promise<void> {
  fs.mkdirSync(into, { recursive: true, mode: 0o700 });
  for (const name of names) {
    const out = fs.createWriteStream(path.join(into, name), { mode: 0o600 });
    await readEncrypted(path.join(walRoot(backupDir), `${name}.gz.dtb`), key, createGunzip(), out);
  }
}

/**
 * Closes the current WAL segment, waits (up to `timeoutMs`) until PostgreSQL has archived it,
 * and ships the archive: everything committed so far is then in the backup. False when the
 * server does not archive (archive_mode off) or did not manage in time.
 */
export async function flushWalArchive(
  ownerUrl: string,
  staging: string,
  backupDir: string,
  key: Buffer,
  timeoutMs = 30_000,
): Promise<boolean> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const mode = (await client.query<{ m: string }>("SELECT current_setting('archive_mode') AS m")).rows[0]?.m;
    if (mode !== 'on' && mode !== 'always') return false;
    const wal = (await client.query<{ f: string }>('SELECT pg_walfile_name(pg_switch_wal()) AS f')).rows[0]?.f ?? '';
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const last =
        (await client.query<{ w: string | null }>('SELECT last_archived_wal AS w FROM pg_stat_archiver')).rows[0]?.w ??
        '';
      if (last !== '' && last.slice(8) >= wal.slice(8)) break;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await client.end();
  }
  await shipWal(staging, backupDir, key);
  return true;
}
