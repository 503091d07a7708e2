/** npm run kb:validate — prints the knowledge base's counts; exit status 1 on any error. */
import { validateKnowledge } from './validate.ts';

const report = validateKnowledge();
process.stdout.write(`${JSON.stringify(report.counts, null, 2)}\n`);
for (const e of report.errors) process.stderr.write(`error: ${e}\n`);
process.stdout.write(
  report.errors.length === 0 ? 'knowledge base: valid\n' : `knowledge base: ${report.errors.length} error(s)\n`,
);
process.exitCode = report.errors.length === 0 ? 0 : 1;
