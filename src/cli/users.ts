/** `dastern users create-admin --email … [--password-stdin]`: the only way to make an admin. */
import type { Command } from 'commander';
import { commandLogLevel, loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { prepareDatabase } from '../db/bootstrap.ts';
import { Database } from '../db/database.ts';
import { createAdmin } from '../users/admin-accounts.ts';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

async function promptHidden(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error('no terminal to ask for the password: use --password-stdin');
  process.stderr.write(question);
  process.stdin.setRawMode(true);
  process.stdin.resume();
  return new Promise((resolve) => {
    let value = '';
    const onData = (buf: Buffer): void => {
      const s = buf.toString('utf8');
      if (s === '\r' || s === '\n') {
        process.stdin.setRawMode(false);
        process.stdin.pause();
        process.stdin.off('data', onData);
        process.stderr.write('\n');
        resolve(value);
      } else if (s === '\u0003') {
        process.exit(130);
      } else if (s === '\u007f') {
        value = value.slice(0, -1);
      } else {
        value += s;
      }
    };
    process.stdin.on('data', onData);
  });
}

export function registerUserCommands(program: Command): void {
  const users = program.command('users').description('accounts that cannot be made through the API');
  users
    .command('create-admin')
    .description('create an administrator account (password from a hidden prompt or --password-stdin)')
    .requiredOption('--email <email>', "the admin's e-mail address")
    .option('--first-name <name>', 'first name', 'Admin')
    .option('--last-name <name>', 'last name', 'DasTern')
    .option('--password-stdin', 'read the password from standard input (never from an argument: it would show in `ps`)')
    .action(async (opts: { email: string; firstName: string; lastName: string; passwordStdin?: boolean }) => {
      const password = opts.passwordStdin
        ? await readStdin()
        : await promptHidden('Password (10+ characters, letters and digits): ');
      const config = loadConfig();
      const logger = createLogger(commandLogLevel());
      const urls = await prepareDatabase(config, logger, { migrate: false, seedWhenNew: false });
      // 'system' (the only role that may create an admin) counts only for dastern_worker
      const db = new Database(urls.workerUrl, { max: 1 });
      try {
        const id = await createAdmin(
          db,
          { email: opts.email, password, firstName: opts.firstName, lastName: opts.lastName },
          config.api.bcryptCost,
        );
        process.stdout.write(`admin created: ${id}\n`);
      } finally {
        await db.close();
        await urls.embedded?.stop();
      }
    });
}
