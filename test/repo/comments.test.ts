/**
 * Comments stay true of the repository: a path a comment names exists here, and no comment
 * leans on an issue tracker the repository does not carry (an issue number and item): it says the
 * rule itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const DIRS = ['src', 'test', 'bench', 'bin', 'scripts', 'web/src', 'web/scripts', 'database/tools'];
const CODE = /\.(ts|tsx|js|mjs)$/;

function files(dir: string): string[] {
  const full = path.join(ROOT, dir);
  if (!fs.existsSync(full)) return [];
  return fs
    .readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && CODE.test(e.name))
    .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
}

/** The comment text of a source file: // lines and /* blocks, string and template literals left out. */
function comments(text: string): string[] {
  const out: string[] = [];
  const token = /'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`|\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
  for (const m of text.matchAll(token)) if (m[0].startsWith('/')) out.push(m[0]);
  return out;
}

const all = [...DIRS.flatMap(files), 'eslint.config.js', 'vitest.config.ts'];

describe('comments', () => {
  it('name no issue of a tracker outside the repository', () => {
    const found: string[] = [];
    for (const file of all) {
      for (const c of comments(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        const m = /\b[Ii]ssue\s*#?\d+/.exec(c);
        if (m) found.push(`${file}: ${m[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('name only repository paths that exist', () => {
    const missing: string[] = [];
    const pathLike = /(?<![\w./-])((?:src|test|bench|web|database|scripts|docs)\/[\w./-]*\w|bin\/[\w-]+\.js)/g;
    for (const file of all) {
      for (const c of comments(fs.readFileSync(path.join(ROOT, file), 'utf8'))) {
        for (const [, p] of c.matchAll(pathLike)) {
          const candidate = p!.replace(/[.:]+$/, '');
          if (/[*{}]/.test(candidate)) continue; // a pattern, not a path
          const exists = [candidate, `${candidate}.ts`, `${candidate}.tsx`].some((x) =>
            fs.existsSync(path.join(ROOT, x)),
          );
          if (!exists) missing.push(`${file}: ${candidate}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });
});
