/**
 * The PostgreSQL server binaries a restore runs: a cluster is only ever started by the major
 * version that wrote it. The embedded package ships 17; a backup of an external server of
 * another major version (Debian's 15 on these machines) is recovered by that version's own
 * binaries: DASTERN_PG_BIN_DIR, else Debian's /usr/lib/postgresql/<major>.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { embeddedRuntime } from '../db/embedded.ts';
import { BackupError } from './base.ts';

export interface ServerBinaries {
  /** The root holding bin/postgres. */
  root: string;
  runAs: { uid: number; gid: number } | undefined;
}

/** "17.6 (Debian …)" or "15.20" → 17 or 15. */
export function majorOf(version: string): number {
  const major = Number.parseInt(version, 10);
  if (!Number.isInteger(major) || major < 10) throw new BackupError(`not a PostgreSQL version: ${version}`);
  return major;
}

function versionOf(root: string): number | undefined {
  const postgres = path.join(root, 'bin', 'postgres');
  if (!fs.existsSync(postgres)) return undefined;
  const out = execFileSync(postgres, ['--version'], { encoding: 'utf8' }); // "postgres (PostgreSQL) 17.6"
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(out);
  return match ? Number(match[1]) : undefined;
}

export function binariesFor(serverVersion: string, configured: string | undefined): ServerBinaries {
  const wanted = majorOf(serverVersion);
  const embedded = embeddedRuntime();
  if (versionOf(embedded.bin) === wanted) return { root: embedded.bin, runAs: embedded.runAs };
  const candidates = [configured, `/usr/lib/postgresql/${wanted}`].filter((c): c is string => c !== undefined);
  for (const root of candidates) {
    if (versionOf(root) === wanted) return { root, runAs: embedded.runAs };
  }
  throw new BackupError(
    `this backup was taken from PostgreSQL ${wanted}, and only that version can recover it: ` +
      `install its server binaries (Debian: postgresql-${wanted}) or set DASTERN_PG_BIN_DIR to the folder holding bin/postgres`,
  );
}
