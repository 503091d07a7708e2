/**
 * Composition root of `dastern serve`: config → database (embedded when DATABASE_URL is
 * unset) → HTTP. Stops cleanly on SIGINT/SIGTERM: HTTP first, then the pool, then the
 * embedded PostgreSQL.
 */
import type { Config } from './config.ts';
import type { Logger } from './log.ts';
import { prepareDatabase } from './db/bootstrap.ts';
import { Database } from './db/database.ts';
import { buildApp } from './http/app.ts';

export interface RunningServer {
  url: string;
  stop(): Promise<void>;
}

export async function startServer(config: Config, logger: Logger): Promise<RunningServer> {
  const urls = await prepareDatabase(config, logger, { migrate: true, seedWhenNew: config.env !== 'production' });
  const db = new Database(urls.appUrl);
  const app = await buildApp({ db, logger });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    await db.close();
    await urls.embedded?.stop();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  let stopping: Promise<void> | undefined;
  return {
    url,
    stop() {
      stopping ??= (async () => {
        await app.close();
        await db.close();
        await urls.embedded?.stop();
      })();
      return stopping;
    },
  };
}
