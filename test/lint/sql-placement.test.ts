/**
 * The lint rule that keeps SQL in the agreed places (README "Where SQL lives"): it fails on a
 * statement in a service or a route, passes the same text in a queries file, and
 * eslint.config.js turns it on for every other file of src/.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import dastern, { looksLikeSql } from '../../eslint-rules/sql-placement.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

function lint(code: string): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat' });
  return linter.verify(code, [{
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser as Linter.Parser },
    plugins: { dastern },
    rules: { 'dastern/sql-placement': 'error' },
  }], { filename: 'snippet.ts' });
}

describe('dastern/sql-placement', () => {
  it('reports a query written in a service: plain string, template literal and a function call', () => {
    const bad = [
      "await tx.query('SELECT id FROM users WHERE email = $1', [email]);",
      'await tx.query(`UPDATE users SET is_active = $2 WHERE id = $1`, [id, active]);',
      'const n = await tx.query(`INSERT INTO notes (a, b) VALUES (${1}, $2)`);',
      "await tx.query('DELETE FROM clinical_notes WHERE id = $1', [id]);",
      "await tx.query('SELECT app_audit_seal($1) AS n', [5000]);",
      "await db.executeSql(`GRANT USAGE ON SCHEMA ${schema} TO dastern_app`);",
    ];
    for (const code of bad) {
      const messages = lint(code);
      expect(messages.map((m) => m.ruleId), code).toEqual(['dastern/sql-placement']);
    }
  });

  it('leaves prose, error texts and lower-case words alone', () => {
    const fine = [
      "throw new ApiError(409, 'license_changed', 'the licence number on the account is not the one checked');",
      "const help = 'select a plan from the list, then update your settings';",
      "const summary = 'Delete my note';",
      'const x = `Select from ${a} and insert into the box`;',
    ];
    for (const code of fine) expect(lint(code), code).toEqual([]);
    expect(looksLikeSql('SELECT 1')).toBe(false);
  });

  it('is on for services, routes and jobs, and off in queries files, src/db/ and src/backup/', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const level = async (file: string): Promise<unknown> => {
      const config = (await eslint.calculateConfigForFile(path.join(ROOT, file))) as { rules?: Record<string, unknown> } | undefined;
      const rule = config?.rules?.['dastern/sql-placement'];
      return Array.isArray(rule) ? rule[0] : rule;
    };
    for (const file of ['src/users/service.ts', 'src/audit/routes.ts', 'src/prescriptions/reading-job.ts', 'src/http/auth.ts', 'src/cli/backup.ts', 'src/new-domain/service.ts']) {
      expect(await level(file), file).toBe(2);
    }
    for (const file of ['src/users/queries.ts', 'src/reminders/medication-queries.ts', 'src/db/migrations.ts', 'src/backup/wal.ts']) {
      expect(await level(file), file).toBeUndefined();
    }
  });
});
