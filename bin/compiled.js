// Whether the compiled server (dist/, built from src/ by scripts/build-server.ts at `npm ci`)
// matches the sources: bin/dastern.js runs it when it does and loads src/ through tsx when it
// does not (a checkout whose sources changed after the build). The rule: dist/build.json records
// a digest of every file under src/ (path and content) taken before the build read them; the
// compiled code is used only when the digest of src/ now is the same. Content, not mtimes: a
// checkout, a copy or a touch that changes no byte keeps the build; any edit, new or deleted
// file drops it. Reading src/ costs ~10 ms, a small part of a start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/** Changes when the layout of dist/ changes, so that an older build is never taken for current. */
export const BUILD_FORMAT = 1;

/** SHA-256 over every file under `srcDir` (relative path, size and bytes, in a fixed order). */
export function sourceDigest(srcDir) {
  const hash = crypto.createHash('sha256');
  const walk = (dir, rel) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const e of entries) {
      const full = path.join(dir, e.name);
      const name = rel === '' ? e.name : `${rel}/${e.name}`;
      const stat = fs.statSync(full);
      if (stat.isDirectory()) walk(full, name);
      else if (stat.isFile()) {
        const bytes = fs.readFileSync(full);
        hash.update(`${name}\0${bytes.length}\0`);
        hash.update(bytes);
      }
    }
  };
  walk(srcDir, '');
  return hash.digest('hex');
}

/** The stamp the build writes last (its absence means no complete build). */
export const stampFile = (root) => path.join(root, 'dist', 'build.json');

/** dist/cli/main.js when dist/ was built from the sources as they are now; otherwise undefined. */
export function compiledEntry(root) {
  let stamp;
  try {
    stamp = JSON.parse(fs.readFileSync(stampFile(root), 'utf8'));
  } catch {
    return undefined;
  }
  if (stamp === null || typeof stamp !== 'object' || stamp.format !== BUILD_FORMAT) return undefined;
  const entry = path.join(root, 'dist', 'cli', 'main.js');
  if (!fs.existsSync(entry)) return undefined;
  return stamp.source === sourceDigest(path.join(root, 'src')) ? entry : undefined;
}
