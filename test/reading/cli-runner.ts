/** Runs `read` as the `dastern` program would, for cli.test.ts (until src/cli/main.ts wires it). */
import { Command } from 'commander';
import { registerReadCommand } from '../../src/cli/read.ts';

const program = new Command('dastern');
registerReadCommand(program);
await program.parseAsync(process.argv);
