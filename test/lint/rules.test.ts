/**
 * The lint rules that keep the code's shape: SQL only in the agreed places (README "Where SQL
 * lives"; the rule fails on a statement in a service or a route, and eslint.config.js turns it
 * on for every file of src/ but those places), no HTTP in services, and `process.env` read only
 * in src/config.ts.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ESLint, Linter } from 'eslint';
import tseslint from 'typescript-eslint';
import dastern, { looksLikeSql } from '../../eslint-rules/sql-placement.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

async function ruleLevel(eslint: ESLint, file: string, rule: string): Promise<unknown> {
  const config = (await eslint.calculateConfigForFile(path.join(ROOT, file))) as
    { rules?: Record<string, unknown> } | undefined;
  const setting = config?.rules?.[rule];
  return Array.isArray(setting) ? setting[0] : setting;
}

function lint(code: string): Linter.LintMessage[] {
  const linter = new Linter({ configType: 'flat' });
  return linter.verify(
    code,
    [
      {
        files: ['**/*.ts'],
        languageOptions: { parser: tseslint.parser as Linter.Parser },
        plugins: { dastern },
        rules: { 'dastern/sql-placement': 'error' },
      },
    ],
    { filename: 'snippet.ts' },
  );
}

describe('dastern/sql-placement', () => {
  it('reports a query written in a service: plain string, template literal and a function call', () => {
    const bad = [
      "await tx.query('SELECT id FROM users WHERE email = $1', [email]);",
      'await tx.query(`UPDATE users SET is_active = $2 WHERE id = $1`, [id, active]);',
      'const n = await tx.query(`INSERT INTO notes (a, b) VALUES (${1}, $2)`);',
      "await tx.query('DELETE FROM clinical_notes WHERE id = $1', [id]);",
      "await tx.query('SELECT app_audit_seal($1) AS n', [5000]);",
      'await db.executeSql(`GRANT USAGE ON SCHEMA ${schema} TO dastern_app`);',
    ];
    for (const code of bad) {
      const messages = lint(code);
      expect(
        messages.map((m) => m.ruleId),
        code,
      ).toEqual(['dastern/sql-placement']);
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
    const level = (file: string): Promise<unknown> => ruleLevel(eslint, file, 'dastern/sql-placement');
    for (const file of [
      'src/users/service.ts',
      'src/audit/routes.ts',
      'src/prescriptions/reading-job.ts',
      'src/http/auth.ts',
      'src/cli/backup.ts',
      'src/new-domain/service.ts',
    ]) {
      expect(await level(file), file).toBe(2);
    }
    for (const file of [
      'src/users/queries.ts',
      'src/reminders/medication-queries.ts',
      'src/db/migrations.ts',
      'src/backup/wal.ts',
    ]) {
      expect(await level(file), file).toBeUndefined();
    }
  });
});

describe('no HTTP in services', () => {
  it('refuses Fastify and src/http/ in a service, a job or a queries file; allows them in routes and src/http/', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const config = (await eslint.calculateConfigForFile(path.join(ROOT, 'src/care/service.ts'))) as {
      rules?: Record<string, unknown>;
    };
    const linter = new Linter({ configType: 'flat' });
    const verify = (code: string): string[] =>
      linter
        .verify(
          code,
          [
            {
              files: ['**/*.ts'],
              languageOptions: { parser: tseslint.parser as Linter.Parser },
              rules: { 'no-restricted-imports': config.rules?.['no-restricted-imports'] as Linter.RuleEntry },
            },
          ],
          { filename: 'src/care/service.ts' },
        )
        .map((m) => m.ruleId ?? '');
    expect(verify("import type { FastifyRequest } from 'fastify';")).toEqual(['no-restricted-imports']);
    expect(verify("import { actorOf } from '../http/auth.ts';")).toEqual(['no-restricted-imports']);
    expect(verify("import { ApiError } from '../core/errors.ts';")).toEqual([]);
    for (const file of [
      'src/users/service.ts',
      'src/prescriptions/reading-job.ts',
      'src/audit/queries.ts',
      'src/core/context.ts',
    ]) {
      expect(await ruleLevel(eslint, file, 'no-restricted-imports'), file).toBe(2);
    }
    for (const file of [
      'src/users/routes.ts',
      'src/reminders/medication-routes.ts',
      'src/http/app.ts',
      'src/server.ts',
    ]) {
      expect(await ruleLevel(eslint, file, 'no-restricted-imports'), file).toBeUndefined();
    }
  });
});

describe('process.env only in src/config.ts', () => {
  it('refuses process.env in src/ (read, destructured, spread) and allows it in src/config.ts', async () => {
    const eslint = new ESLint({ cwd: ROOT });
    const config = (await eslint.calculateConfigForFile(path.join(ROOT, 'src/ai/routes.ts'))) as {
      rules?: Record<string, unknown>;
    };
    const linter = new Linter({ configType: 'flat' });
    const verify = (code: string): string[] =>
      linter
        .verify(
          code,
          [
            {
              files: ['**/*.ts'],
              languageOptions: { parser: tseslint.parser as Linter.Parser },
              rules: { 'no-restricted-properties': config.rules?.['no-restricted-properties'] as Linter.RuleEntry },
            },
          ],
          { filename: 'src/ai/routes.ts' },
        )
        .map((m) => m.ruleId ?? '');
    expect(verify("const path = process.env.DASTERN_CHROMIUM_PATH ?? '/usr/bin/chromium';")).toEqual([
      'no-restricted-properties',
    ]);
    expect(verify("const dir = process.env['DASTERN_TESSDATA_DIR'];")).toEqual(['no-restricted-properties']);
    expect(verify("spawn('tesseract', [], { env: { ...process.env, A: '1' } });")).toEqual([
      'no-restricted-properties',
    ]);
    expect(verify('const { env } = process;')).toEqual(['no-restricted-properties']);
    expect(verify('const path = loadConfig().chromiumPath;')).toEqual([]);
    for (const file of ['src/ai/routes.ts', 'src/reading/tessdata.ts', 'src/db/embedded.ts', 'src/server.ts']) {
      expect(await ruleLevel(eslint, file, 'no-restricted-properties'), file).toBe(2);
    }
    expect(await ruleLevel(eslint, 'src/config.ts', 'no-restricted-properties')).toBeUndefined();
    expect(await ruleLevel(eslint, 'test/support/api.ts', 'no-restricted-properties')).toBeUndefined();
  });
});
