/**
 * The `dastern` command (CONTRACTS.md §4). Each subcommand lives in its own file.
 */
import { Command } from 'commander';
import { registerServeCommand } from './serve.ts';
import { registerWorkerCommand } from './worker.ts';
import { registerDbCommands } from './db.ts';
import { registerUserCommands } from './users.ts';
import { registerAuditCommands } from './audit.ts';
import { registerMaintenanceCommands } from './maintenance.ts';
import { registerReadCommand } from './read.ts';
import { registerBackupCommands } from './backup.ts';

const program = new Command('dastern')
  .description('DasTern: prescription photos to medication plans, reminders and doctor follow-up')
  .showHelpAfterError();

registerServeCommand(program);
registerWorkerCommand(program);
registerDbCommands(program);
registerUserCommands(program);
registerAuditCommands(program);
registerMaintenanceCommands(program);
registerReadCommand(program);
registerBackupCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`dastern: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
