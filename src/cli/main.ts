/**
 * The `dastern` command (CONTRACTS.md §4). Each subcommand lives in its own file.
 */
import { Command } from 'commander';

const program = new Command('dastern')
  .description('DasTern: prescription photos to medication plans, reminders and doctor follow-up')
  .showHelpAfterError();

if (process.argv[2] === 'read') {
  // A cold `dastern read` loads the reader only: the other commands pull in the server, the
  // database and the job queue (~2.5 s of CPU and ~150 MB before the first pixel is read).
  const { registerReadCommand } = await import('./read.ts');
  registerReadCommand(program);
} else {
  const [serve, worker, db, users, audit, maintenance, read, backup] = await Promise.all([
    import('./serve.ts'),
    import('./worker.ts'),
    import('./db.ts'),
    import('./users.ts'),
    import('./audit.ts'),
    import('./maintenance.ts'),
    import('./read.ts'),
    import('./backup.ts'),
  ]);
  serve.registerServeCommand(program);
  worker.registerWorkerCommand(program);
  db.registerDbCommands(program);
  users.registerUserCommands(program);
  audit.registerAuditCommands(program);
  maintenance.registerMaintenanceCommands(program);
  read.registerReadCommand(program);
  backup.registerBackupCommands(program);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`dastern: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
