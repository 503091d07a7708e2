/**
 * bin/dastern.js runs the compiled server (dist/, scripts/build-server.ts) only when it was built
 * from the sources as they are now, and loads src/ through tsx otherwise; and the compiled tree
 * finds what the code loads relative to itself (migrations, web app, knowledge base, lexicon).
 * Each case runs in a checkout of its own under the temporary directory (bin/ copied,
 * node_modules linked).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../scripts/build-server.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const made: string[] = [];

function checkout(links: string[]): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-bin-'));
  made.push(root);
  fs.mkdirSync(path.join(root, 'bin'));
  for (const f of ['dastern.js', 'compiled.js']) fs.copyFileSync(path.join(repo, 'bin', f), path.join(root, 'bin', f));
  for (const l of ['node_modules', 'package.json', ...links]) fs.symlinkSync(path.join(repo, l), path.join(root, l));
  return root;
}

function run(root: string, args: string[] = []): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'dastern.js'), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

afterAll(() => {
  for (const d of made) fs.rmSync(d, { recursive: true, force: true });
});

describe('bin/dastern.js: compiled when current, sources otherwise', () => {
  const root = checkout([]);
  const main = path.join(root, 'src', 'cli', 'main.ts');
  fs.mkdirSync(path.dirname(main), { recursive: true });
  // prints the module that ran, and reads a data file next to it (copied into dist/ by the build)
  fs.writeFileSync(
    main,
    "import fs from 'node:fs';\nimport { other } from './other.ts';\n" +
      "console.log(import.meta.url, other, fs.readFileSync(new URL('./data.json', import.meta.url), 'utf8').trim());\n",
  );
  fs.writeFileSync(path.join(root, 'src', 'cli', 'other.ts'), "export const other: string = 'other';\n");
  fs.writeFileSync(path.join(root, 'src', 'cli', 'data.json'), '{"v":1}\n');
  const ran = (): string => {
    const r = run(root);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('other {"v":1}');
    return r.out.includes('/dist/cli/main.js') ? 'dist' : r.out.includes('/src/cli/main.ts') ? 'src' : r.out;
  };

  it('loads the sources when nothing is built, the build once it is', async () => {
    expect(ran()).toBe('src');
    await buildServer(root);
    expect(fs.existsSync(path.join(root, 'dist', 'cli', 'main.js.map'))).toBe(true);
    expect(ran()).toBe('dist');
    // a touch or a copy that changes no byte keeps the build
    const later = new Date(Date.now() + 60_000);
    fs.utimesSync(main, later, later);
    expect(ran()).toBe('dist');
  });

  it('falls back to the sources after an edit, a new file, a deleted file or a changed data file', async () => {
    const cases: Array<[string, () => void]> = [
      ['edit', () => fs.appendFileSync(main, '// edited\n')],
      ['new file', () => fs.writeFileSync(path.join(root, 'src', 'new.ts'), 'export {};\n')],
      ['deleted file', () => fs.rmSync(path.join(root, 'src', 'new.ts'))],
      ['data file', () => fs.writeFileSync(path.join(root, 'src', 'cli', 'data.json'), '{"v":1} \n')],
    ];
    for (const [name, change] of cases) {
      await buildServer(root);
      expect(ran(), name).toBe('dist');
      change();
      expect(ran(), name).toBe('src');
    }
  });

  it('ignores a build of another format or without its stamp', async () => {
    await buildServer(root);
    const stamp = path.join(root, 'dist', 'build.json');
    const recorded = JSON.parse(fs.readFileSync(stamp, 'utf8')) as { format: number };
    fs.writeFileSync(stamp, JSON.stringify({ ...recorded, format: recorded.format + 1 }));
    expect(ran()).toBe('src');
    fs.rmSync(stamp);
    expect(ran()).toBe('src');
  });
});

describe('the compiled server', () => {
  it('runs the CLI and finds the files it loads relative to its modules', async () => {
    const root = checkout(['src', 'database', 'web']);
    expect(await buildServer(root)).toBeGreaterThan(100);
    const help = run(root, ['--help']);
    expect(help.status, help.out).toBe(0);
    expect(help.out).toMatch(/serve\s+run the HTTP service/);
    const script = `
      const dist = ${JSON.stringify(path.join(root, 'dist'))};
      const { DATABASE_DIR } = await import(dist + '/db/migrations.js');
      const { WEB_DIST } = await import(dist + '/http/web-app.js');
      const { DEFAULT_LEXICON_PATH, loadLexiconFile } = await import(dist + '/reading/lexicon/load.js');
      const { KNOWLEDGE_FILES, knowledgeBase } = await import(dist + '/safety/knowledge.js');
      console.log(JSON.stringify({
        paths: [DATABASE_DIR, WEB_DIST, DEFAULT_LEXICON_PATH, ...Object.values(KNOWLEDGE_FILES)],
        drugs: loadLexiconFile().drugs.length,
        ingredients: knowledgeBase().ingredients.size,
      }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const found = JSON.parse(r.stdout) as { paths: string[]; drugs: number; ingredients: number };
    expect(found.paths[0]).toBe(path.join(root, 'database'));
    expect(found.paths[1]).toBe(path.join(root, 'web', 'dist'));
    for (const p of found.paths.slice(2)) {
      expect(p.startsWith(path.join(root, 'dist') + path.sep), p).toBe(true);
      expect(fs.existsSync(p), p).toBe(true);
    }
    expect(fs.existsSync(path.join(found.paths[0] as string, 'migrations'))).toBe(true);
    expect(found.drugs).toBeGreaterThan(0);
    expect(found.ingredients).toBeGreaterThan(0);
  });
});
