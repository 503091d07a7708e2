/**
 * The file store's copy in the backup: its files are written once and never changed, and each is
 * already AES-256-GCM encrypted with the file key, so new ones are copied as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { filesRoot } from './layout.ts';

function* filesUnder(root: string): Generator<string> {
  if (!fs.existsSync(root)) return;
  for (const entry of fs.readdirSync(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith('.bin'))
      yield path.relative(root, path.join(entry.parentPath, entry.name));
  }
}

/** Copies the files of `from` that `to` lacks; returns how many. */
function copyMissing(from: string, to: string): number {
  let copied = 0;
  for (const rel of filesUnder(from)) {
    const target = path.join(to, rel);
    if (fs.existsSync(target)) continue;
    fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
    fs.copyFileSync(path.join(from, rel), `${target}.partial`);
    fs.renameSync(`${target}.partial`, target);
    copied += 1;
  }
  return copied;
}

/** The file store (DASTERN_DATA_DIR/files) into the backup. */
export function mirrorFiles(fileStore: string, backupDir: string): number {
  return copyMissing(fileStore, filesRoot(backupDir));
}

/** The backup's files into a restored data dir's file store. */
export function restoreFiles(backupDir: string, fileStore: string): number {
  return copyMissing(filesRoot(backupDir), fileStore);
}
