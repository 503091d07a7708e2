/**
 * Usage events (login, prescription_scan, reminder_taken, ai_request, …) with the client's
 * platform and app version from the X-Platform / X-App-Version headers. Events never carry
 * medical free text: properties are a small flat object of short values.
 */
import type { FastifyRequest } from 'fastify';
import type { Tx } from '../db/database.ts';

export interface ClientInfo {
  platform: string | undefined;
  appVersion: string | undefined;
}

const PLATFORM = /^[a-z0-9][a-z0-9_.-]{0,31}$/i;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/;

/** Events only the server records (they count quotas or mirror server actions). */
export const SERVER_EVENTS: ReadonlySet<string> = new Set([
  'register', 'login', 'prescription_scan', 'prescription_confirm', 'reminder_taken', 'reminder_skipped',
  'ai_request', 'data_export', 'account_erased', 'invitation_created', 'invitation_accepted', 'clinical_note_created',
]);

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

export function clientInfo(request: FastifyRequest): ClientInfo {
  const platform = header(request, 'x-platform');
  const appVersion = header(request, 'x-app-version');
  return {
    platform: platform !== undefined && PLATFORM.test(platform) ? platform.toLowerCase() : undefined,
    appVersion: appVersion !== undefined && VERSION.test(appVersion) ? appVersion : undefined,
  };
}

export type EventProperties = Record<string, string | number | boolean | null>;

export async function recordEvent(tx: Tx, userId: string | null, eventType: string, client: ClientInfo, properties: EventProperties): Promise<void> {
  await tx.query(
    `INSERT INTO usage_analytics (user_id, event_type, platform, app_version, properties) VALUES ($1, $2, $3, $4, $5)`,
    [userId, eventType, client.platform ?? null, client.appVersion ?? null, JSON.stringify(properties)],
  );
}
