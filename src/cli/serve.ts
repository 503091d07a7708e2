import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startServer } from '../server.ts';
import { stopOnSignals } from './signals.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP service (what `npm start` runs); embedded PostgreSQL when DATABASE_URL is unset')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      // Handlers first: whoever reads the line below may signal at once.
      stopOnSignals(server, logger, 'DasTern');
      logger.info({ url: server.url }, 'DasTern is listening');
    });
}
