/** The process's mailer as the configuration states it: SMTP when DASTERN_SMTP_URL is set, else the outbox folder. */
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import { createMailer, type Mailer } from './mailer.ts';

export function configuredMailer(config: Pick<Config, 'api' | 'dataDir'>, logger: Logger): Mailer {
  return createMailer({
    smtpUrl: config.api.smtpUrl,
    from: config.api.mailFrom,
    outboxDir: `${config.dataDir}/outbox`,
    logger,
  });
}
