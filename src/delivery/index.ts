/** Delivery wired from configuration: the Mailer, Web Push with the VAPID keys, the Deliverer. */
import type { Config } from '../config.ts';
import type { Database } from '../db/database.ts';
import type { Logger } from '../log.ts';
import type { Mailer } from '../mail/mailer.ts';
import { Deliverer } from './deliverer.ts';
import { webPushSender } from './push.ts';
import { resolveVapid } from './vapid.ts';

export { Deliverer } from './deliverer.ts';
export { startDeliveryWorkers, enqueueDeliveries, type DeliveryPort } from './jobs.ts';

export function createDeliverer(config: Config, db: Database, mailer: Mailer, logger: Logger): Deliverer {
  return new Deliverer({
    db,
    mailer,
    logger,
    push: webPushSender({ vapid: resolveVapid(config), allowedHosts: config.push.endpointHosts }),
    publicUrl: config.api.publicUrl,
    concurrency: config.push.concurrency,
  });
}
