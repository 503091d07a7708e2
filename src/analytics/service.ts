/**
 * Usage events (login, prescription_scan, reminder_taken, ai_request, …) with the client's
 * platform and app version from the X-Platform / X-App-Version headers. Events never carry
 * medical free text: properties are a small flat object of short values.
 */
import type { Tx } from '../db/database.ts';
import type { ClientInfo, RequestContext } from '../core/context.ts';
import { badRequest } from '../core/errors.ts';
import { insertUsageEvent } from './queries.ts';

export type { ClientInfo } from '../core/context.ts';

/** Request headers as Node gives them (no HTTP library needed to read two of them). */
export interface HeaderSource {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

const PLATFORM = /^[a-z0-9][a-z0-9_.-]{0,31}$/i;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/;

/** Events only the server records (they count quotas or mirror server actions). */
export const SERVER_EVENTS: ReadonlySet<string> = new Set([
  'register',
  'login',
  'prescription_scan',
  'prescription_confirm',
  'reminder_taken',
  'reminder_skipped',
  'ai_request',
  'data_export',
  'account_erased',
  'invitation_created',
  'invitation_accepted',
  'clinical_note_created',
]);

function header(request: HeaderSource, name: string): string | undefined {
  const v = request.headers[name];
  return typeof v === 'string' ? v.trim() : undefined;
}

export function clientInfo(request: HeaderSource): ClientInfo {
  const platform = header(request, 'x-platform');
  const appVersion = header(request, 'x-app-version');
  return {
    platform: platform !== undefined && PLATFORM.test(platform) ? platform.toLowerCase() : undefined,
    appVersion: appVersion !== undefined && VERSION.test(appVersion) ? appVersion : undefined,
  };
}

export type EventProperties = Record<string, string | number | boolean | null>;

/** A usage event recorded in the caller's transaction (the usage_analytics table is analytics/queries.ts's). */
export async function recordEvent(
  tx: Tx,
  userId: string | null,
  eventType: string,
  client: ClientInfo,
  properties: EventProperties,
): Promise<void> {
  await insertUsageEvent(tx, {
    userId,
    eventType,
    platform: client.platform ?? null,
    appVersion: client.appVersion ?? null,
    properties,
  });
}

/** An event an app sends; the server's own events (SERVER_EVENTS) are refused. */
export async function recordClientEvent(
  ctx: RequestContext,
  eventType: string,
  properties: EventProperties,
): Promise<void> {
  if (SERVER_EVENTS.has(eventType)) throw badRequest('server_event', `"${eventType}" is recorded by the server itself`);
  await ctx.run((tx) => recordEvent(tx, ctx.userId, eventType, ctx.client, properties));
}
