/**
 * `npm run bench:backup` — a restore drill on the embedded PostgreSQL with WAL archiving, as
 * `npm start` runs it: load data, take a base backup, keep writing (one transaction every
 * 200 ms) while WAL is shipped every 30 s as `dastern serve` does, then lose the server without
 * warning (SIGKILL, nothing flushed) and restore from the backup directory alone.
 * Prints the backup's time and size, the RTO (restore duration) and the RPO (commits lost:
 * the time between the last commit made and the last one recovered). BENCH_WRITE_SECONDS
 * (default 150) sets how long writes go on after the backup.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startEmbeddedPostgres, walStagingDir } from '../src/db/embedded.ts';
import { withMigrator } from '../src/db/migrations.ts';
import { createLogger } from '../src/log.ts';
import { createBaseBackup } from '../src/backup/base.ts';
import { restoreBackup } from '../src/backup/restore.ts';
import { shipWal } from '../src/backup/wal.ts';
import { freePort } from '../test/support/net.ts';
import { secs } from './support/stats.ts';

const WRITE_SECONDS = Number(process.env.BENCH_WRITE_SECONDS ?? 150);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-bench-backup-'));
fs.chmodSync(root, 0o755);
const dataDir = path.join(root, 'data');
const backupDir = path.join(root, 'backups');
const key = randomBytes(32);
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const server = await startEmbeddedPostgres({
  dataDir,
  port: await freePort(),
  logger: createLogger('warn', 'bench'),
  archiveWal: true,
});
const cleanup: string[] = [root];
try {
  await withMigrator(server.url, (m) => m.up());
  const db = new pg.Client({ connectionString: server.url });
  await db.connect();
  await db.query(
    'CREATE TABLE drill (n bigserial PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp(), payload text NOT NULL)',
  );
  await db.query('INSERT INTO drill (payload) SELECT repeat(md5(g::text), 8) FROM generate_series(1, 200000) g');
  const size = (await db.query<{ s: string }>("SELECT pg_size_pretty(pg_database_size('dastern')) AS s")).rows[0]?.s;

  const base = await createBaseBackup({ ownerUrl: server.url, backupDir, key, dataDir });
  say(
    `base backup: ${secs(base.duration_ms)} for a ${size ?? '?'} database → ${(base.parts.data.size / 1_048_576).toFixed(1)} MB encrypted`,
  );

  const staging = walStagingDir(server.cluster);
  const shipper = setInterval(() => void shipWal(staging, backupDir, key), 30_000);
  let lastCommit = new Date(0);
  const until = Date.now() + WRITE_SECONDS * 1000;
  while (Date.now() < until) {
    lastCommit = (await db.query<{ at: Date }>("INSERT INTO drill (payload) VALUES ('drill') RETURNING at")).rows[0]!
      .at;
    await new Promise((r) => setTimeout(r, 200));
  }
  clearInterval(shipper);
  // the disaster: the server dies with whatever was not yet shipped
  db.on('error', () => undefined); // its server is about to die
  const pid = Number(fs.readFileSync(path.join(server.cluster, 'postmaster.pid'), 'utf8').split('\n')[0]);
  process.kill(pid, 'SIGKILL');
  await db.end().catch(() => undefined);
  fs.rmSync(staging, { recursive: true, force: true });

  const target = path.join(root, 'restored');
  const began = Date.now();
  const restored = await restoreBackup({ backupDir, key, target });
  const rto = Date.now() - began;
  cleanup.push(restored.cluster);
  const recovered = restored.recovered_to ? new Date(restored.recovered_to) : new Date(base.stopped_at);
  say(
    `restore (RTO): ${secs(rto)}; audit chain ${restored.audit.ok ? 'OK' : 'BROKEN'}; ${restored.rows.drill ?? 0} drill rows`,
  );
  say(
    `data lost (RPO): ${secs(lastCommit.getTime() - recovered.getTime())} of commits (bound by archive_timeout 60 s + shipping every 30 s)`,
  );
} finally {
  await server.stop().catch(() => undefined);
  for (const dir of cleanup) fs.rmSync(dir, { recursive: true, force: true });
}
