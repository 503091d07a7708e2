// Runs the npm scripts named on the command line at the same time, each one's output printed
// whole when it ends, and fails when any of them fails. `npm test` runs the type-check and the
// lint this way: each is one process on one core, and CI has two.
//   node scripts/parallel.js typecheck lint
import { spawn } from 'node:child_process';

const names = process.argv.slice(2);
const codes = await Promise.all(
  names.map(
    (name) =>
      new Promise((resolve) => {
        const child = spawn('npm', ['run', '--silent', name], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        child.stdout.on('data', (chunk) => (out += chunk));
        child.stderr.on('data', (chunk) => (out += chunk));
        child.on('error', (err) => {
          out += String(err);
          resolve(1);
        });
        child.on('close', (code) => {
          process.stdout.write(`> npm run ${name}: ${code === 0 ? 'ok' : `failed (${code})`}\n${out}`);
          resolve(code ?? 1);
        });
      }),
  ),
);
process.exit(codes.every((code) => code === 0) ? 0 : 1);
