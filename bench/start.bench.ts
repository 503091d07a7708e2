/**
 * Start-up benchmark (`npm run bench:start`). Prints figures; never asserts.
 *
 * `npm start` (node bin/dastern.js serve: embedded PostgreSQL, migrations, demo data, pg-boss,
 * HTTP) until GET /api/v1/health answers 200, on a new data dir (initdb, every migration, demo
 * data) and then BENCH_RUNS times on the same data dir (stopped with SIGINT in between), with the
 * service's own log lines and when each came: where the time goes. Goals: ≤ 10 s for
 * the first start, ≤ 3 s after. For reference, the CLI's own start (`dastern --help`), from the
 * compiled dist/ when it is current (bin/compiled.js) and from the sources through tsx.
 *
 *   BENCH_RUNS=3
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cliStartMs, freePort, timeStart, type StartResult } from './support/start.ts';
import { compiledEntry } from '../bin/compiled.js';
import { secs, summarize } from './support/stats.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3));
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

function describe(label: string, r: StartResult): void {
  const ready = r.readyMs === undefined ? `never answered (${r.error ?? 'unknown'})` : secs(r.readyMs);
  out(
    `${label}: ready in ${ready}; SIGINT → exit ${r.exitMs === undefined ? 'n/a' : secs(r.exitMs)}, embedded PostgreSQL stopped: ${r.postgresStopped ? 'yes' : 'NO'}`,
  );
  for (const e of r.timeline) out(`      ${secs(e.at).padStart(8)}  ${e.msg.slice(0, 110)}`);
}

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dastern-bench-start-'));
try {
  const ports = { http: await freePort(), pg: await freePort() };
  out(
    `npm start on ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
  const first = await timeStart(root, dataDir, ports);
  describe('first start (new data dir: initdb, migrations, demo data)', first);
  const again: number[] = [];
  let last: StartResult | undefined;
  for (let i = 0; i < RUNS; i++) {
    last = await timeStart(root, dataDir, ports);
    if (last.readyMs !== undefined) again.push(last.readyMs);
  }
  if (last !== undefined) describe(`start on the existing data dir (last of ${RUNS})`, last);
  out('');
  out(`first start   ${first.readyMs === undefined ? 'n/a' : secs(first.readyMs)}   (goal ≤ 10 s)`);
  out(`later starts  median ${secs(summarize(again).median)} of ${again.map(secs).join(', ')}   (goal ≤ 3 s)`);
  const compiled = compiledEntry(root) !== undefined;
  out(
    `the CLI's own start (node bin/dastern.js --help, ${compiled ? 'compiled dist/' : 'dist/ missing or stale: src/ through tsx'}): ${cliStartMs(root).map(secs).join(', ')}`,
  );
  out(
    `the same from the sources through tsx: ${cliStartMs(root, 3, ['--import', 'tsx', 'src/cli/main.ts']).map(secs).join(', ')}`,
  );
  out(
    `load average ${os
      .loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  );
} finally {
  fs.rmSync(dataDir, { recursive: true, force: true });
}
