/**
 * The SQL files stay in step: 001's up part is the core of schema.sql byte for byte, 002's up
 * part the core of functions/user_functions.sql, and every later migration appears verbatim as a
 * "-- >>> migrations/NNN_x.sql" section at the end of one of the two (so that psql with the
 * seed README's three commands builds exactly what all migrations build). (The catalog comparison of
 * "all migrations" with "schema.sql + user_functions.sql" is test/db/migrations.test.ts.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_DIR, listMigrations } from '../../src/db/migrations.ts';

const read = (relative: string): string => fs.readFileSync(path.join(DATABASE_DIR, relative), 'utf8');

describe('database/ files', () => {
  const migrations = listMigrations();
  const byName = new Map(migrations.map((m) => [m.name, m]));

  /** Splits a psql file into its core and its "-- >>> migrations/NNN_x.sql" mirrored sections. */
  function split(relative: string): { core: string; sections: Array<{ name: string; text: string }> } {
    const text = read(relative);
    const marker = /^-- >>> migrations\/(\d{3}_[a-z0-9_]+)\.sql.*\n/gm;
    const matches = [...text.matchAll(marker)];
    const first = matches[0]?.index ?? text.length;
    return {
      core: text.slice(0, first),
      sections: matches.map((m, i) => ({
        name: m[1]!,
        text: text.slice((m.index ?? 0) + m[0].length, matches[i + 1]?.index ?? text.length),
      })),
    };
  }

  it('001 up part is the core of schema.sql and 002 up part the core of user_functions.sql, byte for byte', () => {
    expect(byName.get('001_initial_schema')?.up).toBe(split('schema.sql').core);
    expect(byName.get('002_user_functions')?.up).toBe(split('functions/user_functions.sql').core);
  });

  it('every later migration is mirrored verbatim, once, in schema.sql or user_functions.sql', () => {
    const sections = [...split('schema.sql').sections, ...split('functions/user_functions.sql').sections];
    for (const { name, text } of sections) expect(byName.get(name)?.up, `${name} mirrored verbatim`).toBe(text);
    const later = migrations.map((m) => m.name).filter((n) => n.slice(0, 3) > '002');
    expect(sections.map((x) => x.name).sort()).toEqual(later);
  });

  it('each migration has an inert down part that closes once', () => {
    for (const m of migrations) {
      const text = fs.readFileSync(m.file, 'utf8');
      expect(text.trimEnd().endsWith('*/'), m.name).toBe(true);
      expect(m.down?.includes('*/'), m.name).toBe(false);
      expect(m.up).not.toMatch(/CONCURRENTLY/i);
    }
  });

  it('the seed embeds a bcrypt (cost 12) hash, never a plain password in SQL', () => {
    const seedSql = read('seeds/development_data.sql');
    expect(seedSql).toContain('$2b$12$');
    expect(seedSql).not.toMatch(/password_hash[^\n]*'DasTern!2026'/);
  });

  it('the README documents the demo logins', () => {
    const readme = read('README.md');
    for (const email of ['admin@dastern.dev', 'dr.vannak@calmette.dastern.dev', 'dara.sok@example.com']) {
      expect(readme).toContain(email);
    }
    expect(readme).toContain('DasTern!2026');
  });
});
