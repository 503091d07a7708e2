/**
 * Backups on a real embedded PostgreSQL with WAL archiving (what `npm start` runs): a base
 * backup, writes after it, point-in-time recovery to a noted moment (exactly the first writes),
 * recovery to the end of the archive, verify (scratch restore + audit chain + photos), a
 * tampered backup refused, retention, and the `dastern backup` command as a process.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedPostgres, walStagingDir, type EmbeddedPostgres } from '../../src/db/embedded.ts';
import { withMigrator } from '../../src/db/migrations.ts';
import { createLogger } from '../../src/log.ts';
import { FileStore } from '../../src/files/store.ts';
import { createBaseBackup } from '../../src/backup/base.ts';
import { restoreBackup, type RestoreResult } from '../../src/backup/restore.ts';
import { flushWalArchive } from '../../src/backup/wal.ts';
import { listBackups, type BackupManifest } from '../../src/backup/layout.ts';
import { backupsToKeep } from '../../src/backup/retention.ts';
import { BackupIntegrityError } from '../../src/backup/crypto.ts';
import { freePort } from '../support/net.ts';

const run = promisify(execFile);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-backup-'));
fs.chmodSync(root, 0o755); // the `postgres` OS user (tests as root) reaches the cluster inside
const dataDir = path.join(root, 'data');
const backupDir = path.join(root, 'backups');
const key = randomBytes(32);
const fileKey = randomBytes(32);
let server: EmbeddedPostgres;
let owner: pg.Client;
let pgPort: number;
const clusters: string[] = [];

function probeCount(r: RestoreResult): number {
  return r.rows.backup_probe ?? -1;
}

async function restore(options: { to?: Date; immediate?: boolean }): Promise<RestoreResult> {
  const target = path.join(root, `restore-${randomBytes(4).toString('hex')}`);
  const result = await restoreBackup({ backupDir, key, target, ...options });
  clusters.push(result.cluster, target);
  return result;
}

beforeAll(async () => {
  fs.mkdirSync(dataDir, { recursive: true });
  pgPort = await freePort();
  server = await startEmbeddedPostgres({
    dataDir,
    port: pgPort,
    logger: createLogger('warn', 'backup-test'),
    archiveWal: true,
  });
  await withMigrator(server.url, (m) => m.up());
  owner = new pg.Client({ connectionString: server.url });
  await owner.connect();
  // a patient with a photo in the encrypted file store
  fs.mkdirSync(path.join(dataDir, 'secrets'), { recursive: true });
  fs.writeFileSync(path.join(dataDir, 'secrets', 'file-key'), fileKey.toString('base64'));
  const stored = await new FileStore(path.join(dataDir, 'files'), fileKey).put(Buffer.from('a prescription photo'));
  const user = await owner.query<{ id: string }>(
    "INSERT INTO users (email, password_hash, role, first_name, last_name) VALUES ('p@backup.test', '$2b$12$' || repeat('a', 53), 'patient', 'Sokha', 'Chan') RETURNING id",
  );
  await owner.query(
    "INSERT INTO prescriptions (patient_id, uploaded_by, image_path, image_mime_type, image_size_bytes, image_sha256, status) VALUES ($1, $1, $2, 'image/jpeg', $3, $4, 'pending')",
    [user.rows[0]?.id, stored.location, stored.size, stored.sha256],
  );
  await owner.query('CREATE TABLE backup_probe (n int PRIMARY KEY)');
}, 180_000);

afterAll(async () => {
  await owner?.end();
  await server?.stop();
  for (const dir of clusters) fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(walStagingDir(server.cluster), { recursive: true, force: true });
  if (server.cluster !== path.join(dataDir, 'postgres')) fs.rmSync(server.cluster, { recursive: true, force: true });
  fs.rmSync(root, { recursive: true, force: true });
});

describe('dastern backup on the embedded PostgreSQL', () => {
  let base: BackupManifest;
  let noted: Date;

  it('takes an encrypted base backup while the database is in use', async () => {
    base = await createBaseBackup({ ownerUrl: server.url, backupDir, key, dataDir });
    expect(listBackups(backupDir).map((b) => b.id)).toEqual([base.id]);
    expect(base.parts.data.size).toBeGreaterThan(1_000_000);
    expect(base.files_copied).toBe(1);
    // encrypted at rest: no readable text of the cluster or of the photo
    const bytes = fs.readFileSync(path.join(backupDir, 'base', base.id, 'data.tar.gz.dtb'));
    expect(bytes.subarray(0, 4).toString()).toBe('DTB1');
    expect(bytes.includes(Buffer.from('PG_VERSION'))).toBe(false);
  });

  it('recovers to a noted moment: exactly the writes before it', async () => {
    await owner.query('INSERT INTO backup_probe SELECT generate_series(1, 100)');
    // noted a little after that commit: a JavaScript time keeps milliseconds, PostgreSQL's microseconds
    // (noted in the commit's own millisecond, the truncated time fell before the commit)
    await owner.query('SELECT pg_sleep(0.05)');
    noted = (await owner.query<{ t: Date }>('SELECT clock_timestamp() AS t')).rows[0]!.t;
    await owner.query('INSERT INTO backup_probe SELECT generate_series(101, 250)');
    expect(await flushWalArchive(server.url, walStagingDir(server.cluster), backupDir, key)).toBe(true);

    const atNoted = await restore({ to: noted });
    expect(probeCount(atNoted)).toBe(100);
    expect(atNoted.audit.ok).toBe(true);
    expect(atNoted.files).toEqual({ referenced: 1, missing: [], unreadable: [] });
    expect(new Date(atNoted.recovered_to!).getTime()).toBeLessThanOrEqual(noted.getTime());

    const latest = await restore({});
    expect(probeCount(latest)).toBe(250);
    expect(latest.rows.users).toBe(1);
  }, 180_000);

  it('verify restores the base backup alone (its own end point) and checks the audit chain and the photos', async () => {
    const scratch = await restore({ immediate: true });
    expect(scratch.base).toBe(base.id);
    expect(probeCount(scratch)).toBe(0);
    expect(scratch.audit.ok).toBe(true);
    expect(scratch.files.referenced).toBe(1);
    expect(scratch.files.missing).toEqual([]);
  }, 120_000);

  it('refuses a time before the first backup, and a tampered backup, leaving nothing behind', async () => {
    await expect(restore({ to: new Date(Date.parse(base.started_at) - 60_000) })).rejects.toThrow(
      /no base backup ended before/,
    );
    const file = path.join(backupDir, 'base', base.id, 'data.tar.gz.dtb');
    const original = fs.readFileSync(file);
    const tampered = Buffer.from(original);
    const middle = Math.floor(tampered.length / 2);
    tampered[middle] = (tampered[middle] ?? 0) ^ 0x01;
    fs.writeFileSync(file, tampered);
    const target = path.join(root, 'restore-tampered');
    try {
      await expect(restoreBackup({ backupDir, key, target, immediate: true })).rejects.toBeInstanceOf(
        BackupIntegrityError,
      );
      expect(fs.existsSync(target)).toBe(false);
    } finally {
      fs.writeFileSync(file, original);
    }
    await expect(restoreBackup({ backupDir, key: randomBytes(32), target, immediate: true })).rejects.toBeInstanceOf(
      BackupIntegrityError,
    );
  }, 120_000);

  it('the dastern command: create, list and verify against the running server', async () => {
    const env = {
      ...process.env,
      NODE_ENV: 'development',
      DATABASE_URL: server.url,
      DASTERN_DATA_DIR: dataDir,
      DASTERN_BACKUP_DIR: backupDir,
      DASTERN_BACKUP_KEY: key.toString('base64'),
      DASTERN_FILE_KEY: fileKey.toString('base64'),
      LOG_LEVEL: 'warn',
    };
    const created = await run('node', ['bin/dastern.js', 'backup', 'create', '--json'], { env });
    const manifest = JSON.parse(created.stdout) as BackupManifest;
    const listed = await run('node', ['bin/dastern.js', 'backup', 'list'], { env });
    expect(listed.stdout).toContain(manifest.id);
    // retention keeps the newest backup of each day: today's first one is gone
    expect(listed.stdout).not.toContain(base.id);
    const verified = await run('node', ['bin/dastern.js', 'backup', 'verify'], { env });
    expect(verified.stdout).toContain(`base ${manifest.id}`);
    expect(verified.stdout).toContain('audit chain OK');
    expect(verified.stdout).toMatch(/backup_probe: 250/);
    expect(verified.stdout).toContain('files: 1 referenced, 0 missing, 0 unreadable');
    // the server was used, never stopped
    expect((await owner.query<{ n: number }>('SELECT count(*)::int AS n FROM backup_probe')).rows[0]?.n).toBe(250);
  }, 180_000);
});

describe('retention', () => {
  const at = (iso: string): BackupManifest => ({ id: iso.replace(/[-:.]/g, ''), started_at: iso }) as BackupManifest;
  it('keeps the newest of each of the last 7 days, 4 weeks and 12 months', () => {
    const backups: BackupManifest[] = [];
    for (let d = 0; d < 400; d += 1) {
      const day = new Date(Date.UTC(2026, 0, 1) + d * 86_400_000);
      backups.push(
        at(new Date(day.getTime() + 2 * 3600_000).toISOString()),
        at(new Date(day.getTime() + 14 * 3600_000).toISOString()),
      );
    }
    const { keep, pitrFrom } = backupsToKeep(backups, { keepDaily: 7, keepWeekly: 4, keepMonthly: 12 });
    // point-in-time recovery reaches back to the oldest daily backup
    expect(backups.find((b) => b.id === pitrFrom)?.started_at).toBe(
      new Date(Date.UTC(2026, 0, 1) + 393 * 86_400_000 + 14 * 3600_000).toISOString(),
    );
    const kept = backups.filter((b) => keep.has(b.id)).map((b) => b.started_at);
    // the 7 newest days, each at 14:00 (the newest of its day)
    for (let d = 393; d < 400; d += 1)
      expect(kept).toContain(new Date(Date.UTC(2026, 0, 1) + d * 86_400_000 + 14 * 3600_000).toISOString());
    expect(kept.every((t) => t.endsWith('T14:00:00.000Z'))).toBe(true);
    // months: newest of each of 12 months are kept
    expect(new Set(kept.map((t) => t.slice(0, 7))).size).toBeGreaterThanOrEqual(12);
    expect(kept.length).toBeLessThanOrEqual(7 + 4 + 12);
  });
});
