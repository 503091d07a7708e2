/**
 * No function of the server or the web app grows past 80 lines: a longer one is split into
 * named steps (scripts/function-lengths.ts measures them the way the review did).
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

describe('function lengths', () => {
  it('no function in src/ or web/src/ is longer than 80 lines', () => {
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', 'scripts/function-lengths.ts', 'src', 'web/src', '--over', '80'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const over = out.split('\n').filter((l) => /^\s*\d+\s+\S+:\d+/.test(l));
    expect(over).toEqual([]);
    expect(out).toMatch(/\b0 functions over 80 lines/);
  });
});
