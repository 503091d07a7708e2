/** SQL of usage events (owner of usage_analytics). */
import type { Tx } from '../db/database.ts';

export interface UsageEvent {
  userId: string | null;
  eventType: string;
  platform: string | null;
  appVersion: string | null;
  properties: Record<string, string | number | boolean | null>;
}

export async function insertUsageEvent(tx: Pick<Tx, 'query'>, e: UsageEvent): Promise<void> {
  await tx.query(
    `INSERT INTO usage_analytics (user_id, event_type, platform, app_version, properties) VALUES ($1, $2, $3, $4, $5)`,
    [e.userId, e.eventType, e.platform, e.appVersion, JSON.stringify(e.properties)],
  );
}
