/**
 * The `dastern` command (CONTRACTS.md §4). Each subcommand lives in its own file.
 */
import { Command } from 'commander';

const program = new Command('dastern')
  .description('DasTern: prescription photos to medication plans, reminders and doctor follow-up')
  .showHelpAfterError();

type Register = (program: Command) => void;
// Each command's module, loaded only when needed: a command loads its own dependencies and not
// the others' (a cold `dastern read` loads the reader only, not the server, the database and the
// job queue: ~2.5 s of CPU and ~150 MB before the first pixel is read; `dastern serve` skips
// the backup, user and maintenance commands).
const COMMANDS = new Map<string, () => Promise<Register>>([
  ['serve', async () => (await import('./serve.ts')).registerServeCommand],
  ['worker', async () => (await import('./worker.ts')).registerWorkerCommand],
  ['db', async () => (await import('./db.ts')).registerDbCommands],
  ['users', async () => (await import('./users.ts')).registerUserCommands],
  ['audit', async () => (await import('./audit.ts')).registerAuditCommands],
  ['maintenance', async () => (await import('./maintenance.ts')).registerMaintenanceCommands],
  ['read', async () => (await import('./read.ts')).registerReadCommand],
  ['backup', async () => (await import('./backup.ts')).registerBackupCommands],
]);

const named = COMMANDS.get(process.argv[2] ?? '');
// one command when its name comes first; all of them otherwise (help, an unknown command)
const registers = await Promise.all(named !== undefined ? [named()] : [...COMMANDS.values()].map((load) => load()));
for (const register of registers) register(program);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.stderr.write(`dastern: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
