import type { Command } from 'commander';
import { loadConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { serveDatabase } from '../db/bootstrap.ts';
import { stopOnSignals } from './signals.ts';
import { logPhases } from '../startup-phases.ts';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP service (what `npm start` runs); embedded PostgreSQL when DATABASE_URL is unset')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config.logLevel);
      // The database starts (the embedded server, migrations) while the server's modules load.
      const database = serveDatabase(config, logger);
      database.catch(() => undefined); // handled below (its failure must not end the process while the import runs)
      const { startServer } = await import('../server.ts').catch(async (err: unknown) => {
        await database.then((urls) => urls.embedded?.stop()).catch(() => undefined);
        throw err;
      });
      const server = await startServer(config, logger, database);
      // Handlers first: whoever reads the line below may signal at once.
      stopOnSignals(server, logger, 'DasTern');
      logger.info({ url: server.url }, 'DasTern is listening');
      logPhases(logger);
    });
}
