/**
 * A `dastern worker` process whose reader never finishes (run by killed-worker.test.ts with
 * `node --import tsx`): it prints READING when a reading starts, so the test can SIGKILL it
 * while the job is active. Configuration comes from the environment, as for the real command.
 */
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { runWorkerUntilSignal } from '../../src/cli/worker.ts';

const reader = {
  read: (): Promise<never> => {
    process.stdout.write('READING\n');
    return new Promise<never>(() => undefined);
  },
};
await runWorkerUntilSignal(loadConfig(), createLogger('silent'), { reader });
process.stdout.write('STARTED\n');
