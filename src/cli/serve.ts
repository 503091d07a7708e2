import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { startServer } from '../server.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP service (what `npm start` runs); embedded PostgreSQL when DATABASE_URL is unset')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      const server = await startServer(config, logger);
      logger.info({ url: server.url }, 'DasTern is listening');
      let signals = 0;
      const shutdown = (signal: NodeJS.Signals): void => {
        signals += 1;
        if (signals > 1) process.exit(1);
        logger.info({ signal }, 'shutting down');
        server.stop().then(
          () => process.exit(0),
          (err: unknown) => {
            logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
    });
}
