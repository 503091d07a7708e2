/**
 * The web app's sizes (npm run bench:web): each built JS/CSS file raw and gzipped, and the
 * patient shell — what index.html loads (the entry chunk and what it imports statically, not the
 * doctor/admin chunks loaded on demand) — against its 200 KB gzip budget.
 */
import fs from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(import.meta.dirname, '../dist');
const BUDGET = 200 * 1024;
if (!fs.existsSync(path.join(dist, 'index.html'))) {
  console.error('web/dist is missing: npm run build:web');
  process.exit(1);
}
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const gz = (file: string) => gzipSync(fs.readFileSync(path.join(dist, file)), { level: 9 }).length;
const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;

// The shell: scripts and modulepreloads in index.html, then their static imports.
const shell = new Set<string>();
const queue = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1] as string);
while (queue.length > 0) {
  const file = queue.pop() as string;
  if (shell.has(file)) continue;
  shell.add(file);
  const code = fs.readFileSync(path.join(dist, file), 'utf8');
  for (const m of code.matchAll(/(?:^|[;\n}])\s*import\s*(?:[^"'()]*?from\s*)?["']\.\/([^"']+\.js)["']/g))
    queue.push(`assets/${m[1]}`);
}

const rows = fs
  .readdirSync(path.join(dist, 'assets'))
  .filter((f) => /\.(js|css)$/.test(f))
  .map((f) => `assets/${f}`);
for (const f of rows.sort()) {
  console.log(
    `${f.padEnd(40)} ${kb(fs.statSync(path.join(dist, f)).size).padStart(10)} raw ${kb(gz(f)).padStart(10)} gzip${shell.has(f) ? '  (shell)' : ''}`,
  );
}
const shellGz = [...shell].reduce((n, f) => n + gz(f), 0);
console.log(
  `patient shell JS: ${kb(shellGz)} gzipped (${shell.size} file(s)); budget ${kb(BUDGET)}: ${shellGz <= BUDGET ? 'within' : 'OVER'}`,
);
if (shellGz > BUDGET) process.exit(1);
